"""Write small text PDFs by hand, for the PDF reader's tests.

pypdf reads PDFs but cannot lay out text, so this helper writes the file itself: one
Helvetica font, one content stream per page with ``BT``/``ET`` text operators (each line
placed with ``Td``), a cross-reference table with correct byte offsets and an optional
``/Info`` dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["make_pdf", "pdf_bytes"]


def _escape(text: str) -> str:
    """Escape a string for a PDF literal string (Windows-1252 only)."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content_stream(lines: Sequence[str]) -> bytes:
    """A content stream that draws ``lines`` top to bottom."""
    ops = ["BT", "/F1 10 Tf", "72 760 Td"]
    for i, line in enumerate(lines):
        if i:
            ops.append("0 -14 Td")
        ops.append(f"({_escape(line)}) Tj")
    ops.append("ET")
    return "\n".join(ops).encode("cp1252")


def pdf_bytes(pages: Sequence[Sequence[str]], info: dict[str, str] | None = None) -> bytes:
    """Build a PDF whose pages hold the given lines of text.

    Args:
        pages: One list of text lines per page.
        info: Entries for the document information dictionary, e.g.
            ``{"Title": "...", "Author": "...", "CreationDate": "D:20190315120000Z"}``.

    Returns:
        The bytes of a valid PDF 1.4 file.
    """
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages tree, 3 font, then (page, content) pairs, then the info dict.
    page_ids = [4 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        content_id = page_ids[i] + 1
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
            ).encode()
        )
        stream = _content_stream(lines)
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    info_ref = ""
    if info:
        entries = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
        objects.append(f"<< {entries} >>".encode("cp1252"))
        info_ref = f" /Info {len(objects)} 0 R"

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def make_pdf(path: Path, pages: Sequence[Sequence[str]], info: dict[str, str] | None = None) -> Path:
    """Write :func:`pdf_bytes` to ``path`` and return the path."""
    path.write_bytes(pdf_bytes(pages, info))
    return path
