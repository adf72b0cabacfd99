"""The BibTeX store: opening, adding, saving, determinism, atomic writes, broken files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kmgraph.errors import EntryNotFound, StoreError, StoreNotFound
from kmgraph.references.bibtex import Reference, parse_bibtex
from kmgraph.references.store import STATE_FILE, MergeReport, MergeResult, Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))
ORDER = [
    "levin2008",
    "graham2006",
    "ward2017",
    "levin2008_short",
    "nutley2007",
    "graham2006_full",
    "barwick2008",
    "zarinpoush2007",
    "reardon2006",
    "reardon2006_url",
    "ccl_video",
    "wenger_footnote",
    "levin2008_other",
]


def ref(name: str, **changes: object) -> Reference:
    data = REFS[name]
    return Reference({**data["fields"], **changes}, raw=data["raw"], cited_by=(f"src-{name[:6]}",))


def build(folder: Path) -> list[Path]:
    store = Store.open(folder, create=True)
    for name in ORDER:
        store.add(ref(name))
    store.add(
        Reference(
            {
                "type": "online",
                "title": "KMb toolkit",
                "url": "https://example.org/kmb",
                "date": "2019-05-01",
            },
            role="source",
            document="seeds/toolkit.html",
        )
    )
    return store.save()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_open_missing_and_file(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound):
        Store.open(tmp_path / "nope")
    (tmp_path / "refs.bib").write_text("", encoding="utf-8")
    with pytest.raises(StoreError):
        Store.open(tmp_path / "refs.bib")
    store = Store.open(tmp_path / "new" / "references", create=True)
    assert store.entries == [] and not (tmp_path / "new").exists()
    assert store.save() == []


def test_corrupt_state_file_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError):
        Store.open(tmp_path)


def test_build_writes_works_sources_and_state(tmp_path: Path) -> None:
    written = build(tmp_path / "references")
    assert [p.name for p in written] == ["sources.bib", "works.bib", STATE_FILE]
    works = (tmp_path / "references" / "works.bib").read_text(encoding="utf-8")
    keys = [e.key for e in parse_bibtex(works).entries]
    assert keys == sorted(keys)
    assert "levin2008thinking" in keys and "levin2008change" in keys
    assert works.endswith("}\n") and "\n\n\n" not in works
    assert "  author = {Levin, B.}," in works
    state = json.loads((tmp_path / "references" / STATE_FILE).read_text(encoding="utf-8"))
    assert set(state["entries"]) == set(keys) | {"kmb2019toolkit"}


def test_determinism_byte_identical(tmp_path: Path) -> None:
    build(tmp_path / "a")
    build(tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_rebuild_on_same_store_is_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    build(folder)
    before = snapshot(folder)
    assert build(folder) == []
    assert snapshot(folder) == before


def test_canonical_field_order_and_format(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    store.add(ref("ward2017"))
    store.save()
    text = (tmp_path / "works.bib").read_text(encoding="utf-8")
    assert text == (
        "@article{ward2017whose,\n"
        "  author = {Ward, V.},\n"
        "  title = {Why, whose, what and how? A framework for knowledge mobilisers},\n"
        "  year = {2017},\n"
        "  journal = {Evidence \\& Policy},\n"
        "  volume = {13},\n"
        "  number = {3},\n"
        "  pages = {477--497},\n"
        "  doi = {10.1332/174426416X14634763278725},\n"
        "  kmgraph-cited-by = {src-ward20},\n"
        "  kmgraph-raw = {" + REFS["ward2017"]["raw"] + "}\n"
        "}\n"
    )


def test_get_file_of_search_and_suggestions(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    build(folder)
    store = Store.open(folder)
    # The first sighting's journal stays; a later document's wording only fills gaps.
    assert store.get("graham2006lost")["journal"] == "J Contin Educ Health Prof"
    assert store.file_of("kmb2019toolkit").name == "sources.bib"
    with pytest.raises(EntryNotFound, match="levin2008thinking"):
        store.get("levin2008thinkin")
    assert [e.key for e in store.search("levin 2008")] == ["levin2008change", "levin2008thinking"]
    assert [e.key for e in store.search("EVIDENCE & policy 2017")] == ["ward2017whose"]
    assert [e.key for e in store.search("imagine canada")] == ["zarinpoush2007effective"]
    assert store.search("no such words here") == []


def test_merge_report_summary() -> None:
    report = MergeReport(
        (
            MergeResult("levin2008thinking", "added"),
            MergeResult("levin2008thinking", "merged", "near", 100.0),
            MergeResult("graham2006lost", "unchanged", "doi", kept_edits=("title",)),
        )
    )
    assert report.added == ("levin2008thinking",)
    assert report.near_duplicates[0].score == 100.0
    assert report.summary() == (
        "1 added, 1 merged, 1 unchanged, 1 hand edits kept\n"
        "  near-duplicate merged into levin2008thinking (title score 100.0)"
    )


def test_add_all_returns_report(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    report = store.add_all([ref("levin2008"), ref("levin2008_short"), ref("ward2017")])
    assert report.added == ("levin2008thinking", "ward2017whose")
    # The short variant adds nothing the first sighting lacks: matched, unchanged.
    assert report.merged == ()
    assert report.unchanged == ("levin2008thinking",)


# ---------------------------------------------------------------- atomic writes


def test_failed_replace_leaves_old_file_and_no_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "references"
    build(folder)
    before = snapshot(folder)
    store = Store.open(folder)
    store.add(
        ref(
            "levin2008",
            title="Thinking about knowledge mobilization: A discussion paper (revised)",
            url="https://example.org/levin",
        )
    )

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StoreError, match="disk full"):
        store.save()
    assert snapshot(folder) == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_save_keeps_file_mode(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    build(folder)
    (folder / "works.bib").chmod(0o640)
    store = Store.open(folder)
    store.add(ref("levin2008", url="https://example.org/levin"))
    store.save()
    assert (folder / "works.bib").stat().st_mode & 0o777 == 0o640


# ---------------------------------------------------------------- malformed blocks


def test_malformed_block_reported_and_kept_verbatim(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    folder.mkdir()
    shutil.copy(FIXTURES / "broken.bib", folder)
    original = (folder / "broken.bib").read_text(encoding="utf-8")
    store = Store.open(folder)
    [failed] = store.failed_blocks
    assert failed.file.name == "broken.bib" and failed.line == 10
    assert failed.raw.startswith("@book{straus2013kt,") and "closing" in failed.reason
    assert [e.key for e in store.entries] == ["cihr2016guide", "kmbunit2020notes"]
    # A merge into an entry of the broken file patches that entry only.
    result = store.add(
        Reference(
            {
                "type": "misc",
                "title": "KMb unit meeting notes",
                "year": "2020",
                "url": "https://example.org/notes",
            },
            cited_by=("src-x",),
        )
    )
    assert (result.key, result.action) == ("kmbunit2020notes", "merged")
    store.add(ref("ward2017"))
    store.save()
    text = (folder / "broken.bib").read_text(encoding="utf-8")
    assert failed.raw in text
    assert text.index(failed.raw) == original.index(failed.raw)
    assert text.startswith(original[: original.index("@misc{kmbunit2020notes")])
    assert "url = {https://example.org/notes}" in text
    assert (folder / "works.bib").is_file()
    assert Store.open(folder).failed_blocks[0].line == 10


def test_broken_works_bib_gets_new_entries_appended(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    folder.mkdir()
    broken = (FIXTURES / "broken.bib").read_text(encoding="utf-8")
    (folder / "works.bib").write_text(broken, encoding="utf-8")
    store = Store.open(folder)
    store.add(ref("ward2017"))
    store.save()
    text = (folder / "works.bib").read_text(encoding="utf-8")
    assert text.startswith(broken.rstrip("\n"))
    assert text.rstrip().endswith("}") and "@article{ward2017whose," in text


def test_file_not_utf8_is_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "references"
    folder.mkdir()
    data = "@misc{nutley_latin,\n  title = {Using evidence},\n  author = {Nutley, S. and Mart\xednez, A.},\n  year = {2007}\n}\n".encode(
        "latin-1"
    )
    (folder / "old.bib").write_bytes(data)
    store = Store.open(folder)
    assert store.failed_blocks[0].file.name == "old.bib"
    result = store.add(
        Reference(
            {"type": "book", "title": "Using evidence", "author": ["Nutley, S."], "year": "2007"},
            cited_by=("s",),
        )
    )
    assert (result.key, result.action) == ("nutley_latin", "unchanged")
    store.save()
    assert (folder / "old.bib").read_bytes() == data


def test_duplicate_key_within_one_file_is_a_failed_block(tmp_path: Path) -> None:
    (tmp_path / "mine.bib").write_text(
        "@misc{a1, title = {One}}\n\n@misc{a1, title = {Two}}\n", encoding="utf-8"
    )
    store = Store.open(tmp_path)
    [failed] = store.failed_blocks
    assert (failed.code, failed.line) == ("duplicate-key", 3)


# ---------------------------------------------------------------- several files


def test_duplicate_key_in_two_files(tmp_path: Path) -> None:
    (tmp_path / "a.bib").write_text(
        "@misc{ward2017, title = {Why, whose, what and how?}}\n", encoding="utf-8"
    )
    (tmp_path / "b.bib").write_text("@misc{ward2017, title = {Another}}\n", encoding="utf-8")
    store = Store.open(tmp_path)
    assert len(store.entries) == 2
    with pytest.raises(StoreError, match=r"a\.bib:1, b\.bib:1"):
        store.get("ward2017")
    assert list(store.duplicate_keys()) == ["ward2017"]


def test_existing_entries_stay_in_their_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "librarian.bib", tmp_path)
    store = Store.open(tmp_path)
    result = store.add(ref("ward2017"))
    assert (result.key, result.matched_by) == ("Ward_2017", "near")
    assert store.file_of("Ward_2017").name == "librarian.bib"
    store.save()
    assert not (tmp_path / "works.bib").exists()


def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    text = (FIXTURES / "librarian.bib").read_text(encoding="utf-8").replace("\n", "\r\n")
    (tmp_path / "librarian.bib").write_bytes(text.encode("utf-8"))
    store = Store.open(tmp_path)
    store.add(ref("ward2017"))
    store.save()
    data = (tmp_path / "librarian.bib").read_bytes()
    assert b"kmgraph-cited-by" in data and data.count(b"\n") == data.count(b"\r\n")
