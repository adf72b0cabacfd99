"""The one exception tree of kmgraph.

Every error kmgraph raises on purpose derives from :class:`KmgraphError`, and each class
carries the process exit code the command line uses for it::

    KmgraphError                 exit 1  (generic; not raised directly)
    ├── UsageError               exit 2  a wrong option or argument combination
    ├── InputError               exit 3  a document the user named cannot be used
    │   ├── DocumentNotFound             the path (or glob) matches nothing
    │   ├── UnsupportedFormat            a file whose format kmgraph does not read
    │   └── MalformedInput               bytes or syntax that cannot be read (file, line)
    └── StoreError               exit 4  the BibTeX store cannot be read or written safely
        ├── StoreNotFound                no store at the given path
        └── EntryNotFound                no entry with that key

Per-item problems (one reference that cannot be parsed, one malformed ``.bib`` block) are
data, not exceptions: they come back as records with a reason.
"""

from __future__ import annotations

__all__ = [
    "KmgraphError",
    "UsageError",
    "InputError",
    "DocumentNotFound",
    "UnsupportedFormat",
    "MalformedInput",
    "StoreError",
    "StoreNotFound",
    "EntryNotFound",
]


class KmgraphError(Exception):
    """Base class of every error kmgraph raises on purpose.

    Args:
        message: One line for the user, without a trailing period.
        path: The file the error is about, when there is one.
        line: The 1-based line in that file, when known.
    """

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class UsageError(KmgraphError):
    """Options or arguments that do not fit together."""

    exit_code = 2


class InputError(KmgraphError):
    """A document or path the user gave cannot be used."""

    exit_code = 3


class DocumentNotFound(InputError):
    """A path or glob that matches no file."""


class UnsupportedFormat(InputError):
    """A file in a format kmgraph does not read."""


class MalformedInput(InputError):
    """Content that cannot be read at all (the file and line say where)."""


class StoreError(KmgraphError):
    """The BibTeX store cannot be read or written safely."""

    exit_code = 4


class StoreNotFound(StoreError):
    """No store at the given path."""


class EntryNotFound(StoreError):
    """No entry with the given key in the store."""
