"""A job for the fan-out test: the document assets under the multiprocess executor, so each batch is its
own process. It must live in an importable module: every step process loads it again."""

import dagster as dg

from orchestration.defs.ingest_documents import documents


def documents_on_processes() -> dg.JobDefinition:
    from orchestration.definitions import defs

    job = dg.define_asset_job(
        "documents_on_processes",
        selection=dg.AssetSelection.assets(*documents.keys).without_checks(),
        executor_def=dg.multiprocess_executor.configured({"max_concurrent": 2}),
    )
    return dg.Definitions.merge(defs(), dg.Definitions(jobs=[job])).resolve_job_def("documents_on_processes")
