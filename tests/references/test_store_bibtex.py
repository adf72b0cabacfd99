"""Field conversion between the JSON contract and BibTeX, LaTeX escaping, middlewares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from kmgraph.references import bibtex
from kmgraph.references.bibtex import (
    ENTRY_TYPE_ALIASES,
    CanonicalFieldOrderMiddleware,
    NormalizeDoiMiddleware,
    NormalizeNamesMiddleware,
    Reference,
    from_bibtex,
    latex_escape,
    latex_unescape,
    parse_bibtex,
    reference_to_bibtex,
    render_entry,
    to_bibtex,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(REFS))
def test_round_trip_of_fixture_fields(name: str) -> None:
    fields = dict(REFS[name]["fields"])
    if "doi" in fields:
        fields["doi"] = fields["doi"].replace("https://doi.org/", "")
    assert from_bibtex(*to_bibtex(fields)) == fields


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "misc", "title": "Odd: 100% {braced} back\\slash path_x ~ ^ # $ & more", "year": "n.d."},
        {"type": "podcast", "title": "KMb chats", "container": "Mobilize This!", "year": "2019a"},
        {"type": "thesis", "author": ["Bennet, Alex"], "title": "T", "publisher": "Univ.", "container": "S"},
        {
            "type": "inproceedings",
            "author": ["van der Meer, Jan"],
            "editor": ["Smith, A."],
            "title": "P",
            "container": "Proc",
            "year": "2010",
        },
        {
            "type": "book",
            "title": "Only editors",
            "editor": ["Straus, Sharon E."],
            "edition": "2",
            "isbn": "978-1-118-41354-8",
        },
        {
            "type": "online",
            "title": "Page",
            "url": "https://example.org/a_b?x=1&y=%20#frag",
            "date": "2019-05-01",
        },
        {"type": "report", "authors_elided": True, "title": "Elided without names"},
    ],
)
def test_round_trip_edge_cases(fields: dict) -> None:
    assert from_bibtex(*to_bibtex(fields)) == fields


def test_mapping_of_types_containers_and_years() -> None:
    entry_type, f = to_bibtex(REFS["barwick2008"]["fields"])
    assert entry_type == "misc"
    assert f["year"] == "2008" and f["kmgraph-year"] == "2008, 2013"
    entry_type, f = to_bibtex({"type": "video", "title": "V", "container": "YouTube", "year": "n.d."})
    assert entry_type == "misc" and f["type"] == "video" and f["howpublished"] == "YouTube"
    assert "year" not in f and f["kmgraph-year"] == "n.d."
    entry_type, f = to_bibtex(REFS["graham2006"]["fields"])
    assert entry_type == "article" and f["journal"] == "J Contin Educ Health Prof"
    assert f["pages"] == "13--24"
    assert f["author"].endswith(" and others") and f["kmgraph-authors-elided"] == "true"
    _, f = to_bibtex({"type": "incollection", "container": "Handbook"})
    assert f["booktitle"] == "Handbook"
    _, f = to_bibtex({"type": "report", "publisher": "Imagine Canada"})
    assert f["institution"] == "Imagine Canada"
    _, f = to_bibtex({"type": "report", "author": ["Canadian Council on Learning", "Levin, B."]})
    assert f["author"] == "{Canadian Council on Learning} and Levin, B."
    _, f = to_bibtex({"type": "misc", "year_raw": "2008, 2013"})
    assert f["year"] == "2008"


def test_hand_corrected_year_wins_over_kmgraph_year() -> None:
    assert from_bibtex("misc", {"year": "2009", "kmgraph-year": "2008, 2013"})["year"] == "2009"


def test_ampersand_written_escaped_and_read_back() -> None:
    _, f = to_bibtex(REFS["ward2017"]["fields"])
    assert f["journal"] == r"Evidence \& Policy"
    assert from_bibtex("article", f)["container"] == "Evidence & Policy"


def test_latex_unescape_of_hand_written_values() -> None:
    assert latex_unescape(r"Lavis, John N. and Qu{\'e}bec and M\"{u}ller and {\O}stergaard") == (
        "Lavis, John N. and Québec and Müller and Østergaard"
    )
    assert (
        latex_unescape(r"Why, whose, what and how? {A} framework") == "Why, whose, what and how? A framework"
    )
    assert latex_unescape(r"\emph{Using} evidence") == "Using evidence"
    assert latex_escape("a_b", verbatim=True) == "a_b"
    assert latex_unescape(r"http://x.org/a\_b", verbatim=True) == "http://x.org/a_b"


def test_from_bibtex_reads_hand_written_spellings() -> None:
    lib = parse_bibtex((FIXTURES / "librarian.bib").read_text(encoding="utf-8"))
    ward = next(e for e in lib.entries if e.key == "Ward_2017")
    f = from_bibtex(ward.entry_type, {k.key: k.value for k in ward.fields})
    assert f["author"] == ["Ward, Vicky"]
    assert f["pages"] == "477--497" and f["year"] == "2017"
    f = from_bibtex(
        "techreport", {"author": "John N. Lavis and {CIHR}", "institution": "CIHR", "location": "Ottawa"}
    )
    assert f == {
        "type": "report",
        "author": ["Lavis, John N.", "CIHR"],
        "publisher": "CIHR",
        "address": "Ottawa",
    }
    f = from_bibtex("article", {"journaltitle": "Evidence \\& Policy", "doi": "https://doi.org/10.1332/x"})
    assert f["container"] == "Evidence & Policy" and f["doi"] == "10.1332/x"


def test_reference_to_bibtex_adds_kmgraph_fields() -> None:
    ref = Reference(
        REFS["levin2008"]["fields"], cited_by=("src-b", "src-a", "src-b"), raw="  6. Levin,  B. (2008)."
    )
    _, f = reference_to_bibtex(ref)
    assert f["kmgraph-cited-by"] == "src-a, src-b"
    assert f["kmgraph-raw"] == "6. Levin, B. (2008)."
    src = Reference({"type": "online", "title": "Guide"}, role="source", document="docs\\guide.html", raw="x")
    _, f = reference_to_bibtex(src)
    assert f["kmgraph-document"] == "docs/guide.html" and "kmgraph-raw" not in f


def _library(*fields: tuple[str, str]) -> Library:
    return Library([Entry("article", "k", [Field(k, v) for k, v in fields])])


def test_normalize_names_middleware() -> None:
    lib = NormalizeNamesMiddleware().transform(
        _library(
            (
                "author",
                "Ian D. Graham and Jan van der Meer and {World Health Organization} and Ward, Vicky and others",
            )
        )
    )
    assert lib.entries[0]["author"] == (
        "Graham, Ian D. and van der Meer, Jan and {World Health Organization} and Ward, Vicky and others"
    )


def test_normalize_doi_middleware() -> None:
    lib = NormalizeDoiMiddleware().transform(_library(("doi", "https://doi.org/10.1002/chp.47.")))
    assert lib.entries[0]["doi"] == "10.1002/chp.47"
    lib = NormalizeDoiMiddleware().transform(_library(("DOI", "doi: 10.1002/chp.47")))
    assert lib.entries[0]["DOI"] == "10.1002/chp.47"


def test_canonical_field_order_middleware() -> None:
    lib = CanonicalFieldOrderMiddleware().transform(
        _library(
            ("kmgraph-raw", "r"),
            ("note", "n"),
            ("abstract", "a"),
            ("year", "2006"),
            ("author", "A, B"),
            ("keywords", "k"),
            ("kmgraph-cited-by", "c"),
        )
    )
    assert [f.key for f in lib.entries[0].fields] == [
        "author",
        "year",
        "note",
        "abstract",
        "keywords",
        "kmgraph-cited-by",
        "kmgraph-raw",
    ]


def test_render_entry_format() -> None:
    entry = Entry("article", "ward2017whose", [Field("year", "2017"), Field("author", "Ward, V.")])
    assert render_entry(entry) == "@article{ward2017whose,\n  author = {Ward, V.},\n  year = {2017}\n}"


@pytest.mark.parametrize(
    ("written", "bare"),
    [("urn:doi:10.1002/CHP.47", "10.1002/CHP.47"), ("DOI:  10.1002/chp.47.", "10.1002/chp.47")],
)
def test_doi_prefixes_are_stripped_like_dedup_does(written: str, bare: str) -> None:
    assert to_bibtex({"type": "article", "doi": written})[1]["doi"] == bare
    assert from_bibtex("article", {"doi": written})["doi"] == bare
    lib = NormalizeDoiMiddleware().transform(_library(("doi", written)))
    assert lib.entries[0]["doi"] == bare


def test_a_value_that_is_not_a_doi_stays_as_written_for_lint() -> None:
    lib = NormalizeDoiMiddleware().transform(_library(("doi", " doi.org/chp.47 ")))
    assert lib.entries[0]["doi"] == "doi.org/chp.47"


def test_entry_type_aliases_are_one_map() -> None:
    from kmgraph.references import lint

    for alias, kind in ENTRY_TYPE_ALIASES.items():
        assert from_bibtex(alias, {})["type"] == kind
    assert not hasattr(lint, "_ALIASES")
    with pytest.raises(TypeError):
        ENTRY_TYPE_ALIASES["report"] = "misc"  # type: ignore[index]


def test_unused_latex_escape_middleware_is_gone() -> None:
    assert "LatexEscapeMiddleware" not in bibtex.__all__
    assert all(hasattr(bibtex, name) for name in bibtex.__all__)
