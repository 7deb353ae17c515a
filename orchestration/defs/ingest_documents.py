"""Documents: every text under ``<raw root>/documents/``, cleaned, with metadata, places and claims."""

import csv
import io
from datetime import UTC, datetime

import dagster as dg

from orchestration.config import DBT_PROJECT_DIR
from orchestration.defs.resources import Warehouse
from orchestration.lib.corpus import read_documents
from orchestration.lib.places import load_gazetteer
from orchestration.lib.quality_log import clear_rule_failures
from orchestration.lib.textio import decode
from orchestration.lib.warehouse import replace_table

TABLES = {
    "documents": (
        "One row per distinct document (same text under two names or encodings is one): metadata and cleaning counts.",
        """document_id varchar not null, source_file varchar not null, file_format varchar, encoding varchar,
        title varchar, kind varchar, carrier varchar, outlet varchar, author varchar, dateline_place varchar,
        published_on date, published_how varchar, page_time timestamp, nonempty_lines integer,
        distinct_lines integer, paragraph_count integer, repeated_paragraphs_dropped integer,
        sentences_rejoined integer, boilerplate_removed varchar, is_truncated boolean, text_chars integer,
        loaded_at timestamptz""",
    ),
    "document_files": (
        "One row per file read under documents/: hash, encoding, the document it holds and its status.",
        """source_file varchar not null, file_sha256 varchar not null, size_bytes bigint, encoding varchar,
        document_id varchar, status varchar not null, loaded_at timestamptz""",
    ),
    "document_paragraphs": (
        "One row per cleaned paragraph of a document, in order.",
        "document_id varchar not null, paragraph_index integer not null, text varchar not null",
    ),
    "document_dates": (
        "One row per date a document states or implies: publication, page time, occasion or event.",
        """document_id varchar not null, day date not null, precision varchar, role varchar, how varchar,
        suspect varchar, context varchar""",
    ),
    "document_mentions": (
        "One row per place, cluster or region named in a paragraph, with its code.",
        """document_id varchar not null, paragraph_index integer not null, start_offset integer,
        end_offset integer, surface varchar, entity_type varchar, entity_code varchar, entity_name varchar,
        cluster_id varchar""",
    ),
    "document_claims": (
        "One row per quantity stated in a document, normalised, with metric, year, place and qualifier.",
        """document_id varchar not null, claim_index integer not null, paragraph_index integer not null,
        sentence_index integer, metric varchar, value double, value_high double, unit varchar,
        original_text varchar, year integer, entity_type varchar, entity_code varchar, entity_name varchar,
        qualifier varchar, sentence varchar""",
    ),
    "document_near_duplicates": (
        "One row per document that shares at least half its paragraphs with an earlier one.",
        """document_id varchar not null, near_duplicate_of varchar not null, shared_paragraphs integer,
        shared_ratio double""",
    ),
    "document_quarantine": (
        "One row per document file that could not be read (empty, binary, undecodable, no text), with the reason.",
        """source_file varchar not null, file_sha256 varchar, size_bytes bigint, reason varchar not null,
        loaded_at timestamptz""",
    ),
}


def reference_divisions(warehouse: Warehouse) -> list[dict]:
    """NBS city-level divisions from the raw roots, so the gazetteer knows every city, not just members."""
    rows: list[dict] = []
    for folder in warehouse.settings.raw_dirs("reference"):
        path = folder / "admin_divisions.csv"
        if path.is_file():
            text, _ = decode(path.read_bytes())
            rows.extend(csv.DictReader(io.StringIO(text)))
    return rows


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", name], description=text, kinds={"python", "duckdb"}) for name, (text, _) in TABLES.items()
    ],
    group_name="raw",
    pool="warehouse_writer",
)
def documents(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Read, clean and extract every document of every raw root into the build database."""
    gazetteer = load_gazetteer(DBT_PROJECT_DIR / "seeds", reference_divisions(warehouse))
    frames = read_documents(warehouse.settings.raw_dirs("documents"), gazetteer, datetime.now(UTC))
    with warehouse.connect() as conn:
        clear_rule_failures(conn, "documents")
        for name, (_, ddl) in TABLES.items():
            rows = replace_table(conn, f"raw.{name}", ddl, frames.get(name))
            yield dg.MaterializeResult(asset_key=["raw", name], metadata={"dagster/row_count": rows})
    quarantined = frames.get("document_quarantine")
    if quarantined is not None and len(quarantined):
        context.log.warning("documents quarantined:\n" + quarantined[["source_file", "reason"]].to_string(index=False))
