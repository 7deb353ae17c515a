"""The spark target's marts, for the publish.

On ``WAREHOUSE_TARGET=spark`` dbt builds every model in Spark (dbt-spark's session method, local mode
here): marts are managed Parquet tables under ``<spark dir>/warehouse/marts.db/<mart>/``, which the
publish reads as DuckDB reads any Parquet, so the serving file, ``parquet/`` and the CLI are the same on
both targets.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def spark_table_folder(spark_dir: Path, schema: str, table: str) -> Path:
    """Where Spark keeps a managed table: ``spark.sql.warehouse.dir`` (profiles.yml) / <schema>.db / <table>."""
    return spark_dir / "warehouse" / f"{schema}.db" / table


def spark_marts(spark_dir: Path, marts: Iterable[str]) -> dict[str, str]:
    """Each mart Spark built (name -> a DuckDB expression reading its Parquet files)."""
    return {
        mart: f"read_parquet('{spark_table_folder(spark_dir, 'marts', mart)}/*.parquet')"
        for mart in marts
        if any(spark_table_folder(spark_dir, "marts", mart).glob("*.parquet"))
    }
