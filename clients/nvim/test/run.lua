-- Headless test of cfsp.nvim against a real cfspd and the tiny test model:
--   CFSPD=.build/release/cfspd CFSP_TEST_MODEL=tiny.gguf CFSP_TEST_TEXT=text.txt \
--   CFSP_TEST_LONG_TEXT=long.txt (optional: a text long enough to cancel its evaluation) \
--   nvim --headless -u NONE -c "luafile clients/nvim/test/run.lua"
-- Exits 0 when every check passes, 1 (with the failures on stderr) otherwise.

local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.runtimepath:prepend(root)
vim.cmd('runtime plugin/cfsp.lua')

local cfsp = require('cfsp')
local failures = {}
local checks = 0

local function check(condition, what)
  checks = checks + 1
  if not condition then table.insert(failures, what) end
end

local function finish()
  cfsp.stop()
  vim.wait(2000, function() return false end, 50)
  if #failures > 0 then
    io.stderr:write('\ncfsp.nvim test: ' .. #failures .. ' of ' .. checks .. ' checks failed:\n  '
      .. table.concat(failures, '\n  ') .. '\n')
    vim.cmd('cquit 1')
  else
    io.stdout:write('\ncfsp.nvim test: all ' .. checks .. ' checks passed\n')
    vim.cmd('qall!')
  end
end

local function wait_for(what, timeout, condition)
  local ok = vim.wait(timeout, condition, 20)
  check(ok, what .. ' (timed out after ' .. timeout .. ' ms; last error: ' .. tostring(cfsp.state.last_error) .. ')')
  return ok
end

local daemon = vim.env.CFSPD
local model = vim.env.CFSP_TEST_MODEL
local text = vim.env.CFSP_TEST_TEXT
local long_text = vim.env.CFSP_TEST_LONG_TEXT or text -- evaluating it must take a while
if not (daemon and model and text) then
  table.insert(failures, 'set CFSPD, CFSP_TEST_MODEL and CFSP_TEST_TEXT')
  finish()
  return
end
check(vim.lsp.rpc.start ~= nil, 'vim.lsp.rpc.start exists')
cfsp.setup({ cmd = daemon })

-- Errors are reported, not raised: prune before anything is loaded.
vim.cmd('CfspPrune 0.3')
check(cfsp.state.last_error and cfsp.state.last_error:find('no model loaded'), 'prune without a model says to load one')

vim.cmd('CfspLoad ' .. vim.fn.fnameescape(model))
wait_for('model/load answers', 20000, function() return cfsp.state.model ~= nil end)
check(cfsp.state.model == 'm1', 'the first model is m1, got ' .. tostring(cfsp.state.model))
check(cfsp.state.server and cfsp.state.server.name == 'cfspd', 'initialize returned serverInfo cfspd')

vim.cmd('CfspPrune 0.3')
check(cfsp.state.last_error:find('no calibration'), 'prune without a calibration says to calibrate')

vim.cmd('CfspCalibrate ' .. vim.fn.fnameescape(text) .. ' 4 16')
wait_for('calibrate answers', 60000, function() return cfsp.state.calibration ~= nil end)
local kinds = {}
for _, value in ipairs(cfsp.state.progress) do kinds[value.kind] = (kinds[value.kind] or 0) + 1 end
check((kinds.begin or 0) >= 1 and (kinds['end'] or 0) >= 1, '$/progress begin and end were received')
check((kinds.report or 0) >= 1, '$/progress reports were received for calibrate')

vim.cmd('CfspPrune often')
check(cfsp.state.last_error:find('sparsity must be a number'), 'a sparsity that is no number is refused')

-- The range is the daemon's (one definition): -32602 naming it.
cfsp.state.last_error = nil
vim.cmd('CfspPrune 1.5')
wait_for('a sparsity out of range is answered', 20000, function() return cfsp.state.last_error ~= nil end)
check(cfsp.state.last_error and cfsp.state.last_error:find("'sparsity' must be in %[0, 1%), not 1.5", 1, false)
  and cfsp.state.last_error:find('-32602', 1, true),
  'a sparsity out of range is refused by the daemon, naming the range: ' .. tostring(cfsp.state.last_error))

vim.cmd('CfspPrune 0.25')
wait_for('prune answers', 30000, function() return cfsp.state.model == 'm2' end)
check(cfsp.state.last and cfsp.state.last.parametersAfter < cfsp.state.last.parametersBefore,
  'pruning removed parameters')

vim.cmd('CfspEvaluate ' .. vim.fn.fnameescape(text) .. ' 16 8')
wait_for('evaluate answers', 60000, function() return cfsp.state.last and cfsp.state.last.perplexity ~= nil end)
local perplexity = cfsp.state.last and cfsp.state.last.perplexity
check(type(perplexity) == 'number' and perplexity > 1, 'perplexity is a number above 1, got ' .. tostring(perplexity))

-- The whole pipeline in one request: its progress names each stage, the pruned model becomes current.
local exported = vim.fn.tempname() .. '.gguf'
local before_run = #cfsp.state.progress
cfsp.state.last = nil
vim.cmd('CfspRun ' .. vim.fn.fnameescape(model) .. ' ' .. vim.fn.fnameescape(text)
  .. ' sparsity=0.25 count=4 windowSize=16 evalWindowSize=16 maxWindows=4 exportPath=' .. vim.fn.fnameescape(exported))
wait_for('run answers', 60000, function() return cfsp.state.last and cfsp.state.last.prunedEvaluation ~= nil end)
local run = cfsp.state.last or {}
check(run.pruning and run.pruning.options.sparsity == 0.25, 'run pruned at the sparsity given')
check(run.export and run.export.path == exported and vim.fn.filereadable(exported) == 1, 'run exported ' .. exported)
check(cfsp.state.model == (run.pruning and run.pruning.pruned), 'the pruned model is current after :CfspRun')
local stages = {}
for i = before_run + 1, #cfsp.state.progress do
  local value = cfsp.state.progress[i]
  if value.stage then stages[value.stage] = true end
end
check(stages.calibrate and stages.evaluateDense and stages.prune and stages.export, 'run reports every stage: '
  .. vim.inspect(vim.tbl_keys(stages)))
cfsp.state.last_error = nil
vim.cmd('CfspRun ' .. vim.fn.fnameescape(model))
check(cfsp.state.last_error and cfsp.state.last_error:find('usage: :CfspRun'), ':CfspRun without a text says how to use it')
vim.cmd('CfspRun ' .. vim.fn.fnameescape(model) .. ' ' .. vim.fn.fnameescape(text) .. ' sparsity')
check(cfsp.state.last_error and cfsp.state.last_error:find('is not member=value'), 'a pair without = is refused')

-- A daemon error comes back as a message: a model file that does not exist.
cfsp.state.last_error = nil
vim.cmd('CfspLoad /nonexistent/model.gguf')
wait_for('model/load of a missing file fails', 20000, function() return cfsp.state.last_error ~= nil end)
check(cfsp.state.last_error and cfsp.state.last_error:find('1004'), 'a missing file is error 1004: ' .. tostring(cfsp.state.last_error))

-- Cancellation: a long evaluation (every window of the text), cancelled while it runs, answers -32800
-- (shown as cancelled) and its progress ends with outcome "cancelled".
cfsp.state.last_error = nil
local seen = #cfsp.state.progress
vim.cmd('CfspEvaluate ' .. vim.fn.fnameescape(long_text) .. ' 8')
wait_for('the long evaluation reports progress', 30000, function()
  local last = cfsp.state.progress[#cfsp.state.progress]
  return #cfsp.state.progress > seen and last.kind == 'report'
end)
vim.cmd('CfspCancel')
wait_for('a cancelled evaluation is reported', 30000, function() return cfsp.state.last_error ~= nil end)
check(cfsp.state.last_error == 'evaluate cancelled', 'cancellation reported: ' .. tostring(cfsp.state.last_error))
wait_for('the cancelled job ends its progress', 5000, function()
  local last = cfsp.state.progress[#cfsp.state.progress]
  return last and last.kind == 'end' and last.outcome == 'cancelled'
end)
check(cfsp.running(), 'the daemon still runs after a cancellation')

finish()
