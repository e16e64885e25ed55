"""PDF and catalogue ingestion: reading, field extraction, tables, importers, pipeline."""
