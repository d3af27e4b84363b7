-- User commands of cfsp.nvim (see lua/cfsp/init.lua).
if vim.g.loaded_cfsp then return end
vim.g.loaded_cfsp = true

local function command(name, nargs, complete, run, description)
  vim.api.nvim_create_user_command(name, function(opts) run(unpack(opts.fargs)) end,
    { nargs = nargs, complete = complete, desc = description })
end

command('CfspLoad', 1, 'file', function(path) require('cfsp').load(path) end, 'cfsp: load a model (GGUF or HF folder)')
command('CfspCalibrate', '+', 'file', function(...) require('cfsp').calibrate(...) end,
  'cfsp: calibrate the current model on a text file [windows] [window size]')
command('CfspPrune', 1, nil, function(s) require('cfsp').prune(s) end, 'cfsp: prune the current model to a sparsity')
command('CfspEvaluate', '+', 'file', function(...) require('cfsp').evaluate(...) end,
  'cfsp: perplexity of the current model on a text file [window size] [max windows]')
command('CfspExport', 1, 'file', function(path) require('cfsp').export(path) end, 'cfsp: export the current model as GGUF')
command('CfspRun', '+', 'file', function(...) require('cfsp').run(...) end,
  'cfsp: load, calibrate, evaluate, prune, evaluate and export: {model} {text file} [member=value ...]')
command('CfspCancel', 0, nil, function() require('cfsp').cancel() end, 'cfsp: cancel running requests')
command('CfspStop', 0, nil, function() require('cfsp').stop() end, 'cfsp: stop the daemon')
