"""The reference lists of the shipped examples/ parse completely and with full confidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kmgraph.references.parse import parse_reference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _reference_lines() -> list[tuple[str, str]]:
    """(file name, reference) pairs, found with simple rules for each example's layout."""
    out: list[tuple[str, str]] = []
    md = EXAMPLES / "km-blog-post.md"
    if md.is_file():
        refs = md.read_text(encoding="utf-8").split("## References", 1)[1]
        out += [(md.name, line.replace("*", "")) for line in refs.splitlines() if line.strip()]
    html = EXAMPLES / "kmb-network.html"
    if html.is_file():
        out += [(html.name, li) for li in re.findall(r"<li>(.*?)</li>", html.read_text(encoding="utf-8"))]
    txt = EXAMPLES / "briefing-note.txt"
    if txt.is_file():
        bib = txt.read_text(encoding="utf-8").split("\nBibliography\n", 1)[1]
        out += [(txt.name, line) for line in bib.splitlines() if line.strip()]
    return out


REFERENCES = _reference_lines()


def test_examples_have_reference_lists() -> None:
    assert len(REFERENCES) >= 12


@pytest.mark.parametrize(("name", "text"), REFERENCES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(REFERENCES)])
def test_example_reference_parses(name: str, text: str) -> None:
    parsed = parse_reference(text)
    f = parsed.fields
    assert parsed.confidence == 1.0, parsed.reason
    assert f["author"] and all(", " in a for a in f["author"])
    assert re.fullmatch(r"\d{4}", f["year"])
    assert f["title"] and not f["title"].endswith(".")
    if f["type"] == "article":
        assert f["container"] and f["volume"] and f["number"] and "--" in f["pages"]
    else:
        assert f["type"] in {"book", "report"} and f["publisher"]
