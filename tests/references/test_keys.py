"""Citation keys: readable, stable, unique."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from kmgraph.references.bibtex import Reference
from kmgraph.references.keys import (
    NAME_PARTICLES,
    KeyGenerationMiddleware,
    family_name,
    is_valid_key,
    key_base,
    unique_key,
)
from kmgraph.references.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("levin2008", "levin2008thinking"),
        ("zarinpoush2007", "zarinpoush2007effective"),
        ("barwick2008", "barwick2008knowledge"),
        ("reardon2006", "reardon2006research"),
        ("graham2006", "graham2006lost"),
        ("ward2017", "ward2017whose"),
        ("nutley2007", "nutley2007using"),
        ("ccl_video", "canadianndknowledge"),
    ],
)
def test_key_of_km_references(name: str, key: str) -> None:
    assert key_base(REFS[name]["fields"], REFS[name]["raw"]) == key


def test_particles_accents_and_corporate_names() -> None:
    assert family_name("van der Meer, Jan") == "vandermeer"
    assert family_name("Lemieux-Charles, Louise") == "lemieuxcharles"
    assert family_name("Bédard, Pierre-Olivier") == "bedard"
    assert family_name("The Change Foundation") == "change"
    assert family_name("Von Sychowski") == "vonsychowski"
    fields = {"author": ["Østergaard, Ø."], "year": "2011", "title": "À propos de la mobilisation"}
    assert key_base(fields) == "ostergaard2011propos"


def test_fallbacks_editor_publisher_no_title_and_nothing() -> None:
    assert (
        key_base(
            {"editor": ["Straus, Sharon E."], "year": "2013", "title": "Knowledge translation in health care"}
        )
        == "straus2013knowledge"
    )
    assert key_base({"publisher": "The Hospital for Sick Children", "year": "2013"}) == "hospital2013"
    assert key_base({"author": ["Levin, B."], "year": "2008"}) == "levin2008"
    assert key_base({"title": "Knowledge mobilization 101"}) == "knowledgemobilization"
    empty = key_base({}, "[1] https://example.org/")
    assert empty.startswith("anon") and len(empty) == 10
    assert key_base({}, "[1] https://example.org/") == empty
    assert key_base({}, "[2] https://example.org/other") != empty
    assert key_base({"date": "2019-05-01", "title": "The guide"}) == "guide2019"
    # A footnote that is only a URL: the site and the first word of its path.
    url = "https://www.wenger-trayner.com/introduction-to-communities-of-practice/"
    assert key_base({"type": "online", "url": url}) == "wengertraynerintroduction"


def test_stop_words_are_skipped() -> None:
    assert (
        key_base({"author": ["Ward, V."], "year": "2017", "title": "What is the use of it? On frameworks"})
        == "ward2017use"
    )


def test_collision_suffixes() -> None:
    assert unique_key("levin2008thinking", set()) == "levin2008thinking"
    assert unique_key("levin2008thinking", {"levin2008thinking"}) == "levin2008thinkingb"
    assert (
        unique_key("levin2008thinking", {"Levin2008Thinking", "levin2008thinkingb"}) == "levin2008thinkingc"
    )
    taken = {"k"} | {"k" + c for c in "bcdefghijklmnopqrstuvwxyz"}
    assert unique_key("k", taken) == "kba"


def test_key_generation_middleware_fills_empty_keys_only() -> None:
    taken = {"levin2008thinking"}
    lib = Library(
        [
            Entry(
                "report",
                "",
                [Field("author", "Levin, B."), Field("year", "2008"), Field("title", "Thinking about it")],
            ),
            Entry("misc", "kept_key", [Field("title", "x")]),
        ]
    )
    lib = KeyGenerationMiddleware(taken).transform(lib)
    assert [e.key for e in lib.entries] == ["levin2008thinkingb", "kept_key"]
    assert "levin2008thinkingb" in taken


def test_keys_stable_across_re_adds_and_collisions(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "references", create=True)
    first = store.add(Reference(REFS["levin2008"]["fields"], raw=REFS["levin2008"]["raw"]))
    other = store.add(
        Reference(
            {**REFS["levin2008_other"]["fields"], "title": "Thinking differently about schools"}, raw="other"
        )
    )
    assert (first.key, other.key) == ("levin2008thinking", "levin2008thinkingb")
    store.save()
    store = Store.open(tmp_path / "references")
    # A re-add with a changed title merges and never renames.
    again = store.add(
        Reference(
            {**REFS["levin2008"]["fields"], "title": "Thinking about knowledge mobilization"},
            raw=REFS["levin2008"]["raw"],
        )
    )
    assert again.key == "levin2008thinking" and again.action in ("merged", "unchanged")
    store.save()
    assert {e.key for e in Store.open(tmp_path / "references").entries} == {
        "levin2008thinking",
        "levin2008thinkingb",
    }


def test_deleted_keys_are_not_reused(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    store = Store.open(folder, create=True)
    store.add(Reference(REFS["levin2008"]["fields"], raw=REFS["levin2008"]["raw"]))
    store.save()
    (folder / "works.bib").write_text("", encoding="utf-8")
    store = Store.open(folder)
    other = store.add(
        Reference(
            {**REFS["levin2008_other"]["fields"], "title": "Thinking differently about schools"}, raw="other"
        )
    )
    assert other.key == "levin2008thinkingb"


def test_one_list_of_name_particles() -> None:
    expected = {"van", "von", "de", "der", "den", "la", "le", "du", "da", "di", "del", "della", "dos", "das"}
    expected |= {"ten", "ter", "van't", "st", "des", "zu", "bin", "ibn", "al", "el", "y", "vander", "d'", "l'"}
    assert expected <= NAME_PARTICLES
    assert isinstance(NAME_PARTICLES, frozenset)
    assert all(p == p.lower() for p in NAME_PARTICLES)


@pytest.mark.parametrize(("name", "key"), [("Ibn Sina", "ibnsina"), ("Dos Santos", "dossantos"), ("Von Sychowski", "vonsychowski")])
def test_a_family_name_given_alone_keeps_its_particle(name: str, key: str) -> None:
    assert family_name(name) == key


@pytest.mark.parametrize("key", ["phipps2009", "Smith:2009-a", "doe_2010.b", "x/y+z"])
def test_valid_keys(key: str) -> None:
    assert is_valid_key(key)


@pytest.mark.parametrize("key", ["", None, "a b", "a,b", "a{b}", "a%b", "a#b", "a'b", 'a"b', "a=b", "a\\b", "a~b", "caf\u00e9", "a\tb"])
def test_invalid_keys(key: str | None) -> None:
    assert not is_valid_key(key)


def test_ascii_fold_shortcut_for_ascii_text_folds_as_nfkd_does() -> None:
    import re
    import unicodedata

    from kmgraph.references.keys import _NO_DECOMPOSITION, ascii_fold

    def by_nfkd(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)).encode("ascii", "ignore")
        return re.sub(r"[^a-z0-9]+", " ", decomposed.decode("ascii").lower()).strip()

    samples = [chr(c) for c in range(128)] + ["A Title: Part 2 (2010)", "  O'Brien &  Co.  ", "x\x00y\x7f", "Ünïcode Ørsted"]
    for text in samples:
        assert ascii_fold(text) == by_nfkd(text), repr(text)
