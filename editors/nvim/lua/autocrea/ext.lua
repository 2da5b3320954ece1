-- Mirror of the server's `server/src/lsp/ext.rs`: the AUTOCREA extensions to LSP.
-- Keep in step with ext.rs (and editors/vscode/src/ext.ts): same names, camelCase on the wire.

local M = {}

--- Configuration section (initializationOptions, workspace/didChangeConfiguration,
--- workspace/configuration). Keys, all optional:
---   engine          "joxcoder"|"openai"|"anthropic"|"local"|"offline" (default "offline"; only
---                   "offline" works today)
---   targetFolder    where a new app goes, absolute or relative to the workspace root
---   runTests        boolean, default true
---   overwrite       boolean, default false (never replace a file the user wrote)
---   maxFileBytes    integer, default 1048576
---   testTimeoutSecs integer, default 600
M.CONFIG_SECTION = 'autocrea'

M.ENGINES = { 'joxcoder', 'openai', 'anthropic', 'local', 'offline' }

--- `workspace/executeCommand` commands.
--- autocrea.generate, arguments { { idea, dir?, wait?, overwrite?, engine?, runTests? } }
---   → { runId, dir } at once, or with wait = true the RunSummary when the run ends.
M.GENERATE = 'autocrea.generate'
--- autocrea.cancel, arguments { { runId } } → { cancelled }
M.CANCEL = 'autocrea.cancel'

--- Notifications server → client.
--- autocrea/stream { runId, role, text }: text output of a role as it arrives.
M.STREAM = 'autocrea/stream'
--- autocrea/runFinished: RunSummary
---   { runId, idea, dir, app, engine, status = "succeeded"|"failed"|"cancelled", error?,
---     roles = { { role, status, files, message? } },
---     tests = { status = "passed"|"failed"|"skipped"|"error", command, passed?, failed?, output? },
---     security = { status, message }, findings, filesWritten, durationMs }
M.RUN_FINISHED = 'autocrea/runFinished'

--- Tells a RunSummary from the { runId, dir } answer of autocrea.generate.
function M.is_run_summary(result)
  return type(result) == 'table' and result.status ~= nil
end

return M
