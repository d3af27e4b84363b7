"""Message framing on a byte stream: LSP's Content-Length headers (the daemon's default) or one
JSON document per line (``ndjson``)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Optional

CONTENT_LENGTH = "content-length"
NDJSON = "ndjson"
FRAMINGS = (CONTENT_LENGTH, NDJSON)


class FramingError(Exception):
    """The stream cannot be framed any more (a header without Content-Length...)."""


def encode(message: Any, framing: str) -> bytes:
    """Serializes one message with the given framing."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if framing == NDJSON:
        return body + b"\n"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: BinaryIO, framing: str) -> Optional[bytes]:
    """Reads the body of the next message; ``None`` at end of stream."""
    if framing == NDJSON:
        while True:
            line = stream.readline()
            if not line:
                return None
            line = line.strip()
            if line:
                return line
    length: Optional[int] = None
    saw_header = False
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            if saw_header:
                break
            continue  # blank lines between messages are tolerated
        saw_header = True
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError as error:
                raise FramingError(f"bad Content-Length header {line!r}") from error
    if length is None or length < 0:
        raise FramingError("a message header without Content-Length")
    body = b""
    while len(body) < length:
        chunk = stream.read(length - len(body))
        if not chunk:
            return None
        body += chunk
    return body
