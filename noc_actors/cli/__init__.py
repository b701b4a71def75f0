"""The ``noc`` command line (typer)."""
