"""Which documents to read: files, folders and globs expanded, and a document's identity.

Kept apart from :mod:`kmgraph.pipeline` so that commands which only need the paths
(``links check``) do not import the extraction stack (rdflib, bibtexparser, rapidfuzz).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kmgraph.errors import DocumentNotFound

__all__ = ["SUPPORTED_SUFFIXES", "DocumentPath", "collect_paths", "document_id"]

#: File endings ``ingest`` picks up when it walks a folder.
SUPPORTED_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".qmd", ".rmd", ".html", ".htm", ".xhtml", ".bib", ".pdf")


@dataclass(frozen=True)
class DocumentPath:
    """A document to read: its path as the user wrote it, and its identity in the store.

    Attributes:
        path: The path as typed (a folder walk joins the folder as typed with the file).
        id: The path relative to the working directory, POSIX separators
            (``../shared/seeds/000.txt``); absolute where no relative path exists.
    """

    path: Path
    id: str


def document_id(path: str | os.PathLike[str]) -> str:
    """A document's identity in the store: its path relative to the working directory.

    Run kmgraph from the same folder (the project's root) each time, as with git, and a
    document keeps its identity whichever way it is named (file, folder or glob).

    >>> document_id("examples/../examples/briefing-note.txt")
    'examples/briefing-note.txt'
    """
    # Normalised but not resolved: a folder reached through a symbolic link keeps the
    # name the user sees, so the identity does not depend on how the disk is laid out.
    absolute = os.path.abspath(path)
    try:
        return Path(os.path.relpath(absolute, os.path.abspath(os.getcwd()))).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(absolute).as_posix()


def collect_paths(
    args: Sequence[str | os.PathLike[str]], *, exclude: Sequence[str | os.PathLike[str]] = ()
) -> list[DocumentPath]:
    """Expand files, folders and globs into the documents to read.

    Args:
        args: Paths as the user typed them. Folders are walked recursively for the
            endings in :data:`SUPPORTED_SUFFIXES`, hidden folders and files left out.
        exclude: Folders to leave out of folder walks and globs (the store itself).

    Returns:
        The documents, sorted by identity, each once.

    Raises:
        DocumentNotFound: An argument matches nothing.
    """
    skip = [Path(e).resolve() for e in exclude]

    def excluded(p: Path) -> bool:
        r = p.resolve()
        return any(r == s or s in r.parents for s in skip)

    found: dict[Path, DocumentPath] = {}

    def add(p: Path) -> None:
        r = p.resolve()
        if r not in found:
            found[r] = DocumentPath(p, document_id(p))

    for arg in args:
        text = os.fspath(arg)
        p = Path(text)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if (
                    f.is_file()
                    and f.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in rel.parts)
                    and not excluded(f)
                ):
                    add(f)
        elif p.is_file():
            add(p)
        elif glob.has_magic(text):
            files = [Path(m) for m in sorted(glob.glob(text, recursive=True)) if Path(m).is_file()]
            files = [f for f in files if not excluded(f)]
            if not files:
                raise DocumentNotFound(f"no file matches {text!r}")
            for f in files:
                add(f)
        else:
            raise DocumentNotFound("no such file or folder", path=text)
    return sorted(found.values(), key=lambda d: d.id)
