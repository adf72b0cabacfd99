"""Small helpers shared by the ingest tests."""

from __future__ import annotations

from pathlib import Path

from kmgraph.records import RawLink, SourceDocument

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def fixture(name: str) -> Path:
    """The path of a fixture written for these tests."""
    return FIXTURES / name


def link(doc: SourceDocument, url: str, element: str | None = None) -> RawLink:
    """The one link of ``doc`` with this target (and element); fails when not exactly one."""
    found = [lk for lk in doc.links if lk.url == url and (element is None or lk.element == element)]
    assert len(found) == 1, f"{url!r} ({element}): {found}"
    return found[0]


def line_text(doc: SourceDocument, number: int) -> str:
    """The text of the readable line with this number (fails when it is not there)."""
    found = [ln.text for ln in doc.lines if ln.number == number]
    assert found, f"no line {number} in {[ln.number for ln in doc.lines]}"
    return " / ".join(found)


def source_column(path: Path, line: int, column: int, length: int, encoding: str = "utf-8") -> str:
    """The text at ``line:column`` of a file (1-based), ``length`` characters long."""
    src = path.read_text(encoding=encoding).split("\n")[line - 1]
    return src[column - 1 : column - 1 + length]
