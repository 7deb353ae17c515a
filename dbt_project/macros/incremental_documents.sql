{#- Incremental document models, with dbt's own incremental materialization and DuckDB's MERGE.

    Every row of such a model is read from one file: the file standing for its document (the first by
    path of those with the same text, int_documents_deduplicated), and it carries that file's
    source_file and loaded_at. The lake rewrites a file's rows only when it reads the file again, and
    then with a new loaded_at (a changed file, a full refresh, every file when the gazetteer's seeds
    change), so (document_id, source_file, loaded_at) says which version of a document a row is of.
    A refresh then
      - builds the rows of the documents whose version is not in the table yet (`documents_to_build`:
        new and changed files, and a document whose first file is now another one), and
      - merges them in (`document_merge_clauses`): rows of the same key are updated, new ones inserted,
        and every other row whose version is no longer a document's current one is deleted (a deleted
        file's document, the rows a changed document no longer has).
    `dbt build --full-refresh` (`warehouse refresh --full`) and the spark target build the whole table.
    An edited model keeps the rows it built before: it needs a full refresh. Used as:

        {{ config(materialized=document_materialization(), incremental_strategy='merge',
                  unique_key=[...], merge_clauses=document_merge_clauses()) }}
        ... inner join ({{ documents_to_build() }}) as versions using (document_id)
-#}

{% macro document_materialization() %}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{% endmacro %}

{#- The document versions to build: every document's (document_id, source_file, loaded_at) or, in an
    incremental build, those the table does not hold yet. A table built before its rows carried their
    version (no loaded_at column yet) is built whole once; dbt then adds the columns (on_schema_change). -#}
{% macro documents_to_build() %}
    select document_id, source_file, loaded_at from {{ ref('int_documents_deduplicated') }}
    {%- if is_incremental() and 'loaded_at' in adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    except
    select document_id, source_file, loaded_at from {{ this }}
    {%- endif %}
{% endmacro %}

{#- The MERGE's clauses: update a row of the same key, insert a new one, and delete a row the new rows do
    not replace when its version is no longer its document's current one. A model's config is rendered
    when dbt parses the project, where ref() gives the model itself, so the condition names the relation
    of int_documents_deduplicated (schema intermediate, macros/generate_schema_name.sql) itself. -#}
{% macro document_merge_clauses() %}
    {{- return({
        'when_matched': [{'action': 'update', 'mode': 'by_name'}],
        'when_not_matched': [
            {'action': 'insert', 'mode': 'by_name'},
            {'by': 'source', 'action': 'delete', 'condition': 'not exists (
                select 1 from intermediate.int_documents_deduplicated as current_version
                where current_version.document_id = DBT_INTERNAL_DEST.document_id
                    and current_version.source_file = DBT_INTERNAL_DEST.source_file
                    and current_version.loaded_at = DBT_INTERNAL_DEST.loaded_at)'},
        ],
    }) -}}
{% endmacro %}
