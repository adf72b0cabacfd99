"""``read_document``: one entry point that sniffs, bounds, decodes and dispatches.

Misuse and fatal input raise (:class:`~kmgraph.errors.DocumentNotFound`,
:class:`~kmgraph.errors.UnsupportedFormat`, :class:`~kmgraph.errors.MalformedInput`);
everything a reader can survive becomes a warning in ``SourceDocument.warnings``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path, PurePath

from kmgraph.errors import DocumentNotFound, MalformedInput, UnsupportedFormat
from kmgraph.ingest.detect import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    PDF_MAX_BYTES,
    declared_charset,
    decode_bytes,
    looks_binary,
    sniff_format,
)
from kmgraph.records import SourceDocument

__all__ = ["read_document"]

_HEAD = 64 * 1024
# Known formats kmgraph does not read: refused by name before any byte is read.
_UNSUPPORTED = {
    ".doc", ".docx", ".odt", ".rtf", ".ppt", ".pptx", ".odp", ".xls", ".xlsx", ".ods", ".epub",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg",
    ".mp3", ".mp4", ".exe",
}  # fmt: skip

_Reader = Callable[[str, str, str, Sequence[str]], SourceDocument]
#: The reader of each text format, as (module, function): imported on first use, so that
#: reading a text file does not load the HTML, BibTeX and YAML parsers.
_TEXT_READERS: dict[str, tuple[str, str]] = {
    "txt": ("kmgraph.ingest.text", "read_text"),
    "md": ("kmgraph.ingest.markdown", "read_markdown"),
    "html": ("kmgraph.ingest.htmldoc", "read_html"),
    "bib": ("kmgraph.ingest.bibtex", "read_bibtex"),
}


def _text_reader(fmt: str) -> _Reader:
    module, name = _TEXT_READERS[fmt]
    reader: _Reader = getattr(import_module(module), name)
    return reader


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _display(path: str | os.PathLike[str]) -> str:
    raw = os.fspath(path)
    return raw.replace(os.sep, "/") if os.sep != "/" else raw


def read_document(
    path: str | os.PathLike[str], *, format: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceDocument:
    """Read one document from disk into a :class:`~kmgraph.records.SourceDocument`.

    The format is sniffed from the name and the first bytes (see
    :func:`~kmgraph.ingest.detect.sniff_format`) unless ``format`` is given. The size is
    checked with ``stat`` before anything is read, so memory stays bounded.

    Args:
        path: The file to read.
        format: Force a format: ``txt``, ``md``, ``html``, ``bib`` or ``pdf``.
        max_bytes: Largest text document accepted (16 MiB by default). PDFs may be 16 times
            as large on disk (256 MiB by default); their extracted text stops at
            ``max_bytes`` characters.

    Returns:
        The document. An empty file gives a document without lines and the warning
        ``"empty file"``.

    Raises:
        DocumentNotFound: No file at ``path`` (or a directory).
        UnsupportedFormat: An unknown ``format``, or a file named as a format kmgraph does
            not read (``.docx``, ``.png``, …).
        MalformedInput: A file over the size limit, binary content in a text format, or a
            PDF that cannot be read.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
        >>> _ = p.write_text("Using evidence\\nSee https://policy.bristol.ac.uk/ for more.\\n")
        >>> doc = read_document(p)
        >>> doc.format, doc.metadata.title, doc.links[0].url, doc.links[0].line
        ('txt', 'Using evidence', 'https://policy.bristol.ac.uk/', 2)
    """
    shown = _display(path)
    if format is not None and format not in FORMATS:
        raise UnsupportedFormat(f"unknown format {format!r} (use one of {', '.join(FORMATS)})", path=shown)
    file = Path(os.fspath(path))
    try:
        st = file.stat()
    except FileNotFoundError:
        raise DocumentNotFound("no such file", path=shown) from None
    except OSError as exc:
        raise DocumentNotFound(f"cannot open: {exc.strerror or exc}", path=shown) from None
    if stat.S_ISDIR(st.st_mode):
        raise DocumentNotFound("is a directory, not a document", path=shown)
    suffix = PurePath(file).suffix.lower()
    if format is None and suffix in _UNSUPPORTED:
        raise UnsupportedFormat(f"{suffix} files are not supported (kmgraph reads {', '.join(FORMATS)})", path=shown)

    try:
        with open(file, "rb") as stream:
            head = stream.read(_HEAD)
            fmt = format or sniff_format(file, head)
            limit = PDF_MAX_BYTES * max_bytes // DEFAULT_MAX_BYTES if fmt == "pdf" else max_bytes
            if st.st_size > limit:
                raise MalformedInput(f"file is {_mb(st.st_size)}, over the {_mb(limit)} limit", path=shown)
            if fmt != "pdf":
                if looks_binary(head):
                    raise MalformedInput("binary file, not a text document", path=shown)
                # Read at most one byte past the limit, in case the file grew since stat.
                data = head + stream.read(max(0, limit + 1 - len(head))) if len(head) == _HEAD else head
    except OSError as exc:
        raise DocumentNotFound(f"cannot read: {exc.strerror or exc}", path=shown) from None

    if not head:
        return SourceDocument(path=shown, format=fmt, encoding="utf-8", lines=(), warnings=("empty file",))
    if fmt == "pdf":
        from kmgraph.ingest.pdf import read_pdf

        return read_pdf(shown, file, max_chars=max_bytes)
    if len(data) > limit:
        raise MalformedInput(f"file is over the {_mb(limit)} limit", path=shown)
    declared = declared_charset(head) if fmt == "html" else None
    text, encoding, warnings = decode_bytes(data, declared=declared)
    return _text_reader(fmt)(shown, text, encoding, warnings)
