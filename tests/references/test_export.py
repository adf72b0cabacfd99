"""Exports: BibTeX, CSL-JSON, RIS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmgraph.errors import UsageError
from kmgraph.references.bibtex import Reference, entry_fields, parse_bibtex
from kmgraph.references.export import export
from kmgraph.references.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path, create=True)
    for name in ("graham2006", "nutley2007", "ward2017", "barwick2008", "ccl_video", "zarinpoush2007"):
        s.add(Reference(REFS[name]["fields"], raw=REFS[name]["raw"], cited_by=("src",)))
    s.save()
    return Store.open(tmp_path)


def test_bibtex_export_reparses_to_same_fields(store: Store) -> None:
    text = export(store.entries, "bibtex")
    again = parse_bibtex(text)
    assert not again.failed_blocks
    assert [(e.key, e.entry_type, entry_fields(e)) for e in again.entries] == [
        (e.key, e.entry_type, entry_fields(e)) for e in store.entries
    ]
    assert text == (store.path / "works.bib").read_text(encoding="utf-8")


def test_csl_json_shapes(store: Store) -> None:
    items = {i["id"]: i for i in json.loads(export(store.entries, "csl-json"))}
    graham = items["graham2006lost"]
    assert graham["type"] == "article-journal"
    assert graham["author"][0] == {"family": "Graham", "given": "I. D."}
    assert graham["issued"] == {"date-parts": [[2006]]}
    assert (graham["container-title"], graham["volume"], graham["issue"], graham["page"]) == (
        "J Contin Educ Health Prof",
        "26",
        "1",
        "13-24",
    )
    assert graham["DOI"] == "10.1002/chp.47"
    nutley = items["nutley2007using"]
    assert (nutley["type"], nutley["publisher"], nutley["publisher-place"]) == (
        "book",
        "Policy Press",
        "Bristol",
    )
    assert items["ward2017whose"]["container-title"] == "Evidence & Policy"
    assert items["barwick2008knowledge"]["issued"] == {"date-parts": [[2008]], "raw": "2008, 2013"}
    video = items["canadianndknowledge"]
    assert video["type"] == "motion_picture" and video["author"] == [
        {"literal": "Canadian Council on Learning"}
    ]
    assert "issued" not in video
    assert items["zarinpoush2007effective"]["type"] == "report"
    assert items["zarinpoush2007effective"]["publisher"] == "Imagine Canada"


def test_ris_lines(store: Store) -> None:
    text = export([store.get("graham2006lost"), store.get("nutley2007using")], "ris")
    records = text.strip("\n").split("\n\n")
    assert len(records) == 2
    graham = records[0].split("\n")
    assert graham[0] == "TY  - JOUR" and graham[-1] == "ER  - "
    assert "AU  - Graham, I. D." in graham and "AU  - Harrison, M. B." in graham
    for line in (
        "TI  - Lost in knowledge translation: time for a map?",
        "PY  - 2006",
        "JO  - J Contin Educ Health Prof",
        "VL  - 26",
        "IS  - 1",
        "SP  - 13",
        "EP  - 24",
        "DO  - 10.1002/chp.47",
    ):
        assert line in graham
    nutley = records[1].split("\n")
    assert nutley[0] == "TY  - BOOK"
    assert "PB  - Policy Press" in nutley and "CY  - Bristol" in nutley
    assert all(len(line) >= 6 and line[2:6] == "  - " for line in graham + nutley)


def test_ris_types(store: Store) -> None:
    text = export(
        [
            store.get("zarinpoush2007effective"),
            store.get("canadianndknowledge"),
            store.get("barwick2008knowledge"),
        ],
        "ris",
    )
    assert [line for line in text.splitlines() if line.startswith("TY")] == [
        "TY  - RPRT",
        "TY  - VIDEO",
        "TY  - GEN",
    ]


def test_unknown_format(store: Store) -> None:
    with pytest.raises(UsageError):
        export(store.entries, "endnote")
