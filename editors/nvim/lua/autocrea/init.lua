-- AUTOCREA for Neovim (>= 0.10): starts `autocrea lsp`, shows what the roles stream, reports
-- run summaries, keeps the account's status (autocrea/status, M.statusline()), and adds
-- :AutocreaGenerate / :AutocreaCancel / :AutocreaUndo / :AutocreaRerun / :AutocreaDeploy /
-- :AutocreaAudit / :AutocreaOutput / :AutocreaReadme / :AutocreaSignIn / :AutocreaSignOut /
-- :AutocreaStatus / :AutocreaSetKey. Security findings arrive as ordinary LSP diagnostics and
-- quick fixes, the sign-in page as window/showDocument: Neovim itself handles those.
--
--   require('autocrea').setup({ settings = { engine = 'auto' } })

local ext = require('autocrea.ext')

local M = {}

local NAME = 'autocrea'

M.defaults = {
  -- Command that starts the server.
  cmd = { 'autocrea', 'lsp' },
  -- Extra environment of the server process, e.g. { AUTOCREA_LOG = 'info' }.
  cmd_env = nil,
  -- nil: every buffer with a filetype (an idea can sit in a comment of any file).
  filetypes = nil,
  -- Markers of the workspace root; without one the current directory is the root.
  root_markers = { '.git', 'AUTOCREA.md' },
  -- The `autocrea` section: engine (default 'auto'), fallback, joxcoder, openai, anthropic,
  -- local, roles, repairRounds, timeouts, targetFolder, runTests, overwrite, maxFileBytes,
  -- testTimeoutSecs, commitUserChanges, gitEmail, autoFix, auditOnChange, gatewayUrl (see
  -- lua/autocrea/ext.lua; API keys come from the environment or :AutocreaSetKey). Sent as
  -- initializationOptions, pushed with workspace/didChangeConfiguration and answered to
  -- workspace/configuration pulls.
  settings = {},
  -- Called with each autocrea/stream params ({ runId, role, text }) after it is appended to the
  -- output buffer.
  on_stream = nil,
  -- Called with each RunSummary; the default notifies with vim.notify.
  on_run_finished = nil,
  -- Called with each account Status (autocrea/status, and the answers of the account commands),
  -- after M.account is set. The User autocommand AutocreaStatus fires too.
  on_status = nil,
  -- Open the output window when a run starts.
  open_output = false,
  -- 'auto': vim.lsp.config + vim.lsp.enable on Neovim >= 0.11, vim.lsp.start in a FileType
  -- autocommand before. 'start' forces the latter.
  method = 'auto',
}

M.options = vim.deepcopy(M.defaults)

--- Runs in progress: runId → idea ('' when only seen through autocrea/stream).
M.runs = {}
--- The last RunSummary received.
M.last_summary = nil
--- The account's last Status ({ signedIn, email?, plan?, balance?, engine, keys, … }), nil before
--- the server sends one.
M.account = nil

local has_011 = vim.fn.has('nvim-0.11') == 1

-- Client methods are called with ':' from 0.11 on (the '.' form is deprecated there).
local function client_request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function notify(msg, level)
  vim.notify('AUTOCREA: ' .. msg, level or vim.log.levels.INFO)
end

local function is_null(v)
  return v == nil or v == vim.NIL
end

-- ---------------------------------------------------------------------------------------------
-- Output buffer
-- ---------------------------------------------------------------------------------------------

local output_buf = nil
local last_source = nil

local function output_buffer()
  if output_buf and vim.api.nvim_buf_is_valid(output_buf) then
    return output_buf
  end
  output_buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(output_buf, 'autocrea://output')
  vim.bo[output_buf].buftype = 'nofile'
  vim.bo[output_buf].bufhidden = 'hide'
  vim.bo[output_buf].swapfile = false
  vim.bo[output_buf].filetype = 'autocrea-output'
  return output_buf
end

--- Appends text to the output buffer; text without a final newline continues on the next call.
local function append_output(text)
  local buf = output_buffer()
  local parts = vim.split(text, '\n', { plain = true })
  local count = vim.api.nvim_buf_line_count(buf)
  local last = vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ''
  parts[1] = last .. parts[1]
  vim.api.nvim_buf_set_lines(buf, count - 1, count, false, parts)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

local function append_line(line)
  local buf = output_buffer()
  local count = vim.api.nvim_buf_line_count(buf)
  local last = vim.api.nvim_buf_get_lines(buf, count - 1, count, false)[1] or ''
  if last == '' then
    append_output(line .. '\n')
  else
    append_output('\n' .. line .. '\n')
  end
end

--- Shows the output buffer in a split (or focuses the window that shows it).
function M.open_output()
  local buf = output_buffer()
  local wins = vim.fn.win_findbuf(buf)
  if #wins > 0 then
    vim.api.nvim_set_current_win(wins[1])
    return
  end
  vim.cmd('botright split')
  vim.api.nvim_win_set_buf(0, buf)
end

-- ---------------------------------------------------------------------------------------------
-- Notification handlers
-- ---------------------------------------------------------------------------------------------

local function tests_text(t)
  if type(t) ~= 'table' then
    return '?'
  end
  if not is_null(t.passed) or not is_null(t.failed) then
    return ('%s: %d passed, %d failed'):format(
      t.status,
      is_null(t.passed) and 0 or t.passed,
      is_null(t.failed) and 0 or t.failed
    )
  end
  return tostring(t.status)
end

--- "12.3k tokens" ("~…" when some figures were estimated), or nil without token counts.
local function tokens_text(t)
  if type(t) ~= 'table' then
    return nil
  end
  local n = (tonumber(t.input) or 0) + (tonumber(t.output) or 0)
  local count
  if n < 1000 then
    count = tostring(n)
  elseif n < 1000000 then
    count = ('%.1fk'):format(n / 1000)
  else
    count = ('%.2fM'):format(n / 1000000)
  end
  return (t.estimated == true and '~' or '') .. count .. ' tokens'
end

local function plural(n, noun)
  return ('%d %s%s'):format(n, noun, n == 1 and '' or 's')
end

--- { errors, warnings, infos } of a list of findings.
local function count_findings(findings)
  local c = { errors = 0, warnings = 0, infos = 0 }
  for _, f in ipairs(findings or {}) do
    local key = f.severity == 'error' and 'errors' or f.severity == 'warning' and 'warnings' or 'infos'
    c[key] = c[key] + 1
  end
  return c
end

--- "no security findings", "3 security findings (1 error, 2 warnings)" from { errors, warnings,
--- infos } (an AuditResult is one).
local function findings_text(c)
  local errors, warnings, infos = tonumber(c.errors) or 0, tonumber(c.warnings) or 0, tonumber(c.infos) or 0
  local total = errors + warnings + infos
  if total == 0 then
    return 'no security findings'
  end
  local parts = {}
  if errors > 0 then
    table.insert(parts, plural(errors, 'error'))
  end
  if warnings > 0 then
    table.insert(parts, plural(warnings, 'warning'))
  end
  if infos > 0 then
    table.insert(parts, infos .. ' info')
  end
  return ('%s (%s)'):format(plural(total, 'security finding'), table.concat(parts, ', '))
end

--- "security audit clean", "3 security findings (1 error, 2 warnings)", "no security audit ran".
local function security_text(s)
  if type(s.security) ~= 'table' or s.security.status ~= 'done' then
    return 'no security audit ran'
  end
  if type(s.findings) ~= 'table' or #s.findings == 0 then
    return 'security audit clean'
  end
  return findings_text(count_findings(s.findings))
end

--- One output line a finding: "app/main.py:4:12 warning unsafe-deserialization (CWE-502): …".
local function append_findings(findings)
  for _, f in ipairs(type(findings) == 'table' and findings or {}) do
    local start = type(f.range) == 'table' and f.range.start or {}
    append_line(('  %s:%s:%s %s %s (CWE-%s)%s: %s%s'):format(
      f.path,
      tostring(start.line),
      tostring(start.column),
      f.severity,
      f.rule,
      tostring(f.cwe),
      f.origin == 'model' and ' (model review)' or '',
      f.message,
      type(f.fix) == 'table' and (' Quick fix: ' .. tostring(f.fix.title) .. '.') or ''
    ))
  end
end

--- "12 credits charged, 88 left" for a metered run, else nil.
local function charged_text(c)
  if type(c) ~= 'table' or is_null(c.charged) then
    return nil
  end
  return ('%s charged, %s left'):format(plural(tonumber(c.charged) or 0, 'credit'), tostring(c.balance))
end

--- The run's tokens and credits: "12.3k tokens, 12 credits charged, 88 left", or nil.
local function usage_text(s)
  local parts = vim.tbl_filter(function(p)
    return p ~= nil
  end, { tokens_text(s.tokens), charged_text(s.credits) })
  return #parts > 0 and table.concat(parts, ', ') or nil
end

--- One line for vim.notify.
function M.headline(s)
  local app = (not is_null(s.app) and s.app ~= '') and s.app or s.idea
  local tokens = usage_text(s)
  local branch = (not is_null(s.branch) and s.branch ~= '') and (' on branch ' .. s.branch) or ''
  if s.status == 'succeeded' then
    return ('%s is ready in %s%s (%d files, tests %s%s; %s)'):format(
      app,
      s.dir,
      branch,
      s.filesWritten or 0,
      tests_text(s.tests),
      tokens and (', ' .. tokens) or '',
      security_text(s)
    )
  elseif s.status == 'cancelled' then
    return ('run for "%s" was cancelled%s (%d files written%s)'):format(
      s.idea,
      branch,
      s.filesWritten or 0,
      tokens and (', ' .. tokens) or ''
    )
  end
  return ('run for "%s" failed%s: %s%s'):format(
    s.idea,
    branch,
    is_null(s.error) and ('tests ' .. tests_text(s.tests)) or s.error,
    tokens and (' (' .. tokens .. ')') or ''
  )
end

local function describe_run(s)
  local lines = {
    ('■ run %s %s in %.1f s (engine %s): "%s" → %s'):format(
      s.runId,
      s.status,
      (s.durationMs or 0) / 1000,
      s.engine,
      s.idea,
      s.dir
    ),
  }
  if not is_null(s.branch) and s.branch ~= '' then
    table.insert(lines, '  branch: ' .. s.branch)
  end
  if not is_null(s.error) then
    table.insert(lines, '  error: ' .. s.error)
  end
  for _, r in ipairs(s.roles or {}) do
    local msg = is_null(r.message) and '' or (' — ' .. r.message)
    local tokens = tokens_text(r.tokens)
    tokens = tokens and (', ' .. tokens) or ''
    local commits = ''
    if type(r.commits) == 'table' and #r.commits > 0 then
      commits = (', commit%s %s'):format(#r.commits == 1 and '' or 's', table.concat(r.commits, ' '))
    end
    table.insert(
      lines,
      ('  %s: %s, %d files%s%s%s'):format(r.role, r.status, #(r.files or {}), tokens, commits, msg)
    )
  end
  if type(s.tests) == 'table' then
    local rounds = tonumber(s.tests.repairRounds) or 0
    local repairs = rounds > 0 and (' after %d repair round%s'):format(rounds, rounds == 1 and '' or 's') or ''
    local command = is_null(s.tests.command) and '' or (' (' .. s.tests.command .. ')')
    table.insert(lines, ('  tests%s: %s%s'):format(command, tests_text(s.tests), repairs))
  end
  if type(s.security) == 'table' then
    table.insert(lines, ('  security: %s — %s'):format(s.security.status, s.security.message))
  end
  table.insert(lines, ('  %d files written'):format(s.filesWritten or 0))
  if type(s.tokens) == 'table' then
    table.insert(lines, ('  %s (%s in, %s out%s)'):format(
      tokens_text(s.tokens),
      tostring(s.tokens.input),
      tostring(s.tokens.output),
      s.tokens.estimated == true and ', partly estimated' or ''
    ))
  end
  local credits = s.credits
  if type(credits) == 'table' then
    if not is_null(credits.price) then
      table.insert(lines, ('  credits: balance %s, a generation needs %s; upgrade at %s'):format(
        tostring(credits.balance),
        tostring(credits.price),
        tostring(credits.upgradeUrl)
      ))
    else
      table.insert(lines, ('  credits: %s (%s)'):format(charged_text(credits) or tostring(credits.balance) .. ' left',
        tostring(credits.gateway)))
    end
  end
  if type(s.notices) == 'table' then
    for _, notice in ipairs(s.notices) do
      table.insert(lines, '  notice: ' .. tostring(notice))
    end
  end
  return table.concat(lines, '\n')
end

function M.on_stream(_, params, _)
  if type(params) ~= 'table' or type(params.text) ~= 'string' then
    return
  end
  if params.runId and M.runs[params.runId] == nil then
    M.runs[params.runId] = ''
  end
  local source = tostring(params.runId) .. '/' .. tostring(params.role)
  if source ~= last_source then
    last_source = source
    append_line(('── %s (run %s) ──'):format(params.role, params.runId))
  end
  append_output(params.text)
  if M.options.on_stream then
    M.options.on_stream(params)
  end
end

-- Run ids already reported: a `wait = true` run is reported by both the answer and the
-- notification, whichever comes first wins.
local reported = {}

local function run_finished(summary)
  if reported[summary.runId] then
    return
  end
  reported[summary.runId] = true
  M.runs[summary.runId] = nil
  M.last_summary = summary
  last_source = nil
  append_line(describe_run(summary))
  append_findings(summary.findings)
  if M.options.on_run_finished then
    M.options.on_run_finished(summary)
    return
  end
  -- A balance that could not cover the run: the server asks itself ("Upgrade to Basic" /
  -- "Upgrade to Pro" / "Not now", window/showMessageRequest); a notification would repeat it.
  if summary.status == 'failed' and type(summary.credits) == 'table' and not is_null(summary.credits.upgradeUrl) then
    return
  end
  local level = summary.status == 'succeeded' and vim.log.levels.INFO
    or summary.status == 'cancelled' and vim.log.levels.WARN
    or vim.log.levels.ERROR
  notify(M.headline(summary) .. ' — :AutocreaReadme, :AutocreaOutput', level)
end

function M.on_run_finished(_, summary, _)
  if type(summary) == 'table' and summary.runId then
    run_finished(summary)
  end
end

local function status_changed(status)
  M.account = status
  pcall(vim.cmd, 'redrawstatus!')
  vim.api.nvim_exec_autocmds('User', { pattern = 'AutocreaStatus', data = status, modeline = false })
  if M.options.on_status then
    M.options.on_status(status)
  end
end

function M.on_status(_, status, _)
  if type(status) == 'table' then
    status_changed(status)
  end
end

--- The account in a few words for a statusline: "AUTOCREA: 87 credits" (signed in), "AUTOCREA:
--- signed out", "AUTOCREA: account problem" (see :AutocreaStatus); '' before the server said.
---   vim.o.statusline = "%f %= %{v:lua.require'autocrea'.statusline()}"
function M.statusline()
  local s = M.account
  if type(s) ~= 'table' then
    return ''
  end
  local text
  if s.signedIn == true then
    text = is_null(s.balance) and tostring(s.email) or plural(tonumber(s.balance) or 0, 'credit')
  elseif not is_null(s.problem) then
    text = 'account problem'
  else
    text = 'signed out'
  end
  return 'AUTOCREA: ' .. text
end

--- The lines :AutocreaStatus shows for a Status.
function M.describe_status(s)
  local lines = {}
  if s.signedIn == true then
    local details = {}
    if not is_null(s.plan) then
      table.insert(details, s.plan .. ' plan')
    end
    if not is_null(s.status) and s.status ~= 'active' then
      table.insert(details, s.status)
    end
    if not is_null(s.balance) then
      table.insert(details, plural(tonumber(s.balance) or 0, 'credit'))
    end
    local extra = #details > 0 and (' (' .. table.concat(details, ', ') .. ')') or ''
    table.insert(lines, ('signed in as %s%s at %s'):format(tostring(s.email), extra, tostring(s.gateway)))
  else
    table.insert(lines, ('not signed in (gateway %s): :AutocreaSignIn'):format(tostring(s.gateway)))
  end
  local keys = type(s.keys) == 'table' and #s.keys > 0 and table.concat(s.keys, ', ') or 'none'
  table.insert(lines, ('engine: %s; your stored keys: %s'):format(tostring(s.engine), keys))
  table.insert(lines, 'credentials: ' .. tostring(s.credentialStore))
  if not is_null(s.problem) then
    table.insert(lines, 'problem: ' .. tostring(s.problem))
  end
  return lines
end

-- ---------------------------------------------------------------------------------------------
-- Server
-- ---------------------------------------------------------------------------------------------

local function root_dir_for(bufnr)
  return vim.fs.root(bufnr, M.options.root_markers) or vim.fn.getcwd()
end

--- The client configuration (vim.lsp.Config / vim.lsp.ClientConfig without root_dir).
function M.client_config()
  local settings = vim.deepcopy(M.options.settings or {})
  return {
    name = NAME,
    cmd = M.options.cmd,
    filetypes = M.options.filetypes,
    cmd_env = M.options.cmd_env,
    init_options = settings,
    settings = { [ext.CONFIG_SECTION] = settings },
    handlers = {
      [ext.STREAM] = M.on_stream,
      [ext.RUN_FINISHED] = M.on_run_finished,
      [ext.STATUS_CHANGED] = M.on_status,
    },
  }
end

local function start_for_buffer(bufnr, attach)
  local config = M.client_config()
  config.root_dir = root_dir_for(bufnr)
  return vim.lsp.start(config, { bufnr = bufnr, attach = attach })
end

--- The running AUTOCREA client: the one attached to the current buffer, else any, else (with
--- `start`) a new one rooted like the current buffer.
function M.client(start)
  local clients = vim.lsp.get_clients({ name = NAME, bufnr = 0 })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = NAME })
  end
  if clients[1] then
    return clients[1]
  end
  if start then
    local id = start_for_buffer(vim.api.nvim_get_current_buf(), vim.bo.buftype == '')
    return id and vim.lsp.get_client_by_id(id) or nil
  end
  return nil
end

local function with_client(fn)
  local client = M.client(true)
  if not client then
    notify(('the server did not start (cmd = %s); install autocrea or set `cmd` in setup()'):format(
      table.concat(M.options.cmd, ' ')
    ), vim.log.levels.ERROR)
    return
  end
  fn(client)
end

--- Sends `workspace/executeCommand` `name` with `params`. An error is notified as
--- "<failed>: <message>", a table answer goes to `on_result`; then `callback(err, result)`, when
--- given, gets the answer either way.
local function execute(name, params, failed, on_result, callback)
  with_client(function(client)
    client_request(client, 'workspace/executeCommand', { command = name, arguments = { params } }, function(err, result)
      if err then
        notify(failed .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif type(result) == 'table' then
        on_result(result)
      end
      if callback then
        callback(err, result)
      end
    end, 0)
  end)
end

--- The answer of autocrea.generate and autocrea.runRole: the RunSummary (wait = true), or
--- { runId, dir } for a run that goes on, kept in M.runs as `label` and shown as `shown`.
local function run_started(result, label, shown)
  if ext.is_run_summary(result) then
    return run_finished(result)
  end
  if result.runId then
    M.runs[result.runId] = label
    append_line(('▶ run %s: %s → %s'):format(result.runId, shown, result.dir))
    if M.options.open_output then
      M.open_output()
    end
  end
end

--- Runs autocrea.generate. `params`: { idea, dir?, wait?, overwrite?, engine?, runTests? }.
--- `callback(err, result)` gets the server's answer ({ runId, dir } or, with wait, the RunSummary).
function M.generate(params, callback)
  if type(params) == 'string' then
    params = { idea = params }
  end
  execute(ext.GENERATE, params, 'generation did not start', function(result)
    run_started(result, params.idea, '"' .. params.idea .. '"')
  end, callback)
end

--- Runs autocrea.cancel for `run_id` (default: the run in progress; a choice when several are).
function M.cancel(run_id, callback)
  local function send(id)
    execute(ext.CANCEL, { runId = id }, 'cancel failed', function(result)
      if result.cancelled == false then
        M.runs[id] = nil
        notify(('run %s had already ended'):format(id))
      end
    end, callback)
  end
  if run_id and run_id ~= '' then
    return send(run_id)
  end
  local ids = vim.tbl_keys(M.runs)
  table.sort(ids)
  if #ids == 0 then
    notify('no run is in progress')
  elseif #ids == 1 then
    send(ids[1])
  else
    vim.ui.select(ids, {
      prompt = 'Cancel which AUTOCREA run?',
      format_item = function(id)
        return M.runs[id] ~= '' and (M.runs[id] .. ' (' .. id .. ')') or id
      end,
    }, function(choice)
      if choice then
        send(choice)
      end
    end)
  end
end

--- The app folder for undo, re-run and deploy: the nearest folder above the current buffer's
--- file holding .autocrea/spec.json, else the last run's folder, else nil (the server then uses
--- the workspace root).
function M.app_dir()
  local name = vim.api.nvim_buf_get_name(0)
  if name ~= '' and vim.bo.buftype == '' then
    for dir in vim.fs.parents(vim.fs.normalize(vim.fn.fnamemodify(name, ':p'))) do
      if vim.uv.fs_stat(vim.fs.joinpath(dir, '.autocrea', 'spec.json')) then
        return dir
      end
    end
  end
  if M.last_summary and not is_null(M.last_summary.dir) then
    return M.last_summary.dir
  end
  return nil
end

local function with_dir(params, dir)
  dir = dir or M.app_dir()
  if dir and dir ~= '' then
    params.dir = dir
  end
  return params
end

--- Runs autocrea.undo on `dir` (default M.app_dir()). `callback(err, result)` gets
--- { commit, role, summary, paths }.
function M.undo(dir, callback)
  local params = with_dir({}, dir)
  execute(ext.UNDO, params, 'undo failed', function(result)
    local paths = type(result.paths) == 'table' and result.paths or {}
    last_source = nil
    append_line(('↶ took back %s (%s: %s) in %s'):format(
      result.commit,
      result.role,
      result.summary,
      params.dir or 'the workspace root'
    ))
    for _, p in ipairs(paths) do
      append_line('  ' .. p)
    end
    notify(('took back %s (%s: %s); %d file%s restored or removed — :AutocreaOutput'):format(
      result.commit,
      result.role,
      result.summary,
      #paths,
      #paths == 1 and '' or 's'
    ))
  end, callback)
end

--- Runs autocrea.runRole. `params`: { role, dir? (default M.app_dir()), wait?, engine?,
--- overwrite? } or a role name. `callback(err, result)` as for M.generate.
function M.rerun(params, callback)
  if type(params) == 'string' then
    params = { role = params }
  end
  if not vim.tbl_contains(ext.RERUNNABLE_ROLES, params.role) then
    notify(('cannot re-run %s: use one of %s'):format(
      tostring(params.role),
      table.concat(ext.RERUNNABLE_ROLES, ', ')
    ), vim.log.levels.ERROR)
    return
  end
  if params.dir == nil then
    with_dir(params)
  end
  local label = 're-run of ' .. params.role
  execute(ext.RUN_ROLE, params, 'the ' .. label .. ' did not start', function(result)
    run_started(result, label, label)
  end, callback)
end

--- Runs autocrea.deploy: pushes the branch of `dir` (default M.app_dir()) to `remote` (default
--- origin). `callback(err, result)` gets { output }.
function M.deploy(remote, dir, callback)
  local params = with_dir({}, dir)
  if remote and remote ~= '' then
    params.remote = remote
  end
  local to = params.remote or 'origin'
  notify(('pushing to %s…'):format(to))
  execute(ext.DEPLOY, params, 'deploy failed', function(result)
    last_source = nil
    append_line(('⇡ pushed to %s:'):format(to))
    append_line(vim.trim(tostring(result.output or '')))
    notify(('pushed the branch to %s — :AutocreaOutput'):format(to))
  end, callback)
end

--- Runs autocrea.audit on `dir` (default: the workspace root): the security rules over every
--- file of the folder. The findings arrive as diagnostics; this lists them in the output buffer
--- and notifies the counts. `callback(err, result)` gets { dir, filesAudited, errors, warnings,
--- infos, findings }.
function M.audit(dir, callback)
  local params = (dir and dir ~= '') and { dir = dir } or vim.empty_dict()
  local failed = ('the security audit of %s failed'):format(params.dir or 'the workspace')
  execute(ext.AUDIT, params, failed, function(result)
    local counts = findings_text(result)
    local files = plural(result.filesAudited or 0, 'file')
    last_source = nil
    append_line(('⛨ audited %s in %s: %s'):format(files, result.dir, counts))
    append_findings(result.findings)
    local found = type(result.findings) == 'table' and #result.findings > 0
    notify(('%s in %s of %s%s'):format(
      counts,
      files,
      result.dir,
      found and ' — :AutocreaOutput, or :lua vim.diagnostic.setqflist()' or ''
    ), found and vim.log.levels.WARN or vim.log.levels.INFO)
  end, callback)
end

--- Runs autocrea.signIn (`params`: { wait?, gateway? } or nil). The server shows the code, opens
--- the page (window/showDocument: Neovim calls vim.ui.open) and pushes autocrea/status once
--- signed in; the code and the page also go to the output buffer. `callback(err, result)` gets
--- { userCode, verificationUri, verificationUriComplete?, expiresIn } (with wait, the Status).
function M.sign_in(params, callback)
  execute(ext.SIGN_IN, params or vim.empty_dict(), 'sign-in did not start', function(result)
    if is_null(result.userCode) then
      return status_changed(result)
    end
    local page = is_null(result.verificationUriComplete) and result.verificationUri or result.verificationUriComplete
    last_source = nil
    append_line(('⇥ sign in: open %s and confirm the code %s (valid %d min)'):format(
      tostring(page),
      result.userCode,
      math.ceil((tonumber(result.expiresIn) or 0) / 60)
    ))
  end, callback)
end

--- Runs autocrea.signOut: the token is revoked and removed (the server says so).
--- `callback(err, status)`.
function M.sign_out(callback)
  execute(ext.SIGN_OUT, vim.empty_dict(), 'sign-out failed', status_changed, callback)
end

--- Runs autocrea.status and notifies the account (M.describe_status). `callback(err, status)`.
function M.status(callback)
  execute(ext.STATUS, vim.empty_dict(), 'the account status failed', function(result)
    status_changed(result)
    notify(table.concat(M.describe_status(result), '\n'))
  end, callback)
end

--- Runs autocrea.setApiKey: stores `key` as your own key of `provider` (openai, anthropic,
--- joxcoder) in the credential store, or removes the stored one when `key` is nil or ''. The key
--- is neither shown nor logged here. `callback(err, status)`.
function M.set_key(provider, key, callback)
  if not vim.tbl_contains(ext.KEY_PROVIDERS, provider) then
    notify(('no such provider %s: use one of %s'):format(tostring(provider), table.concat(ext.KEY_PROVIDERS, ', ')),
      vim.log.levels.ERROR)
    return
  end
  key = key and vim.trim(key) or ''
  local params = { provider = provider, key = key ~= '' and key or vim.NIL }
  local failed = ('%s the %s key failed'):format(key ~= '' and 'storing' or 'removing', provider)
  execute(ext.SET_API_KEY, params, failed, function(result)
    status_changed(result)
    notify(('%s your %s key %s %s'):format(
      key ~= '' and 'stored' or 'removed',
      provider,
      key ~= '' and 'in' or 'from',
      tostring(result.credentialStore)
    ))
  end, callback)
end

--- Opens the README.md of the last finished run.
function M.open_readme()
  local s = M.last_summary
  if not s then
    notify('no run has finished yet', vim.log.levels.WARN)
    return
  end
  local dir = s.dir
  if not dir:match('^/') and not dir:match('^%a:[/\\]') then
    local client = M.client(false)
    local root = client and client.config.root_dir or vim.fn.getcwd()
    dir = vim.fs.joinpath(root, dir)
  end
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(dir, 'README.md')))
end

-- ---------------------------------------------------------------------------------------------
-- Setup
-- ---------------------------------------------------------------------------------------------

local function create_commands()
  vim.api.nvim_create_user_command('AutocreaGenerate', function(args)
    local idea = vim.trim(args.args)
    if idea == '' and args.range > 0 then
      local lines = vim.api.nvim_buf_get_lines(0, args.line1 - 1, args.line2, false)
      idea = vim.trim(table.concat(lines, ' '))
    end
    if idea ~= '' then
      return M.generate({ idea = idea })
    end
    vim.ui.input({ prompt = 'App idea: ' }, function(input)
      if input and vim.trim(input) ~= '' then
        M.generate({ idea = vim.trim(input) })
      end
    end)
  end, { nargs = '*', range = true, desc = 'AUTOCREA: generate an app from an idea' })

  vim.api.nvim_create_user_command('AutocreaCancel', function(args)
    M.cancel(vim.trim(args.args))
  end, {
    nargs = '?',
    desc = 'AUTOCREA: cancel a run',
    complete = function()
      return vim.tbl_keys(M.runs)
    end,
  })

  vim.api.nvim_create_user_command('AutocreaUndo', function()
    M.undo()
  end, { nargs = 0, desc = 'AUTOCREA: undo the last step' })

  vim.api.nvim_create_user_command('AutocreaRerun', function(args)
    local role = vim.trim(args.args)
    if role ~= '' then
      return M.rerun(role)
    end
    vim.ui.select(ext.RERUNNABLE_ROLES, { prompt = 'Re-run which AUTOCREA role?' }, function(choice)
      if choice then
        M.rerun(choice)
      end
    end)
  end, {
    nargs = '?',
    desc = 'AUTOCREA: re-run a role (backend, frontend, devops, tester)',
    complete = function()
      return ext.RERUNNABLE_ROLES
    end,
  })

  vim.api.nvim_create_user_command('AutocreaDeploy', function(args)
    M.deploy(vim.trim(args.args))
  end, { nargs = '?', desc = 'AUTOCREA: push the branch to a remote (default origin)' })

  vim.api.nvim_create_user_command('AutocreaAudit', function(args)
    local dir = vim.trim(args.args)
    -- Relative to Neovim's current directory (the server would take it relative to its root);
    -- `%:h` is the current file's folder. normalize drops the slash `:p` puts after a folder.
    M.audit(dir ~= '' and vim.fs.normalize(vim.fn.fnamemodify(vim.fn.expand(dir), ':p')) or nil)
  end, {
    nargs = '?',
    complete = 'dir',
    desc = 'AUTOCREA: audit a folder (default: the workspace) for security problems',
  })

  vim.api.nvim_create_user_command('AutocreaSignIn', function(args)
    local gateway = vim.trim(args.args)
    M.sign_in(gateway ~= '' and { gateway = gateway } or nil)
  end, { nargs = '?', desc = 'AUTOCREA: sign in (a code to confirm in the browser) at the gateway, or at URL' })

  vim.api.nvim_create_user_command('AutocreaSignOut', function()
    M.sign_out()
  end, { nargs = 0, desc = 'AUTOCREA: sign out' })

  vim.api.nvim_create_user_command('AutocreaStatus', function()
    M.status()
  end, { nargs = 0, desc = 'AUTOCREA: the account, its credits, the engine and your stored keys' })

  vim.api.nvim_create_user_command('AutocreaSetKey', function(args)
    local function set(provider)
      if args.bang or not vim.tbl_contains(ext.KEY_PROVIDERS, provider) then
        -- Removes the key, or says which providers there are, before anyone types a key.
        return M.set_key(provider, nil)
      end
      -- inputsecret: not echoed, not kept in the history. Ctrl-C raises "Keyboard interrupt".
      local ok, key = pcall(vim.fn.inputsecret, ('Your %s API key (empty: cancel): '):format(provider))
      if ok and vim.trim(key) ~= '' then
        M.set_key(provider, key)
      end
    end
    local provider = vim.trim(args.args)
    if provider ~= '' then
      return set(provider)
    end
    local prompt = args.bang and 'Remove which stored key?' or 'Store which key?'
    vim.ui.select(ext.KEY_PROVIDERS, { prompt = prompt }, function(choice)
      if choice then
        set(choice)
      end
    end)
  end, {
    nargs = '?',
    bang = true,
    desc = 'AUTOCREA: store your own API key (openai, anthropic, joxcoder); with ! remove it',
    complete = function()
      return ext.KEY_PROVIDERS
    end,
  })

  vim.api.nvim_create_user_command('AutocreaOutput', M.open_output, { desc = 'AUTOCREA: show streamed output' })
  vim.api.nvim_create_user_command('AutocreaReadme', M.open_readme, { desc = 'AUTOCREA: open the last app README' })
end

function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if opts and opts.settings then
    -- Replace, not merge: an explicit settings table is the whole section.
    M.options.settings = vim.deepcopy(opts.settings)
  end
  create_commands()

  if has_011 and M.options.method ~= 'start' then
    local config = M.client_config()
    config.name = nil
    config.root_dir = function(bufnr, on_dir)
      on_dir(root_dir_for(bufnr))
    end
    vim.lsp.config(NAME, config)
    vim.lsp.enable(NAME)
    return
  end

  local group = vim.api.nvim_create_augroup('autocrea.lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    callback = function(args)
      local ft = vim.bo[args.buf].filetype
      if vim.bo[args.buf].buftype ~= '' or ft == 'autocrea-output' then
        return
      end
      if M.options.filetypes and not vim.tbl_contains(M.options.filetypes, ft) then
        return
      end
      start_for_buffer(args.buf, true)
    end,
  })
end

return M
