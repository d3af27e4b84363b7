-- cfsp.nvim: drive cfspd (CFSP structured pruning) from Neovim.
--
-- cfspd speaks JSON-RPC with LSP's Content-Length framing, so Neovim's own JSON-RPC client
-- (vim.lsp.rpc, Neovim 0.7+) talks to it unchanged: this module starts a private cfspd over
-- stdio, keeps the current model and calibration handles, and shows $/progress in the message
-- area.

local M = {}

M.config = {
  -- The cfspd executable: $CFSPD, else cfspd on PATH.
  cmd = vim.env.CFSPD or 'cfspd',
  args = { 'serve', '--log-level', 'warning' },
}

-- What the daemon holds for this editor, and what happened (read by :CfspStatus and the tests).
M.state = {
  model = nil, -- current model handle (the pruned one after :CfspPrune)
  calibration = nil, -- last calibration handle
  last = nil, -- last result
  last_error = nil, -- last error, as text
  progress = {}, -- every $/progress value received, in order
  pending = {}, -- request ids still in flight -> method
}

local rpc = nil
local next_token = 0

local function echo(text, highlight)
  vim.api.nvim_echo({ { 'cfsp: ' .. text, highlight } }, highlight == 'ErrorMsg', {})
end

local titles = {} -- progress token -> title from its begin

local function show_progress(params)
  local value = params.value or {}
  table.insert(M.state.progress, value)
  local token = tostring(params.token)
  if value.kind == 'begin' then titles[token] = value.title end
  local parts = {}
  local title = value.title or titles[token]
  if title then table.insert(parts, title) end
  if value.kind == 'end' then titles[token] = nil end
  if value.kind == 'end' then
    table.insert(parts, (value.outcome or 'done') .. (value.message and (': ' .. value.message) or ''))
  else
    if value.percentage then table.insert(parts, string.format('%3d%%', value.percentage)) end
    if value.message then table.insert(parts, value.message) end
  end
  echo(table.concat(parts, ' '))
end

local dispatchers = {
  notification = function(method, params)
    if method == '$/progress' and type(params) == 'table' then
      vim.schedule(function() show_progress(params) end)
    end
  end,
  server_request = function(method, _)
    return nil, vim.lsp.rpc.rpc_response_error(-32601, 'cfsp.nvim does not serve ' .. method)
  end,
  on_exit = function(code, _)
    vim.schedule(function()
      if rpc ~= nil then echo('cfspd exited (status ' .. tostring(code) .. ')', 'WarningMsg') end
      rpc = nil
      M.state.pending = {}
    end)
  end,
  on_error = function(code, err)
    vim.schedule(function()
      M.state.last_error = 'rpc error ' .. tostring(code) .. ': ' .. vim.inspect(err)
      echo(M.state.last_error, 'ErrorMsg')
    end)
  end,
}

--- Sets options (cmd, args) before the daemon starts.
function M.setup(options)
  M.config = vim.tbl_extend('force', M.config, options or {})
end

--- True while the daemon runs.
function M.running()
  return rpc ~= nil
end

--- Sends `method` with `params`; calls `on_result(result)` on success. With `progress`, asks for
--- $/progress. Errors (and cancellations) are shown in the message area and kept in state.
function M.request(method, params, on_result, progress)
  if not M.start() then return nil end
  params = params or vim.empty_dict()
  if progress then
    next_token = next_token + 1
    params.workDoneToken = 'nvim-' .. next_token
  end
  local id
  local ok
  ok, id = rpc.request(method, params, function(err, result)
    M.state.pending[id] = nil
    if err then
      M.state.last_error = string.format('%s failed: %s (error %s)', method, err.message or '?', tostring(err.code))
      echo(M.state.last_error, 'ErrorMsg')
      return
    end
    M.state.last = result
    if on_result then on_result(result) end
  end, function(reply_id)
    -- Runs on every answer, including the -32800 of a cancellation (which vim.lsp.rpc mutes).
    if M.state.pending[reply_id] == 'cancelling' then
      M.state.pending[reply_id] = nil
      M.state.last_error = method .. ' cancelled'
      echo(M.state.last_error, 'WarningMsg')
    end
  end)
  if not ok then
    echo('cannot send ' .. method .. ': the daemon is not running', 'ErrorMsg')
    return nil
  end
  M.state.pending[id] = method
  return id
end

--- Starts cfspd over stdio (once) and initializes the session. Returns true when it runs.
function M.start()
  if rpc ~= nil then return true end
  if vim.fn.executable(M.config.cmd) ~= 1 then
    M.state.last_error = 'cfspd not found: set $CFSPD or call require("cfsp").setup({ cmd = "/path/to/cfspd" })'
    echo(M.state.last_error, 'ErrorMsg')
    return false
  end
  rpc = vim.lsp.rpc.start(M.config.cmd, M.config.args, dispatchers)
  M.request('initialize', { clientInfo = { name = 'cfsp.nvim' }, processId = vim.fn.getpid() }, function(result)
    rpc.notify('initialized', vim.empty_dict())
    M.state.server = result.serverInfo
  end)
  return true
end

--- Stops the daemon (shutdown, exit): it cancels what still runs.
function M.stop()
  if rpc == nil then return end
  local client = rpc
  client.request('shutdown', vim.empty_dict(), function()
    client.notify('exit', vim.empty_dict())
  end)
  rpc = nil
  M.state.model, M.state.calibration = nil, nil
end

--- Cancels every request in flight ($/cancelRequest); each answers -32800.
function M.cancel()
  if rpc == nil then return end
  for id, method in pairs(M.state.pending) do
    if method ~= 'cancelling' then
      M.state.pending[id] = 'cancelling'
      rpc.notify('$/cancelRequest', { id = id })
    end
  end
end

local function need_model()
  if M.state.model == nil then
    M.state.last_error = 'no model loaded: run :CfspLoad {path} first'
    echo(M.state.last_error, 'ErrorMsg')
    return false
  end
  return true
end

--- :CfspLoad {path}
function M.load(path)
  path = vim.fn.fnamemodify(vim.fn.expand(path), ':p')
  M.request('model/load', { path = path }, function(result)
    M.state.model = result.model
    echo(string.format('loaded %s: %s, %d parameters', result.model, path, result.parameters or 0))
  end, true)
end

--- :CfspCalibrate {path} [windows] [window size]: calibrates on a text file
function M.calibrate(path, count, window_size)
  if not need_model() then return end
  local params = { model = M.state.model, path = vim.fn.fnamemodify(vim.fn.expand(path), ':p') }
  params.count = tonumber(count)
  params.windowSize = tonumber(window_size)
  M.request('calibrate', params, function(result)
    M.state.calibration = result.calibration
    echo(string.format('calibration %s: %d windows of %d tokens in %.2f s',
      result.calibration, result.windows or 0, result.windowSize or 0, result.seconds or 0))
  end, true)
end

--- :CfspPrune {sparsity}: prunes the current model with the last calibration; the pruned model
--- becomes current. The daemon checks the sparsity's range (protocol.schema.json) and says it.
function M.prune(sparsity)
  if not need_model() then return end
  local share = tonumber(sparsity)
  if share == nil then
    M.state.last_error = 'sparsity must be a number, like 0.3'
    echo(M.state.last_error, 'ErrorMsg')
    return
  end
  if M.state.calibration == nil then
    M.state.last_error = 'no calibration: run :CfspCalibrate {path} first'
    echo(M.state.last_error, 'ErrorMsg')
    return
  end
  M.request('prune', { model = M.state.model, calibration = M.state.calibration, sparsity = share }, function(result)
    M.state.model = result.pruned
    echo(string.format('pruned %s -> %s: %d -> %d parameters (%.1f%% removed)', result.model or '?',
      result.pruned, result.parametersBefore or 0, result.parametersAfter or 0, 100 * (result.shareRemoved or 0)))
  end, true)
end

--- :CfspEvaluate {path} [window size] [max windows]: perplexity on a text file
function M.evaluate(path, window_size, max_windows)
  if not need_model() then return end
  M.request('evaluate', {
    model = M.state.model,
    path = vim.fn.fnamemodify(vim.fn.expand(path), ':p'),
    windowSize = tonumber(window_size),
    maxWindows = tonumber(max_windows),
  }, function(result)
    echo(string.format('%s perplexity %.3f over %d windows (%.2f s)', result.model or '?',
      result.perplexity or 0, result.windows or 0, result.seconds or 0))
  end, true)
end

--- :CfspExport {path}: writes the current model as GGUF.
function M.export(path)
  if not need_model() then return end
  M.request('export', { model = M.state.model, format = 'gguf',
    path = vim.fn.fnamemodify(vim.fn.expand(path), ':p'), overwrite = true }, function(result)
    echo(string.format('exported %s to %s (%d bytes)', result.model or '?', result.path or '?', result.bytes or 0))
  end, true)
end

--- :CfspRun {model} {text file} [member=value ...]: the whole pipeline (the daemon's `run`: load,
--- calibrate, evaluate, prune, evaluate, export) in one request. The pairs are members of `run`'s
--- params under their protocol names (sparsity=0.5 count=32 windowSize=512 exportPath=out.gguf
--- overwrite=true; protocol.md lists them); the daemon checks them and has the defaults. The pruned
--- model and the calibration become current.
function M.run(model, path, ...)
  if model == nil or path == nil then
    M.state.last_error = 'usage: :CfspRun {model} {text file} [member=value ...]'
    echo(M.state.last_error, 'ErrorMsg')
    return
  end
  local params = {
    modelPath = vim.fn.fnamemodify(vim.fn.expand(model), ':p'),
    path = vim.fn.fnamemodify(vim.fn.expand(path), ':p'),
  }
  for _, pair in ipairs({ ... }) do
    local name, value = pair:match('^(%w+)=(.*)$')
    if name == nil then
      M.state.last_error = "'" .. pair .. "' is not member=value (like sparsity=0.3)"
      echo(M.state.last_error, 'ErrorMsg')
      return
    end
    if value == 'true' or value == 'false' then
      params[name] = value == 'true'
    elseif tonumber(value) ~= nil then
      params[name] = tonumber(value)
    elseif name:match('Path$') then
      params[name] = vim.fn.fnamemodify(vim.fn.expand(value), ':p')
    else
      params[name] = value
    end
  end
  M.request('run', params, function(result)
    M.state.model = result.pruning.pruned
    M.state.calibration = result.calibration.calibration
    echo(string.format('run: perplexity %.3f -> %.3f, %d -> %d parameters (%.1f%% removed)%s',
      result.denseEvaluation.perplexity or 0, result.prunedEvaluation.perplexity or 0,
      result.pruning.parametersBefore or 0, result.pruning.parametersAfter or 0,
      100 * (result.pruning.shareRemoved or 0),
      result.export and (', exported ' .. result.export.path) or ''))
  end, true)
end

return M
