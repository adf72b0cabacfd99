"""The plain-text reader: noise, links, metadata heuristics; seeds 000, 001, 003, 004."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmgraph.ingest import read_document
from kmgraph.ingest.noise import is_chrome, is_diagnostic, noise_indices
from kmgraph.ingest.text import guess_title, text_metadata
from kmgraph.records import LinkKind
from tests.conftest import seed_path
from tests.ingest.helpers import fixture, line_text, link, source_column

# --- seeds ------------------------------------------------------------------------------------


def test_seed_000_placeholder_links_and_title() -> None:
    path = seed_path("000_8af2a373c9da396b")
    doc = read_document(path)
    assert doc.format == "txt"
    assert doc.metadata.title == "What Is KM? Defining & Putting Knowledge Mobilization Into Practice"
    assert [(lk.text, lk.url, lk.kind, lk.element) for lk in doc.links] == [
        ("KM at York University", "#", LinkKind.PLACEHOLDER, "a"),
        ("Institute for Knowledge Mobilization", "#", LinkKind.PLACEHOLDER, "a"),
        ("Knowledge Mobilization Toolkit", "#", LinkKind.PLACEHOLDER, "a"),
    ]
    for lk in doc.links:
        assert source_column(path, lk.line, lk.column, 1) == "#"
        assert lk.column == len(lk.text) + 4  # "[" + text + "](" then the target
    # The raw lines are kept (the markup is part of a plain-text document).
    assert line_text(doc, doc.links[0].line) == "[KM at York University](#)"
    assert doc.noise == ()


def test_seed_001_error_block_is_noise_and_gives_no_url() -> None:
    path = seed_path("001_5322bb78c76e8949")
    doc = read_document(path)
    assert doc.metadata.title == "What is knowledge mobilization (KMb)?"
    noise = [ln.number for ln in doc.noise]
    assert noise == [1, 3, 4]
    assert doc.noise[1].text.lstrip().startswith("• Notice: Undefined index")
    assert all("template.php" not in ln.text for ln in doc.lines)
    assert all("Program Files" not in lk.url and "template.php" not in lk.url for lk in doc.links)
    assert [lk.url for lk in doc.links] == [
        "http://melaniebarwick.com/training.php",
        "https://www.iwh.on.ca/tools-and-guides/from-research-to-practice-kte-planning-guide",
        "https://www.slideshare.net/sreibling/kmb-101-19oct12-reibling",
        "https://www.sshrc-crsh.gc.ca/about-au_sujet/publications/KMb_-_LevinDiscussionPaper_-_E.pdf",
    ]
    for lk in doc.links:
        assert lk.element == "bare" and lk.kind is LinkKind.ABSOLUTE
        assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url


def test_seed_003_metadata_noise_and_footnote_url() -> None:
    path = seed_path("003_6a8b321c37a272a5")
    doc = read_document(path)
    meta = doc.metadata
    # The headline line of the page, read from the seed itself (not copied here).
    headline = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("Together we"))
    assert meta.title == headline.strip()
    assert meta.publisher == "UPEN"
    assert meta.date == "2025-09-16"
    assert [ln.text for ln in doc.noise] == ["Skip to Content", "Back to news", "Back to news"]
    assert [ln.number for ln in doc.noise][:2] == [1, 2]
    (only,) = doc.links
    assert only.url == "https://www.wenger-trayner.com/introduction-to-communities-of-practice/"
    assert only.element == "bare" and only.column == 5
    assert line_text(doc, only.line).startswith("[1] https://")


def test_seed_004_abstract_has_no_title() -> None:
    doc = read_document(seed_path("004_35158cfe7cf4c913"))
    assert doc.metadata.title is None
    assert doc.links == ()
    assert doc.lines[0].text == "Abstract"


def test_seed_002_is_sniffed_as_markdown() -> None:
    assert read_document(seed_path("002_2800ca2f6e3ed7a6")).format == "md"


# --- a fixture with every kind of noise and link -----------------------------------------------


@pytest.fixture(scope="module")
def news():
    return read_document(fixture("news_page.txt"))


def test_noise_lines(news) -> None:
    assert [ln.number for ln in news.noise] == [1, 2, 3, 5, 6, 7, 11, 18, 22]
    kept = {ln.number for ln in news.lines}
    assert not kept & {ln.number for ln in news.noise}
    assert 4 in kept and line_text(news, 4) == ""  # blank lines stay


def test_metadata_heuristics(news) -> None:
    assert news.metadata.title == "Co-producing evidence with community partners: lessons from three projects"
    assert news.metadata.publisher == "Research Impact Unit"
    assert news.metadata.date == "2024-09-03"


def test_markdown_links_in_text(news) -> None:
    path = fixture("news_page.txt")
    toolkit = [lk for lk in news.links if lk.url == "https://kmb.example.org/toolkit"]
    assert [(lk.text, lk.line) for lk in toolkit] == [("KMb toolkit", 15), ("guide", 15)]
    assert toolkit[0].column < toolkit[1].column  # two identical targets, two columns
    for lk in toolkit:
        assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url
    placeholder = link(news, "#")
    assert (placeholder.text, placeholder.kind, placeholder.element) == ("Read more", LinkKind.PLACEHOLDER, "a")
    assert source_column(path, placeholder.line, placeholder.column, 3) == "#) "


def test_bare_urls_in_text(news) -> None:
    path = fixture("news_page.txt")
    bare = [lk for lk in news.links if lk.element == "bare"]
    assert [lk.url for lk in bare] == [
        "https://www.example.org/co-production",
        "www.example.org/short",
        "https://doi.org/10.1332/174426409X463767",
        "https://www.example.org/notes_(2019)",
    ]
    for lk in bare:
        assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url
        assert lk.kind is LinkKind.ABSOLUTE and lk.text == ""


def test_markdown_target_not_double_counted(news) -> None:
    doi = [lk for lk in news.links if "chp.47" in lk.url]
    assert len(doi) == 1
    assert doi[0].element == "a" and doi[0].url == "https://doi.org/10.1002/chp.47"


def test_links_in_document_order(news) -> None:
    keys = [(lk.line, lk.column) for lk in news.links]
    assert keys == sorted(keys)


def test_links_never_come_from_noise(tmp_path: Path) -> None:
    p = tmp_path / "page.txt"
    p.write_text(
        "Error message\n"
        "Warning: include(https://www.example.org/inc.php): failed in /srv/www/index.php on line 12\n"
        "Stack trace:\n"
        "#0 /srv/www/index.php(12): include()\n"
        "#1 {main}\n"
        "Knowledge brokers at https://www.example.org/brokers\n",
        encoding="utf-8",
    )
    doc = read_document(p)
    assert [ln.number for ln in doc.noise] == [1, 2, 3, 4, 5]
    assert [lk.url for lk in doc.links] == ["https://www.example.org/brokers"]


def test_javascript_and_mailto_links_in_text(tmp_path: Path) -> None:
    p = tmp_path / "links.txt"
    p.write_text("[Open](javascript:void(0)) or [mail](mailto:kmb@example.org) or <https://www.example.org/auto>\n")
    doc = read_document(p)
    assert [(lk.url, lk.kind.value, lk.element) for lk in doc.links] == [
        ("javascript:void(0)", "placeholder", "a"),
        ("mailto:kmb@example.org", "mailto", "a"),
        ("https://www.example.org/auto", "absolute", "autolink"),
    ]
    assert doc.links[2].column == p.read_text().index("https://www.example.org/auto") + 1


# --- heuristics and noise rules, unit by unit --------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        (["FACTSHEET", "What Is KM? Defining KM", "Body."], "What Is KM? Defining KM"),
        (["Abstract", "x " * 150], None),
        (["Published by", "KMb Hub", "4 March 2024, 09:15 GMT Share", "Brokers meet in spring"], "Brokers meet in spring"),
        (["March 4, 2024", "Using evidence in policy"], "Using evidence in policy"),
        (["This is a sentence that ends.", "Evidence use in schools"], "Evidence use in schools"),
        (["Key messages:", "Evidence use in schools"], "Evidence use in schools"),
        (["By Sandra Nutley", "Research use as learning"], "Research use as learning"),
        (["• A bullet item here", "Research use as learning"], "Research use as learning"),
        (["[Home](https://www.example.org/)", "Research use as learning"], "Research use as learning"),
        (["Hi there", "Research use"], "Hi there"),  # 8 characters, 2 words: the boundary
        (["Hi you", "Research use"], "Research use"),  # 6 characters: too short
        ([], None),
    ],
)
def test_guess_title(lines: list[str], title: str | None) -> None:
    assert guess_title(lines) == title


@pytest.mark.parametrize(
    ("lines", "publisher", "date"),
    [
        (["Published by", "UPEN", "4 March 2024, 09:15 GMT Share"], "UPEN", "2024-03-04"),
        (["Published by Wales Centre for Public Policy on 3 November 2025"], "Wales Centre for Public Policy", "2025-11-03"),
        (["Title here", "2019-03-15"], None, "2019-03-15"),
        (["Title here", "Published: March 2019"], None, "2019-03"),
        (["Title here", "2007"], None, "2007"),
        (["Title here", "The meeting on 3 November 2025 will be online."], None, None),
    ],
)
def test_text_metadata(lines: list[str], publisher: str | None, date: str | None) -> None:
    meta = text_metadata(lines)
    assert (meta.publisher, meta.date) == (publisher, date)


@pytest.mark.parametrize(
    "line",
    [
        "  • Notice: Undefined variable: nid in site_render_block() (line 88 of D:\\www\\site\\modules\\block.module).",
        "Warning: Invalid argument supplied for foreach() in f() (line 171 of /var/www/template.php).",
        "Deprecated: Function ereg() is deprecated in /var/www/includes/file.inc on line 649",
        "Fatal error: Allowed memory size exhausted in /srv/site/index.php on line 3",
        "Parse error: syntax error, unexpected '}' in /srv/a.php on line 7",
        "Strict Standards: Non-static method x() should not be called statically in /srv/a.php on line 9",
        "Stack trace:",
        "#0 /srv/www/index.php(12): include()",
        "thrown in /srv/www/lib.php on line 44",
    ],
)
def test_diagnostics_are_noise(line: str) -> None:
    assert is_diagnostic(line)


@pytest.mark.parametrize(
    "line",
    [
        "Warning: evidence is not used on its own.",
        "Notice: the workshop moves to room 12.",
        "Research notice boards, line 3 of the agenda",
    ],
)
def test_prose_is_not_a_diagnostic(line: str) -> None:
    assert not is_diagnostic(line)


@pytest.mark.parametrize(
    "line", ["Skip to Content", "Skip to main content", "Back to news", "Back to top", "Share", "Menu", "Print this page"]
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line) and is_chrome(f"  {line.upper()}  ")


@pytest.mark.parametrize("line", ["Share your evidence", "Back to basics: a KMb primer", "Menu planning in schools"])
def test_chrome_is_exact(line: str) -> None:
    assert not is_chrome(line)


def test_error_header_only_noise_before_a_diagnostic() -> None:
    assert noise_indices(["Error message", "", "We define the error message as…"]) == set()
    assert noise_indices(["Error message", "", "• Notice: x in f() (line 1 of a.php)."]) == {0, 2}
