"""Three-way merge: hand edits, added fields/entries/comments and deletions survive re-adds.

Every step re-opens the store from disk, as a later ``kmgraph`` run would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kmgraph.references.bibtex import Reference
from kmgraph.references.store import STATE_FILE, Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"
REFS = json.loads((FIXTURES / "references.json").read_text(encoding="utf-8"))


def ref(name: str, *, cited_by: str = "src-a", **changes: object) -> Reference:
    data = REFS[name]
    return Reference({**data["fields"], **changes}, raw=data["raw"], cited_by=(cited_by,))


def ingest(folder: Path, *refs: Reference) -> list:
    store = Store.open(folder, create=True)
    results = [store.add(r) for r in refs]
    store.save()
    return results


def works(folder: Path) -> str:
    return (folder / "works.bib").read_text(encoding="utf-8")


def edit(folder: Path, old: str, new: str) -> None:
    text = works(folder)
    assert old in text
    (folder / "works.bib").write_text(text.replace(old, new), encoding="utf-8")


def test_hand_edited_field_survives_and_untouched_fields_update(tmp_path: Path) -> None:
    ingest(tmp_path, ref("graham2006"))
    edit(
        tmp_path,
        "title = {Lost in knowledge translation: time for a map?}",
        "title = {Lost in knowledge translation: {Time} for a map?}",
    )
    [result] = ingest(tmp_path, ref("graham2006_full", cited_by="src-b"))
    assert result.action == "merged" and result.kept_edits == ("title",)
    entry = Store.open(tmp_path).get("graham2006lost")
    assert entry["title"] == "Lost in knowledge translation: {Time} for a map?"
    # Another document's wording does not overwrite the first sighting's journal...
    assert entry["journal"] == "J Contin Educ Health Prof"
    # ...but a fuller author list replaces an elided one.
    assert entry["author"].count(" and ") == 6 and "others" not in entry["author"]
    assert "kmgraph-authors-elided" not in entry
    assert entry["kmgraph-cited-by"] == "src-a, src-b"
    # The edit stays through further runs.
    [again] = ingest(tmp_path, ref("graham2006_full", cited_by="src-c"))
    assert again.kept_edits == ("title",)
    assert (
        Store.open(tmp_path).get("graham2006lost")["title"]
        == "Lost in knowledge translation: {Time} for a map?"
    )


def test_whitespace_reflow_is_not_an_edit(tmp_path: Path) -> None:
    ingest(tmp_path, ref("levin2008"))
    edit(tmp_path, "A discussion paper prepared", "A discussion\n    paper prepared")
    [result] = ingest(tmp_path, ref("levin2008", cited_by="src-b"))
    assert result.kept_edits == ()


def test_hand_added_field_entry_and_comment_survive(tmp_path: Path) -> None:
    ingest(tmp_path, ref("ward2017"), ref("levin2008"))
    edit(tmp_path, "  volume = {13},", "  volume = {13},\n  keywords = {frameworks; knowledge mobilisers},")
    text = works(tmp_path)
    text = text.replace(
        "@report{levin2008thinking,", "% Levin wrote this for CCL and SSHRC.\n@report{levin2008thinking,"
    )
    text += "\n@comment{Reviewed by the KMb librarian.}\n\n@misc{kmb_librarian_2024,\n  title = {Local KMb glossary},\n  year = {2024}\n}\n"
    (tmp_path / "works.bib").write_text(text, encoding="utf-8")
    ingest(tmp_path, ref("ward2017", cited_by="src-b"), ref("graham2006"))
    store = Store.open(tmp_path)
    assert store.get("ward2017whose")["keywords"] == "frameworks; knowledge mobilisers"
    assert store.get("kmb_librarian_2024")["title"] == "Local KMb glossary"
    out = works(tmp_path)
    assert "% Levin wrote this for CCL and SSHRC.\n\n@report{levin2008thinking," in out
    assert "@comment{Reviewed by the KMb librarian.}" in out
    assert (
        out.index("@article{graham2006lost")
        < out.index("@misc{kmb_librarian_2024")
        < out.index("% Levin wrote")
    )


def test_hand_deleted_field_is_not_re_added(tmp_path: Path) -> None:
    ingest(tmp_path, ref("reardon2006"))
    edit(tmp_path, "  address = {Toronto, Ontario},\n", "")
    [result] = ingest(tmp_path, ref("reardon2006", cited_by="src-b"))
    assert "address" in result.kept_edits
    entry = Store.open(tmp_path).get("reardon2006research")
    assert "address" not in entry
    assert entry["kmgraph-cited-by"] == "src-a, src-b"


def test_hand_changed_entry_type_survives(tmp_path: Path) -> None:
    ingest(tmp_path, ref("barwick2008"))
    edit(tmp_path, "@misc{barwick2008knowledge,", "@report{barwick2008knowledge,")
    [result] = ingest(tmp_path, ref("barwick2008", cited_by="src-b"))
    assert "entrytype" in result.kept_edits
    assert Store.open(tmp_path).get("barwick2008knowledge").entry_type == "report"


def test_hand_deleted_entry_is_suppressed_until_forgotten(tmp_path: Path) -> None:
    ingest(tmp_path, ref("levin2008"), ref("ward2017"))
    text = works(tmp_path)
    start = text.index("@report{levin2008thinking,")
    end = text.index("}\n", start) + 2
    (tmp_path / "works.bib").write_text(text[:start] + text[end:].lstrip("\n"), encoding="utf-8")
    results = ingest(tmp_path, ref("levin2008_short", cited_by="src-b"), ref("ward2017"))
    assert (results[0].key, results[0].action, results[0].matched_by) == (
        "levin2008thinking",
        "suppressed",
        "near",
    )
    assert "levin2008thinking" not in works(tmp_path)
    store = Store.open(tmp_path)
    assert store.forget("levin2008thinking")
    store.save()
    [back] = ingest(tmp_path, ref("levin2008"))
    assert (back.key, back.action) == ("levin2008thinking", "added")


def test_less_complete_sighting_loses_nothing(tmp_path: Path) -> None:
    ingest(tmp_path, ref("graham2006_full"))
    ingest(tmp_path, ref("graham2006", cited_by="src-b"))
    entry = Store.open(tmp_path).get("graham2006lost")
    assert entry["author"].count(" and ") == 6 and "others" not in entry["author"]
    ingest(tmp_path, ref("levin2008"))
    ingest(
        tmp_path,
        Reference(
            {
                "type": "misc",
                "author": ["Levin, B."],
                "year": "2008",
                "title": "Thinking about knowledge mobilization",
            },
            cited_by=("src-c",),
        ),
    )
    entry = Store.open(tmp_path).get("levin2008thinking")
    assert entry.entry_type == "report"
    assert entry["title"].endswith("Social Sciences and Humanities Research Council")
    assert entry["institution"] == "Ontario Institute for Studies in Education"


def test_type_change_renames_generated_container(tmp_path: Path) -> None:
    ingest(
        tmp_path,
        Reference(
            {
                "type": "misc",
                "author": ["Ward, V."],
                "year": "2017",
                "title": "Why, whose, what and how? A framework for knowledge mobilisers",
                "container": "Evidence & Policy",
            }
        ),
    )
    assert "howpublished" in works(tmp_path)
    ingest(tmp_path, ref("ward2017"))
    entry = Store.open(tmp_path).get("ward2017whose")
    assert entry.entry_type == "article" and entry["journal"] == r"Evidence \& Policy"
    assert "howpublished" not in entry


def test_librarian_file_patched_in_place_only(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "librarian.bib", tmp_path)
    original = (tmp_path / "librarian.bib").read_text(encoding="utf-8")
    [ward, _nutley] = ingest(tmp_path, ref("ward2017"), ref("nutley2007"))
    assert ward.key == "Ward_2017" and "title" in ward.kept_edits
    text = (tmp_path / "librarian.bib").read_text(encoding="utf-8")
    head = original[: original.index("@Article{Ward_2017")]
    middle = original[original.index("Free text between") : original.index("@book{nutley_using_2007")]
    assert text.startswith(head) and middle in text
    store = Store.open(tmp_path)
    entry = store.get("Ward_2017")
    assert entry["Title"] == "Why, whose, what and how? {A} framework for knowledge mobilisers"
    assert entry["Journal"] == "ep"  # the @string reference stays a reference
    assert entry["Keywords"] == "knowledge mobilisation; frameworks"
    assert entry["doi"] == "10.1332/174426416X14634763278725"
    assert store.get("nutley_using_2007")["isbn"] == "9781861346643"
    state = json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8"))
    assert (
        state["entries"]["Ward_2017"]["fields"]["title"]
        == "Why, whose, what and how? A framework for knowledge mobilisers"
    )


def test_state_missing_means_values_are_kept(tmp_path: Path) -> None:
    ingest(tmp_path, ref("graham2006"))
    (tmp_path / STATE_FILE).unlink()
    [result] = ingest(tmp_path, ref("graham2006_full", cited_by="src-b"))
    entry = Store.open(tmp_path).get("graham2006lost")
    assert entry["journal"] == "J Contin Educ Health Prof"
    assert "journal" in result.kept_edits
    assert entry["kmgraph-cited-by"] == "src-a, src-b"


def test_same_reference_reparsed_updates_untouched_fields(tmp_path: Path) -> None:
    """A re-ingest of the same string (say, with a better parser) updates what kmgraph made."""
    first = ref("graham2006")
    ingest(tmp_path, first)
    better = Reference({**first.fields, "container": "Journal of Continuing Education in the Health Professions"}, raw=first.raw, cited_by=first.cited_by)
    [result] = ingest(tmp_path, better)
    assert result.action == "merged" and result.kept_edits == ()
    assert Store.open(tmp_path).get("graham2006lost")["journal"] == "Journal of Continuing Education in the Health Professions"


def test_other_wordings_do_not_flip_fields_back_and_forth(tmp_path: Path) -> None:
    """Two documents citing one work in two forms: re-ingesting both changes nothing."""
    a, b = ref("graham2006", cited_by="src-a"), ref("graham2006_full", cited_by="src-b")
    ingest(tmp_path, a, b)
    before = works(tmp_path)
    results = ingest(tmp_path, a, b)
    assert [r.action for r in results] == ["unchanged", "unchanged"]
    assert works(tmp_path) == before
