"""Reading raw files: hashing and decoding bytes of unknown encoding."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

# Tried in order after the BOM check. GB18030 is a superset of GBK and GB2312.
_FALLBACK_ENCODINGS = ("utf-8", "gb18030")


class DecodeError(ValueError):
    """The bytes are not text in any encoding the warehouse accepts."""


@dataclass(frozen=True)
class RawFile:
    path: Path
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @classmethod
    def read(cls, path: Path) -> RawFile:
        return cls(path=path, data=path.read_bytes())


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise DecodeError naming the first bad byte offset."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise DecodeError("binary content: NUL bytes and no UTF-16 byte-order mark")
    errors = []
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            errors.append(f"{encoding} fails at byte {exc.start}")
    raise DecodeError("undecodable bytes: " + "; ".join(errors))


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"undecodable bytes: {encoding} fails at byte {exc.start}") from exc
