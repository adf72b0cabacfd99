"""Bytes to text: format sniffing, charset detection and decoding.

Decoding never raises on bytes. The order of trust is:

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. strict UTF-8 (which also accepts pure ASCII);
3. the charset the document declares (HTML ``<meta charset>``, ``http-equiv``, XML
   declaration), when the bytes decode with it;
4. Windows-1252 with replacement characters, reported as a warning.

A declared charset that the bytes contradict (declared ISO-8859-1 but valid non-ASCII
UTF-8, or declared UTF-8 but not valid UTF-8) is reported as a warning naming both.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "PDF_MAX_BYTES",
    "declared_charset",
    "decode_bytes",
    "looks_binary",
    "sniff_format",
    "split_lines",
]

#: Largest text document read (bytes on disk), and the most PDF text collected.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
#: Largest PDF read (bytes on disk); its extracted text still stops at the text limit.
PDF_MAX_BYTES = 256 * 1024 * 1024
#: The formats the readers understand.
FORMATS = ("txt", "md", "html", "bib", "pdf")

_MD_EXT = {".md", ".markdown", ".qmd", ".rmd", ".mdown", ".mkd"}
_HTML_EXT = {".html", ".htm", ".xhtml"}

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The HTML prescan looks at bytes before any parser runs (as browsers do).
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_FRONT_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
# Labels that browsers (WHATWG Encoding) decode as windows-1252.
_CP1252_ALIASES = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "ascii", "us-ascii", "l1"}


def _bom(data: bytes) -> tuple[str, int] | None:
    """The encoding named by a byte-order mark, and the mark's length."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name, (0 if name == "utf-8-sig" else len(mark))
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM from ASCII text with NULs on every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_nul > 0.6 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.1:
        return "utf-16-be"
    return None


def _codec_name(label: str) -> str | None:
    """Python's name for a charset label, or None when it is unknown."""
    low = label.strip().lower()
    if low in _CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def decode_bytes(data: bytes, *, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Decode a document's bytes, never raising.

    Args:
        data: The raw bytes.
        declared: The charset the document declares for itself, if any.

    Returns:
        ``(text, encoding, warnings)``; ``encoding`` is a Python codec name such as
        ``utf-8``, ``utf-8-sig``, ``utf-16-le`` or ``cp1252``.

    >>> decode_bytes("Caf\\u00e9".encode("utf-8"))[:2]
    ('Café', 'utf-8')
    >>> text, enc, warnings = decode_bytes(b"Caf\\xe9")
    >>> (text, enc, warnings[0].startswith("not valid UTF-8"))
    ('Café', 'cp1252', True)
    """
    warnings: list[str] = []
    bom = _bom(data)
    if bom:
        name, skip = bom
        text = data[skip:].decode(name, errors="replace")
        if "\ufffd" in text and "\ufffd".encode(name) not in data:
            warnings.append(f"bytes not valid {name} after its byte-order mark were replaced")
        return text, name, warnings

    declared_name = _codec_name(declared) if declared else None
    if declared and declared_name is None:
        warnings.append(f"unknown declared charset {declared!r} ignored")

    utf16 = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
    if utf16:
        return data.decode(utf16, errors="replace"), utf16, warnings

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error: UnicodeDecodeError | None = exc
    else:
        if declared_name and declared_name not in ("utf-8", "utf-8-sig") and not data.isascii():
            warnings.append(f"declared charset {declared} does not match the bytes, which are UTF-8; decoded as utf-8")
        return text, "utf-8", warnings

    if declared_name and declared_name not in ("utf-8", "utf-8-sig"):
        try:
            return data.decode(declared_name), declared_name, warnings
        except (UnicodeDecodeError, LookupError):
            pass
    text = data.decode("cp1252", errors="replace")
    if declared_name:
        warnings.append(
            f"declared charset {declared} does not match the bytes "
            f"(not valid at byte {utf8_error.start if utf8_error else 0}); decoded as cp1252"
        )
    else:
        where = f" at byte {utf8_error.start}" if utf8_error else ""
        warnings.append(f"not valid UTF-8{where}; decoded as cp1252 (Windows-1252)")
    return text, "cp1252", warnings


def declared_charset(head: bytes) -> str | None:
    """The charset an HTML or XML document declares in its first bytes.

    >>> declared_charset(b'<html><head><meta charset="ISO-8859-1">')
    'ISO-8859-1'
    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    'windows-1252'
    """
    m = _XML_DECL.search(head[:1024]) or _META_CHARSET.search(head[:8192])
    return m.group(1).decode("ascii") if m else None


def _head_text(head: bytes) -> str:
    """Decode the first bytes loosely, only for sniffing."""
    bom = _bom(head)
    if bom:
        return head[bom[1] :].decode(bom[0], errors="replace").lstrip("\ufeff")
    utf16 = _utf16_without_bom(head) if b"\x00" in head else None
    return head.decode(utf16 or "utf-8", errors="replace")


def _has_front_matter(text: str) -> bool:
    """True when the text opens with a YAML front-matter block closed by ``---``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        return False
    body = []
    for line in lines[1:]:
        if line.rstrip() in ("---", "..."):
            first = next((b for b in body if b.strip() and not b.lstrip().startswith("#")), None)
            return first is not None and bool(_FRONT_KEY.match(first))
        body.append(line)
    return False


def looks_binary(head: bytes) -> bool:
    """True for bytes that are not text: NULs outside UTF-16/UTF-32 text."""
    if b"\x00" not in head:
        return False
    bom = _bom(head)
    if bom and bom[0] != "utf-8-sig":
        return False
    return _utf16_without_bom(head) is None


def sniff_format(path: str | PurePath, head: bytes) -> str:
    """Decide a document's format from its name and its first bytes.

    Args:
        path: The file name (only its suffix is used).
        head: The first bytes of the file (a few KiB suffice; 64 KiB for long front matter).

    Returns:
        One of ``txt``, ``md``, ``html``, ``bib``, ``pdf``.

    >>> sniff_format("notes.txt", b"---\\ntitle: KMb\\n---\\n# Hello")
    'md'
    >>> sniff_format("page", b"<!DOCTYPE html><html>")
    'html'
    >>> sniff_format("paper.bin", b"%PDF-1.7")
    'pdf'
    """
    suffix = PurePath(path).suffix.lower()
    if head.startswith(b"%PDF-") or suffix == ".pdf":
        return "pdf"
    if suffix == ".bib":
        return "bib"
    if suffix in _HTML_EXT:
        return "html"
    if suffix in _MD_EXT:
        return "md"
    text = _head_text(head).lstrip("\ufeff")
    start = text.lstrip()[:1024].lower()
    if start.startswith("<?xml"):
        start = start[start.find("?>") + 2 :].lstrip() if "?>" in start else start
    if start.startswith(("<!doctype html", "<html")):
        return "html"
    if _has_front_matter(text):
        return "md"
    return "txt"


def split_lines(text: str) -> list[str]:
    """Split text into lines the way editors and markdown-it number them.

    Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (not form feeds or U+2028), and a final
    line break does not start an extra empty line.

    >>> split_lines("a\\r\\nb\\rc\\n")
    ['a', 'b', 'c']
    """
    if not text:
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines
