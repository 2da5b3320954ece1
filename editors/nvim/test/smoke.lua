-- Headless smoke test of the Neovim client against a real `autocrea` binary.
--
--   AUTOCREA_BIN=/path/to/autocrea nvim --clean --headless -l editors/nvim/test/smoke.lua [TMPDIR]
--
-- Starts the server through the plugin, waits for it to attach, checks the code action on an
-- `autocrea:` line; opens a Python buffer calling yaml.load and checks the security diagnostic,
-- its quick fixes, and that applying the fix clears it; runs `autocrea.generate` with wait = true
-- into TMPDIR/blog (tests off) and checks the answer (with its security step), app/main.py,
-- work-done progress and the autocrea/runFinished notification; runs `autocrea.audit` through
-- the Lua API and :AutocreaAudit and checks the counts and the diagnostics of a closed file.
-- The account, with the server's credentials in a file under TMPDIR (never the user's keyring)
-- and a gateway of its own (`autocrea gateway` on a free port, set as `gatewayUrl`): the first
-- autocrea/status (signed out), stored keys (API and :AutocreaSetKey), a sign-in whose page
-- Neovim is asked to open (window/showDocument; vim.ui.open is intercepted) and that the test
-- confirms on the gateway's pages with curl, the status pushed then, and :AutocreaSignOut.
-- Every check runs; the exit code is the number of failed checks (capped at 1..100), 0 on success.
-- AUTOCREA_SMOKE_METHOD=start exercises the Neovim 0.10 path (vim.lsp.start in a FileType autocmd).

local script_dir = vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p'))
local plugin_dir = vim.fs.dirname(script_dir)
vim.opt.runtimepath:prepend(plugin_dir)

local TIMEOUT_MS = tonumber(os.getenv('AUTOCREA_SMOKE_TIMEOUT_MS') or '') or 300000

local failures = {}
local function log(msg)
  io.stdout:write(msg .. '\n')
  io.stdout:flush()
end
local function check(ok, what, detail)
  if ok then
    log('ok   ' .. what)
  else
    log('FAIL ' .. what .. (detail and (': ' .. detail) or ''))
    table.insert(failures, what)
  end
  return ok
end
local gateway -- the `autocrea gateway` process
local gateway_log = {}
local function finish()
  if gateway then
    gateway:kill(15)
    if #failures > 0 then
      log('gateway log:\n' .. table.concat(gateway_log):sub(-4000))
    end
  end
  for _, client in ipairs(vim.lsp.get_clients({ name = 'autocrea' })) do
    client:stop()
  end
  local stopped = vim.wait(10000, function()
    return #vim.lsp.get_clients({ name = 'autocrea' }) == 0
  end, 50)
  check(stopped, 'server shuts down after shutdown/exit')
  log(('%d checks failed'):format(#failures))
  os.exit(#failures == 0 and 0 or math.min(#failures, 100))
end

local bin = os.getenv('AUTOCREA_BIN')
if not bin or bin == '' then
  log('AUTOCREA_BIN is not set')
  os.exit(2)
end
local tmp = (_G.arg and _G.arg[1]) or os.getenv('AUTOCREA_SMOKE_DIR') or vim.fn.tempname()
vim.fn.mkdir(tmp, 'p')
tmp = vim.fn.resolve(vim.fn.fnamemodify(tmp, ':p')):gsub('/$', '')
vim.fn.chdir(tmp) -- no root marker in tmp: the current directory is the workspace root
log(('nvim %s, server %s, dir %s'):format(tostring(vim.version()), bin, tmp))

-- The account service, started now so it is up by the time the sign-in needs it.
local function free_port()
  local tcp = assert(vim.uv.new_tcp())
  tcp:bind('127.0.0.1', 0)
  local port = tcp:getsockname().port
  tcp:close()
  return port
end
local gateway_port = free_port()
local gateway_url = 'http://127.0.0.1:' .. gateway_port
gateway = vim.system(
  { bin, 'gateway', '--listen', '127.0.0.1:' .. gateway_port, '--database', 'sqlite://' .. tmp .. '/gw.sqlite3' },
  {
    text = true,
    stdout = function(_, data)
      table.insert(gateway_log, data or '')
    end,
    stderr = function(_, data)
      table.insert(gateway_log, data or '')
    end,
  }
)
local config_home = tmp .. '/config'

-- What Neovim is asked to open in a browser (window/showDocument with external = true calls
-- vim.ui.open; 0.10 and 0.11 wait on the object it returns, early 0.10 builds read `code`).
local opened = {}
vim.ui.open = function(uri) ---@diagnostic disable-line: duplicate-set-field
  table.insert(opened, uri)
  return { code = 0, wait = function()
    return { code = 0 }
  end }
end

local streamed, finished, statuses = {}, {}, {}
local progress = { begin = 0, ['end'] = 0 }
vim.api.nvim_create_autocmd('LspProgress', {
  callback = function(ev)
    local value = ev.data and ev.data.params and ev.data.params.value
    if type(value) == 'table' and progress[value.kind] then
      progress[value.kind] = progress[value.kind] + 1
    end
  end,
})

local autocrea = require('autocrea')
autocrea.setup({
  cmd = { bin, 'lsp' },
  -- A private credential store; no token or gateway from the environment; the store watched
  -- every 200 ms instead of 3 s.
  cmd_env = {
    AUTOCREA_CREDENTIAL_STORE = 'file',
    XDG_CONFIG_HOME = config_home,
    AUTOCREA_TOKEN = '',
    AUTOCREA_GATEWAY_URL = '',
    AUTOCREA_STATUS_POLL_MS = '200',
  },
  settings = { engine = 'offline', gatewayUrl = gateway_url },
  method = os.getenv('AUTOCREA_SMOKE_METHOD') or 'auto',
  on_stream = function(params)
    table.insert(streamed, params)
  end,
  on_run_finished = function(summary)
    table.insert(finished, summary)
  end,
  on_status = function(status)
    table.insert(statuses, status)
  end,
})

-- An idea in a comment of a file: the plugin starts the server and attaches it.
local idea_file = tmp .. '/notes.py'
vim.fn.writefile({ '# autocrea: a blog with comments' }, idea_file)
vim.cmd.edit(vim.fn.fnameescape(idea_file))
local bufnr = vim.api.nvim_get_current_buf()

local client
local attached = vim.wait(20000, function()
  client = vim.lsp.get_clients({ name = 'autocrea', bufnr = bufnr })[1]
  return client ~= nil and client.initialized == true
end, 50)
if not check(attached, 'server starts and attaches to ' .. idea_file) then
  finish()
end
check(client.config.root_dir == tmp, 'workspace root is the current directory', tostring(client.config.root_dir))

local caps = client.server_capabilities or {}
local commands = caps.executeCommandProvider and caps.executeCommandProvider.commands or {}
check(vim.tbl_contains(commands, 'autocrea.generate'), 'executeCommandProvider lists autocrea.generate',
  vim.inspect(commands))
check(vim.tbl_contains(commands, 'autocrea.cancel'), 'executeCommandProvider lists autocrea.cancel',
  vim.inspect(commands))

-- The code action on the `autocrea:` line.
local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } },
  context = { diagnostics = {} },
}
local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000) or {}
local titles = {}
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    table.insert(titles, action.title)
  end
end
check(vim.tbl_contains(titles, 'AUTOCREA: build an app from this idea'), 'code action on an `autocrea:` comment',
  vim.inspect(titles))

-- Security: an unsafe call in an open buffer gets a diagnostic (auditOnChange is on by default)
-- and quick fixes; applying the fix clears the diagnostic.
local function autocrea_diagnostics(buf)
  return vim.tbl_filter(function(d)
    return d.source == 'autocrea'
  end, vim.diagnostic.get(buf))
end
local function find_code(diagnostics, code)
  for _, d in ipairs(diagnostics) do
    if d.code == code then
      return d
    end
  end
end

local unsafe_file = tmp .. '/load_config.py'
vim.fn.writefile({ 'import yaml', 'config = yaml.load(data)' }, unsafe_file)
vim.cmd.edit(vim.fn.fnameescape(unsafe_file))
local unsafe_buf = vim.api.nvim_get_current_buf()
vim.wait(10000, function()
  return find_code(autocrea_diagnostics(unsafe_buf), 'unsafe-deserialization') ~= nil
end, 50)
local diag = find_code(autocrea_diagnostics(unsafe_buf), 'unsafe-deserialization')
if check(diag ~= nil, 'yaml.load(data) in an open buffer: autocrea diagnostic unsafe-deserialization',
  vim.inspect(vim.diagnostic.get(unsafe_buf))) then
  check(diag.lnum == 1, 'the diagnostic is on line 2', tostring(diag.lnum))
  local lsp_diag = diag.user_data and diag.user_data.lsp or {}
  local href = lsp_diag.codeDescription and lsp_diag.codeDescription.href or ''
  check(href:find('/502%.html$') ~= nil, 'codeDescription links the CWE-502 page', href)

  local fix_responses = vim.lsp.buf_request_sync(unsafe_buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(unsafe_buf) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag }, triggerKind = 1 },
  }, 10000) or {}
  local actions = {}
  for _, response in pairs(fix_responses) do
    for _, action in ipairs(response.result or {}) do
      actions[action.title] = action
    end
  end
  local fix = actions['AUTOCREA: Use yaml.safe_load']
  check(fix ~= nil, 'code actions at the finding hold "AUTOCREA: Use yaml.safe_load"',
    vim.inspect(vim.tbl_keys(actions)))
  check(actions['AUTOCREA: ignore this finding (unsafe-deserialization)'] ~= nil,
    'code actions at the finding hold "AUTOCREA: ignore this finding (unsafe-deserialization)"',
    vim.inspect(vim.tbl_keys(actions)))
  if fix then
    check(fix.kind == 'quickfix' and fix.isPreferred == true, 'the fix is a preferred quickfix',
      vim.inspect({ kind = fix.kind, isPreferred = fix.isPreferred }))
    vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
    local line = vim.api.nvim_buf_get_lines(unsafe_buf, 1, 2, false)[1]
    check(line == 'config = yaml.safe_load(data)', 'applying the fix rewrites the call', line)
    local cleared = vim.wait(10000, function()
      return find_code(autocrea_diagnostics(unsafe_buf), 'unsafe-deserialization') == nil
    end, 50)
    check(cleared, 'the diagnostic goes away once the buffer is fixed', vim.inspect(autocrea_diagnostics(unsafe_buf)))
  end
end

-- The run itself, through the plugin's API.
local dir = tmp .. '/blog'
local answer, answer_err
local started = vim.uv.hrtime()
autocrea.generate({ idea = 'a blog with comments', dir = dir, wait = true, runTests = false }, function(err, result)
  answer_err = err or vim.NIL
  answer = result
end)
local answered = vim.wait(TIMEOUT_MS, function()
  return answer_err ~= nil
end, 100)
log(('generate answered after %.1f s'):format((vim.uv.hrtime() - started) / 1e9))
if check(answered, 'autocrea.generate (wait = true) answers') then
  check(answer_err == vim.NIL, 'no error', vim.inspect(answer_err))
  check(type(answer) == 'table' and answer.status == 'succeeded', 'status is succeeded', vim.inspect(answer))
  if type(answer) == 'table' then
    check(answer.dir == dir, 'answer.dir is the requested dir', tostring(answer.dir))
    check(type(answer.runId) == 'string' and answer.runId ~= '', 'answer has a runId')
    local tests = answer.tests
    check(type(tests) == 'table' and tests.status == 'skipped', 'tests skipped (runTests = false)', vim.inspect(tests))
    local security = answer.security
    check(type(security) == 'table' and security.status == 'done' and (tonumber(security.filesAudited) or 0) > 0,
      'the security step audited the app', vim.inspect(security))
    check(type(answer.findings) == 'table', 'the summary lists findings', vim.inspect(answer.findings))
    local headline = autocrea.headline(answer)
    check(headline:find('security audit clean', 1, true) ~= nil or headline:find('security finding', 1, true) ~= nil,
      'the headline gives the security result', headline)
  end
  check(vim.fn.filereadable(dir .. '/app/main.py') == 1, dir .. '/app/main.py exists')
end

-- Notifications may trail the answer by a moment.
vim.wait(5000, function()
  return #finished > 0 and progress['end'] > 0
end, 50)
check(#finished == 1, 'one autocrea/runFinished notification', tostring(#finished))
if finished[1] and type(answer) == 'table' then
  check(finished[1].runId == answer.runId, 'runFinished carries the run id')
end
check(progress.begin > 0 and progress.begin == progress['end'], 'work-done progress begins and ends',
  vim.inspect(progress))
log(('%d autocrea/stream notifications'):format(#streamed))

-- The workspace audit, through the Lua API: a file on disk that no buffer shows.
vim.fn.writefile({ 'import yaml', '', 'def read(data):', '    return yaml.load(data)' }, tmp .. '/on_disk.py')
local audit_result, audit_err
autocrea.audit(nil, function(err, result)
  audit_err = err or vim.NIL
  audit_result = result
end)
if check(vim.wait(60000, function()
  return audit_err ~= nil
end, 50), 'autocrea.audit answers') then
  check(audit_err == vim.NIL, 'autocrea.audit: no error', vim.inspect(audit_err))
  local r = type(audit_result) == 'table' and audit_result or {}
  check(r.dir == tmp, 'autocrea.audit without dir audits the workspace root', tostring(r.dir))
  check((tonumber(r.filesAudited) or 0) >= 1, 'autocrea.audit: filesAudited >= 1', tostring(r.filesAudited))
  local findings = type(r.findings) == 'table' and r.findings or {}
  check((r.errors or 0) + (r.warnings or 0) + (r.infos or 0) == #findings, 'autocrea.audit: counts add up',
    vim.inspect({ r.errors, r.warnings, r.infos, #findings }))
  local paths = {}
  for _, f in ipairs(findings) do
    paths[f.path .. ' ' .. f.rule] = true
  end
  check(paths['on_disk.py unsafe-deserialization'] == true, 'autocrea.audit finds yaml.load in on_disk.py',
    vim.inspect(vim.tbl_keys(paths)))
  check(not paths['load_config.py unsafe-deserialization'], 'the fixed open buffer wins over the file on disk',
    vim.inspect(vim.tbl_keys(paths)))
  local disk_buf = vim.uri_to_bufnr(vim.uri_from_fname(tmp .. '/on_disk.py'))
  check(vim.wait(5000, function()
    return find_code(autocrea_diagnostics(disk_buf), 'unsafe-deserialization') ~= nil
  end, 50), 'the audit publishes diagnostics for on_disk.py', vim.inspect(vim.diagnostic.get(disk_buf)))
end

-- :AutocreaAudit reports in the output buffer (one more "audited" line than the API call left).
local function audit_reports()
  local out, n = vim.fn.bufnr('autocrea://output'), 0
  for _, line in ipairs(out > 0 and vim.api.nvim_buf_get_lines(out, 0, -1, false) or {}) do
    if line:find('audited %d+ files? in ' .. vim.pesc(tmp) .. ':') then
      n = n + 1
    end
  end
  return n
end
local before = audit_reports()
vim.cmd('AutocreaAudit ' .. vim.fn.fnameescape(tmp))
check(vim.wait(60000, function()
  return audit_reports() > before
end, 50), ':AutocreaAudit DIR reports "audited N files in DIR" in the output buffer', tostring(before))

-- The account. The first autocrea/status came after `initialized`, before any account command.
local function output_text()
  local out = vim.fn.bufnr('autocrea://output')
  return out > 0 and table.concat(vim.api.nvim_buf_get_lines(out, 0, -1, false), '\n') or ''
end
local function messages()
  return vim.api.nvim_exec2('messages', { output = true }).output
end
--- Waits for a Status (pushed, or the answer of a command) after the `after`-th one that `pred`
--- accepts; returns it.
local function next_status(after, pred, timeout)
  local found
  vim.wait(timeout or 10000, function()
    for i = after + 1, #statuses do
      if pred(statuses[i]) then
        found = statuses[i]
        return true
      end
    end
    return false
  end, 50)
  return found
end
local function has_key(status, provider)
  return type(status.keys) == 'table' and vim.tbl_contains(status.keys, provider)
end

local first = next_status(0, function()
  return true
end)
if check(first ~= nil, 'autocrea/status arrives after initialized') then
  check(first.signedIn == false, 'the first status: signed out', vim.inspect(first))
  check(first.gateway == gateway_url, 'the status names the gatewayUrl setting', tostring(first.gateway))
  check(first.engine == 'offline', 'the status gives the engine a run would use', tostring(first.engine))
  check(tostring(first.credentialStore):find(config_home, 1, true) ~= nil,
    'credentials are in the private store under XDG_CONFIG_HOME', tostring(first.credentialStore))
  check(autocrea.statusline() == 'AUTOCREA: signed out', 'statusline() says signed out', autocrea.statusline())
end
if not (first and tostring(first.credentialStore):find(config_home, 1, true)) then
  log('the rest of the account checks would write to your own credential store: skipped')
  finish()
end

-- A stored key, through the Lua API.
local key_answer, key_err
autocrea.set_key('openai', 'sk-test', function(err, result)
  key_err, key_answer = err or vim.NIL, result
end)
if check(vim.wait(10000, function()
  return key_err ~= nil
end, 50), 'autocrea.setApiKey answers') then
  check(key_err == vim.NIL, 'autocrea.setApiKey: no error', vim.inspect(key_err))
  check(type(key_answer) == 'table' and has_key(key_answer, 'openai'), 'autocrea.setApiKey: keys hold openai',
    vim.inspect(key_answer))
end
local store_file = config_home .. '/autocrea/credentials.json'
check(vim.fn.filereadable(store_file) == 1, 'the key is stored in ' .. store_file)

-- :AutocreaSetKey asks with inputsecret; :AutocreaSetKey! removes.
local asked = {}
vim.fn.inputsecret = function(prompt)
  table.insert(asked, prompt)
  return 'sk-ant-test'
end
local mark = #statuses
vim.cmd('AutocreaSetKey anthropic')
check(#asked == 1 and asked[1]:find('anthropic', 1, true) ~= nil, ':AutocreaSetKey anthropic asks for the key',
  vim.inspect(asked))
check(next_status(mark, function(s)
  return has_key(s, 'anthropic') and has_key(s, 'openai')
end) ~= nil, ':AutocreaSetKey anthropic: a status with keys openai and anthropic', vim.inspect(statuses[#statuses]))
mark = #statuses
vim.cmd('AutocreaSetKey! anthropic')
check(next_status(mark, function(s)
  return not has_key(s, 'anthropic') and has_key(s, 'openai')
end) ~= nil, ':AutocreaSetKey! anthropic removes it, openai stays', vim.inspect(statuses[#statuses]))
check(#asked == 1, ':AutocreaSetKey! asks for no key', tostring(#asked))

-- Sign-in at the test's gateway (the gatewayUrl setting).
local healthy = false
for _ = 1, 100 do
  local r = vim.system({ 'curl', '-fsS', '--max-time', '2', gateway_url .. '/healthz' }, { text = true }):wait()
  if r.code == 0 and (r.stdout or ''):find('ok', 1, true) then
    healthy = true
    break
  end
  vim.wait(200)
end
if check(healthy, 'the gateway answers GET ' .. gateway_url .. '/healthz (needs curl)') then
  local started_answer, sign_err
  mark = #statuses
  autocrea.sign_in(nil, function(err, result)
    sign_err, started_answer = err or vim.NIL, result
  end)
  check(vim.wait(20000, function()
    return sign_err ~= nil
  end, 50), 'autocrea.signIn answers')
  local a = type(started_answer) == 'table' and started_answer or {}
  check(sign_err == vim.NIL, 'autocrea.signIn: no error', vim.inspect(sign_err))
  local code = type(a.userCode) == 'string' and a.userCode or ''
  check(code:match('^%u%u%u%u%-%u%u%u%u$') ~= nil, 'autocrea.signIn answers a userCode', vim.inspect(a))
  check(type(a.verificationUri) == 'string' and vim.startswith(a.verificationUri, gateway_url),
    'the page is on the gateway of the gatewayUrl setting', tostring(a.verificationUri))
  check((tonumber(a.expiresIn) or 0) > 0, 'the code expires in some seconds', tostring(a.expiresIn))
  check(vim.wait(5000, function()
    return #opened > 0
  end, 50), 'the server asks Neovim to open the page (window/showDocument, external)')
  local page = a.verificationUriComplete or a.verificationUri
  check(opened[1] == page, 'the page opened is the one answered', vim.inspect({ opened = opened, page = page }))
  check(messages():find(code, 1, true) ~= nil, 'the server shows the code in a message', messages():sub(-600))
  check(output_text():find('confirm the code ' .. code, 1, true) ~= nil, 'the output buffer gives the code')

  -- Confirm on the gateway's pages as the user would: sign up, log in, approve the code.
  local jar = tmp .. '/cookies.txt'
  local function get_or_post(path, form)
    local args = { 'curl', '-sS', '--max-time', '10', '-c', jar, '-b', jar, gateway_url .. path }
    for k, v in pairs(form or {}) do
      vim.list_extend(args, { '--data-urlencode', k .. '=' .. v })
    end
    local r = vim.system(args, { text = true }):wait()
    return r.stdout or ''
  end
  local function csrf(html)
    return html:match('name="csrf" value="(%x+)"') or ''
  end
  local email, password = 'smoke@example.com', 'a long enough password'
  get_or_post('/signup', { csrf = csrf(get_or_post('/signup')), email = email, password = password })
  get_or_post('/login', { csrf = csrf(get_or_post('/login')), email = email, password = password })
  local confirm = get_or_post('/device?user_code=' .. code)
  local approved = get_or_post('/device', { csrf = csrf(confirm), user_code = code, action = 'approve' })
  check(approved:find('Signed in', 1, true) ~= nil, 'the code is approved on the gateway page', approved:sub(1, 400))

  -- The server polls every 5 s, stores the token and pushes the new status.
  local signed = next_status(mark, function(s)
    return s.signedIn == true
  end, 30000)
  if check(signed ~= nil, 'autocrea/status says signedIn once the code is approved',
    vim.inspect(statuses[#statuses])) then
    check(signed.email == email, 'the status has the e-mail', tostring(signed.email))
    check(signed.plan == 'trial', 'a new account is on the trial plan', tostring(signed.plan))
    local balance = tonumber(signed.balance) or 0
    check(balance > 0, 'a new account has credits', tostring(signed.balance))
    check(autocrea.statusline() == ('AUTOCREA: %d credits'):format(balance), 'statusline() gives the credits',
      autocrea.statusline())
    check(has_key(signed, 'openai'), 'the stored key is still listed', vim.inspect(signed.keys))
  end

  local before_status = #vim.split(messages(), '\n')
  vim.cmd('AutocreaStatus')
  check(vim.wait(10000, function()
    local lines = vim.split(messages(), '\n')
    return table.concat(lines, '\n', before_status):find('signed in as ' .. email, 1, true) ~= nil
  end, 50), ':AutocreaStatus says "signed in as ' .. email .. '"', messages():sub(-600))

  mark = #statuses
  vim.cmd('AutocreaSignOut')
  check(next_status(mark, function(s)
    return s.signedIn == false
  end) ~= nil, ':AutocreaSignOut: a status with signedIn false', vim.inspect(statuses[#statuses]))
  check(autocrea.statusline() == 'AUTOCREA: signed out', 'statusline() says signed out again', autocrea.statusline())
end

local shown = output_text() .. '\n' .. messages()
check(shown:find('stored your openai key', 1, true) ~= nil and shown:find('sk-test', 1, true) == nil
  and shown:find('sk-ant-test', 1, true) == nil, 'the messages say a key was stored, never the key', shown:sub(-600))

finish()
