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
NEAR_DUPLICATE_RATIO = 0.5


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
    tables: dict[str, list[dict]] = defaultdict(list)
    seen: dict[str, str] = {}
    paragraph_sets: dict[str, set[str]] = {}
    for path in document_files(folders):
        raw = RawFile.read(path)
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
        status = "duplicate" if doc_id in seen else "loaded"
        tables["document_files"].append({**file_row, "encoding": encoding, "document_id": doc_id, "status": status})
        if status == "duplicate":
            continue
        fmt = DOCUMENT_SUFFIXES[path.suffix.lower()]
        cleaned = clean_text(text, html=fmt == "html")
        if not cleaned.paragraphs:
            tables["document_files"][-1]["status"] = "quarantined"
            tables["document_quarantine"].append({**file_row, "reason": "no text left after cleaning"})
            continue
        seen[doc_id] = str(path)
        claims, mentions = extract_claims(cleaned.paragraphs, gazetteer)
        figure_years = {c.year for c in claims if c.year}
        meta = extract_metadata(cleaned, gazetteer.name_set, is_html=fmt == "html", figure_years=figure_years)
        tables["documents"].append(
            {
                "document_id": doc_id,
                "source_file": str(path),
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
            {"document_id": doc_id, "paragraph_index": i, "text": p} for i, p in enumerate(cleaned.paragraphs)
        )
        tables["document_dates"].extend(
            {
                "document_id": doc_id,
                **{k: v for k, v in asdict(d).items() if k != "context"},
                "context": d.context[:200],
            }
            for d in meta.dates + ([meta.published] if meta.published and meta.published.role == "publication" else [])
        )
        tables["document_mentions"].extend(
            {
                "document_id": doc_id,
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
        tables["document_claims"].extend(
            {"document_id": doc_id, "claim_index": i, **vars(c)} for i, c in enumerate(claims)
        )
        paragraph_sets[doc_id] = set(cleaned.paragraphs)
    tables["document_near_duplicates"] = near_duplicates(paragraph_sets)
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


def near_duplicates(paragraph_sets: dict[str, set[str]]) -> list[dict]:
    """Pairs of documents sharing at least half of the shorter one's paragraphs; the earlier one is
    the original. Candidates come from an index of paragraphs, so unrelated pairs are never compared."""
    index: dict[str, list[str]] = defaultdict(list)
    order = {doc: i for i, doc in enumerate(paragraph_sets)}
    for doc, paragraphs in paragraph_sets.items():
        for paragraph in paragraphs:
            if len(paragraph) >= 20:
                index[paragraph].append(doc)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for docs in index.values():
        for i, a in enumerate(docs):
            for b in docs[i + 1 :]:
                shared[(a, b) if order[a] < order[b] else (b, a)] += 1
    return [
        {
            "document_id": b,
            "near_duplicate_of": a,
            "shared_paragraphs": count,
            "shared_ratio": round(count / min(len(paragraph_sets[a]), len(paragraph_sets[b])), 4),
        }
        for (a, b), count in sorted(shared.items())
        if count / min(len(paragraph_sets[a]), len(paragraph_sets[b])) >= NEAR_DUPLICATE_RATIO
    ]
