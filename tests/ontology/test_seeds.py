"""Acceptance: the tagger finds the gold concepts and organisations of the seed documents."""

from __future__ import annotations

import re

import pytest

from kmgraph.ontology import Tagger, load_vocabulary
from kmgraph.records import Line, OrganisationHit
from tests.conftest import load_gold, seed_names, seed_path

NOTICE = re.compile(r"^\W*(Notice|Warning|Error message)\b")


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_vocabulary())


def read_lines(stem: str) -> tuple[list[Line], list[Line]]:
    """The seed's lines, and the PHP notice lines at its top (page noise) separately.

    The real reader drops such notices as page noise; here every line up to the last
    notice among the first ten lines is set aside.
    """
    raw = seed_path(stem).read_text(encoding="utf-8").splitlines()
    lines = [Line(text, number) for number, text in enumerate(raw, 1)]
    last_notice = max((k for k, line in enumerate(lines[:10]) if NOTICE.match(line.text)), default=-1)
    return lines[last_notice + 1 :], lines[: last_notice + 1]


def norm(name: str) -> str:
    """Compare organisation names loosely: case, "the", "&", possessives, punctuation."""
    text = name.lower().replace("\u2019", "'").replace("'s ", " ").replace("&", " and ")
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(w for w in words if w != "the")


def names_of(hit: OrganisationHit) -> set[str]:
    organisation = load_vocabulary().organisation(hit.id)
    return {norm(n) for n in (hit.name, *organisation.labels, *hit.surface)}


@pytest.mark.parametrize("stem", seed_names())
def test_gold_concepts_found(tagger: Tagger, stem: str) -> None:
    lines, _ = read_lines(stem)
    found = {hit.label for hit in tagger.concepts(lines)}
    missing = set(load_gold(stem)["concepts"]) - found
    assert not missing, f"{stem}: missing {sorted(missing)}; found {sorted(found)}"


@pytest.mark.parametrize("stem", seed_names())
def test_gold_organisations_found(tagger: Tagger, stem: str) -> None:
    lines, _ = read_lines(stem)
    hits = tagger.organisations(lines)
    known = set().union(*(names_of(hit) for hit in hits)) if hits else set()
    missing = [name for name in load_gold(stem)["organisations"] if norm(name) not in known]
    assert not missing, f"{stem}: missing {missing}; found {[h.name for h in hits]}"


@pytest.mark.parametrize("stem", [s for s in seed_names() if s[:3] in ("000", "002", "004")])
def test_no_organisations_beyond_gold(tagger: Tagger, stem: str) -> None:
    gold = load_gold(stem)
    allowed = {norm(n) for n in gold["organisations"] + gold.get("organisations_optional", [])}
    lines, _ = read_lines(stem)
    extra = [hit.name for hit in tagger.organisations(lines) if not names_of(hit) & allowed]
    assert extra == []


def test_seed_001_notices_yield_no_organisation(tagger: Tagger) -> None:
    stem = next((s for s in seed_names() if s.startswith("001")), None)
    if stem is None:
        pytest.skip("seed 001 not available")
    _, noise = read_lines(stem)
    assert any("Apache Software Foundation" in line.text for line in noise)
    hits = tagger.organisations(noise)
    assert hits == []
    assert tagger.organisation_candidates(noise, hits) == []


def test_seed_000_km_means_knowledge_mobilization(tagger: Tagger) -> None:
    stem = next((s for s in seed_names() if s.startswith("000")), None)
    if stem is None:
        pytest.skip("seed 000 not available")
    lines, _ = read_lines(stem)
    hits = {hit.label: hit for hit in tagger.concepts(lines)}
    assert "knowledge management" not in hits
    km_mentions = sum(len(re.findall(r"\bKM\b", line.text)) for line in lines)
    long_forms = sum(len(re.findall(r"knowledge mobili[sz]ation", line.text, re.IGNORECASE)) for line in lines)
    assert km_mentions > 5
    assert hits["knowledge mobilization"].count == km_mentions + long_forms


def test_seed_001_candidates_are_plausible(tagger: Tagger) -> None:
    stem = next((s for s in seed_names() if s.startswith("001")), None)
    if stem is None:
        pytest.skip("seed 001 not available")
    lines, _ = read_lines(stem)
    candidates = [c.name for c in tagger.organisation_candidates(lines, tagger.organisations(lines))]
    assert candidates == ["Rehabilitation Research and Training Center"]
