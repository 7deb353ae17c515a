"""Read every document of the raw roots into the rows of the ``raw.document*`` tables."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pandas as pd

from orchestration.lib.claims import extract_claims
from orchestration.lib.documents import clean_text, extract_metadata
from orchestration.lib.places import Gazetteer
from orchestration.lib.textio import DecodeError, RawFile, decode

DOCUMENT_SUFFIXES = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html"}


def document_files(folders: tuple[Path, ...]) -> list[Path]:
    """Every file under the document folders except hidden files and README notes."""
    return [
        path
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".") and not path.stem.upper().startswith("README")
    ]


def document_id(text: str) -> str:
    """Content id: the same text under two names or in two encodings is one document."""
    canonical = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return hashlib.sha256(canonical.strip().encode("utf-8")).hexdigest()[:16]


def read_documents(folders: tuple[Path, ...], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, pd.DataFrame]:
    """Every document file of ``folders``, read now."""
    return parse_documents({str(p): p.read_bytes() for p in document_files(folders)}, gazetteer, loaded_at)


def parse_documents(contents: dict[str, bytes], gazetteer: Gazetteer, loaded_at: datetime) -> dict[str, pd.DataFrame]:
    """Rows of the ``raw.document*`` tables for the given files (path -> bytes), each parsed on its own:
    which file of several with the same text stands for the document is decided downstream, so a
    refresh can re-parse only the files that changed."""
    tables: dict[str, list[dict]] = defaultdict(list)
    for name, data in contents.items():
        path = Path(name)
        raw = RawFile(path, data)
        file_row = {
            "source_file": str(path),
            "file_sha256": raw.sha256,
            "size_bytes": len(raw.data),
            "loaded_at": loaded_at,
        }
        problem, text, encoding = _decode(path, raw)
        if problem:
            tables["document_files"].append(
                {**file_row, "encoding": encoding, "document_id": None, "status": "quarantined"}
            )
            tables["document_quarantine"].append({**file_row, "reason": problem})
            continue
        doc_id = document_id(text)
        tables["document_files"].append({**file_row, "encoding": encoding, "document_id": doc_id, "status": "parsed"})
        fmt = DOCUMENT_SUFFIXES[path.suffix.lower()]
        cleaned = clean_text(text, html=fmt == "html")
        if not cleaned.paragraphs:
            tables["document_files"][-1]["status"] = "quarantined"
            tables["document_quarantine"].append({**file_row, "reason": "no text left after cleaning"})
            continue
        claims, mentions = extract_claims(cleaned.paragraphs, gazetteer)
        figure_years = {c.year for c in claims if c.year}
        meta = extract_metadata(cleaned, gazetteer.name_set, is_html=fmt == "html", figure_years=figure_years)
        in_file = {"document_id": doc_id, "source_file": str(path)}
        tables["documents"].append(
            {
                **in_file,
                "file_sha256": raw.sha256,
                "file_format": fmt,
                "encoding": encoding,
                "title": meta.title,
                "kind": meta.kind,
                "carrier": meta.carrier,
                "outlet": meta.outlet,
                "author": meta.author,
                "dateline_place": meta.dateline_place,
                "published_on": meta.published.day if meta.published else None,
                "published_how": meta.published.how if meta.published else None,
                "page_time": cleaned.page_time,
                "nonempty_lines": cleaned.nonempty_lines,
                "distinct_lines": cleaned.distinct_lines,
                "paragraph_count": len(cleaned.paragraphs),
                "repeated_paragraphs_dropped": cleaned.repeated_dropped,
                "sentences_rejoined": cleaned.rejoined,
                "boilerplate_removed": " | ".join(f"{kind}: {line}" for kind, line in cleaned.boilerplate) or None,
                "is_truncated": cleaned.truncated,
                "text_chars": sum(len(p) for p in cleaned.paragraphs),
                "loaded_at": loaded_at,
            }
        )
        tables["document_paragraphs"].extend(
            {**in_file, "paragraph_index": i, "text": p} for i, p in enumerate(cleaned.paragraphs)
        )
        tables["document_dates"].extend(
            {
                **in_file,
                **{k: v for k, v in asdict(d).items() if k != "context"},
                "context": d.context[:200],
            }
            for d in meta.dates + ([meta.published] if meta.published and meta.published.role == "publication" else [])
        )
        tables["document_mentions"].extend(
            {
                **in_file,
                "paragraph_index": p_index,
                "start_offset": m.start,
                "end_offset": m.end,
                "surface": cleaned.paragraphs[p_index][m.start : m.end],
                "entity_type": m.place.entity_type,
                "entity_code": m.place.entity_code,
                "entity_name": m.place.canonical_name,
                "cluster_id": m.place.cluster_id,
            }
            for p_index, m in mentions
        )
        tables["document_claims"].extend({**in_file, "claim_index": i, **vars(c)} for i, c in enumerate(claims))
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}


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
