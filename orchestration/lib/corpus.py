"""Read every document of the raw roots into the rows of the ``raw.document*`` tables."""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.lib.claims import Claim, claim_rows
from orchestration.lib.documents import clean_text, extract_metadata
from orchestration.lib.incremental import paths_under
from orchestration.lib.places import Gazetteer
from orchestration.lib.textio import DecodeError, RawFile, decode

DOCUMENT_SUFFIXES = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html"}


def document_files(folders: tuple[Path, ...]) -> list[str]:
    """The path of every file under the document folders except hidden files and README notes, folder by
    folder, each in path order (strings: a corpus has a hundred thousand of them)."""
    return [
        path
        for folder in folders
        for path in paths_under(folder)
        if not os.path.basename(path).upper().startswith("README")
    ]


def document_id(text: str) -> str:
    """Content id: the same text under two names or in two encodings is one document."""
    canonical = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return hashlib.sha256(canonical.strip().encode("utf-8")).hexdigest()[:16]


def read_documents(folders: tuple[Path, ...], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, pd.DataFrame]:
    """Every document file of ``folders``, read now."""
    return parse_documents({p: Path(p).read_bytes() for p in document_files(folders)}, gazetteer, loaded_at)


def parse_documents(contents: dict[str, bytes], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, pd.DataFrame]:
    """Rows of the ``raw.document*`` tables for the given files (path -> bytes), each parsed on its own:
    which file of several with the same text stands for the document is decided downstream, so a
    refresh can re-parse only the files that changed.

    (Parsing runs of files in forked workers and joining their typed columns with ``_join`` gives the
    same frames; on the shared two-core machine it was slower than one process, so batches run side by
    side are the place for parallelism.)"""
    return _frames(_typed(_parse_columns(contents, gazetteer, loaded_at)))


def _join(parts: list[dict[str, dict]]) -> dict[str, dict]:
    """The typed columns of consecutive runs of files as one: a table comes in the order of its first row."""
    tables: dict[str, dict] = {}
    for part in parts:
        for name, columns in part.items():
            tables.setdefault(name, {column: [] for column in columns})
            for column, values in columns.items():
                tables[name][column].append(values)
    return {name: {column: _concat(pieces) for column, pieces in columns.items()} for name, columns in tables.items()}


def _concat(pieces: list):
    if len(pieces) == 1:
        return pieces[0]
    if isinstance(pieces[0], pa.Array):
        return pa.concat_arrays(pieces)
    if isinstance(pieces[0], np.ndarray):
        return np.concatenate(pieces)
    return [value for piece in pieces for value in piece]


# The columns of each table, in order. A table appears in the result once a file gives it a row (a
# parsed file opens documents and the four tables after it, even with no row in them).
COLUMNS = {
    "document_files": ("source_file", "file_sha256", "size_bytes", "loaded_at", "encoding", "document_id", "status"),
    "document_quarantine": ("source_file", "file_sha256", "size_bytes", "loaded_at", "reason"),
    "documents": (
        "document_id",
        "source_file",
        "file_sha256",
        "file_format",
        "encoding",
        "title",
        "kind",
        "carrier",
        "outlet",
        "author",
        "dateline_place",
        "published_on",
        "published_how",
        "page_time",
        "nonempty_lines",
        "distinct_lines",
        "paragraph_count",
        "repeated_paragraphs_dropped",
        "sentences_rejoined",
        "boilerplate_removed",
        "is_truncated",
        "text_chars",
        "loaded_at",
    ),
    "document_paragraphs": ("document_id", "source_file", "paragraph_index", "text"),
    "document_dates": ("document_id", "source_file", "day", "precision", "role", "how", "suspect", "context"),
    "document_mentions": (
        "document_id",
        "source_file",
        "paragraph_index",
        "start_offset",
        "end_offset",
        "surface",
        "entity_type",
        "entity_code",
        "entity_name",
        "cluster_id",
    ),
    "document_claims": ("document_id", "source_file", "claim_index", *(f.name for f in fields(Claim))),
}
_PARSED_TABLES = ("documents", "document_paragraphs", "document_dates", "document_mentions", "document_claims")
_CLAIM_COLUMNS = COLUMNS["document_claims"][3:]
_YEAR_FIELD = _CLAIM_COLUMNS.index("year")


def _parse_columns(contents: dict[str, bytes], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, dict]:
    """The tables as columns (table -> column -> list of values), in the order the tables first get a row."""
    tables: dict[str, dict[str, list]] = {}

    def table(name: str) -> dict[str, list]:
        if name not in tables:
            tables[name] = {column: [] for column in COLUMNS[name]}
        return tables[name]

    files = quarantine = None
    docs = paragraphs = dates = mentions = claims = None
    for name, data in contents.items():
        path = Path(name)
        source = str(path)
        sha = hashlib.sha256(data).hexdigest()
        if files is None:
            files = table("document_files")
        problem, text, encoding = _decode(path, RawFile(path, data))
        doc_id = None if problem else document_id(text)
        if not problem:
            fmt = DOCUMENT_SUFFIXES[path.suffix.lower()]
            cleaned = clean_text(text, html=fmt == "html")
            if not cleaned.paragraphs:
                problem = "no text left after cleaning"
        files["source_file"].append(source)
        files["file_sha256"].append(sha)
        files["size_bytes"].append(len(data))
        files["loaded_at"].append(loaded_at)
        files["encoding"].append(encoding)
        files["document_id"].append(doc_id)
        files["status"].append("quarantined" if problem else "parsed")
        if problem:
            if quarantine is None:
                quarantine = table("document_quarantine")
            quarantine["source_file"].append(source)
            quarantine["file_sha256"].append(sha)
            quarantine["size_bytes"].append(len(data))
            quarantine["loaded_at"].append(loaded_at)
            quarantine["reason"].append(problem)
            continue
        if docs is None:
            docs, paragraphs, dates, mentions, claims = map(table, _PARSED_TABLES)
        texts = cleaned.paragraphs
        found_claims, found_mentions = claim_rows(texts, gazetteer)
        figure_years = {row[_YEAR_FIELD] for row in found_claims if row[_YEAR_FIELD]}
        meta = extract_metadata(cleaned, gazetteer.name_set, is_html=fmt == "html", figure_years=figure_years)
        published = meta.published
        for column, value in (
            ("document_id", doc_id),
            ("source_file", source),
            ("file_sha256", sha),
            ("file_format", fmt),
            ("encoding", encoding),
            ("title", meta.title),
            ("kind", meta.kind),
            ("carrier", meta.carrier),
            ("outlet", meta.outlet),
            ("author", meta.author),
            ("dateline_place", meta.dateline_place),
            ("published_on", published.day if published else None),
            ("published_how", published.how if published else None),
            ("page_time", cleaned.page_time),
            ("nonempty_lines", cleaned.nonempty_lines),
            ("distinct_lines", cleaned.distinct_lines),
            ("paragraph_count", len(texts)),
            ("repeated_paragraphs_dropped", cleaned.repeated_dropped),
            ("sentences_rejoined", cleaned.rejoined),
            ("boilerplate_removed", " | ".join(f"{kind}: {line}" for kind, line in cleaned.boilerplate) or None),
            ("is_truncated", cleaned.truncated),
            ("text_chars", sum(map(len, texts))),
            ("loaded_at", loaded_at),
        ):
            docs[column].append(value)

        count = len(texts)
        paragraphs["document_id"] += [doc_id] * count
        paragraphs["source_file"] += [source] * count
        paragraphs["paragraph_index"] += range(count)
        paragraphs["text"] += texts

        listed = meta.dates + ([published] if published and published.role == "publication" else [])
        if listed:
            count = len(listed)
            dates["document_id"] += [doc_id] * count
            dates["source_file"] += [source] * count
            for d in listed:
                dates["day"].append(d.day)
                dates["precision"].append(d.precision)
                dates["role"].append(d.role)
                dates["how"].append(d.how)
                dates["suspect"].append(d.suspect)
                dates["context"].append(d.context[:200])

        if found_mentions:
            count = len(found_mentions)
            mentions["document_id"] += [doc_id] * count
            mentions["source_file"] += [source] * count
            m_paragraph, m_start, m_end, m_surface = (
                mentions["paragraph_index"],
                mentions["start_offset"],
                mentions["end_offset"],
                mentions["surface"],
            )
            m_type, m_code, m_name, m_cluster = (
                mentions["entity_type"],
                mentions["entity_code"],
                mentions["entity_name"],
                mentions["cluster_id"],
            )
            for p_index, start, end, place in found_mentions:
                m_paragraph.append(p_index)
                m_start.append(start)
                m_end.append(end)
                m_surface.append(texts[p_index][start:end])
                m_type.append(place.entity_type)
                m_code.append(place.entity_code)
                m_name.append(place.canonical_name)
                m_cluster.append(place.cluster_id)

        if found_claims:
            count = len(found_claims)
            claims["document_id"] += [doc_id] * count
            claims["source_file"] += [source] * count
            claims["claim_index"] += range(count)
            for column, column_values in zip(_CLAIM_COLUMNS, zip(*found_claims, strict=True), strict=True):
                claims[column] += column_values
    return tables


# Column types, beside COLUMNS: text (str, or None) and integers (never None) are typed as soon as a
# run of files is parsed, so a worker hands back Arrow and NumPy buffers; every other column (dates,
# datetimes, optional numbers) stays a list for pandas to infer its dtype from all the values.
_TEXT = {
    "source_file",
    "file_sha256",
    "encoding",
    "document_id",
    "status",
    "reason",
    "file_format",
    "title",
    "kind",
    "carrier",
    "outlet",
    "author",
    "dateline_place",
    "published_how",
    "boilerplate_removed",
    "text",
    "precision",
    "role",
    "how",
    "suspect",
    "context",
    "surface",
    "entity_type",
    "entity_code",
    "entity_name",
    "cluster_id",
    "metric",
    "unit",
    "original_text",
    "qualifier",
    "sentence",
}
_INTEGERS = {
    "size_bytes",
    "nonempty_lines",
    "distinct_lines",
    "paragraph_count",
    "repeated_paragraphs_dropped",
    "sentences_rejoined",
    "text_chars",
    "paragraph_index",
    "start_offset",
    "end_offset",
    "claim_index",
    "sentence_index",
}
_BOOLEANS = {"is_truncated"}
# what pandas makes of a column of text: with pyarrow, its str dtype backed by an Arrow array
_TEXT_DTYPE = pd.Series(["text"]).dtype
_ARROW_TEXT = isinstance(pd.Series(["text"]).array, pd.arrays.ArrowStringArray)


def _typed(tables: dict[str, dict[str, list]]) -> dict[str, dict]:
    """Text columns as Arrow arrays, integer and boolean columns as NumPy arrays, the rest as they are."""
    typed: dict[str, dict] = {}
    for name, columns in tables.items():
        typed[name] = {}
        for column, values in columns.items():
            if column in _TEXT and _ARROW_TEXT:
                values = pa.array(values, type=pa.large_string())
            elif column in _INTEGERS:
                values = np.array(values, dtype=np.int64)
            elif column in _BOOLEANS:
                values = np.array(values, dtype=bool)
            typed[name][column] = values
    return typed


def _frames(tables: dict[str, dict]) -> dict[str, pd.DataFrame]:
    """One DataFrame per table, typed as ``pd.DataFrame(rows)`` types a list of row dicts: text is str
    (object when every value is None), integers int64, booleans bool, and pandas infers the other
    columns' dtypes from their values; a table without rows is an empty frame without columns."""
    frames = {}
    for name, columns in tables.items():
        if not len(columns[next(iter(columns))]):
            frames[name] = pd.DataFrame([])
            continue
        data = {}
        for column, values in columns.items():
            if isinstance(values, pa.Array):
                if values.null_count == len(values):
                    values = np.full(len(values), None, dtype=object)
                else:
                    values = pd.arrays.ArrowStringArray(values, dtype=_TEXT_DTYPE)
            data[column] = values
        frames[name] = pd.DataFrame(data)
    return frames


def _decode(path: Path, raw: RawFile) -> tuple[str | None, str, str | None]:
    """(problem, text, encoding): a problem is the quarantine reason."""
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        return f"unsupported document format {path.suffix!r}; expected {sorted(DOCUMENT_SUFFIXES)}", "", None
    if not raw.data.strip():
        return "empty file", "", None
    try:
        text, encoding = decode(raw.data)
    except DecodeError as exc:
        return str(exc), "", None
    return None, text, encoding
