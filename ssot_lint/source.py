"""Reading a file into text: encoding (PEP 263 cookie, BOM), newline style.

What is read here is everything a later ``--fix`` needs to write the file back
byte-for-byte the same outside the fixed ranges.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize
from dataclasses import dataclass

# Files larger than this are not linted (config `max-file-bytes`): a diagnostic says so
# instead. Parsing a 50 MB generated module with LibCST takes minutes and gigabytes.
MAX_FILE_BYTES = 10 * 1024 * 1024


class ReadError(Exception):
    """A file that cannot be read or decoded; the message is one line."""


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the root
    abspath: str
    text: str  # decoded, without BOM
    encoding: str
    bom: bool
    newline: str  # the first newline sequence seen ("\n" if none)

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        if self.bom:
            data = b"\xef\xbb\xbf" + data
        return data


def detect_newline(text: str) -> str:
    i = text.find("\n")
    if i > 0 and text[i - 1] == "\r":
        return "\r\n"
    if i == -1 and "\r" in text:
        return "\r"
    return "\n"


def decode_source(data: bytes, path: str = "<source>") -> tuple[str, str, bool]:
    """Decode Python source bytes: (text, encoding, had_bom)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # detect_encoding found bytes that are not UTF-8 and no usable coding cookie.
        raise ReadError(f"cannot decode: not valid UTF-8 and no usable PEP 263 coding cookie ({exc.msg})") from None
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = data[3:] if bom else data
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        detail = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        where = ""
        if isinstance(exc, UnicodeDecodeError):
            line = body[: exc.start].count(b"\n") + 1
            where = f" at line {line}"
        raise ReadError(f"cannot decode as {encoding}{where}: {detail}") from None
    return text, encoding, bom


def read_source(abspath: str, relpath: str, max_bytes: int = MAX_FILE_BYTES) -> SourceFile:
    return source_from_bytes(read_bytes(abspath, max_bytes), abspath, relpath)


def read_bytes(abspath: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes``, or a one-line ReadError."""
    try:
        st = os.stat(abspath)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ReadError("not a regular file")
    if st.st_size > max_bytes:
        raise ReadError(f"file is too large to lint ({st.st_size} bytes; limit {max_bytes}, config `max-file-bytes`)")
    try:
        with open(abspath, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    return data


def source_from_bytes(data: bytes, abspath: str, relpath: str) -> SourceFile:
    text, encoding, bom = decode_source(data, relpath)
    return SourceFile(relpath, abspath, text, encoding, bom, detect_newline(text))


def source_from_text(text: str, abspath: str, relpath: str) -> SourceFile:
    """A ``SourceFile`` for text already in memory (stdin, an editor buffer, a git blob
    decoded by the caller): no decoding, so a coding cookie cannot garble it."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(relpath, abspath, text, "utf-8", False, detect_newline(text))
