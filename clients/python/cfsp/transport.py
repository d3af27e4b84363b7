"""Byte transports to a daemon: a child ``cfspd`` over its stdin/stdout, or a Unix socket."""

from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import threading
from typing import BinaryIO, Deque, List, Optional, Sequence

from .errors import DaemonNotFound, DaemonNotRunning


def default_socket_path() -> str:
    """The socket the CLI and the client use by default: ``$XDG_RUNTIME_DIR/cfsp.sock``, else
    ``/tmp/cfsp-$UID.sock``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "cfsp.sock")
    return f"/tmp/cfsp-{os.getuid()}.sock"


def find_daemon(daemon_path: Optional[str] = None) -> str:
    """Locates ``cfspd``: the explicit path, else ``$CFSPD``, else ``cfspd`` on ``PATH``."""
    for candidate, origin in ((daemon_path, "daemon_path"), (os.environ.get("CFSPD"), "$CFSPD")):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
            raise DaemonNotFound(f"{origin} names {candidate!r}, which is not an executable file; "
                                 "build it with `swift build -c release` (.build/release/cfspd)")
    found = shutil.which("cfspd")
    if found:
        return found
    raise DaemonNotFound("cfspd was not found: pass daemon_path=, set $CFSPD, or put cfspd on PATH "
                         "(it is built by `swift build -c release` into .build/release/cfspd)")


class Transport:
    """A bidirectional byte stream: ``reader`` for input, ``write`` for output."""

    reader: BinaryIO

    def write(self, data: bytes) -> None:
        """Writes all bytes (raises ``OSError`` when the peer is gone)."""
        raise NotImplementedError

    def close(self) -> None:
        """Releases the stream."""
        raise NotImplementedError

    def last_words(self) -> str:
        """What the peer said before it went away (the daemon's last stderr lines), or ''."""
        return ""


class SocketTransport(Transport):
    """A connected Unix-domain stream socket."""

    def __init__(self, path: str):
        self.path = path
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except FileNotFoundError:
            sock.close()
            raise DaemonNotRunning(path, "the socket file does not exist") from None
        except ConnectionRefusedError:
            sock.close()
            raise DaemonNotRunning(path, "connection refused: a stale socket file") from None
        except OSError as error:
            sock.close()
            raise DaemonNotRunning(path, error.strerror or str(error)) from None
        self._socket = sock
        self.reader = sock.makefile("rb")

    def write(self, data: bytes) -> None:
        self._socket.sendall(data)

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()


class ProcessTransport(Transport):
    """A child ``cfspd`` serving on its stdin/stdout; its stderr (logs) is kept for error messages."""

    def __init__(self, argv: Sequence[str], log_lines: int = 50):
        try:
            self.process = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                bufsize=0, start_new_session=True)
        except OSError as error:
            raise DaemonNotFound(f"cannot start {argv[0]!r}: {error.strerror or error}") from None
        assert self.process.stdout is not None and self.process.stdin is not None
        self.reader = self.process.stdout  # type: ignore[assignment]
        self._stdin = self.process.stdin
        self._log: Deque[str] = collections.deque(maxlen=log_lines)
        self._log_thread = threading.Thread(target=self._drain_stderr, name="cfspd-stderr", daemon=True)
        self._log_thread.start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in iter(self.process.stderr.readline, b""):
            self._log.append(line.decode("utf-8", "replace").rstrip())

    def write(self, data: bytes) -> None:
        self._stdin.write(data)
        self._stdin.flush()

    def close(self, timeout: float = 10.0) -> None:
        try:
            self._stdin.close()  # end of input stops the daemon
        except OSError:
            pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_thread.join(timeout=1)

    def last_words(self) -> str:
        lines: List[str] = list(self._log)[-5:]
        code = self.process.poll()
        status = f"cfspd exited with status {code}" if code is not None else ""
        return "; ".join([status] + lines if status else lines)
