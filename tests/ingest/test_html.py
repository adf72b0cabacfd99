"""The HTML reader: block lines, noise, links, metadata precedence, charsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmgraph.ingest import read_document
from kmgraph.records import LinkKind
from tests.ingest.helpers import fixture, link, source_column


@pytest.fixture(scope="module")
def article():
    return read_document(fixture("km_article.html"))


def texts(doc) -> list[str]:
    return [ln.text for ln in doc.lines]


def test_block_lines_with_source_lines(article) -> None:
    assert article.format == "html" and article.encoding == "utf-8"
    first = article.lines[0]
    assert (first.text, first.number, first.heading) == ("Lost in knowledge translation: Time for a map?", 36, True)
    para = next(ln for ln in article.lines if ln.text.startswith("Graham and colleagues"))
    assert para.number == 37
    assert para.text.endswith("proposed the knowledge-to-action cycle.")


def test_unclosed_li_and_ordered_numbers(article) -> None:
    items = [(ln.text, ln.number) for ln in article.lines if ln.number in (41, 42, 43)]
    assert items == [
        ("1. Identify the problem; identify, review and select knowledge", 41),
        ("2. Adapt knowledge to the local context", 42),
        ("7. Sustain knowledge use", 43),  # <li value="7">
    ]
    assert "- Mobilising research knowledge in education" in texts(article)


def test_br_splits_lines(article) -> None:
    t = texts(article)
    i = t.index("Related reading:")
    assert t[i : i + 3] == ["Related reading:", "Nutley, Walter & Davies (2007)", "Levin (2011)"]


def test_pre_and_table_cells(article) -> None:
    t = texts(article)
    assert "Graham ID, Logan J, et al." in t and "J Contin Educ Health Prof. 2006;26(1):13-24." in t
    assert ["Phase", "Example", "Monitor knowledge use", "Audit and feedback"] == [
        x for x in t if x in ("Phase", "Example", "Monitor knowledge use", "Audit and feedback")
    ]


def test_script_style_skipped(article) -> None:
    assert not any("tracker" in x or "background" in x for x in texts(article))
    assert not any("tracker" in lk.url or "cdn" in lk.url for lk in article.links)


def test_page_chrome_is_noise_but_article_header_and_footer_are_not(article) -> None:
    noise = [ln.text for ln in article.noise]
    assert noise == ["KT Reading Room", "Skip to main content", "- All notes", "- About", "© 2024 KT Reading Room. Privacy"]
    assert "Posted in Frameworks" in texts(article)  # the article's own footer
    assert not {lk.url for lk in article.links} & {"/", "/notes/", "/about/", "/privacy"}


def test_links(article) -> None:
    path = fixture("km_article.html")
    got = [(lk.url, lk.text, lk.kind, lk.element) for lk in article.links]
    assert got == [
        ("https://doi.org/10.1002/chp.47", "knowledge-to-action cycle", LinkKind.ABSOLUTE, "a"),
        ("images/kta-cycle.png", "The knowledge-to-action cycle", LinkKind.RELATIVE, "img"),
        ("https://doi.org/10.1080/14748460.2011.550431", "Mobilising research knowledge in education", LinkKind.ABSOLUTE, "a"),
        ("#comments", "Comments", LinkKind.FRAGMENT, "a"),
        ("mailto:editor@kt-reading-room.example.org", "write to us", LinkKind.MAILTO, "a"),
        ("https://www.example.org/search?q=kt&page=2", "Search for KT", LinkKind.ABSOLUTE, "a"),
    ]
    for lk in article.links:
        written = lk.url.replace("&", "&amp;")
        assert source_column(path, lk.line, lk.column, len(written)) == written, lk
    assert link(article, "https://doi.org/10.1002/chp.47").line == 38


def test_canonical_is_metadata_only(article) -> None:
    assert not any("kt-reading-room.example.org/notes" in lk.url for lk in article.links)
    assert not any(lk.url.endswith(".css") for lk in article.links)


def test_citation_metadata_wins(article) -> None:
    meta = article.metadata
    assert meta.title == "Lost in knowledge translation: Time for a map?"
    assert meta.authors == ("Graham, Ian D.", "Logan, Jo", "Harrison, Margaret B.")
    assert meta.publisher == "Wiley"
    assert meta.date == "2006-01-01"
    assert meta.url == "https://doi.org/10.1002/chp.47"
    assert meta.language == "en-CA"
    assert meta.description == "A reading note on the knowledge-to-action framework."


def test_dublin_core_lower_case_and_dcterms() -> None:
    meta = read_document(fixture("dublin_core.html")).metadata
    assert meta.title == "Mobilising research knowledge in education"
    assert meta.authors == ("Levin, Ben",)
    assert meta.publisher == "Taylor & Francis"
    assert meta.date == "2011-03-01"
    assert meta.url == "https://doi.org/10.1080/14748460.2011.550431"


def test_json_ld_graph_beats_opengraph_and_bad_json_ld_is_a_warning() -> None:
    doc = read_document(fixture("jsonld_report.html"))
    meta = doc.metadata
    assert meta.title == "Using evidence: How research can inform public services"
    assert meta.authors == ("Sandra M. Nutley", "Isabel Walter", "Huw T. O. Davies")
    assert meta.publisher == "Policy Press"  # resolved through the @graph @id
    assert meta.date == "2007-05-30"
    assert meta.url == "https://policy.example.org/using-evidence"
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("line 24: malformed JSON-LD:")
    assert [ln.text for ln in doc.lines] == ["Using evidence", "How research can inform public services."]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="og:title" content="OG"><meta property="og:site_name" content="KMb Hub"><title>T</title>', ("OG", "KMb Hub")),
        ("<title> Knowledge  brokering \n</title>", ("Knowledge brokering", None)),
        (
            (
                '<script type="application/ld+json">[{"@type": "Report", "name": "LD", "publisher": "Unit"}]</script>'
                '<meta property="og:title" content="OG">'
            ),
            ("LD", "Unit"),
        ),
        ('<script type="application/ld+json">{"@type": "Person", "name": "Not a work"}</script><title>T</title>', ("T", None)),
    ],
)
def test_metadata_fallbacks(tmp_path: Path, head: str, expected: tuple[str, str | None]) -> None:
    p = tmp_path / "m.html"
    p.write_text(f"<html><head>{head}</head><body><p>x</p></body></html>", encoding="utf-8")
    meta = read_document(p).metadata
    assert (meta.title, meta.publisher) == expected


def test_declared_latin1_but_utf8_bytes(tmp_path: Path) -> None:
    p = tmp_path / "mismatch.html"
    p.write_bytes('<html><head><meta charset="iso-8859-1"></head><body><p>Évaluation – café</p></body></html>'.encode())
    doc = read_document(p)
    assert doc.encoding == "utf-8"
    assert [ln.text for ln in doc.lines] == ["Évaluation – café"]
    assert any("iso-8859-1" in w and "does not match" in w for w in doc.warnings)


def test_declared_utf8_but_cp1252_bytes(tmp_path: Path) -> None:
    p = tmp_path / "mismatch2.html"
    p.write_bytes('<html><head><meta charset="utf-8"></head><body><p>“Évaluation” – café</p></body></html>'.encode("cp1252"))
    doc = read_document(p)
    assert doc.encoding == "cp1252"
    assert [ln.text for ln in doc.lines] == ["“Évaluation” – café"]
    assert any("utf-8" in w and "does not match" in w for w in doc.warnings)


def test_declared_charset_honoured(tmp_path: Path) -> None:
    p = tmp_path / "latin9.html"
    p.write_bytes(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15"></head>'
        "<body><p>Coût €</p></body></html>".encode("iso-8859-15")
    )
    doc = read_document(p)
    assert [ln.text for ln in doc.lines] == ["Coût €"]
    assert doc.warnings == ()


def test_xhtml_with_xml_declaration(tmp_path: Path) -> None:
    p = tmp_path / "page.xhtml"
    p.write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<html xmlns="http://www.w3.org/1999/xhtml">\n'
        "<body>\n<p>R\xe9seau <a href='https://www.example.org/r%C3%A9seau'>lien</a></p>\n</body></html>".encode("latin-1")
    )
    doc = read_document(p)
    assert [ln.text for ln in doc.lines] == ["Réseau lien"]
    assert doc.links[0].url == "https://www.example.org/r%C3%A9seau" and doc.links[0].line == 4


def test_messy_markup_recovers(tmp_path: Path) -> None:
    p = tmp_path / "messy.html"
    p.write_text("<ul><li>One<li>Two <b>bold<li>Three</ul><p>After <i>list\n<p>Next", encoding="utf-8")
    doc = read_document(p, format="html")
    assert [ln.text for ln in doc.lines] == ["- One", "- Two bold", "- Three", "After list", "Next"]


def test_whitespace_only_html(tmp_path: Path) -> None:
    p = tmp_path / "blank.html"
    p.write_text("  \n\n")
    doc = read_document(p)
    assert doc.lines == () and doc.links == ()


def test_nav_inside_an_article_is_noise_too(tmp_path: Path) -> None:
    p = tmp_path / "nav.html"
    p.write_text(
        "<body><article><nav><a href='#s1'>Section 1</a></nav><header><p>By A. Cooper</p></header>"
        "<p>Research brokering organisations.</p></article></body>",
        encoding="utf-8",
    )
    doc = read_document(p)
    assert [ln.text for ln in doc.lines] == ["By A. Cooper", "Research brokering organisations."]
    assert [ln.text for ln in doc.noise] == ["Section 1"]
    assert doc.links == ()
