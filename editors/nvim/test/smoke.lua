-- Headless smoke test of the Neovim client against a real `autocrea` binary.
--
--   AUTOCREA_BIN=/path/to/autocrea nvim --clean --headless -l editors/nvim/test/smoke.lua [TMPDIR]
--
-- Starts the server through the plugin, waits for it to attach, checks the code action on an
-- `autocrea:` line, runs `autocrea.generate` with wait = true into TMPDIR/blog (tests off) and
-- checks the answer, app/main.py, work-done progress and the autocrea/runFinished notification.
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
local function finish()
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

local streamed, finished = {}, {}
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
  settings = { engine = 'offline' },
  method = os.getenv('AUTOCREA_SMOKE_METHOD') or 'auto',
  on_stream = function(params)
    table.insert(streamed, params)
  end,
  on_run_finished = function(summary)
    table.insert(finished, summary)
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

finish()
