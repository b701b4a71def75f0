"""Ingest: admission at the door and the pipeline all sources share."""
