"""Python client for ``cfspd``, the CFSP structured-pruning daemon.

>>> from cfsp import Client
>>> with Client.spawn() as daemon:
...     model = daemon.load_model("model.gguf")
...     calibration = daemon.calibrate(model, path="train.txt", count=64, window_size=128)
...     pruned = daemon.prune(model, calibration, sparsity=0.3)
...     pruned.to_dataframe()
"""

from .client import Client, GenerationStream, PendingRequest
from .errors import (BadData, CalibrationMismatch, CalibrationNotFound, CannotLoad, CannotWrite, CfspError,
                     ConnectionClosed, DaemonNotFound, DaemonNotRunning, InternalError,
                     InvalidForModel, InvalidParams, InvalidRequest, MethodNotFound, ModelBusy,
                     ModelNotFound, NoTokenizer, ParseError, RequestCancelled, RpcError,
                     ServerNotInitialized)
from .progress import ProgressEvent
from .results import (Calibration, ContinuationScore, Evaluation, ExportResult, FinetuneResult, Generation, ModelInfo, PruneResult,
                      Released, RunResult, SavedCalibration, SweepResult, ScoreResult, ServerInfo, Unloaded)
from .transport import default_socket_path, find_daemon

__all__ = [
    "Client", "PendingRequest", "GenerationStream", "ProgressEvent", "default_socket_path", "find_daemon",
    "ModelInfo", "Calibration", "ScoreResult", "PruneResult", "Evaluation", "ExportResult", "FinetuneResult",
    "Generation", "RunResult", "SweepResult", "ContinuationScore",
    "SavedCalibration", "Unloaded", "Released", "ServerInfo",
    "CfspError", "RpcError", "DaemonNotRunning", "DaemonNotFound", "ConnectionClosed",
    "ParseError", "InvalidRequest", "MethodNotFound", "InvalidParams", "InternalError",
    "ServerNotInitialized", "RequestCancelled", "ModelNotFound", "CalibrationNotFound", "ModelBusy",
    "CannotLoad", "BadData", "InvalidForModel", "CannotWrite", "NoTokenizer", "CalibrationMismatch",
]
__version__ = "0.1.0"
