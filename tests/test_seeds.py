"""Acceptance: every seed document against its hand-made gold annotation.

Reads ../shared/seeds and ../shared/seeds-gold; skips with a reason when they are absent.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from kmgraph.pipeline import extract
from kmgraph.records import LinkKind
from tests.conftest import load_gold, seed_names, seed_path

SEEDS = seed_names() or ["000_8af2a373c9da396b"]  # one id so the skip reason shows

FIELDS = ("type", "title", "container", "volume", "number", "pages", "publisher", "address", "url", "doi")


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("&", "and").lower()
    text = re.sub(r"^the\s+", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@pytest.fixture(scope="module")
def extractions() -> dict:
    return {}


def run(stem: str, cache: dict):
    if stem not in cache:
        cache[stem] = extract(seed_path(stem))
    return cache[stem]


@pytest.mark.parametrize("stem", SEEDS)
def test_references_and_their_fields(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    assert [r.raw for r in ex.references] == [g["raw"] for g in gold["references"]]
    for got, want in zip(ex.references, gold["references"], strict=True):
        assert got.label == want["label"]
        f = got.fields
        for name in FIELDS:
            assert f.get(name) == want.get(name), (want["raw"], name)
        assert f.get("author", []) == want.get("author", []), want["raw"]
        assert f.get("year") == want.get("year", want.get("year_raw")), want["raw"]
        assert bool(f.get("authors_elided")) == bool(want.get("authors_elided")), want["raw"]


@pytest.mark.parametrize("stem", SEEDS)
def test_urls_and_relative_links(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    absolute = list(dict.fromkeys(ln.url for ln in ex.links if ln.kind is LinkKind.ABSOLUTE))
    assert absolute == gold["urls"]
    others = list(dict.fromkeys(ln.url for ln in ex.links if ln.kind is not LinkKind.ABSOLUTE))
    assert sorted(others) == sorted(gold["relative_links"])
    for ln in ex.links:
        assert ln.line >= 1 and ln.column >= 1


def test_seed_000_placeholders_are_reported_with_their_text(extractions: dict) -> None:
    gold = load_gold("000_8af2a373c9da396b")
    ex = run("000_8af2a373c9da396b", extractions)
    got = [(ln.text, ln.url, ln.kind) for ln in ex.links]
    assert got == [(g["text"], g["target"], LinkKind.PLACEHOLDER) for g in gold["links"]]


@pytest.mark.parametrize("stem", SEEDS)
def test_markers_tie_to_their_entries(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    assert [m.text for m in ex.markers] == gold.get("citation_markers", [])
    lines = {r.label: r.line for r in ex.references}
    for m in ex.markers:
        assert m.target_line == lines[m.label]


def test_seed_003_footnote_and_mentioned_works(extractions: dict) -> None:
    gold = load_gold("003_6a8b321c37a272a5")
    ex = run("003_6a8b321c37a272a5", extractions)
    assert [r.fields["url"] for r in ex.references] == [gold["references"][0]["url"]]
    assert [(m.title, m.type, list(m.author)) for m in ex.mentions] == [
        (w["title"], w["type"], w["author"]) for w in gold["works_mentioned"]
    ]
    assert [m.raw for m in ex.mentions] == [w["raw"] for w in gold["works_mentioned"]]


def test_seed_002_front_matter(extractions: dict) -> None:
    gold = load_gold("002_2800ca2f6e3ed7a6")
    ex = run("002_2800ca2f6e3ed7a6", extractions)
    assert ex.document.format == "md"
    assert ex.document.front_matter == gold["front_matter"]
    assert ex.document.metadata.title == gold["front_matter"]["title"]


def _org_names(hit) -> set[str]:
    return {norm(hit.name), *(norm(s) for s in hit.surface)}


@pytest.mark.parametrize("stem", SEEDS)
def test_organisations(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    found = set().union(*(_org_names(h) for h in ex.organisations)) if ex.organisations else set()
    for name in gold["organisations"]:
        assert norm(name) in found, f"{name} not found in {stem}"
    # Nothing beyond the gold (and what it lists as optional).
    allowed = {norm(n) for n in gold["organisations"] + gold.get("organisations_optional", [])}
    for hit in ex.organisations:
        assert _org_names(hit) & allowed, f"{hit.name} ({hit.surface}) is not an organisation of {stem}"


@pytest.mark.parametrize("stem", SEEDS)
def test_organisations_in_prose(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    entry_lines = {r.line for r in ex.references}
    prose = set()
    for hit in ex.organisations:
        if any(line not in entry_lines for line in hit.lines):
            prose |= _org_names(hit)
    for name in gold["organisations_prose"]:
        assert norm(name) in prose


@pytest.mark.parametrize("stem", SEEDS)
def test_concepts(stem: str, extractions: dict) -> None:
    gold = load_gold(stem)
    ex = run(stem, extractions)
    labels = {c.label for c in ex.concepts}
    for concept in gold["concepts"]:
        assert concept in labels, f"{concept} not tagged in {stem}"


def test_php_notices_are_noise(extractions: dict) -> None:
    ex = run("001_5322bb78c76e8949", extractions)
    assert ex.document.noise, "the PHP notices should be recorded as page noise"
    noise_lines = {ln.number for ln in ex.document.noise}
    assert all(ln.line not in noise_lines for ln in ex.links)
    assert all(r.line not in noise_lines for r in ex.references)
    for hit in ex.organisations:
        assert not set(hit.lines) & noise_lines
    for cand in ex.organisation_candidates:
        assert cand.line not in noise_lines
    assert not any("Program Files" in ln.url or "template.php" in ln.url for ln in ex.links)


@pytest.mark.parametrize("stem", ["000_8af2a373c9da396b", "002_2800ca2f6e3ed7a6", "004_35158cfe7cf4c913"])
def test_no_false_references_or_urls(stem: str, extractions: dict) -> None:
    ex = run(stem, extractions)
    assert ex.references == ()
    assert [ln for ln in ex.links if ln.kind is LinkKind.ABSOLUTE] == []
