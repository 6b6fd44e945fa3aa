"""Prefect flows. Importing any of them registers every case type (``casetypes``), so a worker
that runs one flow from its entrypoint reads the cases of every type, also of a type a package
registers (its name, moves, thresholds and clocks come with the package)."""

import casetypes  # noqa: F401  (registers the case types)
