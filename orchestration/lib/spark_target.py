"""The spark target's results, brought back to the build database.

On ``WAREHOUSE_TARGET=spark`` dbt builds every model in Spark (dbt-spark's session method, local mode
here): marts are managed Parquet tables under ``<spark dir>/warehouse/marts.db/<mart>/``. The steps after
the transform (row counts, the publish and its checks, the CLI) read marts from the build database, so
the transform copies Spark's marts into its ``marts`` schema; everything downstream is then the same on
both targets.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SPARK_MARTS_SCHEMA = "marts"


def spark_table_folder(spark_dir: Path, schema: str, table: str) -> Path:
    """Where Spark keeps a managed table: ``spark.sql.warehouse.dir`` (profiles.yml) / <schema>.db / <table>."""
    return spark_dir / "warehouse" / f"{schema}.db" / table


def spark_tables(spark_dir: Path, schema: str = SPARK_MARTS_SCHEMA) -> list[str]:
    folder = spark_dir / "warehouse" / f"{schema}.db"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.parquet")))


def read_spark_table_sql(spark_dir: Path, table: str, schema: str = SPARK_MARTS_SCHEMA) -> str:
    """A DuckDB expression reading a Spark table's Parquet files."""
    return f"read_parquet('{spark_table_folder(spark_dir, schema, table)}/*.parquet')"


def load_spark_marts(conn: duckdb.DuckDBPyConnection, spark_dir: Path, marts: list[str]) -> dict[str, int]:
    """Replace ``marts.<mart>`` of the build database with the table Spark built; return row counts."""
    conn.execute(f"create schema if not exists {SPARK_MARTS_SCHEMA}")
    built = set(spark_tables(spark_dir))
    counts = {}
    for mart in marts:
        if mart not in built:
            continue
        source = read_spark_table_sql(spark_dir, mart)
        conn.execute(f"create or replace table {SPARK_MARTS_SCHEMA}.{mart} as select * from {source}")
        counts[mart] = conn.execute(f"select count(*) from {SPARK_MARTS_SCHEMA}.{mart}").fetchone()[0]
    return counts
