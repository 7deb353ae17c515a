"""Splice a Parquet file: a new file from some row groups of an old one, copied byte for byte, and every
row group of a second file, under the second file's footer.

Publishing re-encodes only the row groups of a large mart that hold a changed document this way, not the
whole file (fct_document_claims: 4.3 M rows, 174 MB, about 3 s to write at 100,000 documents). Footers are
read and written with a small codec of Thrift's compact protocol; only the offsets of the moved bytes
change. Anything this does not move (page indexes, encryption, column chunks in other files, another
schema) makes ``splice_files`` refuse, writing nothing, so that the caller writes the file afresh.
"""

from __future__ import annotations

import os
from pathlib import Path

# Field ids of parquet.thrift (format 2.x) used here:
#   FileMetaData: 2 schema, 3 num_rows, 4 row_groups, 7 column_orders, 8 encryption_algorithm,
#                 9 footer_signing_key_metadata
#   RowGroup: 1 columns, 3 num_rows, 5 file_offset, 7 ordinal
#   ColumnChunk: 1 file_path, 2 file_offset, 3 meta_data, 4-7 offset and column index offsets and lengths,
#                8 crypto_metadata, 9 encrypted_column_metadata
#   ColumnMetaData: 7 total_compressed_size, 9 data_page_offset, 10 index_page_offset, 11 dictionary_page_offset,
#                   14 bloom_filter_offset, 15 bloom_filter_length


def row_group_sizes(footer: tuple[list, int]) -> list[int]:
    """The number of rows of each row group of a file whose footer ``parquet_footer`` read."""
    return [_field(group, 3) for group in _field(footer[0], 4)[1]]


def splice_files(old: Path, old_footer: tuple[list, int], kept: list[int], part: Path, target: Path) -> bool:
    """Write ``target``: the row groups numbered ``kept`` of ``old``, then every row group of ``part``,
    under ``part``'s footer (schema, key-value metadata). False, writing nothing, when the two files'
    schemas differ or they use what this does not move (page indexes, encryption, other files)."""
    footer = parquet_footer(part)
    if footer is None:
        return False
    (old_meta, old_end), (meta, part_end) = old_footer, footer
    if any(_field(old_meta, fid) != _field(meta, fid) for fid in (2, 7)):  # schema, column orders
        return False
    if any(_field(m, fid) is not None for m in (old_meta, meta) for fid in (8, 9)):  # encryption
        return False
    sources = (old, part)
    groups = [(0, g) for i, g in enumerate(_field(old_meta, 4)[1]) if i in kept]
    groups += [(1, g) for g in _field(meta, 4)[1]]
    copies: list[tuple[int, int, int]] = []  # (source, offset, length), in the order written
    blooms: list[tuple[int, list]] = []
    position = 4  # after the magic number
    for ordinal, (source, group) in enumerate(groups):
        for chunk_index, chunk in enumerate(_field(group, 1)[1]):
            # file path, page indexes, encryption
            if any(_field(chunk, fid) is not None for fid in (1, 4, 6, 8, 9)):
                return False
            column = _field(chunk, 3)
            # the first page: the dictionary page if any (data, index, dictionary page offsets)
            start = min([offset for fid in (9, 10, 11) if (offset := _field(column, fid))] or [0])
            length = _field(column, 7)
            if start < 4 or start + length > (old_end, part_end)[source]:
                return False
            shift = position - start
            for fid in (9, 10, 11):  # data, index and dictionary page offsets
                if _field(column, fid):
                    _set_field(column, fid, _field(column, fid) + shift)
            if _field(chunk, 2):  # the deprecated offset of the column chunk
                _set_field(chunk, 2, _field(chunk, 2) + shift)
            if chunk_index == 0 and _field(group, 5) is not None:
                _set_field(group, 5, position)
            copies.append((source, start, length))
            position += length
            if _field(column, 14) is not None:
                if _field(column, 15) is None:  # a bloom filter of unknown length
                    return False
                blooms.append((source, column))
        if _field(group, 7) is not None:
            _set_field(group, 7, ordinal)
    for source, column in blooms:
        copies.append((source, _field(column, 14), _field(column, 15)))
        _set_field(column, 14, position)
        position += _field(column, 15)
    _set_field(meta, 3, sum(_field(group, 3) for _, group in groups))
    _set_field(meta, 4, (12, [group for _, group in groups]))
    footer = bytearray()
    _thrift_write_struct(meta, footer)
    handles = [os.open(path, os.O_RDONLY) for path in sources]
    try:
        with open(target, "wb", buffering=0) as out:
            out.write(b"PAR1")
            merged: list[list[int]] = []
            for source, offset, length in copies:
                if merged and merged[-1][0] == source and merged[-1][1] + merged[-1][2] == offset:
                    merged[-1][2] += length
                else:
                    merged.append([source, offset, length])
            for source, offset, length in merged:
                _copy_range(handles[source], out.fileno(), offset, length)
            out.write(bytes(footer) + len(footer).to_bytes(4, "little") + b"PAR1")
    finally:
        for handle in handles:
            os.close(handle)
    return True


def _copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of ``source`` from ``offset`` to ``target`` (file descriptors)."""
    while length:
        try:
            done = os.copy_file_range(source, target, length, offset)
        except (AttributeError, OSError):  # not Linux, or a file system that does not copy ranges
            done = 0
        if not done:
            done = os.write(target, os.pread(source, min(length, 1 << 24), offset))
        if not done:
            raise RuntimeError(f"unexpected end of file {source} at {offset}")
        offset += done
        length -= done


def parquet_footer(path: Path) -> tuple[list, int] | None:
    """A Parquet file's FileMetaData, decoded, and the offset where it starts; None when this cannot read it."""
    with open(path, "rb") as handle:
        handle.seek(-8, os.SEEK_END)
        tail = handle.read(8)
        start = handle.tell() - 8 - int.from_bytes(tail[:4], "little")
        if tail[4:] != b"PAR1" or start < 4:
            return None
        handle.seek(start)
        try:
            meta = _thrift_read_struct(handle.read(), 0)[0]
        except (ValueError, IndexError):  # a Thrift type this does not read, or a truncated footer
            return None
    if any(_field(meta, fid) is None for fid in (2, 3, 4)):  # schema, number of rows, row groups
        return None
    return meta, start


# Thrift compact protocol: a struct is a list of [field id, type, value]; a list or set is (element type,
# values); a boolean field has its value in its type (1 true, 2 false) and None as value.
def _field(fields: list, fid: int):
    return next((value for field, _, value in fields if field == fid), None)


def _set_field(fields: list, fid: int, value) -> None:
    next(field for field in fields if field[0] == fid)[2] = value


def _thrift_read_struct(buf: bytes, pos: int) -> tuple[list, int]:
    fields, fid = [], 0
    while buf[pos]:
        kind, delta = buf[pos] & 0x0F, buf[pos] >> 4
        pos += 1
        if delta:
            fid += delta
        else:
            fid, pos = _thrift_read(buf, pos, 4)
        value, pos = _thrift_read(buf, pos, kind)
        fields.append([fid, kind, value])
    return fields, pos + 1


def _thrift_read(buf: bytes, pos: int, kind: int):
    if kind in (1, 2):  # a boolean field
        return None, pos
    if kind == 3:  # byte
        return buf[pos], pos + 1
    if kind in (4, 5, 6):  # zigzag varint integers
        number, pos = _read_varint(buf, pos)
        return (number >> 1) ^ -(number & 1), pos
    if kind == 7:  # double
        return buf[pos : pos + 8], pos + 8
    if kind == 8:  # binary
        size, pos = _read_varint(buf, pos)
        return buf[pos : pos + size], pos + size
    if kind in (9, 10):  # list, set
        size, element = buf[pos] >> 4, buf[pos] & 0x0F
        pos += 1
        if size == 15:
            size, pos = _read_varint(buf, pos)
        values = []
        for _ in range(size):
            value, pos = _thrift_read(buf, pos, 3 if element in (1, 2) else element)
            values.append(value)
        return (element, values), pos
    if kind == 12:
        return _thrift_read_struct(buf, pos)
    raise ValueError(f"Thrift type {kind} is not read here")


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    number = shift = 0
    while buf[pos] & 0x80:
        number |= (buf[pos] & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
    return number | buf[pos] << shift, pos + 1


def _thrift_write_struct(fields: list, out: bytearray) -> None:
    last = 0
    for fid, kind, value in fields:
        if 0 < fid - last <= 15:
            out.append((fid - last) << 4 | kind)
        else:
            out.append(kind)
            _thrift_write(4, fid, out)
        last = fid
        _thrift_write(kind, value, out)
    out.append(0)


def _thrift_write(kind: int, value, out: bytearray) -> None:
    if kind in (1, 2):
        return
    if kind == 3:
        out.append(value)
    elif kind in (4, 5, 6):
        _write_varint((value << 1) ^ (value >> 63), out)
    elif kind == 7:
        out += value
    elif kind == 8:
        _write_varint(len(value), out)
        out += value
    elif kind in (9, 10):
        element, values = value
        if len(values) < 15:
            out.append(len(values) << 4 | element)
        else:
            out.append(0xF0 | element)
            _write_varint(len(values), out)
        for item in values:
            _thrift_write(3 if element in (1, 2) else element, item, out)
    elif kind == 12:
        _thrift_write_struct(value, out)
    else:
        raise ValueError(f"Thrift type {kind} is not written here")


def _write_varint(number: int, out: bytearray) -> None:
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
