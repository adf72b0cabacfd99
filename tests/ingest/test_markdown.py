"""The Markdown reader: front matter, readable lines, every kind of link; seed 002."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kmgraph.ingest import read_document
from kmgraph.records import LinkKind
from tests.conftest import seed_path
from tests.ingest.helpers import fixture, line_text, source_column

# --- seed 002 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed002():
    return read_document(seed_path("002_2800ca2f6e3ed7a6"))


def test_seed_002_front_matter(seed002) -> None:
    assert seed002.format == "md"
    assert seed002.front_matter == {"layout": "default", "title": "Introduction", "nav_order": 1}
    assert seed002.metadata.title == "Introduction"
    assert seed002.warnings == ()


def test_seed_002_front_matter_is_not_text(seed002) -> None:
    assert min(ln.number for ln in seed002.lines) == 6
    assert all("layout" not in ln.text for ln in seed002.lines)


def test_seed_002_relative_links(seed002) -> None:
    path = seed_path("002_2800ca2f6e3ed7a6")
    assert [(lk.url, lk.element, lk.kind) for lk in seed002.links] == [
        ("images/broadcast-icon.png", "img", LinkKind.RELATIVE),
        ("pre-workshop.html", "a", LinkKind.RELATIVE),
    ]
    img, nxt = seed002.links
    assert (img.line, img.text) == (6, "decorative")
    assert (nxt.line, nxt.text) == (31, "NEXT STEP: Pre-Workshop Activities")
    for lk in seed002.links:
        assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url


def test_seed_002_readable_lines(seed002) -> None:
    assert line_text(seed002, 8) == "Knowledge Mobilization - An Introduction"
    assert [ln.number for ln in seed002.lines if ln.heading] == [8, 14, 25]
    assert line_text(seed002, 10) == "- Pre-workshop activities: 10 min"
    assert line_text(seed002, 18).startswith("1. Bridge the gap between research and practice: Often")
    assert line_text(seed002, 29) == "1. MORE OBJECTIVES"
    # Link syntax and the Kramdown attribute list are gone.
    assert line_text(seed002, 31) == "NEXT STEP: Pre-Workshop Activities"
    assert line_text(seed002, 6) == ""  # the raw <img> line has no text
    assert line_text(seed002, 7) == ""  # blank lines are kept


# --- a fixture with every construct ----------------------------------------------------------------


@pytest.fixture(scope="module")
def guide():
    return read_document(fixture("workshop_guide.md"))


def test_front_matter_metadata(guide) -> None:
    assert guide.front_matter["date"] == dt.date(2024, 3, 5)
    meta = guide.metadata
    assert meta.title == "Knowledge mobilization: a workshop guide"
    assert meta.authors == ("Ana Researcher", "Ben Broker")
    assert meta.date == "2024-03-05"
    assert meta.publisher == "Research Impact Unit"
    assert meta.url == "/guides/kmb-workshop/"
    assert meta.language == "en"
    assert meta.description == "A half-day workshop on planning knowledge mobilization."


def test_inline_markup_removed(guide) -> None:
    assert line_text(guide, 13) == "Planning knowledge mobilization"
    assert line_text(guide, 15) == "Knowledge mobilization is more than dissemination: see the"
    assert line_text(guide, 16) == "knowledge-to-action framework and"
    assert line_text(guide, 17) == "the review by Nutley et al. (2007)[1]."
    assert line_text(guide, 19) == "A KMb logic model"
    assert line_text(guide, 22).endswith("and https://not-a-link.example.org in code.")
    assert line_text(guide, 25) == "- Plan the first meeting"
    assert line_text(guide, 26) == "1. Book a room"
    assert line_text(guide, 28) == "Evidence and practice"
    assert line_text(guide, 30) == "Research use is a social process."
    assert line_text(guide, 34) == "KMb toolkit | online"
    assert line_text(guide, 36) == "Raw HTML link and"
    assert line_text(guide, 38) == "Inline raw contact us link."
    assert line_text(guide, 41) == "https://in-a-fence.example.org/ is code"


def test_footnote_definition_rendered(guide) -> None:
    assert line_text(guide, 44).startswith("[1] Nutley, S. M., Walter, I., & Davies, H. T. O. (2007). Using evidence.")


def test_definitions_give_no_line(guide) -> None:
    numbers = {ln.number for ln in guide.lines}
    assert 46 not in numbers and 47 not in numbers
    assert all(n not in numbers for n in range(1, 11))  # front matter


def test_every_link_kind(guide) -> None:
    got = [(lk.line, lk.url, lk.text, lk.element) for lk in guide.links]
    assert got == [
        (16, "https://doi.org/10.1002/chp.47", "knowledge-to-action framework", "a"),
        (17, "https://policypress.example.org/using-evidence", "Nutley et al.", "a"),
        (19, "images/logic-model.png", "A KMb logic model", "img"),
        (21, "https://www.researchimpact.example.ca/toolkit", "https://www.researchimpact.example.ca/toolkit", "autolink"),
        (22, "https://www.example.org/kmb-guide", "", "bare"),
        (25, "agenda.html", "first meeting", "a"),
        (34, "https://kmb.example.org/toolkit", "KMb toolkit", "a"),
        (36, "https://www.example.org/raw-html", "Raw HTML link", "a"),
        (36, "images/raw.png", "raw image", "img"),
        (38, "contact.html", "contact us", "a"),
        (44, "https://policypress.example.org/using-evidence", "https://policypress.example.org/using-evidence", "footnote"),
        (46, "https://policypress.example.org/using-evidence", "nutley", "definition"),
        (47, "https://www.example.org/unused", "unused-def", "definition"),
    ]


def test_columns_point_at_targets(guide) -> None:
    path = fixture("workshop_guide.md")
    for lk in guide.links:
        if lk.line == 17:  # reference-style use site: the opening bracket
            assert source_column(path, lk.line, lk.column, 7) == "[Nutley"
        else:
            assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url, lk


def test_no_links_from_code(guide) -> None:
    assert not [lk for lk in guide.links if "not-a-link" in lk.url or "in-a-fence" in lk.url]


def test_kinds(guide) -> None:
    kinds = {lk.url: lk.kind for lk in guide.links}
    assert kinds["agenda.html"] is LinkKind.RELATIVE
    assert kinds["https://doi.org/10.1002/chp.47"] is LinkKind.ABSOLUTE


# --- edge cases ---------------------------------------------------------------------------------------


def test_malformed_front_matter_is_a_warning() -> None:
    doc = read_document(fixture("bad_front_matter.md"))
    assert doc.front_matter == {}
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith("line 4: malformed front matter: ")
    assert "expected ',' or ']'" in doc.warnings[0]
    # The rest is read, and the fallback title is the first "#" heading.
    assert doc.metadata.title == "Knowledge brokering"
    assert line_text(doc, 9) == "Brokers connect research producers and users (Lomas, 2007)."


def test_front_matter_that_is_not_a_mapping(tmp_path: Path) -> None:
    p = tmp_path / "list.md"
    p.write_text("---\n- just\n- a list\n---\nText\n")
    doc = read_document(p)
    assert doc.front_matter == {}
    assert doc.warnings and "malformed front matter" in doc.warnings[0]


def test_identical_targets_on_one_line_get_distinct_columns(tmp_path: Path) -> None:
    p = tmp_path / "two.md"
    src = "See [Levin](https://doi.org/10.1080/14748460.2011.550431) and [again](https://doi.org/10.1080/14748460.2011.550431).\n"
    p.write_text(src)
    a, b = read_document(p).links
    assert a.url == b.url
    first = src.index("https://")
    assert (a.column, b.column) == (first + 1, src.index("https://", first + 1) + 1)


def test_link_text_spanning_lines_records_the_target_line(tmp_path: Path) -> None:
    p = tmp_path / "wrap.md"
    p.write_text("Read [Using evidence: how research\ncan inform public services](https://policypress.example.org/ue) now.\n")
    (lk,) = read_document(p).links
    assert lk.line == 2 and lk.column == len("can inform public services](") + 1
    assert lk.text == "Using evidence: how research can inform public services"


def test_setext_heading_and_first_h1_title(tmp_path: Path) -> None:
    p = tmp_path / "setext.md"
    p.write_text("Some intro.\n\nThe knowledge-to-action cycle\n==============================\n\nText.\n")
    doc = read_document(p)
    assert doc.metadata.title == "The knowledge-to-action cycle"
    assert [ln.number for ln in doc.lines if ln.heading] == [3]


def test_javascript_target_is_kept(tmp_path: Path) -> None:
    p = tmp_path / "js.md"
    p.write_text("[Subscribe](javascript:void(0)) and [top](#top)\n")
    doc = read_document(p)
    assert [(lk.url, lk.kind) for lk in doc.links] == [
        ("javascript:void(0)", LinkKind.PLACEHOLDER),
        ("#top", LinkKind.FRAGMENT),
    ]


def test_unused_definition_recorded_once_and_used_definition_too(tmp_path: Path) -> None:
    p = tmp_path / "refs.md"
    p.write_text("Cite [Graham][g] and [Graham again][g].\n\n[g]: https://doi.org/10.1002/chp.47\n")
    doc = read_document(p)
    assert [(lk.element, lk.line) for lk in doc.links] == [("a", 1), ("a", 1), ("definition", 3)]
    assert doc.links[0].column == 6 and doc.links[1].column == len("Cite [Graham][g] and ") + 1
    assert [ln.number for ln in doc.lines] == [1, 2]
