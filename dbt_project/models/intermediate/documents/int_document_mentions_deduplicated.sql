-- The rows of stg_documents__mentions that come from the file standing for each document.
{{ rows_of_representative_files('stg_documents__mentions') }}
