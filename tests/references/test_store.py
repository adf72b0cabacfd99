"""The BibTeX store: opening, adding, saving, determinism, atomic writes, broken files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bibtexparser.library import Library

from kmgraph.errors import EntryNotFound, StoreError, StoreNotFound
from kmgraph.references.bibtex import Reference, parse_bibtex
from kmgraph.references.store import STATE_FILE, MergeReport, MergeResult, Store, atomic_write_text

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


# ---------------------------------------------------------------- OS and data problems


def test_missing_store_message_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound) as caught:
        Store.open(tmp_path / "nope")
    assert "kmgraph ingest" in caught.value.message and "create=True" not in str(caught.value)


def test_atomic_write_into_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "works.bib"
    with pytest.raises(StoreError, match="cannot write") as caught:
        atomic_write_text(target, "x\n")
    assert caught.value.path == str(target)
    assert not (tmp_path / "missing").exists()


def test_atomic_write_under_a_file_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot write") as caught:
        atomic_write_text(tmp_path / "plain" / "works.bib", "x\n")
    assert caught.value.path == str(tmp_path / "plain" / "works.bib")
    assert (tmp_path / "plain").read_text(encoding="utf-8") == "not a folder\n"


def test_atomic_write_in_an_unwritable_folder_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "works.bib"
    target.write_text("old\n", encoding="utf-8")

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)  # root ignores chmod, so simulate
    with pytest.raises(StoreError, match="cannot write: Permission denied") as caught:
        atomic_write_text(target, "new\n")
    assert caught.value.path == str(target)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["works.bib"]


def test_unreadable_bib_file_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "library.bib").write_text("@misc{a, title = {A}}\n", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "library.bib":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)  # root can read anything, so simulate
    with pytest.raises(StoreError, match="cannot read: Permission denied") as caught:
        Store.open(tmp_path)
    assert caught.value.path == str(tmp_path / "library.bib")


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ({"a2006x": ["article"]}, "not an object"),
        ({"a2006x": {"type": 3, "fields": {}}}, '"type" is not a string'),
        ({"a2006x": {"type": "misc", "fields": ["title"]}}, '"fields" is not an object of strings'),
        ({"a2006x": {"type": "misc", "fields": {"year": 2006}}}, '"fields" is not an object of strings'),
    ],
)
def test_corrupt_state_record_names_the_key(tmp_path: Path, entries: dict, problem: str) -> None:
    (tmp_path / STATE_FILE).write_text(json.dumps({"version": 1, "entries": entries}), encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path)
    assert caught.value.message == f"corrupt state record for key 'a2006x': {problem}"
    assert caught.value.path == str(tmp_path / STATE_FILE)


@pytest.mark.parametrize("content", [b'{"entries": {"a": {"type": "misc\xff"}}}', b"[1, 2]", b'{"entries": 3}'])
def test_unreadable_state_file_is_a_store_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / STATE_FILE).write_bytes(content)
    with pytest.raises(StoreError, match="cannot read the state file") as caught:
        Store.open(tmp_path)
    assert caught.value.path == str(tmp_path / STATE_FILE)


# ---------------------------------------------------------------- near duplicates in reports


def test_near_duplicates_lists_only_merges_that_changed_something() -> None:
    report = MergeReport(
        (
            MergeResult("levin2008thinking", "unchanged", "near", 96.0),
            MergeResult("ward2017whose", "merged", "near", 94.0),
            MergeResult("graham2006lost", "suppressed", "near", 93.0),
        )
    )
    assert [r.key for r in report.near_duplicates] == ["ward2017whose"]
    assert report.summary() == (
        "0 added, 1 merged, 1 unchanged, 1 suppressed (deleted by hand)\n"
        "  near-duplicate merged into ward2017whose (title score 94.0)"
    )


def test_rerun_reports_no_near_duplicates(tmp_path: Path) -> None:
    build(tmp_path)
    store = Store.open(tmp_path)
    report = store.add_all([ref(name) for name in ORDER])
    assert report.near_duplicates == ()
    assert "near-duplicate" not in report.summary()


# ---------------------------------------------------------------- files kmgraph cannot patch


def test_unlocatable_entries_are_warned_about_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kmgraph.references.store as store_module

    text = "% kept by hand\n@article{graham2006lost,\n  title = {Lost in knowledge translation},\n  doi = {10.1002/chp.47}\n}\n"
    (tmp_path / "library.bib").write_text(text, encoding="utf-8")

    def misreading_parser(source: str) -> Library:
        library = parse_bibtex(source)
        for entry in library.entries:
            entry._raw = (entry.raw or "") + " "  # as if the splitter's text differed from the file's
        return library

    monkeypatch.setattr(store_module, "parse_bibtex", misreading_parser)
    store = Store.open(tmp_path)
    assert store.warnings == [
        f"{tmp_path / 'library.bib'}:2: entry 'graham2006lost' cannot be located in the file's text; "
        "kmgraph will not rewrite this file (merges into its entries are skipped)"
    ]
    assert store.failed_blocks == []
    result = store.add(ref("graham2006"))
    assert (result.key, result.action) == ("graham2006lost", "unchanged")
    store.save()
    assert (tmp_path / "library.bib").read_text(encoding="utf-8") == text


def test_a_clean_store_has_no_warnings(tmp_path: Path) -> None:
    build(tmp_path)
    assert Store.open(tmp_path).warnings == []


# ---------------------------------------------------------------- preferred keys


def test_a_reference_keeps_its_own_key(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    fields = {"type": "report", "author": ["Phipps, David"], "title": "Knowledge mobilization", "year": "2009"}
    assert store.add(Reference(fields, key="phipps2009")).key == "phipps2009"
    store.save()
    assert [e.key for e in Store.open(tmp_path).entries] == ["phipps2009"]


@pytest.mark.parametrize("bad", ["phipps 2009", "phipps{2009}", "", "phipps,2009", "ph\u00efpps2009"])
def test_an_invalid_key_is_replaced_by_a_generated_one(tmp_path: Path, bad: str) -> None:
    store = Store.open(tmp_path, create=True)
    fields = {"type": "report", "author": ["Phipps, David"], "title": "Knowledge mobilization", "year": "2009"}
    assert store.add(Reference(fields, key=bad)).key == "phipps2009knowledge"


def test_a_taken_key_is_not_reused(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    store.add(ref("ward2017"))
    # Taken by a live entry (case-insensitively): a generated key instead.
    assert store.add(ref("levin2008", key="WARD2017WHOSE")).key == "levin2008thinking"
    store.save()
    (tmp_path / "works.bib").write_text("", encoding="utf-8")  # both deleted by hand
    store = Store.open(tmp_path)
    # Handed out before (still in the state): not given to another work.
    fields = {"type": "misc", "author": ["Phipps, David"], "title": "Notes", "year": "2010"}
    assert store.add(Reference(fields, key="levin2008thinking")).key == "phipps2010notes"


# ---------------------------------------------------------------- fields_of and locate


def test_fields_of_gives_the_json_contract_fields(tmp_path: Path) -> None:
    (tmp_path / "library.bib").write_text(
        "@report{sshrc2019,\n"
        "  author = {{Social Sciences and Humanities Research Council}},\n"
        "  title = {Guidelines for effective knowledge mobilization},\n"
        "  year = {2019}\n"
        "}\n\n"
        "@report{zarinpoush2007,\n"
        "  author = {{Zarinpoush} and {Von Sychowski}},\n"
        "  title = {Effective knowledge transfer \\& exchange},\n"
        "  year = {2007},\n"
        "  kmgraph-year = {2007a}\n"
        "}\n",
        encoding="utf-8",
    )
    store = Store.open(tmp_path)
    assert store.fields_of("sshrc2019") == {
        "type": "report",
        "author": ["Social Sciences and Humanities Research Council"],
        "title": "Guidelines for effective knowledge mobilization",
        "year": "2019",
    }
    assert store.fields_of("zarinpoush2007") == {
        "type": "report",
        "author": ["Zarinpoush", "Von Sychowski"],
        "title": "Effective knowledge transfer & exchange",
        "year": "2007a",
    }


def test_locate_lists_every_definition_of_a_key(tmp_path: Path) -> None:
    (tmp_path / "a.bib").write_text("@misc{dup2020, title = {One}}\n", encoding="utf-8")
    (tmp_path / "b.bib").write_text("@misc{other2020, title = {Other}}\n\n@misc{Dup2020, title = {Two}}\n", encoding="utf-8")
    store = Store.open(tmp_path)
    found = store.locate("dup2020")
    assert [(path.name, entry.key) for path, entry in found] == [("a.bib", "dup2020"), ("b.bib", "Dup2020")]
    assert [(p.name, e.key) for p, e in store.locate("other2020")] == [("b.bib", "other2020")]
    with pytest.raises(StoreError, match="more than once"):
        store.fields_of("dup2020")
    with pytest.raises(EntryNotFound, match="other2020"):
        store.locate("other202")


# ---------------------------------------------------------------- locking

_HOLDER = """
import sys
from kmgraph.references.bibtex import Reference
from kmgraph.references.store import Store

store = Store.open(sys.argv[1], create=True)
with store.locked():
    print("locked", flush=True)
    sys.stdin.readline()  # hold the lock until the test says go
    store.add(Reference({"type": "misc", "author": ["Holder, Hana"], "title": "Written by the other process",
                         "year": "2020"}))
    store.save()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process that holds the lock on ``tmp_path / "references"`` until sent a line."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path / "references")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


@pytest.mark.skipif(sys.platform == "win32", reason="no fcntl: locked() is a no-op")
def test_lock_held_by_another_process_times_out(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    store = Store.open(tmp_path / "references")
    with pytest.raises(StoreError, match="locked by another kmgraph process") as caught:
        with store.locked(timeout=0.2):
            pass  # pragma: no cover - never entered
    assert caught.value.path == str(tmp_path / "references")
    _release(holder)
    assert holder.wait(timeout=10) == 0
    with store.locked(timeout=5):
        assert [e.key for e in store.entries] == ["holder2020written"]


@pytest.mark.skipif(sys.platform == "win32", reason="no fcntl: locked() is a no-op")
def test_lock_waits_and_rereads_so_no_update_is_lost(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    folder = tmp_path / "references"
    store = Store.open(folder)  # read before the other process saves
    threading.Timer(0.3, _release, (holder,)).start()
    with store.locked(timeout=10):
        store.add(ref("ward2017"))
        store.save()
    assert holder.wait(timeout=10) == 0
    assert sorted(e.key for e in Store.open(folder).entries) == ["holder2020written", "ward2017whose"]
    assert sorted(Store.open(folder).state) == ["holder2020written", "ward2017whose"]


def test_locked_creates_the_folder_and_leaves_no_file(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "references"
    store = Store.open(folder, create=True)
    with store.locked(timeout=1):
        assert folder.is_dir()
        with store.locked(timeout=0):  # nested: the same store holds it already
            store.add(ref("ward2017"))
        store.save()
    assert sorted(p.name for p in folder.iterdir()) == [STATE_FILE, "works.bib"]
    with store.locked(timeout=0):  # released
        pass


def test_locked_refuses_to_read_over_unsaved_changes(tmp_path: Path) -> None:
    store = Store.open(tmp_path, create=True)
    store.add(ref("ward2017"))
    with pytest.raises(StoreError, match="unsaved changes"):
        with store.locked(timeout=0):
            pass  # pragma: no cover - never entered
    store.save()
    with store.locked(timeout=0):
        assert [e.key for e in store.entries] == ["ward2017whose"]
