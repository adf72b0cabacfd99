"""Extraction over documents shaped like the ones users have: one fixture per style and trap."""

from __future__ import annotations

import pytest

from kmgraph.pipeline import extract
from kmgraph.records import Line, LinkKind
from kmgraph.references.extract import find_markers, find_reference_entries, looks_like_reference
from tests.conftest import FIXTURES

DOCS = FIXTURES / "documents"


def first_family(ref) -> str:
    return (ref.fields.get("author") or ref.fields["editor"])[0].split(",")[0]


def markers_of(ex) -> list[tuple[str, str]]:
    return [(m.text, m.label) for m in ex.markers]


def cited(ex) -> list[tuple[str, int]]:
    """(marker as written, 1-based position of the entry it points to), in text order."""
    position = {r.line: i + 1 for i, r in enumerate(ex.references)}
    return [(m.text, position[m.target_line]) for m in ex.markers]


def test_apa7_markdown_with_author_year_markers() -> None:
    ex = extract(DOCS / "apa7-blog-post.md")
    assert [first_family(r) for r in ex.references] == ["Graham", "Lavis", "Oliver", "Ward"]
    assert [r.fields["year"] for r in ex.references] == ["2006", "2003", "2014", "2017"]
    graham = ex.references[0].fields
    assert graham["doi"] == "10.1002/chp.47"
    assert graham["volume"] == "26" and graham["number"] == "1"
    assert graham["title"] == "Lost in knowledge translation: Time for a map?"
    # Emphasis markup is gone from the raw string.
    assert "*" not in ex.references[3].raw
    assert cited(ex) == [
        ("(Graham et al., 2006)", 1),
        ("Ward (2017)", 4),
        ("(Lavis et al., 2003; Oliver et al., 2014)", 2),
        ("(Lavis et al., 2003; Oliver et al., 2014)", 3),
    ]
    assert all(m.label is None for m in ex.markers)  # the list is not numbered
    assert ex.document.metadata.title == "Why knowledge brokers matter"
    assert ex.document.metadata.publisher == "Lakeside Research Impact Office"


def test_apa6_hanging_indent_and_wrapped_url() -> None:
    ex = extract(DOCS / "apa6-report.txt")
    assert [first_family(r) for r in ex.references] == ["Cooper", "Levin", "Phipps"]
    levin = ex.references[1].fields
    assert levin["url"] == "http://www.oise.utoronto.ca/rspe/UserFiles/File/KM%20paper%20May%20Symposium%20FINAL.pdf"
    assert levin["publisher"] == "Ontario Institute for Studies in Education"
    assert ex.references[0].fields["doi"] == "10.1332/174426410X524839"
    # "(Cooper & Levin,\n2010)" is split across two lines: found, at the line it starts on.
    assert cited(ex) == [("(Cooper & Levin, 2010)", 1), ("(Phipps & Shapson, 2009)", 3)]
    assert ex.markers[0].line == 5


def test_vancouver_bracket_numbers() -> None:
    ex = extract(DOCS / "vancouver.txt")
    assert [r.label for r in ex.references] == ["1", "2", "3", "4"]
    assert ex.references[0].raw.startswith("[1] Kothari A")
    assert first_family(ex.references[1]) == "Graham"
    assert ex.references[1].fields["year"] == "2006"
    assert ex.references[1].fields.get("authors_elided") is True  # "et al."
    assert markers_of(ex) == [("[1]", "1"), ("[2]", "2"), ("[3, 4]", "3"), ("[3, 4]", "4")]


def test_mla_works_cited() -> None:
    ex = extract(DOCS / "mla-essay.txt")
    assert len(ex.references) == 3
    ward = ex.references[1].fields
    assert ward["author"] == ["Ward, Vicky"]
    assert ward["title"] == "Why, Whose, What and How? A Framework for Knowledge Mobilisers"
    assert ward["container"] == "Evidence & Policy"
    assert (ward["volume"], ward["number"], ward["year"]) == ("13", "3", "2017")
    assert ex.references[0].fields["author"] == ["Cooper, Amanda", "Levin, Ben"]


def test_chicago_author_date_bulleted_bibliography() -> None:
    ex = extract(DOCS / "chicago-notes.md")
    assert [first_family(r) for r in ex.references] == ["Boaz", "Nutley"]
    nutley = ex.references[1].fields
    assert nutley["author"] == ["Nutley, Sandra M.", "Walter, Isabel", "Davies, Huw T. O."]
    assert (nutley["publisher"], nutley["address"], nutley["year"]) == ("Policy Press", "Bristol", "2007")
    assert cited(ex) == [("(Nutley, Walter, and Davies 2007)", 2), ("(Boaz et al. 2019)", 1)]


def test_harvard_reference_list_and_narrative_markers() -> None:
    ex = extract(DOCS / "harvard-guide.txt")
    assert [first_family(r) for r in ex.references] == ["Davies", "Levin"]
    levin = ex.references[1].fields
    assert levin["title"] == "Mobilising research knowledge in education"
    assert levin["container"] == "London Review of Education"
    assert levin["pages"] == "15--26"
    assert {m.text for m in ex.markers} == {"Levin (2011)", "Davies, Powell and Nutley (2015)"}


def test_ieee_references() -> None:
    ex = extract(DOCS / "ieee-slides.txt")
    assert [r.label for r in ex.references] == ["1", "2"]
    wenger = ex.references[0].fields
    assert wenger["author"] == ["Wenger, E."]
    assert wenger["year"] == "1998"
    assert markers_of(ex) == [("[1]", "1"), ("[2]", "2")]


def test_footnotes_that_explain_are_not_references() -> None:
    ex = extract(DOCS / "explanatory-footnotes.md")
    assert len(ex.references) == 1
    assert first_family(ex.references[0]) == "Levin"


def test_link_definitions_are_not_a_reference_list() -> None:
    ex = extract(DOCS / "link-definitions.md")
    assert ex.references == ()
    assert [(ln.url, ln.kind) for ln in ex.links if ln.element == "definition"] == [
        ("https://example.org/kmb-unit", LinkKind.ABSOLUTE),
        ("https://example.org/network", LinkKind.ABSOLUTE),
        ("mailto:kmb@example.org", LinkKind.MAILTO),
    ]


def test_further_reading_titles_with_links() -> None:
    ex = extract(DOCS / "further-reading.md")
    assert [r.fields.get("title") for r in ex.references] == [
        "Knowledge exchange: a practical introduction",
        "Co-producing research with communities",
        "Planning for research impact",
    ]
    assert ex.references[1].fields["url"] == "https://example.org/guides/co-production"


def test_page_without_references() -> None:
    ex = extract(DOCS / "no-references.html")
    assert ex.references == ()
    assert ex.markers == ()
    assert sorted(ln.kind.value for ln in ex.links) == ["fragment", "mailto", "relative"]


def test_html_unclosed_li_and_wrong_declared_charset() -> None:
    ex = extract(DOCS / "unclosed-li-wrong-charset.html")
    assert [r.label for r in ex.references] == ["1", "2"]
    assert "Québec" in ex.references[1].raw  # decoded as UTF-8, not as the declared Latin-1
    assert any("charset" in w.lower() or "encoding" in w.lower() for w in ex.document.warnings)
    assert markers_of(ex) == [("[1]", "1"), ("[2]", "2")]


# Unit tests of the splitter on hand-built lines ---------------------------------------


def lines(*texts: str) -> list[Line]:
    return [Line(t, i + 1) for i, t in enumerate(texts)]


def test_numbered_list_without_years_is_not_a_reference_list() -> None:
    doc = lines("Our aims:", "", "1. To develop peer learning", "2. To share approaches", "3. To build networks")
    assert find_reference_entries(doc) == []


def test_numbered_key_points_that_cite_are_not_references() -> None:
    doc = lines(
        "Key points",
        "",
        "1. Research use is social (Levin, 2008; Cooper and Levin, 2010).",
        "2. Expect slow, indirect effects (Nutley, Walter and Davies, 2007).",
        "3. Brokers need a shared language (Ward, 2017).",
    )
    assert find_reference_entries(doc) == []


def test_numbered_list_of_references_without_heading() -> None:
    doc = lines(
        "Some prose.",
        "",
        "1. Levin, B. (2008). Thinking about knowledge mobilization.",
        "2. Ward, V. (2017). Why, whose, what and how?",
    )
    got = find_reference_entries(doc)
    assert [(e.label, e.line) for e in got] == [("1", 3), ("2", 4)]


def test_bracket_footnote_needs_a_marker_in_the_text() -> None:
    cited = lines("A claim.[1]", "", "[1] https://example.org/source")
    uncited = lines("A claim.", "", "[1] https://example.org/source")
    assert len(find_reference_entries(cited)) == 1
    assert find_reference_entries(uncited) == []


def test_markers_glued_to_words_only_for_existing_labels() -> None:
    doc = lines(
        "It changes practice.1 It informs research2 and 12 other things.",
        "",
        "1. Levin, B. (2008). Thinking about knowledge mobilization.",
        "2. Ward, V. (2017). Why, whose, what and how?",
    )
    entries = find_reference_entries(doc)
    got = [(m.text, m.line, m.column) for m in find_markers(doc, entries)]
    assert got == [("1", 1, 21), ("2", 1, 42)]


def test_url_broken_across_lines_is_joined() -> None:
    doc = lines(
        "References",
        "",
        "Levin, B. (2008). A paper. Retrieved from https://www.example.org/reports/kmb-",
        "guide-2008.pdf",
    )
    (entry,) = find_reference_entries(doc)
    assert entry.raw.endswith("https://www.example.org/reports/kmb-guide-2008.pdf")


@pytest.mark.parametrize(
    "text, expected",
    [("Ward, V. (2017). Why?", True), ("See https://example.org", True), ("A note on terms.", False), ("(n.d.) A guide", True)],
)
def test_looks_like_reference(text: str, expected: bool) -> None:
    assert looks_like_reference(text) is expected


def test_pdf_reference_broken_by_a_page_header_and_a_wrapped_url(tmp_path) -> None:
    from tests.ingest.pdfmaker import make_pdf

    header = "Evidence & Practice Review 12 (2019)"
    pages = [
        [
            header,
            "Brokering in practice",
            "Brokers translate between research and practice (Ward, 2017).",
            "",
            "References",
            "Cooper, A., & Levin, B. (2010). Some Canadian contributions to understanding",
            "knowledge mobilisation. Evidence & Policy, 6(3), 351-369.",
            "Ward, V. (2017). Why, whose, what and how? A framework for knowledge",
            "Page 1 of 2",
        ],
        [
            header,
            "mobilisers. Evidence & Policy, 13(3), 477-497. Retrieved from https://www.example.org/",
            "papers/ward-2017-framework.pdf",
            "Page 2 of 2",
        ],
    ]
    ex = extract(make_pdf(tmp_path / "review.pdf", pages))
    assert [first_family(r) for r in ex.references] == ["Cooper", "Ward"]
    ward = ex.references[1]
    assert header not in ward.raw and "Page 1" not in ward.raw
    assert ward.fields["title"] == "Why, whose, what and how? A framework for knowledge mobilisers"
    assert ward.fields["url"] == "https://www.example.org/papers/ward-2017-framework.pdf"
    assert cited(ex) == [("(Ward, 2017)", 2)]


def test_superscript_markers() -> None:
    doc = lines(
        "Brokers change practice² and policy¹,³.",
        "",
        "1. Levin, B. (2008). Thinking about knowledge mobilization.",
        "2. Ward, V. (2017). Why, whose, what and how?",
        "3. Cooper, A. (2014). Knowledge mobilisation in education.",
    )
    entries = find_reference_entries(doc)
    assert [(m.text, m.label) for m in find_markers(doc, entries)] == [("²", "2"), ("¹,³", "1"), ("¹,³", "3")]


def test_page_text_after_a_reference_list_is_not_an_entry() -> None:
    doc = lines(
        "Brokers matter.",
        "",
        "References",
        "",
        "Ward, V. (2017). Why, whose, what and how? A framework for knowledge mobilisers. Evidence & Policy, 13(3).",
        "",
        "Subscribe to our newsletter for monthly updates on knowledge mobilisation.",
        "",
        "Copyright 2024 Example Network. All rights reserved.",
    )
    got = find_reference_entries(doc)
    assert [e.line for e in got] == [5]


def test_prose_under_a_sources_heading_is_not_a_reference_list() -> None:
    doc = lines(
        "Sources",
        "",
        "We gathered what people told us in workshops and in the survey.",
        "",
        "Everyone who took part saw the draft first.",
    )
    assert find_reference_entries(doc) == []


def test_entries_know_their_last_line_and_links_below_the_list_stay_out(tmp_path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "# Reading\n\n## References\n\n"
        "Ward, V. (2017). Why, whose, what and how? A framework for knowledge\n"
        "mobilisers. Evidence & Policy, 13(3), 477-497.\n\n"
        "[Back to top](https://example.org/top)\n",
        encoding="utf-8",
    )
    entries = find_reference_entries(extract(doc).document.lines)
    assert [(e.line, e.end_line) for e in entries] == [(5, 6)]
    assert "url" not in extract(doc).references[0].fields
