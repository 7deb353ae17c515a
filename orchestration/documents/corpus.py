"""A corpus of document files into the rows of the document tables, a chunk of files at a time.

Every file is parsed on its own (``parse_documents``): which of several files with the same text stands
for the document is decided downstream, so a refresh re-parses only the files that changed. A corpus is
parsed in chunks of ``CHUNK_FILES`` files, each written as Parquet (``parse_to_parquet``); when there is
more than one chunk, a ``concurrent.futures.ProcessPoolExecutor`` parses them side by side.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.documents.claims import claim_rows
from orchestration.documents.cleaning import HTMLTooDeep, clean_text, extract_metadata
from orchestration.documents.places import Gazetteer, load_gazetteer
from orchestration.lake.tables import typed
from orchestration.raw_files.decoding import DecodeError, RawFile, RefusedFile, content_refusal, decode
from orchestration.raw_files.listing import files_under

DOCUMENT_SUFFIXES = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class Table:
    description: str
    columns: str  # "name type, ...": the Parquet schema of the table, in order

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(part.split()[0] for part in self.columns.split(",") if part.strip())


# The tables a corpus is parsed into. A table appears in a parse once a file gives it a row (a parsed
# file opens documents and the four tables after it, even with no row in them).
TABLES = {
    "document_files": Table(
        "One row per file under documents/: hash, encoding, the document it holds, parsed or quarantined.",
        """source_file varchar, file_sha256 varchar, size_bytes bigint, loaded_at timestamptz, encoding varchar,
        document_id varchar, status varchar""",
    ),
    "document_quarantine": Table(
        "One row per document file that could not be read (empty, binary, undecodable, no text), with the reason.",
        "source_file varchar, file_sha256 varchar, size_bytes bigint, loaded_at timestamptz, reason varchar",
    ),
    "documents": Table(
        "One row per parsed document file (files with the same text share a document_id): metadata, cleaning counts.",
        """document_id varchar, source_file varchar, file_sha256 varchar, file_format varchar, encoding varchar,
        title varchar, kind varchar, carrier varchar, outlet varchar, author varchar, dateline_place varchar,
        published_on date, published_how varchar, page_time timestamp, nonempty_lines integer,
        distinct_lines integer, paragraph_count integer, repeated_paragraphs_dropped integer,
        sentences_rejoined integer, boilerplate_removed varchar, is_truncated boolean, text_chars integer,
        loaded_at timestamptz""",
    ),
    "document_paragraphs": Table(
        "One row per cleaned paragraph of a document file, in order.",
        "document_id varchar, source_file varchar, paragraph_index integer, text varchar",
    ),
    "document_dates": Table(
        "One row per date a document states or implies: publication, page time, occasion or event.",
        """document_id varchar, source_file varchar, day date, precision varchar, role varchar, how varchar,
        suspect varchar, context varchar""",
    ),
    "document_mentions": Table(
        "One row per place, cluster or region named in a paragraph, with its code.",
        """document_id varchar, source_file varchar, paragraph_index integer, start_offset integer,
        end_offset integer, surface varchar, entity_type varchar, entity_code varchar, entity_name varchar,
        cluster_id varchar""",
    ),
    "document_claims": Table(
        "One row per quantity stated in a document, normalised, with metric, year, place and qualifier, and "
        "for a claim about several places its kind, indicator, threshold, scope and rank.",
        """document_id varchar, source_file varchar, claim_index integer, paragraph_index integer,
        sentence_index integer, metric varchar, value double, value_high double, unit varchar,
        original_text varchar, year integer, entity_type varchar, entity_code varchar, entity_name varchar,
        qualifier varchar, sentence varchar, scope_kind varchar, scope_indicator varchar, scope_threshold double,
        scope_code varchar, claimed_rank integer, claim_year integer, year_basis varchar""",
    ),
}
COLUMNS = {name: table.names for name, table in TABLES.items()}
_PARSED_TABLES = ("documents", "document_paragraphs", "document_dates", "document_mentions", "document_claims")
_CLAIM_COLUMNS = COLUMNS["document_claims"][3:]
_YEAR_FIELD = _CLAIM_COLUMNS.index("year")
CHUNK_FILES = 2000  # files parsed, and held in memory, at a time by each process
MAX_DOCUMENT_BYTES = 4 << 20  # 1.3 million Chinese characters, 60 times a long work report: refused unread


def document_files(folders: Sequence[Path]) -> list[str]:
    """The path of every file under the document folders except hidden files and README notes, folder by
    folder, each in path order (strings: a corpus has a hundred thousand of them)."""
    return files_under(folders, keep=lambda name: not name.upper().startswith("README"))


def document_id(text: str) -> str:
    """Content id: the same text under two names or in two encodings is one document."""
    canonical = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return hashlib.sha256(canonical.strip().encode("utf-8")).hexdigest()[:16]


def read_documents(folders: Sequence[Path], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, pd.DataFrame]:
    """Every document file of ``folders``, read now."""
    return parse_documents({p: read_document(p) for p in document_files(folders)}, gazetteer, loaded_at)


def read_document(path: str) -> bytes | RefusedFile:
    """The bytes of a document file, or why it is not read (a link, a bad name, too large)."""
    try:
        return RawFile.read(Path(path), MAX_DOCUMENT_BYTES).data
    except RefusedFile as refused:
        return refused


def parse_documents(
    contents: dict[str, bytes | RefusedFile], gazetteer: Gazetteer, loaded_at: datetime
) -> dict[str, pd.DataFrame]:
    """Rows of the document tables for the given files (path -> bytes, or why the file was not read),
    each parsed on its own: a file the parser fails on is quarantined with the error, never more."""
    return _frames(_typed(_parse_columns(contents, gazetteer, loaded_at)))


def parse_to_parquet(
    paths: Sequence[str],
    folder: Path,
    seeds_dir: Path,
    divisions: Sequence[Mapping[str, str]],
    loaded_at: datetime,
    processes: int,
    chunk_files: int = CHUNK_FILES,
) -> dict[str, str]:
    """Parse ``paths`` a chunk at a time into ``folder/<table>/chunk-NNNNN.parquet``, with the gazetteer
    of the seeds and ``divisions``, in up to ``processes`` processes; returns the sha256 of every file
    read. A file gone before it is read (moved away while the refresh ran) has no rows and no hash."""
    chunks = [list(paths[start : start + chunk_files]) for start in range(0, len(paths), chunk_files)]
    hashes: dict[str, str] = {}
    if not chunks:
        return hashes
    if len(chunks) == 1 or processes <= 1:
        _load_gazetteer(seeds_dir, divisions)
        for index, chunk in enumerate(chunks):
            hashes.update(_parse_chunk(index, chunk, folder, loaded_at))
        return hashes
    # spawn: fresh processes, not forks of this one and its threads, and none left once the pool is closed
    context = multiprocessing.get_context("spawn")
    workers = min(processes, len(chunks))
    with ProcessPoolExecutor(workers, context, initializer=_load_gazetteer, initargs=(seeds_dir, divisions)) as pool:
        for found in pool.map(
            _parse_chunk, range(len(chunks)), chunks, [folder] * len(chunks), [loaded_at] * len(chunks)
        ):
            hashes.update(found)
    return hashes


def parsed_files(folder: Path, table: str) -> list[str]:
    """The Parquet files ``parse_to_parquet`` wrote for ``table``."""
    return sorted(str(path) for path in (folder / table).glob("*.parquet"))


_GAZETTEER: list[Gazetteer] = []


def _load_gazetteer(seeds_dir: Path, divisions: Sequence[Mapping[str, str]]) -> None:
    """The gazetteer of this process, with jieba's dictionary loaded."""
    _GAZETTEER[:] = [load_gazetteer(seeds_dir, divisions).load()]


def _parse_chunk(index: int, paths: list[str], folder: Path, loaded_at: datetime) -> dict[str, str]:
    contents = {}
    for path in paths:
        try:
            contents[path] = read_document(path)
        except FileNotFoundError:
            continue
    frames = parse_documents(contents, _GAZETTEER[0], loaded_at)
    conn = duckdb.connect(config={"threads": 1})
    try:
        for name, frame in frames.items():
            if not len(frame):
                continue
            (folder / name).mkdir(parents=True, exist_ok=True)
            conn.register("_chunk", frame)
            target = folder / name / f"chunk-{index:05d}.parquet"
            conn.execute(
                f"copy ({typed(TABLES[name].columns, 'select * from _chunk')}) to '{target}' (format parquet)"
            ).fetchall()
            conn.unregister("_chunk")
        files = frames.get("document_files")
        return dict(zip(files["source_file"], files["file_sha256"], strict=True)) if files is not None else {}
    finally:
        conn.close()


def _parse_columns(
    contents: dict[str, bytes | RefusedFile], gazetteer: Gazetteer, loaded_at: datetime
) -> dict[str, dict]:
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
        if isinstance(data, RefusedFile):
            problem, text, encoding = str(data), "", None
            sha, size = data.sha256, data.size
        else:
            problem, text, encoding = _decode(path, RawFile(path, data))
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
        if files is None:
            files = table("document_files")
        doc_id = None if problem else document_id(text)
        if not problem:
            try:
                parsed = _parse_text(path, text, gazetteer)
            except Exception as exc:  # a parser's bug must cost one file, not the refresh
                parsed = f"the document parser failed on this file ({type(exc).__name__}: {exc})"
            problem = parsed if isinstance(parsed, str) else None
        if not problem:
            fmt, cleaned, meta, found_claims, found_mentions = parsed
        files["source_file"].append(source)
        files["file_sha256"].append(sha)
        files["size_bytes"].append(size)
        files["loaded_at"].append(loaded_at)
        files["encoding"].append(encoding)
        files["document_id"].append(doc_id)
        files["status"].append("quarantined" if problem else "parsed")
        if problem:
            if quarantine is None:
                quarantine = table("document_quarantine")
            quarantine["source_file"].append(source)
            quarantine["file_sha256"].append(sha)
            quarantine["size_bytes"].append(size)
            quarantine["loaded_at"].append(loaded_at)
            quarantine["reason"].append(problem)
            continue
        if docs is None:
            docs, paragraphs, dates, mentions, claims = map(table, _PARSED_TABLES)
        texts = cleaned.paragraphs
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
    "scope_kind",
    "scope_indicator",
    "scope_code",
    "year_basis",
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
    refused = content_refusal(raw.data)
    if refused is not None:
        return refused, "", None
    try:
        text, encoding = decode(raw.data)
    except DecodeError as exc:
        return str(exc), "", None
    return None, text, encoding


def _parse_text(path: Path, text: str, gazetteer: Gazetteer) -> str | tuple:
    """The quarantine reason of a document's text, or (format, cleaned text, metadata, claims, mentions)."""
    fmt = DOCUMENT_SUFFIXES[path.suffix.lower()]
    try:
        cleaned = clean_text(text, html=fmt == "html")
    except HTMLTooDeep as exc:
        return str(exc)
    if not cleaned.paragraphs:
        return "no text left after cleaning"
    found_claims, found_mentions = claim_rows(cleaned.paragraphs, gazetteer)
    figure_years = {row[_YEAR_FIELD] for row in found_claims if row[_YEAR_FIELD]}
    meta = extract_metadata(cleaned, gazetteer.name_set, is_html=fmt == "html", figure_years=figure_years)
    return fmt, cleaned, meta, found_claims, found_mentions
