import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

import * as ext from './ext';

const OUTPUT_NAME = 'AUTOCREA';
/** Buttons of the notifications (see `onChoice`). */
const OPEN_PROBLEMS = 'Open Problems';
const SHOW_OUTPUT = 'Show output';
const SIGN_IN = 'Sign in';
const SIGN_OUT = 'Sign out';
const STORE_KEY = 'Store an API key…';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
/** Runs known to be in progress: run id → idea (or "" when only seen through `autocrea/stream`). */
const activeRuns = new Map<string, string>();
/** The folder of the last run reported, the default app folder of undo, re-run and deploy. */
let lastRunDir: string | undefined;
/** Runs already reported: a `wait: true` run is reported by both the answer and the notification. */
const reportedRuns = new Set<string>();
/** Where the last streamed chunk came from, to print a header when the source changes. */
let lastStreamSource: string | undefined;
/** The account as the server last reported it (`autocrea/status`, or a command's answer). */
let account: ext.Status | undefined;
/** A sign-in waiting for its code to be confirmed in the browser. */
let pendingSignIn: { code: string; page: string; timer: NodeJS.Timeout } | undefined;
let accountItem: vscode.StatusBarItem;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel(OUTPUT_NAME);
  accountItem = vscode.window.createStatusBarItem('autocrea.account', vscode.StatusBarAlignment.Right, 100);
  accountItem.name = 'AUTOCREA account';
  context.subscriptions.push(
    output,
    accountItem,
    vscode.commands.registerCommand('autocrea.generateFromPrompt', generateFromPrompt),
    vscode.commands.registerCommand('autocrea.cancelRun', cancelRun),
    vscode.commands.registerCommand('autocrea.undoLastStep', undoLastStep),
    vscode.commands.registerCommand('autocrea.rerunRole', rerunRole),
    vscode.commands.registerCommand('autocrea.deployBranch', deployBranch),
    vscode.commands.registerCommand('autocrea.auditWorkspace', () => audit(undefined)),
    vscode.commands.registerCommand('autocrea.auditFileFolder', auditFileFolder),
    vscode.commands.registerCommand('autocrea.accountSignIn', signIn),
    vscode.commands.registerCommand('autocrea.accountSignOut', signOut),
    vscode.commands.registerCommand('autocrea.accountStatus', showAccount),
    vscode.commands.registerCommand('autocrea.storeApiKey', storeApiKey),
    vscode.commands.registerCommand('autocrea.showOutput', () => {
      output.show(true);
    }),
    vscode.commands.registerCommand('autocrea.restartServer', restartServer),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('autocrea.serverPath')) {
        void restartServer();
      }
    }),
    { dispose: () => void client?.stop() },
    {
      dispose: () => {
        clearTimeout(pendingSignIn?.timer);
      },
    },
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.stop();
}

/** Settings sent to the server, in order. Client-only settings (`serverPath`, `trace`) are not. */
const SERVER_SETTINGS = [
  'engine',
  'fallback',
  'joxcoder',
  'openai',
  'anthropic',
  'local',
  'roles',
  'repairRounds',
  'timeouts',
  'targetFolder',
  'runTests',
  'overwrite',
  'maxFileBytes',
  'testTimeoutSecs',
  'commitUserChanges',
  'gitEmail',
  'autoFix',
  'auditOnChange',
  'gatewayUrl',
] as const;

/** The `autocrea` section as the server expects it: settings that are unset (null) are left out,
 *  and client-only settings (`serverPath`, `trace`) are not sent. */
export function serverOptions(config: vscode.WorkspaceConfiguration): ext.Options {
  const options: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = withoutUnset(config.get(key));
    if (value !== undefined) {
      options[key] = value;
    }
  }
  return options;
}

/** A setting's value with what is unset left out: null, and inside objects (`joxcoder`, `roles`,
 *  `timeouts`…) null or blank strings and objects left empty by that. `undefined` when nothing
 *  is left of an object (VS Code reports an object setting nobody set as `{}`). Arrays stay as
 *  they are: `fallback: []` means "no fallback". */
function withoutUnset(value: unknown, nested = false): unknown {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (nested && typeof value === 'string' && value.trim() === '') {
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const inner = withoutUnset(v, true);
    if (inner !== undefined) {
      kept[k] = inner;
    }
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

async function startServer(): Promise<void> {
  const config = vscode.workspace.getConfiguration(ext.CONFIG_SECTION);
  const command = config.get<string>('serverPath') || 'autocrea';
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  const server: ServerOptions = { run, debug: run };

  const clientOptions: LanguageClientOptions = {
    // Ideas can sit in a comment of any file, so the server sees every file and untitled buffer.
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    initializationOptions: serverOptions(config),
    // Push `workspace/didChangeConfiguration` with the settings on every change (and once after
    // `initialized`) without waiting for the server to register for it dynamically. The server
    // also pulls through `workspace/configuration`, answered by the middleware below.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    synchronize: { configurationSection: ext.CONFIG_SECTION },
    outputChannelName: `${OUTPUT_NAME} Language Server`,
    middleware: {
      workspace: {
        // Send the filtered section, not the raw one (which also holds serverPath and trace).
        didChangeConfiguration: async () => {
          await c.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [ext.CONFIG_SECTION]: serverOptions(vscode.workspace.getConfiguration(ext.CONFIG_SECTION)) },
          });
        },
        // Answer `workspace/configuration` pulls for our section with the same filtered object
        // as initializationOptions.
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) {
            return answer;
          }
          return params.items.map((item, i): unknown =>
            item.section === ext.CONFIG_SECTION
              ? serverOptions(vscode.workspace.getConfiguration(ext.CONFIG_SECTION, toUri(item.scopeUri)))
              : answer[i],
          );
        },
      },
    },
  };

  const c = new LanguageClient('autocrea', OUTPUT_NAME, server, clientOptions);
  c.onNotification(ext.streamNotification, onStream);
  c.onNotification(ext.runFinishedNotification, (summary) => void onRunFinished(summary));
  c.onNotification(ext.statusNotification, onStatus);
  client = c;
  try {
    await c.start();
  } catch (err) {
    const choice = await vscode.window.showErrorMessage(
      `AUTOCREA: could not start \`${command} lsp\` (${errorText(err)}). Install autocrea or set "autocrea.serverPath".`,
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'autocrea.serverPath');
    }
  }
}

async function restartServer(): Promise<void> {
  const c = client;
  client = undefined;
  activeRuns.clear();
  // The new server sends its own status after `initialized`; a pending sign-in ended with the old.
  account = undefined;
  clearTimeout(pendingSignIn?.timer);
  pendingSignIn = undefined;
  renderAccount();
  if (c) {
    try {
      await c.stop();
    } catch (err) {
      output.appendLine(`Stopping the server failed: ${errorText(err)}`);
    }
  }
  await startServer();
}

function toUri(scopeUri: string | undefined): vscode.Uri | undefined {
  return scopeUri ? vscode.Uri.parse(scopeUri) : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runningClient(): LanguageClient | undefined {
  if (client?.isRunning()) {
    return client;
  }
  void vscode.window.showErrorMessage('AUTOCREA: the language server is not running. Run "AUTOCREA: Restart language server".');
  return undefined;
}

async function executeCommand<R>(c: LanguageClient, command: string, arg: object): Promise<R> {
  return (await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] })) as R;
}

// ---------------------------------------------------------------------------------------------
// Palette commands
// ---------------------------------------------------------------------------------------------

async function generateFromPrompt(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
  const idea = await vscode.window.showInputBox({
    title: 'AUTOCREA: Generate an app from an idea',
    prompt: 'Describe the app in one line',
    placeHolder: 'a blog with comments',
    value: selected.includes('\n') ? '' : selected,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Say what the app should do.'),
  });
  if (!idea?.trim()) {
    return;
  }
  try {
    const params: ext.GenerateParams = { idea: idea.trim() };
    const result = await executeCommand<ext.GenerateResult>(c, ext.GENERATE, params);
    if (ext.isRunSummary(result)) {
      await onRunFinished(result);
    } else {
      activeRuns.set(result.runId, params.idea);
      output.appendLine(`▶ run ${result.runId}: "${params.idea}" → ${result.dir}`);
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: generation did not start: ${errorText(err)}`);
  }
}

async function cancelRun(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  let runId: string | undefined;
  if (activeRuns.size === 0) {
    void vscode.window.showInformationMessage('AUTOCREA: no run is in progress.');
    return;
  } else if (activeRuns.size === 1) {
    runId = activeRuns.keys().next().value;
  } else {
    const picked = await vscode.window.showQuickPick(
      [...activeRuns].map(([id, idea]) => ({ label: idea || id, description: id, runId: id })),
      { title: 'AUTOCREA: Cancel which run?' },
    );
    runId = picked?.runId;
  }
  if (!runId) {
    return;
  }
  try {
    const params: ext.CancelParams = { runId };
    const result = await executeCommand<ext.CancelResult>(c, ext.CANCEL, params);
    if (!result.cancelled) {
      activeRuns.delete(runId);
      void vscode.window.showInformationMessage(`AUTOCREA: run ${runId} had already ended.`);
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: cancel failed: ${errorText(err)}`);
  }
}

/** The app folder for undo, re-run and deploy: the nearest folder above the active file that
 *  holds `.autocrea/spec.json` (inside its workspace folder), else the last run's folder, else
 *  none (the server then uses the workspace root). */
async function appDir(): Promise<string | undefined> {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.uri.scheme === 'file') {
    const root = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    let dir = path.dirname(doc.uri.fsPath);
    for (;;) {
      try {
        await vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, '.autocrea', 'spec.json')));
        return dir;
      } catch {
        // not here; look further up
      }
      const parent = path.dirname(dir);
      if (parent === dir || !root || dir === root || !dir.startsWith(root)) {
        break;
      }
      dir = parent;
    }
  }
  return lastRunDir;
}

async function undoLastStep(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  const dir = await appDir();
  try {
    const params: ext.DirParams = dir ? { dir } : {};
    const result = await executeCommand<ext.UndoResult>(c, ext.UNDO, params);
    const files = `${result.paths.length} file${result.paths.length === 1 ? '' : 's'}`;
    output.appendLine('');
    output.appendLine(`↶ took back ${result.commit} (${result.role}: ${result.summary}) in ${dir ?? 'the workspace root'}`);
    for (const p of result.paths) {
      output.appendLine(`  ${p}`);
    }
    const choice = await vscode.window.showInformationMessage(
      `AUTOCREA: took back ${result.commit} (${result.role}: ${result.summary}); ${files} restored or removed.`,
      SHOW_OUTPUT,
    );
    await onChoice(choice);
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: undo failed: ${errorText(err)}`);
  }
}

async function rerunRole(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  const picked = await vscode.window.showQuickPick(
    ext.RERUNNABLE_ROLES.map((role) => ({ label: role, role })),
    { title: 'AUTOCREA: Re-run which role?', placeHolder: 'Its files are regenerated as a new commit on the branch' },
  );
  if (!picked) {
    return;
  }
  const dir = await appDir();
  try {
    const params: ext.RunRoleParams = dir ? { role: picked.role, dir } : { role: picked.role };
    const result = await executeCommand<ext.GenerateResult>(c, ext.RUN_ROLE, params);
    if (ext.isRunSummary(result)) {
      await onRunFinished(result);
    } else {
      activeRuns.set(result.runId, `re-run of ${picked.role}`);
      output.appendLine(`▶ run ${result.runId}: re-run of ${picked.role} in ${result.dir}`);
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: the re-run of ${picked.role} did not start: ${errorText(err)}`);
  }
}

async function deployBranch(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  const remote = await vscode.window.showInputBox({
    title: 'AUTOCREA: Deploy (push the branch)',
    prompt: 'Git remote to push the branch to (with your own git credentials)',
    value: 'origin',
    validateInput: (v) => (v.trim() && !/\s/.test(v.trim()) ? undefined : 'A remote name, such as origin.'),
  });
  if (!remote?.trim()) {
    return;
  }
  const dir = await appDir();
  try {
    const params: ext.DeployParams = dir ? { dir, remote: remote.trim() } : { remote: remote.trim() };
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `AUTOCREA: pushing to ${remote.trim()}…` },
      () => executeCommand<ext.DeployResult>(c, ext.DEPLOY, params),
    );
    output.appendLine('');
    output.appendLine(`⇡ pushed to ${remote.trim()}:`);
    output.appendLine(result.output.trimEnd());
    const choice = await vscode.window.showInformationMessage(
      `AUTOCREA: pushed the branch to ${remote.trim()}.`,
      SHOW_OUTPUT,
    );
    await onChoice(choice);
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: deploy failed: ${errorText(err)}`);
  }
}

/** Runs `autocrea.audit` on `dir` (default: the workspace root). The server shows the progress
 *  and publishes the findings as diagnostics; this lists them in the output and offers the
 *  Problems view. */
async function audit(dir: string | undefined): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  let result: ext.AuditResult;
  try {
    const params: ext.DirParams = dir ? { dir } : {};
    result = await executeCommand<ext.AuditResult>(c, ext.AUDIT, params);
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: the security audit of ${dir ?? 'the workspace'} failed: ${errorText(err)}`);
    return;
  }
  output.appendLine('');
  output.appendLine(`⛨ audited ${plural(result.filesAudited, 'file')} in ${result.dir}: ${findingsText(result)}`);
  appendFindings(result.findings);
  const found = result.findings.length > 0;
  const show = result.errors > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(
    `AUTOCREA: ${findingsText(result)} in ${plural(result.filesAudited, 'file')} of ${result.dir}.`,
    ...(found ? [OPEN_PROBLEMS, SHOW_OUTPUT] : [SHOW_OUTPUT]),
  );
  await onChoice(choice);
}

/** `autocrea.audit` on the folder of the active file. */
async function auditFileFolder(): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('AUTOCREA: open a file first; this command audits the folder that holds it.');
    return;
  }
  await audit(path.dirname(doc.uri.fsPath));
}

/** Acts on the buttons every AUTOCREA message shares. */
async function onChoice(choice: string | undefined): Promise<void> {
  switch (choice) {
    case OPEN_PROBLEMS:
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      break;
    case SHOW_OUTPUT:
      output.show(true);
      break;
    case SIGN_IN:
      await signIn();
      break;
    case SIGN_OUT:
      await signOut();
      break;
    case STORE_KEY:
      await storeApiKey();
      break;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function countFindings(findings: readonly ext.Finding[]): Pick<ext.AuditResult, 'errors' | 'warnings' | 'infos'> {
  const count = (severity: ext.Severity): number => findings.filter((f) => f.severity === severity).length;
  return { errors: count('error'), warnings: count('warning'), infos: count('info') };
}

/** "no security findings", "3 security findings (1 error, 2 warnings)". */
function findingsText(c: Pick<ext.AuditResult, 'errors' | 'warnings' | 'infos'>): string {
  const total = c.errors + c.warnings + c.infos;
  if (total === 0) {
    return 'no security findings';
  }
  const parts = [
    c.errors ? plural(c.errors, 'error') : '',
    c.warnings ? plural(c.warnings, 'warning') : '',
    c.infos ? `${c.infos} info` : '',
  ].filter(Boolean);
  return `${plural(total, 'security finding')} (${parts.join(', ')})`;
}

/** One output line a finding: "app/main.py:4:12 warning unsafe-deserialization (CWE-502): …". */
function appendFindings(findings: readonly ext.Finding[]): void {
  for (const f of findings) {
    const origin = f.origin === 'model' ? ' (model review)' : '';
    const fix = f.fix ? ` Quick fix: ${f.fix.title}.` : '';
    output.appendLine(
      `  ${f.path}:${f.range.start.line}:${f.range.start.column} ${f.severity} ${f.rule} (CWE-${f.cwe})${origin}: ${f.message}${fix}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Account
// ---------------------------------------------------------------------------------------------

const PROVIDERS: Record<ext.KeyProvider, { name: string; env: string }> = {
  openai: { name: 'OpenAI', env: 'OPENAI_API_KEY' },
  anthropic: { name: 'Anthropic', env: 'ANTHROPIC_API_KEY' },
  joxcoder: { name: 'JoxCoder', env: 'JOXCODER_API_KEY' },
};

/** Runs `autocrea.signIn`. The server shows the code, opens the page (`window/showDocument`,
 *  which vscode-languageclient answers with `env.openExternal`) and pushes `autocrea/status` once
 *  the code is confirmed; meanwhile the status bar item shows the code. */
async function signIn(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  if (account?.signedIn) {
    const choice = await vscode.window.showInformationMessage(
      `AUTOCREA: you are signed in as ${account.email ?? 'someone'} already.`,
      'Sign in again',
      SIGN_OUT,
    );
    if (choice !== 'Sign in again') {
      await onChoice(choice);
      return;
    }
  }
  let started: ext.SignInStarted;
  try {
    const params: ext.SignInParams = {};
    started = await executeCommand<ext.SignInStarted>(c, ext.SIGN_IN, params);
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: sign-in did not start: ${errorText(err)}`);
    return;
  }
  const page = started.verificationUriComplete ?? started.verificationUri;
  output.appendLine(
    `⇥ sign in: open ${page} and confirm the code ${started.userCode} (valid ${Math.ceil(started.expiresIn / 60)} min)`,
  );
  clearTimeout(pendingSignIn?.timer);
  const timer = setTimeout(() => {
    pendingSignIn = undefined;
    renderAccount();
  }, started.expiresIn * 1000);
  pendingSignIn = { code: started.userCode, page, timer };
  renderAccount();
}

/** Runs `autocrea.signOut`; the server says "signed out" itself. */
async function signOut(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  try {
    onStatus(await executeCommand<ext.Status>(c, ext.SIGN_OUT, {}));
    output.appendLine('⇤ signed out');
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: sign-out failed: ${errorText(err)}`);
  }
}

/** Runs `autocrea.status`: the account in a notification and the output. */
async function showAccount(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  let s: ext.Status;
  try {
    s = await executeCommand<ext.Status>(c, ext.STATUS, {});
  } catch (err) {
    void vscode.window.showErrorMessage(`AUTOCREA: the account status failed: ${errorText(err)}`);
    return;
  }
  onStatus(s);
  const lines = describeAccount(s);
  output.appendLine('');
  output.appendLine(`⚇ ${lines.join('\n  ')}`);
  const show = s.problem ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const problem = s.problem ? ` ${s.problem}.` : '';
  const choice = await show(
    `AUTOCREA: ${lines[0]}; runs use ${s.engine}.${problem}`,
    s.signedIn ? SIGN_OUT : SIGN_IN,
    STORE_KEY,
    SHOW_OUTPUT,
  );
  await onChoice(choice);
}

/** Asks for a provider and its key (a password box) and runs `autocrea.setApiKey`. The key goes
 *  to the server's credential store only: never to settings, the output or a message. */
async function storeApiKey(): Promise<void> {
  const c = runningClient();
  if (!c) {
    return;
  }
  const stored = new Set(account?.keys ?? []);
  const picked = await vscode.window.showQuickPick(
    ext.KEY_PROVIDERS.map((provider) => ({
      label: PROVIDERS[provider].name,
      description: stored.has(provider) ? 'stored' : '',
      detail: `For the ${provider} engine; ${PROVIDERS[provider].env} wins when it is set.`,
      provider,
    })),
    { title: 'AUTOCREA: Store which API key?', placeHolder: 'Your own key, kept in the credential store' },
  );
  if (!picked) {
    return;
  }
  const { name } = PROVIDERS[picked.provider];
  const where = account?.credentialStore ?? 'the credential store';
  const has = stored.has(picked.provider);
  const key = await vscode.window.showInputBox({
    title: `AUTOCREA: your ${name} API key`,
    prompt: `Kept in ${where}, never in settings.${has ? ' Leave it empty to remove the stored key.' : ''}`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) =>
      /\s/.test(v.trim()) ? 'An API key has no spaces.' : v.trim() || has ? undefined : 'Paste the key.',
  });
  if (key === undefined) {
    return;
  }
  const remove = key.trim() === '';
  if (remove) {
    const confirm = await vscode.window.showWarningMessage(`Remove your stored ${name} key?`, { modal: true }, 'Remove');
    if (confirm !== 'Remove') {
      return;
    }
  }
  try {
    const params: ext.SetApiKeyParams = { provider: picked.provider, key: remove ? null : key.trim() };
    const s = await executeCommand<ext.Status>(c, ext.SET_API_KEY, params);
    onStatus(s);
    const done = remove
      ? `removed your ${name} key from ${s.credentialStore}`
      : `stored your ${name} key in ${s.credentialStore}`;
    output.appendLine(`⚿ ${done}; runs use ${s.engine}`);
    void vscode.window.showInformationMessage(`AUTOCREA: ${done}; runs use ${s.engine}.`);
  } catch (err) {
    const doing = remove ? 'removing' : 'storing';
    void vscode.window.showErrorMessage(`AUTOCREA: ${doing} the ${name} key failed: ${errorText(err)}`);
  }
}

function onStatus(s: ext.Status): void {
  account = s;
  if (s.signedIn && pendingSignIn) {
    clearTimeout(pendingSignIn.timer);
    pendingSignIn = undefined;
  }
  renderAccount();
}

/** "signed in as a@b.c (trial plan, 87 credits)" or "not signed in", then the details. */
function describeAccount(s: ext.Status): string[] {
  const details = [
    s.plan ? `${s.plan} plan` : '',
    s.status && s.status !== 'active' ? s.status.replace('_', ' ') : '',
    s.balance !== undefined ? plural(s.balance, 'credit') : '',
  ].filter(Boolean);
  const lines = [
    s.signedIn
      ? `signed in as ${s.email ?? '?'}${details.length ? ` (${details.join(', ')})` : ''}`
      : 'not signed in',
    `gateway: ${s.gateway}`,
    `engine a run would use: ${s.engine}`,
    `your stored keys: ${s.keys.length ? s.keys.join(', ') : 'none'}`,
    `credentials: ${s.credentialStore}`,
  ];
  if (s.problem) {
    lines.push(`problem: ${s.problem}`);
  }
  return lines;
}

/** The status bar item: credits when signed in, "sign in" when not, the code while a sign-in
 *  waits for it; hidden until the server has said. */
function renderAccount(): void {
  const item = accountItem;
  item.backgroundColor = undefined;
  if (pendingSignIn && !account?.signedIn) {
    item.text = `$(sync~spin) AUTOCREA: confirm ${pendingSignIn.code}`;
    item.tooltip = `Confirm the code ${pendingSignIn.code} at ${pendingSignIn.page} to sign in. Click: open the page again.`;
    // vscode.open opens an http(s) URI in the browser.
    const page = vscode.Uri.parse(pendingSignIn.page);
    item.command = { title: 'Open the sign-in page', command: 'vscode.open', arguments: [page] };
    item.show();
    return;
  }
  const s = account;
  if (!s) {
    item.hide();
    return;
  }
  if (s.signedIn) {
    item.text = `$(account) ${s.balance !== undefined ? plural(s.balance, 'credit') : 'AUTOCREA'}`;
    item.command = 'autocrea.accountStatus';
  } else if (s.problem) {
    item.text = '$(warning) AUTOCREA';
    item.command = 'autocrea.accountStatus';
  } else {
    item.text = '$(account) AUTOCREA: sign in';
    item.command = 'autocrea.accountSignIn';
  }
  if (s.problem || (s.status && s.status !== 'active')) {
    item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }
  const click = s.signedIn || s.problem ? 'account status' : 'sign in';
  item.tooltip = `AUTOCREA: ${describeAccount(s).join('\n')}\n\nClick: ${click}`;
  item.show();
}

// ---------------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------------

function onStream(params: ext.StreamParams): void {
  if (!activeRuns.has(params.runId)) {
    activeRuns.set(params.runId, '');
  }
  const source = `${params.runId}/${params.role}`;
  if (source !== lastStreamSource) {
    lastStreamSource = source;
    output.appendLine('');
    output.appendLine(`── ${params.role} (run ${params.runId}) ──`);
  }
  output.append(params.text);
}

/** Resolves a path the server sent: absolute as is, relative against the first workspace folder. */
function resolveDir(dir: string): vscode.Uri {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (path.isAbsolute(dir) || !root) {
    return vscode.Uri.file(dir);
  }
  return vscode.Uri.joinPath(root, dir);
}

async function onRunFinished(summary: ext.RunSummary): Promise<void> {
  if (reportedRuns.has(summary.runId)) {
    return;
  }
  reportedRuns.add(summary.runId);
  activeRuns.delete(summary.runId);
  lastStreamSource = undefined;
  lastRunDir = summary.dir;
  output.appendLine('');
  output.appendLine(describeRun(summary));
  appendFindings(summary.findings);

  const dir = resolveDir(summary.dir);
  const readme = vscode.Uri.joinPath(dir, 'README.md');
  const actions: string[] = [];
  if (summary.filesWritten > 0) {
    actions.push('Open README', 'Reveal folder');
  }
  if (summary.findings.length > 0) {
    actions.push(OPEN_PROBLEMS);
  }
  actions.push(SHOW_OUTPUT);

  // A balance that could not cover the run: the server asks itself, with "Upgrade to Basic" /
  // "Upgrade to Pro" / "Not now" (window/showMessageRequest); a second pop-up would repeat it.
  if (summary.status === 'failed' && summary.credits?.upgradeUrl) {
    return;
  }
  const show =
    summary.status === 'succeeded'
      ? vscode.window.showInformationMessage
      : summary.status === 'cancelled'
        ? vscode.window.showWarningMessage
        : vscode.window.showErrorMessage;
  const choice = await show(`AUTOCREA: ${headline(summary)}`, ...actions);
  switch (choice) {
    case 'Open README':
      try {
        await vscode.window.showTextDocument(readme);
      } catch {
        void vscode.window.showWarningMessage(`AUTOCREA: ${readme.fsPath} does not exist.`);
      }
      break;
    case 'Reveal folder':
      if (vscode.workspace.getWorkspaceFolder(dir)) {
        await vscode.commands.executeCommand('revealInExplorer', dir);
      } else {
        await vscode.commands.executeCommand('revealFileInOS', dir);
      }
      break;
    default:
      await onChoice(choice);
      break;
  }
}

function headline(s: ext.RunSummary): string {
  const app = s.app || s.idea;
  const usage = usageText(s);
  const tokens = usage ? `, ${usage}` : '';
  const branch = s.branch ? ` on branch ${s.branch}` : '';
  switch (s.status) {
    case 'succeeded':
      return `${app} is ready in ${s.dir}${branch} (${s.filesWritten} files, tests ${testsText(s.tests)}${tokens}; ${securityText(s)}).`;
    case 'cancelled':
      return `run for "${s.idea}" was cancelled${branch} (${s.filesWritten} files written${tokens}).`;
    case 'failed':
      return `run for "${s.idea}" failed${branch}: ${s.error ?? `tests ${testsText(s.tests)}`}${usage ? ` (${usage})` : ''}.`;
  }
}

/** "security audit clean", "3 security findings (1 error, 2 warnings)", "no security audit ran". */
function securityText(s: ext.RunSummary): string {
  if (s.security.status !== 'done') {
    return 'no security audit ran';
  }
  return s.findings.length === 0 ? 'security audit clean' : findingsText(countFindings(s.findings));
}

/** "12.3k tokens", "~850 tokens" when some figures were estimated. */
function tokensText(t: ext.Tokens): string {
  const n = t.input + t.output;
  const count = n < 1000 ? String(n) : n < 1_000_000 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1_000_000).toFixed(2)}M`;
  return `${t.estimated ? '~' : ''}${count} tokens`;
}

/** "12 credits charged, 88 left" for a metered run. */
function chargedText(c: ext.Credits | undefined): string | undefined {
  return c?.charged !== undefined ? `${plural(c.charged, 'credit')} charged, ${c.balance} left` : undefined;
}

/** "12.3k tokens, 12 credits charged, 88 left": what the run used, when anything is known. */
function usageText(s: ext.RunSummary): string | undefined {
  const parts = [s.tokens ? tokensText(s.tokens) : undefined, chargedText(s.credits)].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/** "12.3k tokens (9.1k in, 3.2k out)". */
function tokensDetail(t: ext.Tokens): string {
  const short = (n: number): string => (n < 1000 ? String(n) : `${(n / 1000).toFixed(1)}k`);
  return `${tokensText(t)} (${short(t.input)} in, ${short(t.output)} out${t.estimated ? ', partly estimated' : ''})`;
}

function testsText(t: ext.TestSummary): string {
  if (t.passed !== undefined || t.failed !== undefined) {
    return `${t.status}: ${t.passed ?? 0} passed, ${t.failed ?? 0} failed`;
  }
  return t.status;
}

function describeRun(s: ext.RunSummary): string {
  const lines = [
    `■ run ${s.runId} ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s (engine ${s.engine}): "${s.idea}" → ${s.dir}`,
  ];
  if (s.branch) {
    lines.push(`  branch: ${s.branch}`);
  }
  if (s.error) {
    lines.push(`  error: ${s.error}`);
  }
  for (const r of s.roles) {
    const tokens = r.tokens ? `, ${tokensText(r.tokens)}` : '';
    const commits = r.commits?.length ? `, commit${r.commits.length === 1 ? '' : 's'} ${r.commits.join(' ')}` : '';
    lines.push(`  ${r.role}: ${r.status}, ${r.files.length} files${tokens}${commits}${r.message ? ` — ${r.message}` : ''}`);
  }
  const repairs = s.tests.repairRounds ? ` after ${s.tests.repairRounds} repair round${s.tests.repairRounds === 1 ? '' : 's'}` : '';
  const command = s.tests.command ? ` (${s.tests.command})` : '';
  lines.push(`  tests${command}: ${testsText(s.tests)}${repairs}`);
  lines.push(`  security: ${s.security.status} — ${s.security.message}`);
  lines.push(`  ${s.filesWritten} files written`);
  if (s.tokens) {
    lines.push(`  ${tokensDetail(s.tokens)}`);
  }
  if (s.credits?.price !== undefined) {
    const { balance, price, upgradeUrl, gateway } = s.credits;
    lines.push(`  credits: balance ${balance}, a generation needs ${price}; upgrade at ${upgradeUrl ?? gateway}`);
  } else if (s.credits) {
    lines.push(`  credits: ${chargedText(s.credits) ?? `${s.credits.balance} left`} (${s.credits.gateway})`);
  }
  for (const notice of s.notices ?? []) {
    lines.push(`  notice: ${notice}`);
  }
  return lines.join('\n');
}
