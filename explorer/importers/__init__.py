"""Importers: ACLED exports, UCDP GED downloads and casualty lists → a data directory in our schema.

Each importer module is a pure mapping (a layout of known columns, row checks and the SQL that
builds our tables); `source` stages the input in DuckDB, `output` writes the directory atomically
and `run` ties them together for `conflict-explorer import`.
"""
