"""The reference tables (administrative codes, prefecture name history): the files a raw root may hold,
and reading them into rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.raw_files.decoding import RawFile, RefusedFile, decode


@dataclass(frozen=True)
class ReferenceTable:
    name: str
    file_name: str
    fields: tuple[str, ...]  # the file's columns, all read as text
    description: str

    @property
    def columns(self) -> str:
        """The lake table's columns ("name type, ..."): the file's columns and where each row came from."""
        return ", ".join(f"{c} varchar" for c in self.fields) + (
            ", source_file varchar, file_sha256 varchar, source_row integer"
        )


REFERENCE_TABLES = (
    ReferenceTable(
        "admin_divisions",
        "admin_divisions.csv",
        ("level", "code", "name", "province_code", "province_name", "city_code", "city_name"),
        "One row per administrative division (province, city, county level) with its 6-digit code.",
    ),
    ReferenceTable(
        "prefecture_crosswalk",
        "prefecture_crosswalk.csv",
        (
            "legacy_entity_id",
            "canonical_name_zh",
            "province_name_zh",
            "status_at_2026_year_end",
            "name_at_2026_year_end",
            "name_history_year_end",
        ),
        "One row per prefecture-level entity since 1987 with its year-end name history.",
    ),
)


class ReferenceFileError(ValueError):
    pass


def reference_files(folders: Sequence[Path]) -> list[str]:
    """The reference files the raw roots hold, root by root."""
    return [
        str(folder / t.file_name) for folder in folders for t in REFERENCE_TABLES if (folder / t.file_name).is_file()
    ]


def read_reference(table: ReferenceTable, folders: Sequence[Path]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows of every ``<root>/reference/<file_name>`` (the same content in two roots is read once), and
    the sha256 of every file read."""
    frames, hashes, seen = [], {}, set()
    for folder in folders:
        path = folder / table.file_name
        if not path.is_file():
            continue
        try:
            raw = RawFile.read(path)
        except RefusedFile as exc:
            raise ReferenceFileError(f"{path}: {exc}") from exc
        hashes[str(path)] = raw.sha256
        if raw.sha256 in seen:
            continue
        seen.add(raw.sha256)
        text, _ = decode(raw.data)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = set(table.fields) - set(reader.fieldnames or ())
        if missing:
            raise ReferenceFileError(f"{path}: missing columns {sorted(missing)}")
        rows = [
            {**{c: (row[c] or "").strip() or None for c in table.fields}, "source_row": number}
            for number, row in enumerate(reader, start=2)
        ]
        frame = pd.DataFrame(rows, columns=[*table.fields, "source_row"])
        frames.append(frame.assign(source_file=str(path), file_sha256=raw.sha256))
    columns = [*table.fields, "source_file", "file_sha256", "source_row"]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return rows[columns], hashes
