"""The PDF reader, on PDFs written by hand (see pdfmaker.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmgraph.errors import MalformedInput
from kmgraph.ingest import read_document
from kmgraph.ingest.pdf import running_lines
from tests.ingest.pdfmaker import make_pdf, pdf_bytes

HEADER = "Evidence & Policy 5 (2009) 211–227"
PAGES = [
    [
        HEADER,
        "Knowledge mobilisation in practice",
        "Research brokers connect researchers with the users of research.",
        "The full guide is at https://www.example.org/reports/kmb-",
        "guide-2019.pdf and is summarised below.",
        "References",
        "Graham, I. D., Logan, J., Harrison, M. B., et al. (2006). Lost in knowledge",
        "translation: Time for a map? https://doi.org/10.1002/",
        "Page 1 of 2",
    ],
    [
        HEADER,
        "chp.47",
        "Nutley, S. M., Walter, I., & Davies, H. T. O. (2007). Using evidence: How",
        "research can inform public services. Bristol: Policy Press.",
        "Page 2 of 2",
    ],
]
INFO = {"Title": "Knowledge mobilisation in practice", "Author": "Phipps, David; Shapson, Stan", "CreationDate": "D:20190315120000Z"}


@pytest.fixture
def two_pages(tmp_path: Path):
    return read_document(make_pdf(tmp_path / "kmb.pdf", PAGES, INFO))


def test_pages_and_continuous_numbers(two_pages) -> None:
    doc = two_pages
    assert doc.format == "pdf"
    numbered = [(ln.number, ln.page) for ln in doc.lines]
    assert numbered[0] == (2, 1) and numbered[-1] == (13, 2)
    assert [ln.text for ln in doc.lines if ln.page == 2] == PAGES[1][1:4]


def test_running_headers_and_footers_are_noise(two_pages) -> None:
    assert [(ln.text, ln.number, ln.page) for ln in two_pages.noise] == [
        (HEADER, 1, 1),
        ("Page 1 of 2", 9, 1),
        (HEADER, 10, 2),
        ("Page 2 of 2", 14, 2),
    ]
    assert not any("Page" in ln.text and "of 2" in ln.text for ln in two_pages.lines)


def test_reference_list_crosses_the_page_break(two_pages) -> None:
    t = [ln.text for ln in two_pages.lines]
    i = t.index("References")
    assert t[i + 1 : i + 4] == [PAGES[0][6], PAGES[0][7], "chp.47"]


def test_urls_broken_by_layout_are_rejoined(two_pages) -> None:
    got = [(lk.url, lk.line, lk.column, lk.element) for lk in two_pages.links]
    assert got == [
        ("https://www.example.org/reports/kmb-guide-2019.pdf", 4, 22, "bare"),
        ("https://doi.org/10.1002/chp.47", 8, 30, "bare"),  # across the page break and its header
    ]


def test_info_metadata(two_pages) -> None:
    meta = two_pages.metadata
    assert meta.title == "Knowledge mobilisation in practice"
    assert meta.authors == ("Phipps, David", "Shapson, Stan")
    assert meta.date == "2019-03-15"


def test_sentence_after_url_is_not_joined(tmp_path: Path) -> None:
    doc = read_document(make_pdf(tmp_path / "s.pdf", [["Guidance is at https://www.example.org/kmb.", "The next sentence."]]))
    assert [lk.url for lk in doc.links] == ["https://www.example.org/kmb"]


def test_single_page_has_no_running_lines(tmp_path: Path) -> None:
    doc = read_document(make_pdf(tmp_path / "one.pdf", [["Page 1 of 1", "Text"]]))
    assert doc.noise == () and [ln.text for ln in doc.lines] == ["Page 1 of 1", "Text"]


def test_running_lines_ignore_digits() -> None:
    pages = [["J KM 12 (2019) 34", "a", "b", "c", "3"], ["J KM 12 (2019) 35", "d", "e", "f", "4"]]
    assert running_lines(pages) == {(0, 0), (0, 4), (1, 0), (1, 4)}


def test_text_limit_truncates_with_warning(tmp_path: Path) -> None:
    pages = [["x" * 80] * 10 for _ in range(5)]
    doc = read_document(make_pdf(tmp_path / "long.pdf", pages), max_bytes=2000)
    assert {ln.page for ln in doc.lines} == {1, 2}
    assert any("truncated" in w for w in doc.warnings)


def test_pdf_sniffed_by_magic(tmp_path: Path) -> None:
    p = tmp_path / "download"
    p.write_bytes(pdf_bytes([["Using evidence"]]))
    doc = read_document(p)
    assert doc.format == "pdf" and doc.lines[0].text == "Using evidence"


def test_broken_pdf(tmp_path: Path) -> None:
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    with pytest.raises(MalformedInput, match="PDF"):
        read_document(p)


def test_not_a_pdf_named_pdf(tmp_path: Path) -> None:
    p = tmp_path / "fake.pdf"
    p.write_text("Just text")
    with pytest.raises(MalformedInput):
        read_document(p)


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    src = make_pdf(tmp_path / "plain.pdf", [["Confidential KMb plan"]])
    writer = PdfWriter()
    for page in PdfReader(src).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    p = tmp_path / "locked.pdf"
    with open(p, "wb") as f:
        writer.write(f)
    with pytest.raises(MalformedInput, match="encrypted"):
        read_document(p)


def test_encrypted_with_empty_password_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    src = make_pdf(tmp_path / "plain.pdf", [["Open KMb plan"]])
    writer = PdfWriter()
    for page in PdfReader(src).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    p = tmp_path / "perm.pdf"
    with open(p, "wb") as f:
        writer.write(f)
    assert [ln.text for ln in read_document(p).lines] == ["Open KMb plan"]


def test_pdf_size_limit_is_larger_than_text_limit(tmp_path: Path) -> None:
    p = make_pdf(tmp_path / "k.pdf", [["Small"]])
    size = p.stat().st_size
    # A text file of this size would be refused with max_bytes = size // 2; a PDF is not.
    assert read_document(p, max_bytes=size // 2).lines[0].text == "Small"
    with pytest.raises(MalformedInput, match="over the"):
        read_document(p, max_bytes=size // 20)
