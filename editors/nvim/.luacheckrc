-- luacheck config for the Neovim client (LuaJIT, Neovim's globals).
std = 'luajit'
globals = { 'vim' }
read_globals = { 'arg' }
max_line_length = 120
exclude_files = { '.tests/' }
