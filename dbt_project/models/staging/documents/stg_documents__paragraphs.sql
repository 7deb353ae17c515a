{{ rows_of_representative_files('document_paragraphs') }}
