"""The BibTeX reader: entries, malformed blocks as warnings, links with lines."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kmgraph.ingest import read_document
from kmgraph.ingest.bibtex import doi_url
from tests.ingest.helpers import fixture, source_column


@pytest.fixture(scope="module")
def bib():
    return read_document(fixture("references.bib"))


def test_entries(bib) -> None:
    assert bib.format == "bib"
    assert [e["ID"] for e in bib.entries] == ["graham2006lost", "nutley2007using", "phipps2009", "kmbtoolkit"]
    graham = bib.entries[0]
    assert graham["ENTRYTYPE"] == "article"
    assert graham["title"] == "Lost in knowledge translation: Time for a map?"
    assert graham["pages"] == "13--24"
    assert bib.entries[2]["journal"] == "Evidence \\& Policy"  # @string resolved


def test_malformed_block_is_a_warning_and_the_rest_loads(bib) -> None:
    assert len(bib.warnings) == 1
    assert bib.warnings[0].startswith("line 24: malformed BibTeX block: ")
    assert "broken2010" not in [e["ID"] for e in bib.entries]


def test_lines_are_raw(bib) -> None:
    src = fixture("references.bib").read_text(encoding="utf-8").split("\n")
    assert [ln.text for ln in bib.lines] == src[: len(bib.lines)]
    assert bib.lines[3].number == 4


def test_links(bib) -> None:
    got = [(lk.url, lk.line, lk.text, lk.element) for lk in bib.links]
    assert got == [
        ("https://doi.org/10.1002/chp.47", 12, "graham2006lost", "bibtex"),
        ("https://policypress.example.org/using-evidence", 21, "nutley2007using", "bibtex"),
        ("https://kmbunit.example.ca/phipps-2009", 34, "phipps2009", "bibtex"),
        ("https://kmbtoolkit.example.org/", 39, "KMb Toolkit website", "bibtex"),
    ]
    path = fixture("references.bib")
    assert source_column(path, 12, bib.links[0].column, len("10.1002/chp.47")) == "10.1002/chp.47"
    for lk in bib.links[1:]:
        assert source_column(path, lk.line, lk.column, len(lk.url)) == lk.url


def test_duplicate_key_and_field(tmp_path: Path) -> None:
    p = tmp_path / "dups.bib"
    p.write_text(
        "@book{levin2011, title = {Mobilising research knowledge}, year = {2011}}\n"
        "@book{levin2011, title = {Again}, year = {2011}}\n"
        "@misc{x, title = {A}, title = {B}}\n"
        "@misc{ok, url = {https://www.example.org/ok}}\n"
    )
    doc = read_document(p)
    assert [e["ID"] for e in doc.entries] == ["levin2011", "ok"]
    assert [w.split(":")[0] for w in doc.warnings] == ["line 2", "line 3"]
    assert all("malformed BibTeX block" in w for w in doc.warnings)


def test_multiline_url_field_line(tmp_path: Path) -> None:
    p = tmp_path / "wrap.bib"
    p.write_text("@misc{cooper2014,\n  title = {Knowledge mobilisation in education},\n  url =\n    {https://www.example.org/cooper}\n}\n")
    (lk,) = read_document(p).links
    assert lk.line == 4 and lk.column == 6


def test_bibtexparser_logs_are_silenced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    p = tmp_path / "bad.bib"
    p.write_text("@book{a, title = {open\n@book{b, title={ok}}\n")
    with caplog.at_level(logging.DEBUG):
        doc = read_document(p)
    assert doc.warnings and not [r for r in caplog.records if r.name.startswith("bibtexparser")]


@pytest.mark.parametrize(
    "value", ["10.1002/chp.47", "doi:10.1002/chp.47", "https://doi.org/10.1002/chp.47", "http://dx.doi.org/10.1002/chp.47"]
)
def test_doi_url(value: str) -> None:
    assert doi_url(value) == "https://doi.org/10.1002/chp.47"
