"""Defaults, defined once for the library and the command line."""

from __future__ import annotations

__all__ = ["DEFAULT_STORE", "STORE_ENV"]

#: The BibTeX store folder, relative to the working directory.
DEFAULT_STORE = "references"
#: The environment variable that names another store folder.
STORE_ENV = "KMGRAPH_STORE"
