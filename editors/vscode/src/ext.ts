// Mirror of the server's `server/src/lsp/ext.rs`: the AUTOCREA extensions to LSP.
//
// Keep this file in step with ext.rs: same names, same shapes, camelCase on the wire.
// Every other client (editors/nvim, editors/helix, editors/zed) documents the same contract.

import { NotificationType } from 'vscode-languageclient';

/** Configuration section read from `initializationOptions`, `workspace/didChangeConfiguration`
 *  and `workspace/configuration` pulls. Every field is optional; the server fills in defaults. */
export const CONFIG_SECTION = 'autocrea';

/** Engine names, the same everywhere (settings, `--engine`, summaries). Every engine works;
 *  a model engine needs its configuration (see `Options.engine`). */
export type Engine = 'joxcoder' | 'openai' | 'anthropic' | 'local' | 'offline';

export const ENGINES: readonly Engine[] = ['joxcoder', 'openai', 'anthropic', 'local', 'offline'];

/** The `engine` setting: an engine, or `auto`. */
export type EngineSetting = 'auto' | Engine;

/** Role names, as in `roles` settings and summaries. */
export type Role = 'architect' | 'backend' | 'frontend' | 'devops' | 'tester' | 'security';

/** JoxCoder's wire protocol; `auto` recognises it from the URL. */
export type JoxcoderProtocol = 'auto' | 'inference' | 'tgi' | 'tgi-generate' | 'chat';

/** `joxcoder`: settings win over JOXCODER_API_URL / JOXCODER_MODEL. The key comes from the
 *  environment (JOXCODER_API_KEY), else the credential store (`autocrea.setApiKey`), never from
 *  settings. Without a URL, a signed-in account reaches JoxCoder through its gateway, metered. */
export interface JoxcoderOptions {
  /** http(s) URL of the endpoint. */
  url?: string;
  /** Default `"joxcoder"`. */
  model?: string;
  /** Default `"auto"`. */
  protocol?: JoxcoderProtocol;
}

/** `openai`, `anthropic`, `local`: settings win over OPENAI_BASE_URL / OPENAI_MODEL,
 *  ANTHROPIC_BASE_URL / ANTHROPIC_MODEL, AUTOCREA_LOCAL_BASE_URL / AUTOCREA_LOCAL_MODEL. Keys come
 *  from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY), else the credential store
 *  (`autocrea.setApiKey`), never from settings; a local server gets none. */
export interface EndpointOptions {
  /** http(s) base URL. */
  baseUrl?: string;
  /** The local engine needs one; OpenAI defaults to `gpt-4o-mini`, Anthropic to `claude-sonnet-4-5`. */
  model?: string;
}

/** Per-role overrides of the model call. */
export interface RoleOptions {
  model?: string;
  /** 0 to 2. */
  temperature?: number;
  /** Positive, at most 1000000. */
  maxTokens?: number;
}

/** Model call time limits, in seconds (positive). */
export interface TimeoutOptions {
  /** Default 10. */
  connectSecs?: number;
  /** Default 120. */
  firstTokenSecs?: number;
  /** Default 60. */
  idleSecs?: number;
}

/** Raw options as the client sends them (section `autocrea`). */
export interface Options {
  /** Default `"auto"`: the first configured engine among JoxCoder (JOXCODER_API_URL /
   *  JOXCODER_API_KEY), Anthropic (ANTHROPIC_API_KEY), OpenAI (OPENAI_API_KEY) and a local
   *  server, else `offline`. */
  engine?: EngineSetting;
  /** Model engines tried, in order, when the one in use fails for a reason retrying cannot fix.
   *  Default (unset): every other configured model engine; `[]`: none. */
  fallback?: Engine[];
  joxcoder?: JoxcoderOptions;
  openai?: EndpointOptions;
  anthropic?: EndpointOptions;
  local?: EndpointOptions;
  roles?: Partial<Record<Role, RoleOptions>>;
  /** Rounds of the tester's repair loop with a model engine, 0 to 10. Default 3. */
  repairRounds?: number;
  timeouts?: TimeoutOptions;
  /** Where a new app goes, absolute or relative to the workspace root. Default: a new folder
   *  named after the app, or the root itself when it is empty. */
  targetFolder?: string;
  /** Default `true`. */
  runTests?: boolean;
  /** Default `false`: never replace a file the user wrote. */
  overwrite?: boolean;
  /** Default 1048576. */
  maxFileBytes?: number;
  /** Default 600. */
  testTimeoutSecs?: number;
  /** Default `false`: a run refuses to start while the app's folder has uncommitted changes;
   *  `true`: they are committed first, as the user. */
  commitUserChanges?: boolean;
  /** E-mail of the AUTOCREA role authors in commits. Default `"autocrea@localhost"`. */
  gitEmail?: string;
  /** Default `false`: the security role only reports; `true`: it applies its fixes (the rules'
   *  and the model's) as its own commit at the end of a generation. */
  autoFix?: boolean;
  /** Default `true`: audit open files as they change and publish the findings as diagnostics. */
  auditOnChange?: boolean;
  /** http(s) URL of the account service. Unset: the gateway signed in at, else the hosted one;
   *  AUTOCREA_GATEWAY_URL in the environment wins over it. */
  gatewayUrl?: string;
}

// ---------------------------------------------------------------------------------------------
// Commands (`workspace/executeCommand`, advertised in `executeCommandProvider`)
// ---------------------------------------------------------------------------------------------

/** `autocrea.generate`, arguments `[GenerateParams]`.
 *  Answers at once with `GenerateStarted`, or with `wait: true` with the `RunSummary`. */
export const GENERATE = 'autocrea.generate';

export interface GenerateParams {
  idea: string;
  /** Target folder for this run (overrides `targetFolder`). */
  dir?: string;
  /** Await the end of the run and answer with its `RunSummary`. Default false. */
  wait?: boolean;
  overwrite?: boolean;
  engine?: EngineSetting;
  runTests?: boolean;
}

export interface GenerateStarted {
  runId: string;
  dir: string;
}

export type GenerateResult = GenerateStarted | RunSummary;

/** `autocrea.cancel`, arguments `[CancelParams]`. */
export const CANCEL = 'autocrea.cancel';

export interface CancelParams {
  runId: string;
}

export interface CancelResult {
  cancelled: boolean;
}

/** Roles `autocrea.runRole` can re-run. */
export type RerunnableRole = 'backend' | 'frontend' | 'devops' | 'tester';

export const RERUNNABLE_ROLES: readonly RerunnableRole[] = ['backend', 'frontend', 'devops', 'tester'];

/** `autocrea.runRole`, arguments `[RunRoleParams]`. Answers like `autocrea.generate`
 *  (`GenerateStarted` at once, or with `wait: true` the `RunSummary`): re-runs one role on an
 *  existing generation as a new commit on its branch. */
export const RUN_ROLE = 'autocrea.runRole';

export interface RunRoleParams {
  /** backend, frontend, devops or tester. */
  role: RerunnableRole;
  /** The app's folder (absolute, or relative to the workspace root); default: the root. */
  dir?: string;
  /** Await the end of the run and answer with its `RunSummary`. Default false. */
  wait?: boolean;
  engine?: EngineSetting;
  overwrite?: boolean;
}

/** `autocrea.undo`, arguments `[DirParams]` → `UndoResult`: takes back the last AUTOCREA step. */
export const UNDO = 'autocrea.undo';

export interface DirParams {
  /** The app's folder (absolute, or relative to the workspace root); default: the root. */
  dir?: string;
}

export interface UndoResult {
  /** Short id of the commit taken back. */
  commit: string;
  role: Role;
  summary: string;
  /** Files restored or removed, relative to the app's folder. */
  paths: string[];
}

/** `autocrea.deploy`, arguments `[DeployParams]` → `DeployResult`: pushes the branch with the
 *  user's own git credentials. */
export const DEPLOY = 'autocrea.deploy';

export interface DeployParams {
  dir?: string;
  /** Default `origin`. */
  remote?: string;
}

export interface DeployResult {
  /** What `git push` said. */
  output: string;
}

/** `autocrea.audit`, arguments `[DirParams]` (or none: the workspace root) → `AuditResult`: the
 *  security rules over every file of the folder. The findings are also published as diagnostics
 *  (`source` "autocrea", `code` the rule id, `codeDescription` the CWE page), with code actions
 *  for each finding's quick fix and "ignore this finding" (an `autocrea-ignore: <rule>` comment).
 *  The server reports work-done progress and a `window/showMessage` summary itself. */
export const AUDIT = 'autocrea.audit';

export type Severity = 'error' | 'warning' | 'info';

/** 1-based line, 1-based column counted in Unicode code points. */
export interface Point {
  line: number;
  column: number;
}

export interface Span {
  start: Point;
  end: Point;
}

/** A text replacement in the finding's file. */
export interface Edit {
  range: Span;
  newText: string;
}

export interface Fix {
  /** What applying it does, as a code action title ("Use yaml.safe_load"). */
  title: string;
  edits: Edit[];
}

/** A security finding, the same as `autocrea audit --format json` prints. */
export interface Finding {
  /** Relative to the audited folder (`AuditResult.dir`, `RunSummary.dir`). */
  path: string;
  range: Span;
  /** Rule id, also the diagnostic's `code` ("unsafe-deserialization"). */
  rule: string;
  cwe: number;
  severity: Severity;
  message: string;
  fix?: Fix;
  /** `"model"`: the security role's model review found it (checked against the file); absent:
   *  the rules did. */
  origin?: 'model';
}

export interface AuditResult {
  dir: string;
  filesAudited: number;
  errors: number;
  warnings: number;
  infos: number;
  /** Every finding, paths relative to `dir`. */
  findings: Finding[];
}

/** `autocrea.signIn`, arguments `[SignInParams]` or none → `SignInStarted` at once, or with
 *  `wait: true` the `Status` once signed in. The server shows the code (`window/showMessage`),
 *  opens the page (`window/showDocument`, `external: true`), reports work-done progress while it
 *  polls the gateway, then says "signed in as …" and pushes `autocrea/status`. */
export const SIGN_IN = 'autocrea.signIn';

export interface SignInParams {
  /** Answer with the `Status` once signed in instead of at once. Default false. */
  wait?: boolean;
  /** Another gateway than the configured one. */
  gateway?: string;
}

export interface SignInStarted {
  /** The code to confirm on the page ("BCDF-GHJK"). */
  userCode: string;
  verificationUri: string;
  /** The page with the code filled in. */
  verificationUriComplete?: string;
  /** Seconds before the code expires. */
  expiresIn: number;
}

/** `autocrea.signOut` → `Status`: the token is revoked at the gateway and removed from the store. */
export const SIGN_OUT = 'autocrea.signOut';

/** `autocrea.status` → `Status`. */
export const STATUS = 'autocrea.status';

/** `autocrea.setApiKey`, arguments `[SetApiKeyParams]` → `Status`: stores (or, with `key: null`,
 *  removes) the user's own key of a provider in the credential store. */
export const SET_API_KEY = 'autocrea.setApiKey';

/** Providers whose key the user may store. */
export type KeyProvider = 'openai' | 'anthropic' | 'joxcoder';

export const KEY_PROVIDERS: readonly KeyProvider[] = ['openai', 'anthropic', 'joxcoder'];

export interface SetApiKeyParams {
  provider: KeyProvider;
  /** The key; `null` removes the stored one. */
  key: string | null;
}

export type Plan = 'trial' | 'basic' | 'pro';

export type PlanStatus = 'active' | 'past_due' | 'canceled';

/** The account, as `autocrea.status` answers and `autocrea/status` pushes it. */
export interface Status {
  signedIn: boolean;
  email?: string;
  plan?: Plan;
  status?: PlanStatus;
  /** Credits. */
  balance?: number;
  /** The gateway's URL. */
  gateway: string;
  /** The engine a run would use now. */
  engine: string;
  /** Where credentials are kept, in words. */
  credentialStore: string;
  /** Provider keys stored (never their values). */
  keys: KeyProvider[];
  /** The account could not be read (gateway unreachable, token revoked). */
  problem?: string;
}

// ---------------------------------------------------------------------------------------------
// Notifications, server → client
// ---------------------------------------------------------------------------------------------

/** Work-done progress: each run has one, token `autocrea/run/<runId>`, cancellable. Its messages
 *  are `"<role>: <message>"`; besides steps they carry notices such as
 *  `"backend: JoxCoder: rate limited; retrying in 8 s"` or a switch to a fallback engine (also logged as
 *  `window/logMessage` warnings and collected in `RunSummary.notices`). */
export function progressToken(runId: string): string {
  return `autocrea/run/${runId}`;
}

/** `autocrea/stream`: text output of a role as it arrives (e.g. the generated app's test output). */
export const STREAM = 'autocrea/stream';

export interface StreamParams {
  runId: string;
  role: string;
  text: string;
}

export const streamNotification = new NotificationType<StreamParams>(STREAM);

/** `autocrea/runFinished`: the summary of a run. The server also sends a short `window/showMessage`. */
export const RUN_FINISHED = 'autocrea/runFinished';

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

/** Tokens of model calls, as the servers reported them. */
export interface Tokens {
  input: number;
  output: number;
  /** Some figures were estimated (about 4 characters a token). */
  estimated: boolean;
}

/** Status of a role's step and of the security step. */
export type StepStatus = 'done' | 'failed' | 'cancelled' | 'notRun';

export interface RoleSummary {
  role: string;
  status: StepStatus;
  files: string[];
  message?: string;
  /** Tokens of the role's model calls (absent for the offline engine). */
  tokens?: Tokens;
  /** Short ids of the commits of the role's steps (repair rounds add more), oldest first.
   *  Absent when none. */
  commits?: string[];
}

/** `skipped`: the user asked for no tests (`runTests: false`); `notRun`: the run stopped
 *  before the tester; `error`: the install or test command could not run properly. */
export type TestStatus = 'passed' | 'failed' | 'skipped' | 'notRun' | 'error';

export interface TestSummary {
  status: TestStatus;
  command?: string;
  passed?: number;
  failed?: number;
  output?: string;
  /** Repair rounds run (failures sent back to the roles that own the files); absent when none. */
  repairRounds?: number;
}

export interface SecuritySummary {
  status: StepStatus;
  message: string;
  /** Files the rules checked. */
  filesAudited: number;
  /** Whether a model reviewed the code too (model engines). */
  modelReview: boolean;
  /** Fixes applied (setting `autoFix`); absent when none. */
  fixed?: number;
}

export interface RunSummary {
  runId: string;
  idea: string;
  dir: string;
  /** The app's name, once the architect has named it (null before). */
  app: string | null;
  /** The git branch the run commits to (`autocrea/<slug>`). */
  branch?: string;
  engine: Engine;
  status: RunStatus;
  error?: string;
  roles: RoleSummary[];
  tests: TestSummary;
  security: SecuritySummary;
  /** Security findings in the app's files (paths relative to `dir`), from the rules and, with a
   *  model engine, the model's checked review. Also published as diagnostics. */
  findings: Finding[];
  filesWritten: number;
  /** Tokens of every model call of the run (absent for the offline engine). */
  tokens?: Tokens;
  /** Retries, fallbacks and other things the user was told during the run ("backend: …").
   *  The same texts arrive during the run as work-done progress messages. */
  notices?: string[];
  /** Credits, for runs metered by the AUTOCREA gateway. */
  credits?: Credits;
  durationMs: number;
}

/** What a metered run cost, or why it could not start. When the balance could not cover it
 *  (`price` and `upgradeUrl` set, `status` "failed"), the server itself asks
 *  `window/showMessageRequest` "Upgrade to Basic" / "Upgrade to Pro" / "Not now" and opens Stripe
 *  Checkout with `window/showDocument`. */
export interface Credits {
  /** Credits charged (absent when the run did not start). */
  charged?: number;
  /** The balance after the run (or when it was refused). */
  balance: number;
  /** What a generation needs, when the balance could not cover it. */
  price?: number;
  /** Where to buy more, when the balance could not cover it. */
  upgradeUrl?: string;
  gateway: string;
}

export const runFinishedNotification = new NotificationType<RunSummary>(RUN_FINISHED);

/** `autocrea/status`: sent once after `initialized`, whenever the sign-in changes (in this editor,
 *  another one or the CLI), and with the balance after each role's step of a metered run. */
export const STATUS_CHANGED = 'autocrea/status';

export const statusNotification = new NotificationType<Status>(STATUS_CHANGED);

/** Tells a `RunSummary` from a `GenerateStarted` answer of `autocrea.generate`. */
export function isRunSummary(result: GenerateResult): result is RunSummary {
  return 'status' in result;
}
