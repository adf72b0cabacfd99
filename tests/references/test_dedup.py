"""Matching: DOI and URL normalisation, exact raw strings, near-duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmgraph.references.bibtex import Reference
from kmgraph.references.dedup import (
    NEAR_THRESHOLD,
    MatchIndex,
    first_author_key,
    match_info,
    near_score,
    normalize_doi,
    normalize_raw,
    normalize_url,
    strip_doi,
    title_score,
)
from kmgraph.references.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))


def ref(name: str, **changes: object) -> Reference:
    data = REFS[name]
    return Reference({**data["fields"], **changes}, raw=data["raw"], cited_by=(f"src-{name}",))


@pytest.mark.parametrize(
    "value",
    [
        "10.1002/chp.47",
        "10.1002/CHP.47",
        "https://doi.org/10.1002/chp.47",
        "http://dx.doi.org/10.1002/chp.47",
        "doi:10.1002/chp.47",
        " DOI: 10.1002/chp.47. ",
    ],
)
def test_normalize_doi(value: str) -> None:
    assert normalize_doi(value) == "10.1002/chp.47"


@pytest.mark.parametrize(
    ("value", "bare"),
    [
        ("https://doi.org/10.1002/CHP.47.", "10.1002/CHP.47"),
        ("http://dx.doi.org/10.1002/chp.47", "10.1002/chp.47"),
        ("doi.org/10.1002/chp.47", "10.1002/chp.47"),
        ("DOI: 10.1332/174426416X14634763278725", "10.1332/174426416X14634763278725"),
        ("doi :10.1332/174426416X14634763278725;", "10.1332/174426416X14634763278725"),
        ("urn:doi:10.1002/chp.47", "10.1002/chp.47"),
        ("10.1016/S0140-6736(20)30183-5", "10.1016/S0140-6736(20)30183-5"),
        ("10.1016/S0140-6736(20)30183-5).", "10.1016/S0140-6736(20)30183-5"),
    ],
)
def test_strip_doi_keeps_the_case_as_written(value: str, bare: str) -> None:
    assert strip_doi(value) == bare
    assert normalize_doi(value) == bare.lower()


@pytest.mark.parametrize(
    "value", ["", None, "chp.47", "10.12/x", "10.1002/chp 47", "https://example.org/10.1002/chp.47", "doi:"]
)
def test_strip_doi_rejects_non_dois(value: str | None) -> None:
    assert strip_doi(value) is None


def test_normalize_doi_rejects_non_dois() -> None:
    assert normalize_doi("chp.47") is None
    assert normalize_doi("10.12/x") is None
    assert normalize_doi("") is None


@pytest.mark.parametrize(
    "value",
    [
        "https://www.iwh.on.ca/tools-and-guides/kte-guide",
        "http://iwh.on.ca/tools-and-guides/kte-guide/",
        "HTTPS://WWW.IWH.ON.CA/tools-and-guides/kte-guide#top",
        "https://iwh.on.ca:443/tools-and-guides/kte-guide",
        "www.iwh.on.ca/tools-and-guides/kte-guide",
    ],
)
def test_normalize_url(value: str) -> None:
    assert normalize_url(value) == "iwh.on.ca/tools-and-guides/kte-guide"


def test_normalize_url_keeps_path_case_and_query() -> None:
    assert normalize_url("https://x.org/KMb?id=2") == "x.org/KMb?id=2"
    assert normalize_url("https://x.org/KMb?id=2") != normalize_url("https://x.org/KMb?id=3")
    assert normalize_url("not a url") is None


def test_normalize_raw_and_first_author() -> None:
    assert normalize_raw("6.  Levin, B. (2008).") == normalize_raw("levin, b. (2008)")
    assert first_author_key(["Levin, B."]) == first_author_key(["LEVIN, Benjamin"]) == "levin"
    assert first_author_key(["Bédard, P.-O."]) == "bedard"
    assert first_author_key([]) is None


def test_title_score_subtitle_and_short_titles() -> None:
    assert (
        title_score(
            "thinking about knowledge mobilization",
            "thinking about knowledge mobilization a discussion paper",
        )
        == 95
    )
    # Shared words are not enough: a different title that contains the other's words.
    assert (
        title_score("what is knowledge mobilization", "what is km defining and putting knowledge mobilization into practice")
        < 92
    )
    assert (
        title_score("using evidence", "using evidence how research can inform public services")
        < NEAR_THRESHOLD
    )


def test_near_duplicates_require_author_and_year() -> None:
    a = match_info("a", REFS["levin2008"]["fields"])
    b = match_info("", REFS["levin2008_short"]["fields"])
    assert near_score(a, b) is not None
    assert near_score(a, match_info("", {**REFS["levin2008_short"]["fields"], "year": "2011"})) is None
    assert near_score(a, match_info("", {**REFS["levin2008_short"]["fields"], "year": "n.d."})) is not None
    assert (
        near_score(a, match_info("", {**REFS["levin2008_short"]["fields"], "author": ["Lavis, J."]})) is None
    )
    assert near_score(a, match_info("", REFS["levin2008_other"]["fields"])) is None
    with_doi = match_info("", {**REFS["levin2008_short"]["fields"], "doi": "10.1234/other"})
    assert (
        near_score(match_info("x", {**REFS["levin2008"]["fields"], "doi": "10.1234/levin"}), with_doi) is None
    )


def test_years_2008_2013_compatible_with_either() -> None:
    a = match_info("a", REFS["barwick2008"]["fields"])
    assert near_score(a, match_info("", {**REFS["barwick2008"]["fields"], "year": "2013"})) is not None
    assert near_score(a, match_info("", {**REFS["barwick2008"]["fields"], "year": "2010"})) is None


def test_sources_match_sources_only_by_document() -> None:
    index = MatchIndex()
    index.add(match_info("src", {"title": "Guide", "url": "https://x.org/g"}, document="a/guide.html"))
    index.add(match_info("work", {"title": "Guide", "url": "https://x.org/g"}))
    assert index.find(match_info("", {"title": "Other"}, document="a/guide.html")).key == "src"
    assert index.find(match_info("", {"title": "Guide", "url": "https://x.org/g"}, document="b.html")) is None
    assert index.find(match_info("", {"title": "x", "url": "http://www.x.org/g/"})).key == "work"


def test_store_merges_near_duplicate_levin(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    assert store.add(ref("levin2008")).action == "added"
    result = store.add(ref("levin2008_short"))
    assert (result.key, result.action, result.matched_by) == ("levin2008thinking", "merged", "near")
    assert result.score is not None and result.score >= NEAR_THRESHOLD
    assert store.get("levin2008thinking")["kmgraph-cited-by"] == "src-levin2008, src-levin2008_short"


def test_store_keeps_different_works_same_author_year_apart(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    store.add(ref("levin2008"))
    result = store.add(ref("levin2008_other"))
    assert result.action == "added" and result.key == "levin2008change"
    assert len(store.entries) == 2


def test_store_matches_by_doi_url_and_exact(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    store.add(ref("graham2006"))
    assert store.add(ref("graham2006_full")).matched_by == "doi"
    store.add(ref("reardon2006"))
    assert store.add(ref("reardon2006_url")).matched_by == "url"
    raw_only = Reference({"type": "misc", "title": "Something else entirely"}, raw=REFS["barwick2008"]["raw"])
    store.add(ref("barwick2008"))
    assert store.add(raw_only).matched_by == "exact"
    assert len(store.entries) == 3


def test_sources_and_works_never_merge(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    work = store.add(ref("reardon2006"))
    source = store.add(Reference(REFS["reardon2006"]["fields"], role="source", document="seeds/reardon.pdf"))
    assert source.action == "added" and source.key != work.key
    assert store.file_of(source.key).name == "sources.bib"
    assert store.file_of(work.key).name == "works.bib"
    again = store.add(
        Reference({"type": "online", "title": "Renamed"}, role="source", document="seeds/reardon.pdf")
    )
    assert (again.key, again.matched_by) == (source.key, "document")


def test_find_work_gives_what_find_gives() -> None:
    """The lazy lookup the graph build uses answers exactly as find(match_info(...))."""
    index = MatchIndex()
    for key, data in sorted(REFS.items()):
        index.add(match_info(key, data["fields"], raw=data["raw"]))
    index.add(match_info("src", {"title": "Guide"}, document="a/guide.html"))
    probes: list[tuple[dict, str | None]] = []
    for data in REFS.values():
        fields = data["fields"]
        probes += [
            (fields, data["raw"]),  # exact (or an identifier first)
            (fields, None),  # identifiers, else near
            ({**fields, "doi": None, "url": None}, "1. " + data["raw"].upper()),  # exact after normalising
            ({k: v for k, v in fields.items() if k not in ("doi", "url")}, None),  # near only
            ({**fields, "title": "Something else entirely"}, None),  # nothing, or an identifier
            ({**fields, "year": "1901"}, "no such reference"),
        ]
    probes.append(({"title": "Guide"}, None))  # a source's title never matches a work
    kinds = set()
    for fields, raw in probes:
        expected = index.find(match_info("", fields, role="work", raw=raw))
        assert index.find_work(fields, raw) == expected, (fields, raw)
        kinds.add(expected.matched_by if expected else None)
    assert {"doi", "exact", "near", None} <= kinds
