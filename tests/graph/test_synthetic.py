"""The benchmark's synthetic corpus builds into a valid graph, and the indexed queries
that make the benchmark fast answer as the plain scans do.

A benchmark whose input does not validate measures nothing, so the generator is tested
at a tiny scale against the SHACL shapes. No timing is asserted here (``benchmarks/``
measures speed).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

from benchmarks.graph_synthetic import generate
from kmgraph.graph import query
from kmgraph.graph.build import STORE_GRAPH, BuildResult, build
from kmgraph.graph.validate import validate
from kmgraph.ontology.namespaces import CITO, CONCEPT, WORK
from kmgraph.ontology.vocabulary import load_vocabulary
from tests.graph.reference_related import related_scan

SCALE = 0.0005  # 5 documents, 50 works, 150 citations, the register's 65+ organisations
SEED = 11


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    generate(SCALE, SEED).write(root)
    return root


@pytest.fixture(scope="module")
def synthetic(corpus_dir: Path) -> BuildResult:
    corpus = generate(SCALE, SEED)
    return build(corpus_dir / "references", corpus.extractions(), root=corpus_dir)


def test_generator_is_deterministic(tmp_path: Path, corpus_dir: Path) -> None:
    generate(SCALE, SEED).write(tmp_path / "again")
    generate(SCALE, SEED + 1).write(tmp_path / "other")
    for name in ("sources.bib", "works.bib"):
        first = (corpus_dir / "references" / name).read_bytes()
        assert (tmp_path / "again" / "references" / name).read_bytes() == first
        assert (tmp_path / "other" / "references" / name).read_bytes() != first
    a, b = generate(SCALE, SEED), generate(SCALE, SEED)
    assert a.extraction(2) == b.extraction(2)


def test_corpus_has_the_asked_shape() -> None:
    corpus = generate(SCALE, SEED)
    assert corpus.stats()["documents"] == corpus.shape.documents == 5
    assert len(corpus.works) == corpus.shape.works == 50
    assert sum(len(p) for p in corpus.plan) == corpus.shape.citations == 150
    assert all(len(p) == len(set(p)) for p in corpus.plan), "a reference list cites a work once"
    cited = Counter(i for p in corpus.plan for i in p)
    assert set(cited) == set(range(len(corpus.works))), "every work in works.bib is cited"
    assert max(cited.values()) >= 4 * (sum(cited.values()) / len(cited)) / 3  # skewed, not uniform
    scheme = {c.id for c in load_vocabulary().concepts}
    used = {hit.id for n in range(len(corpus.sources)) for hit in corpus.extraction(n).concepts}
    assert used and used <= scheme


def test_synthetic_graph_builds_and_conforms(synthetic: BuildResult) -> None:
    report = synthetic.report
    assert len(report.documents) == 5 and len(report.extracted) == 5
    assert not report.missing and not report.warnings
    ds: Dataset = synthetic.dataset
    store = ds.graph(STORE_GRAPH)
    assert sum(1 for _ in store.triples((None, CITO.cites, None))) == 150
    # Every reference-list entry was matched to its work of the store (DOI, raw string or near match).
    doc_cites = {(s, o) for s, _, o, g in ds.quads((None, CITO.cites, None, None)) if g != STORE_GRAPH}
    assert doc_cites == set(store.subject_objects(CITO.cites))
    assert any(str(o).startswith(str(CONCEPT)) for o in ds.objects(None, URIRef("http://purl.org/dc/terms/subject")))
    result = validate(ds)
    assert result.conforms, [str(v) for v in result.violations[:10]]


def test_indexed_related_equals_the_full_scan(synthetic: BuildResult) -> None:
    ds = synthetic.dataset
    corpus = generate(SCALE, SEED)
    seeds = [str(WORK[w.key]) for w in corpus.sources] + [str(WORK[w.key]) for w in corpus.works[:15]]
    for seed in seeds:
        for by in query.BY:
            assert query.related(ds, seed, by=by, top=8) == related_scan(ds, seed, by, 8), (seed, by)


def test_cached_indexes_follow_changes_to_the_graph(corpus_dir: Path) -> None:
    corpus = generate(SCALE, SEED)
    ds = build(corpus_dir / "references", corpus.extractions(), root=corpus_dir).dataset
    n = next(n for n, cited in enumerate(corpus.plan) if cited)
    seed = str(WORK[corpus.sources[n].key])
    before = query.related(ds, seed, by="coupling", top=50)
    # A new citation from another document to a work the seed cites: coupling changes.
    m, i = next((m, i) for m in range(len(corpus.sources)) if m != n for i in corpus.plan[n] if i not in corpus.plan[m])
    other, target = WORK[corpus.sources[m].key], WORK[corpus.works[i].key]
    ds.graph(STORE_GRAPH).add((other, CITO.cites, target))
    after = query.related(ds, seed, by="coupling", top=50)
    assert after == related_scan(ds, seed, "coupling", 50)
    assert after != before
    # rdflib's Memory store removes without an event; the cache sees the size change.
    ds.graph(STORE_GRAPH).remove((other, CITO.cites, target))
    assert query.related(ds, seed, by="coupling", top=50) == before
    assert query.related(ds, seed, by="coupling", top=50) == related_scan(ds, seed, "coupling", 50)
