-- Mirror of the server's `server/src/lsp/ext.rs`: the AUTOCREA extensions to LSP.
-- Keep in step with ext.rs (and editors/vscode/src/ext.ts): same names, camelCase on the wire.

local M = {}

--- Configuration section (initializationOptions, workspace/didChangeConfiguration,
--- workspace/configuration). Keys, all optional:
---   engine          "auto"|"joxcoder"|"openai"|"anthropic"|"local"|"offline" (default "auto": the
---                   first configured engine among JoxCoder (JOXCODER_API_URL/JOXCODER_API_KEY),
---                   Anthropic (ANTHROPIC_API_KEY), OpenAI (OPENAI_API_KEY), a local server; else
---                   "offline")
---   fallback        list of model engine names tried in order when the engine in use fails for
---                   a reason retrying cannot fix (default: every other configured model engine)
---   joxcoder        { url?, model?, protocol? = "auto"|"inference"|"tgi"|"tgi-generate"|"chat" }
---   openai          { baseUrl?, model? }
---   anthropic       { baseUrl?, model? }
---   local           { baseUrl?, model? } (an OpenAI-compatible server; both needed)
---   roles           { [role] = { model?, temperature? (0-2), maxTokens? } }, role one of
---                   architect, backend, frontend, devops, tester, security
---   repairRounds    integer 0-10, default 3 (the tester's repair loop with a model engine)
---   timeouts        { connectSecs? = 10, firstTokenSecs? = 120, idleSecs? = 60 }
---   targetFolder    where a new app goes, absolute or relative to the workspace root
---   runTests        boolean, default true
---   overwrite       boolean, default false (never replace a file the user wrote)
---   maxFileBytes    integer, default 1048576
---   testTimeoutSecs integer, default 600
---   commitUserChanges boolean, default false (true: commit the user's uncommitted changes in
---                   the app's folder first, as the user, instead of refusing to run)
---   gitEmail        string, default "autocrea@localhost" (e-mail of the role authors in commits)
---   autoFix         boolean, default false (true: at the end of a generation the security role
---                   applies its findings' fixes as its own commit on the run's branch)
---   auditOnChange   boolean, default true (audit open files as they change and publish the
---                   findings as diagnostics)
---   gatewayUrl      http(s) URL of the account service (unset: the gateway signed in at, else
---                   the hosted one; AUTOCREA_GATEWAY_URL in the environment wins over it)
--- API keys are never settings: they come from the environment of the server (JOXCODER_API_KEY,
--- OPENAI_API_KEY, ANTHROPIC_API_KEY) or the credential store (autocrea.setApiKey).
M.CONFIG_SECTION = 'autocrea'

M.ENGINES = { 'joxcoder', 'openai', 'anthropic', 'local', 'offline' }
--- Values of the `engine` setting.
M.ENGINE_SETTINGS = { 'auto', 'joxcoder', 'openai', 'anthropic', 'local', 'offline' }

--- `workspace/executeCommand` commands.
--- autocrea.generate, arguments { { idea, dir?, wait?, overwrite?, engine?, runTests? } }
---   → { runId, dir } at once, or with wait = true the RunSummary when the run ends.
M.GENERATE = 'autocrea.generate'
--- autocrea.cancel, arguments { { runId } } → { cancelled }
M.CANCEL = 'autocrea.cancel'
--- autocrea.runRole, arguments { { role, dir?, wait?, engine?, overwrite? } }, role one of
---   M.RERUNNABLE_ROLES; dir: the app's folder (absolute or relative to the workspace root;
---   default the root) → like autocrea.generate: { runId, dir } at once, or with wait = true the
---   RunSummary. Re-runs one role on an existing generation as a new commit on its branch.
M.RUN_ROLE = 'autocrea.runRole'
--- autocrea.undo, arguments { { dir? } } → { commit, role, summary, paths }: takes back the last
---   AUTOCREA step (commit: its short id; paths: files restored or removed, relative to dir).
M.UNDO = 'autocrea.undo'
--- autocrea.deploy, arguments { { dir?, remote? = "origin" } } → { output }: pushes the branch
---   with the user's own git credentials (output: what `git push` said).
M.DEPLOY = 'autocrea.deploy'
--- autocrea.audit, arguments { { dir? } } or none (the workspace root)
---   → { dir, filesAudited, errors, warnings, infos, findings = { Finding… } }: the security rules
---   over every file of the folder. The server also publishes the findings as diagnostics
---   (source "autocrea", code the rule id, codeDescription.href the CWE page), reports work-done
---   progress (token "autocrea/audit/<n>") and sends a window/showMessage summary.
--- Finding (also `autocrea audit --format json`):
---   { path (relative to the audited folder), range = { start = { line, column }, end = … }
---     (1-based; columns in code points), rule, cwe, severity = "error"|"warning"|"info", message,
---     fix? = { title, edits = { { range, newText } } }, origin? = "model" (the model's review) }
--- Code actions (kind "quickfix") at a finding: "AUTOCREA: <fix title>" (preferred) and
--- "AUTOCREA: ignore this finding (<rule>)", which inserts an `autocrea-ignore: <rule>` comment.
M.AUDIT = 'autocrea.audit'
--- autocrea.signIn, arguments { { wait?, gateway? } } or none → SignInStarted
---   { userCode, verificationUri, verificationUriComplete?, expiresIn (seconds) } at once, or with
---   wait = true the Status once signed in. The server shows the code (window/showMessage), opens
---   the page (window/showDocument, external = true), reports work-done progress while it polls
---   the gateway, then says "signed in as …" and pushes autocrea/status. gateway: another gateway
---   than the configured one.
M.SIGN_IN = 'autocrea.signIn'
--- autocrea.signOut → Status: the token is revoked at the gateway and removed from the store.
M.SIGN_OUT = 'autocrea.signOut'
--- autocrea.status → Status.
M.STATUS = 'autocrea.status'
--- autocrea.setApiKey, arguments { { provider, key } } → Status: stores the user's own key of
---   `provider` (one of M.KEY_PROVIDERS) in the credential store; key = vim.NIL removes it.
M.SET_API_KEY = 'autocrea.setApiKey'
--- Providers whose key the user may store.
M.KEY_PROVIDERS = { 'openai', 'anthropic', 'joxcoder' }
--- Status: { signedIn, email?, plan? = "trial"|"basic"|"pro", status? = "active"|"past_due"|"canceled",
---   balance? (credits), gateway (its URL), engine (the engine a run would use now),
---   credentialStore (where credentials are kept), keys = { provider… } (stored keys, never their
---   values), problem? (the account could not be read: gateway unreachable, token revoked) }

--- Roles autocrea.runRole can re-run.
M.RERUNNABLE_ROLES = { 'backend', 'frontend', 'devops', 'tester' }

--- Notifications server → client.
--- autocrea/stream { runId, role, text }: text output of a role as it arrives.
M.STREAM = 'autocrea/stream'
--- autocrea/runFinished: RunSummary
---   { runId, idea, dir, app, branch? (the git branch the run commits to, "autocrea/<slug>"),
---     engine, status = "succeeded"|"failed"|"cancelled", error?,
---     roles = { { role, status = "done"|"failed"|"cancelled"|"notRun", files, message?, tokens?,
---                 commits? = { short commit ids of the role's steps, oldest first } } },
---     tests = { status = "passed"|"failed"|"skipped"|"notRun"|"error", command?, passed?, failed?,
---               output?, repairRounds? },
---     security = { status = "done"|"failed"|"cancelled"|"notRun", message, filesAudited,
---                  modelReview (a model reviewed the code too), fixed? (fixes applied, autoFix) },
---     findings = { Finding… } (paths relative to dir; also published as diagnostics),
---     filesWritten,
---     tokens? = { input, output, estimated } (run total; absent for offline),
---     notices? = { "backend: JoxCoder: rate limited; retrying in 8 s", … } (retries, fallbacks),
---     credits? = { charged? (a metered run), balance, price?, upgradeUrl? (both when the balance
---                 could not cover the run: status is "failed" and the server itself offers
---                 "Upgrade to Basic" / "Upgrade to Pro" / "Not now" with
---                 window/showMessageRequest, then opens Stripe Checkout), gateway },
---     durationMs }
--- Work-done progress (token "autocrea/run/<runId>"): messages "<role>: <message>", including
--- the same notices as they happen.
M.RUN_FINISHED = 'autocrea/runFinished'
--- autocrea/status: Status, sent once after `initialized`, whenever the sign-in changes (in this
--- editor, another one or the CLI) and with the balance after each role's step of a metered run.
M.STATUS_CHANGED = 'autocrea/status'

--- Tells a RunSummary from the { runId, dir } answer of autocrea.generate.
function M.is_run_summary(result)
  return type(result) == 'table' and result.status ~= nil
end

return M
