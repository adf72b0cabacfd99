"""The committed references/ is exactly what the seeds build, and survives a librarian's edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kmgraph.pipeline import ingest
from kmgraph.references.lint import lint
from kmgraph.references.store import Store
from tests.conftest import ROOT


def seeds_glob(seeds_dir: Path) -> str:
    """The seeds as the README's rebuild command names them, from the repository's root."""
    if seeds_dir.resolve() != (ROOT.parent / "shared" / "seeds").resolve():
        pytest.skip("the bundled store names documents by ../shared/seeds; the seeds are elsewhere here")
    return "../shared/seeds/*.txt"


def test_rebuilding_the_bundled_store_from_the_seeds_is_byte_identical(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    target = tmp_path / "references"
    ingest([seeds_glob(seeds_dir)], target)
    committed = {p.name: p.read_bytes() for p in (ROOT / "references").iterdir()}
    rebuilt = {p.name: p.read_bytes() for p in target.iterdir()}
    assert rebuilt.keys() == committed.keys()
    for name in committed:
        assert rebuilt[name] == committed[name], f"references/{name} differs from a rebuild"


def test_bundled_store_has_no_lint_errors() -> None:
    issues = lint(Store.open(ROOT / "references"))
    assert [i for i in issues if i.severity == "error"] == []


def test_hand_edits_survive_a_re_ingest_of_the_seeds(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    store = tmp_path / "references"
    shutil.copytree(ROOT / "references", store)
    works = store / "works.bib"
    text = works.read_text(encoding="utf-8")
    # An edited field, an added field, a comment and an entry added by hand.
    text = text.replace("title = {Knowledge Translation Planning Template}", "title = {Knowledge Translation Planning Template (2nd ed.)}")
    text = text.replace("  author = {Levin, B.},", "  author = {Levin, Ben},\n  keywords = {kmb, policy},")
    text += (
        "\n% Checked by hand against the PDF, 2026-11-02.\n"
        "@book{wenger1998communities,\n  author = {Wenger, Etienne},\n  title = {Communities of Practice},\n"
        "  year = {1998},\n  publisher = {Cambridge University Press}\n}\n"
    )
    works.write_text(text, encoding="utf-8")
    report = ingest([seeds_glob(seeds_dir)], store)
    after = works.read_text(encoding="utf-8")
    assert "title = {Knowledge Translation Planning Template (2nd ed.)}" in after
    assert "author = {Levin, Ben}" in after and "keywords = {kmb, policy}" in after
    assert "% Checked by hand against the PDF, 2026-11-02." in after
    assert "@book{wenger1998communities," in after
    assert ("barwick2008knowledge", "title") in report.merge.kept_edits
    # And a second run changes nothing at all.
    ingest([seeds_glob(seeds_dir)], store)
    assert works.read_text(encoding="utf-8") == after


def test_document_identity_does_not_follow_symbolic_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kmgraph.pipeline import document_id

    real = tmp_path / "real"
    real.mkdir()
    (real / "doc.txt").write_text("Text.\n", encoding="utf-8")
    (tmp_path / "work").mkdir()
    (tmp_path / "shared").symlink_to(real)
    monkeypatch.chdir(tmp_path / "work")
    assert document_id("../shared/doc.txt") == "../shared/doc.txt"
