"""Typed exceptions of the cfsp client.

Every error the daemon answers becomes an ``RpcError`` subclass chosen by its JSON-RPC code, so a
notebook can ``except ModelNotFound`` instead of comparing numbers; transport failures (no daemon,
a daemon that died) have their own classes with messages that say what to do.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type


class CfspError(Exception):
    """Base class of every error raised by the cfsp client."""


class DaemonNotRunning(CfspError):
    """Nothing answers on the socket: the daemon is not started (or listens elsewhere)."""

    def __init__(self, socket_path: str, reason: str):
        self.socket_path = socket_path
        self.reason = reason
        super().__init__(
            f"no cfspd daemon is listening on {socket_path} ({reason}); start one with "
            f"`cfsp daemon start` (or `cfspd serve --socket {socket_path}`), or use Client.spawn()"
        )


class DaemonNotFound(CfspError):
    """The ``cfspd`` executable could not be found to spawn it."""


class ConnectionClosed(CfspError):
    """The daemon closed the connection (it stopped or crashed) before answering."""


class RpcError(CfspError):
    """An error answered by the daemon: its JSON-RPC ``code``, ``message`` and optional ``data``."""

    code: int = 0

    def __init__(self, code: int, message: str, data: Any = None, method: Optional[str] = None):
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        where = f" ({method})" if method else ""
        super().__init__(f"error {code}{where}: {message}")


class ParseError(RpcError):
    """-32700: the daemon could not read a message."""


class InvalidRequest(RpcError):
    """-32600: not a valid request (reused id, request after shutdown...)."""


class MethodNotFound(RpcError):
    """-32601: the daemon does not serve this method."""


class InvalidParams(RpcError):
    """-32602: a parameter is missing, has the wrong type, lies outside its range or is not one of
    the accepted values; ``data['member']`` names it (with ``minimum``, ``exclusiveMaximum``, ...
    or ``accepted``)."""


class InternalError(RpcError):
    """-32603: the daemon failed on a valid request."""


class ServerNotInitialized(RpcError):
    """-32002: a request was sent before ``initialize``."""


class RequestCancelled(RpcError):
    """-32800: the request was cancelled (by us, a disconnect, or the daemon stopping)."""


class ModelNotFound(RpcError):
    """1001: no model with this handle."""


class CalibrationNotFound(RpcError):
    """1002: no calibration with this handle."""


class ModelBusy(RpcError):
    """1003: the model has running jobs (``data['jobs']``)."""


class CannotLoad(RpcError):
    """1004: a model or calibration file is missing, unreadable or malformed."""


class BadData(RpcError):
    """1005: a corpus that cannot be read, too few tokens, windows or starts that do not fit the
    text, options that do not fit together."""


class InvalidForModel(RpcError):
    """1006: statistics, token ids or windows that do not fit the model."""


class CannotWrite(RpcError):
    """1007: the target exists (pass ``overwrite=True``) or writing failed."""


class NoTokenizer(RpcError):
    """1008: text was given to a model without a tokenizer (send tokens instead)."""


class CalibrationMismatch(RpcError):
    """1009: ``calibration/merge`` of calibrations that do not add up: ``data['member']`` names the
    statistic that differs (``windowSize``, ``blocks``, ``hiddenSize``, ``gram``) and
    ``data['inputs']`` the two inputs."""


_BY_CODE: Dict[int, Type[RpcError]] = {
    -32700: ParseError,
    -32600: InvalidRequest,
    -32601: MethodNotFound,
    -32602: InvalidParams,
    -32603: InternalError,
    -32002: ServerNotInitialized,
    -32800: RequestCancelled,
    1001: ModelNotFound,
    1002: CalibrationNotFound,
    1003: ModelBusy,
    1004: CannotLoad,
    1005: BadData,
    1006: InvalidForModel,
    1007: CannotWrite,
    1008: NoTokenizer,
    1009: CalibrationMismatch,
}


def error_from_response(error: Dict[str, Any], method: Optional[str] = None) -> RpcError:
    """Builds the typed exception for a JSON-RPC ``error`` object."""
    code = error.get("code")
    if not isinstance(code, int):
        code = -32603
    message = error.get("message")
    if not isinstance(message, str):
        message = "the daemon answered an error without a message"
    cls = _BY_CODE.get(code, RpcError)
    return cls(code, message, error.get("data"), method)
