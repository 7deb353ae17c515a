"""Reading raw files: refusing what must not be read, hashing, and decoding bytes of unknown encoding."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# A line of text longer than this is no table row or paragraph a person wrote: the file is refused.
MAX_LINE_BYTES = 1 << 20

# Tried in order after the BOM check. GB18030 is a superset of GBK and GB2312.
_FALLBACK_ENCODINGS = ("utf-8", "gb18030")


class DecodeError(ValueError):
    """The bytes are not text in any encoding the warehouse accepts."""


class RefusedFile(ValueError):
    """A raw file the warehouse does not read; the message is the quarantine reason. ``sha256`` stands
    for its content in the change state (the reason's hash when the file itself was not opened)."""

    def __init__(self, reason: str, sha256: str | None = None, size: int = 0) -> None:
        super().__init__(reason)
        self.sha256 = sha256 or hashlib.sha256(reason.encode("utf-8")).hexdigest()
        self.size = size


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (category Cc)


def name_refusal(path: str) -> str | None:
    """Why the listed ``path`` is not to be opened by its name, or None. A name that is not UTF-8 is
    listed with U+FFFD in place of its bad bytes (``listing.files_under``), so it cannot be opened by that
    name; a name with a line break would break every log and CSV line it is written to."""
    if "\ufffd" in path:
        return "file name is not UTF-8 text (its bad bytes are shown as \ufffd): rename the file"
    if _CONTROL.search(path):
        return f"file name holds a line break or control character ({path!r}): rename the file"
    return None


def link_refusal(path: str) -> str:
    """Why a symbolic link is not read: it may lead anywhere on the machine, so it is never followed."""
    return f"a symbolic link (to {os.readlink(path)!r}): links in a raw root are never followed"


def content_refusal(data: bytes) -> str | None:
    """Why these bytes of a text file are refused, or None: NUL bytes outside UTF-16, or a line longer
    than MAX_LINE_BYTES."""
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        nul = data.find(b"\x00")
        if nul >= 0:
            return f"binary content: a NUL byte at offset {nul:,} and no UTF-16 byte-order mark"
    start = 0  # where a line begins; each step jumps to the last line break within reach
    while len(data) - start > MAX_LINE_BYTES:
        end = data.rfind(b"\n", start, start + MAX_LINE_BYTES + 1)
        if end < 0:
            length = data.find(b"\n", start)
            length = (len(data) if length < 0 else length) - start
            return f"a line of {length:,} bytes (from byte {start:,}): longer than the {MAX_LINE_BYTES:,} a line may be"
        start = end + 1
    return None


@dataclass(frozen=True)
class RawFile:
    path: Path
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @classmethod
    def read(cls, path: Path, max_bytes: int | None = None) -> RawFile:
        """The file's bytes; RefusedFile when its name or link says not to open it, or when it is larger
        than ``max_bytes`` (told by its size, before a byte is read)."""
        reason = name_refusal(str(path))
        if reason is not None:
            raise RefusedFile(reason)
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            raise RefusedFile(link_refusal(str(path)))
        size = status.st_size
        if max_bytes is not None and size > max_bytes:
            raise RefusedFile(f"{size:,} bytes: larger than the {max_bytes:,} a file of this kind may be", size=size)
        return cls(path=path, data=path.read_bytes())


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise DecodeError naming the first bad byte offset."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16")
        # UTF-16 reads almost any even number of bytes: a byte-order mark wins only when what follows is
        # text, with no unassigned or private-use code point (the bytes of UTF-8 or GBK read as UTF-16
        # give them); no other encoding reads the bytes of a byte-order mark, so such a file is refused
        odd = _not_text(text)
        if odd is not None:
            raise DecodeError(f"undecodable bytes: a UTF-16 byte-order mark, but {odd}: not UTF-16 text")
        return text, "utf-16"
    nul = data.find(b"\x00", 0, 4096)
    if nul >= 0:
        raise DecodeError(f"binary content: a NUL byte at offset {nul:,} and no UTF-16 byte-order mark")
    errors = []
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            errors.append(f"{encoding} fails at byte {exc.start}")
    raise DecodeError("undecodable bytes: " + "; ".join(errors))


def _not_text(text: str) -> str | None:
    """The first unassigned or private-use code point of ``text`` and where it is, or None."""
    odd = [char for char in set(text) if unicodedata.category(char) in ("Cn", "Co")]
    if not odd:
        return None
    at = min(text.index(char) for char in odd)
    kind = "unassigned" if unicodedata.category(text[at]) == "Cn" else "private-use"
    return f"{kind} code point U+{ord(text[at]):04X} at character {at:,}"


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"undecodable bytes: {encoding} fails at byte {exc.start}") from exc
