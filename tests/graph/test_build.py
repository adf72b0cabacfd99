"""Building the graph: content against the gold, SHACL, determinism, incremental rebuilds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kmgraph.graph.build import STORE_GRAPH, build, build_graph, source_graph_id
from kmgraph.graph.serialize import nquads, turtle
from kmgraph.graph.validate import validate
from kmgraph.graph.workspace import read_graph, update_graph
from kmgraph.ontology.namespaces import BIRO, C4O, CITO, FRAPO, KMG, ORGID, PERSON, PREFIXES, WORK
from kmgraph.references.dedup import normalize_raw, normalize_title, normalize_url
from tests.conftest import ROOT, load_gold, seed_names


def source_of(graph: Dataset, stem: str) -> URIRef:
    for s, path in graph.subject_objects(KMG.documentPath):
        if str(path).endswith(f"{stem}.txt") and (s, RDF.type, KMG.SourceDocument) in graph:
            return s
    raise AssertionError(f"no source for {stem}")


def norm(name: str) -> str:
    text = name.lower().replace("\u2019", "'").replace("'s ", " ").replace("&", " and ")
    return " ".join(w for w in re.sub(r"[^\w]+", " ", text).split() if w != "the")


def test_seed_graph_passes_shacl(seed_graph: Dataset) -> None:
    report = validate(seed_graph)
    assert report.conforms, [str(v) for v in report.violations]


def test_examples_graph_passes_shacl(examples_graph: Dataset) -> None:
    report = validate(examples_graph)
    assert report.conforms, [str(v) for v in report.violations]


def test_seed_build_reads_every_document(seed_build) -> None:
    report = seed_build.report
    assert len(report.documents) == len(seed_names()) == len(report.extracted)
    assert report.missing == () and report.warnings == ()


@pytest.mark.parametrize("stem", seed_names())
def test_every_gold_reference_is_a_cited_work_of_its_document(seed_graph: Dataset, stem: str) -> None:
    gold = load_gold(stem)
    source = source_of(seed_graph, stem)
    cited = set(seed_graph.objects(source, CITO.cites))
    graph = seed_graph.graph(source_graph_id(str(seed_graph.value(source, DCTERMS.identifier))))
    entries = {normalize_raw(str(graph.value(r, C4O.hasContent))): graph.value(r, BIRO.references) for r in graph.objects(source, DCTERMS.hasPart)}
    assert len(entries) == len(gold["references"])
    for ref in gold["references"]:
        work = entries.get(normalize_raw(ref["raw"]))
        assert work is not None, ref["raw"]
        assert work in cited, ref["raw"]
        if ref.get("title"):
            assert normalize_title(str(seed_graph.value(work, DCTERMS.title))) == normalize_title(ref["title"])
        if ref.get("url"):
            urls = {normalize_url(str(u)) for u in seed_graph.objects(work, URIRef("http://purl.org/spar/fabio/hasURL"))}
            assert normalize_url(ref["url"]) in urls


@pytest.mark.parametrize("stem", seed_names())
def test_every_gold_concept_and_organisation_is_linked(seed_graph: Dataset, stem: str) -> None:
    gold = load_gold(stem)
    source = source_of(seed_graph, stem)
    subjects = {str(seed_graph.value(c, SKOS.prefLabel)) for c in seed_graph.objects(source, DCTERMS.subject)}
    assert set(gold["concepts"]) <= subjects
    linked = set(seed_graph.objects(source, KMG.mentions))
    for work in [source, *seed_graph.objects(source, CITO.cites)]:
        linked |= set(seed_graph.objects(work, DCTERMS.publisher)) | set(seed_graph.objects(work, DCTERMS.creator))
    names = {
        norm(str(label))
        for org in linked
        for p in (SKOS.prefLabel, SKOS.altLabel, FOAF.name, FRAPO.hasAcronym)
        for label in seed_graph.objects(org, p)
    }
    missing = [name for name in gold["organisations"] if norm(name) not in names]
    assert missing == []


def test_counts_markers_contexts_and_people(seed_graph: Dataset) -> None:
    source = source_of(seed_graph, next(s for s in seed_names() if s.startswith("001")))
    occurrences = [o for o in seed_graph.subjects(KMG.occursIn, source)]
    assert all(int(seed_graph.value(o, KMG.count)) >= 1 for o in occurrences)
    pointers = list(seed_graph.subjects(RDF.type, C4O.InTextReferencePointer))
    assert pointers and all(seed_graph.value(p, C4O.hasContext) is not None for p in pointers)
    assert (WORK["levin2008thinking"], DCTERMS.creator, PERSON["levin-b"]) in seed_graph
    assert seed_graph.value(PERSON["levin-b"], FOAF.name) == Literal("B. Levin")
    # A publisher in the register is the register's IRI.
    assert (WORK["levin2008thinking"], DCTERMS.publisher, ORGID["oise"]) in seed_graph


def test_provenance_named_graphs(seed_graph: Dataset) -> None:
    source = source_of(seed_graph, seed_names()[0])
    key = str(seed_graph.value(source, DCTERMS.identifier))
    gid = source_graph_id(key)
    assert (source, DCTERMS.subject, None) in seed_graph.graph(gid)
    assert (source, DCTERMS.subject, None) not in seed_graph.graph(STORE_GRAPH)
    assert seed_graph.value(gid, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) == source
    assert re.fullmatch(r"[0-9a-f]{64}", str(seed_graph.value(gid, KMG.contentHash)))


def test_further_reading_is_recommended_reading(examples_graph: Dataset) -> None:
    note = next(s for s, p in examples_graph.subject_objects(KMG.documentPath) if str(p).endswith("briefing-note.txt"))
    recommended = set(examples_graph.objects(note, CITO.citesAsRecommendedReading))
    assert len(recommended) == 3
    assert recommended <= set(examples_graph.objects(note, CITO.cites))
    entries = set(examples_graph.objects(note, DCTERMS.hasPart))
    assert {examples_graph.value(e, BIRO.references) for e in entries} == set(examples_graph.objects(note, CITO.cites))


def test_build_twice_gives_identical_serialisations(examples_dir: Path) -> None:
    first = build_graph(examples_dir / "refs", root=examples_dir)
    second = build_graph(examples_dir / "refs", root=examples_dir)
    assert nquads(first) == nquads(second)
    assert turtle(first, PREFIXES) == turtle(second, PREFIXES)


def test_store_alone_when_documents_are_missing(examples_dir: Path, tmp_path: Path) -> None:
    result = build(examples_dir / "refs", root=tmp_path)
    assert result.report.extracted == () and len(result.report.missing) == 3
    assert validate(result.dataset).conforms
    assert len(list(result.dataset.subjects(CITO.cites, None))) > 0  # from kmgraph-cited-by


def test_given_extractions_are_used(examples_dir: Path) -> None:
    from kmgraph.pipeline import extract

    ex = extract(examples_dir / "examples" / "briefing-note.txt")
    result = build(examples_dir / "refs", {"examples/briefing-note.txt": ex}, root=examples_dir, read_documents=False)
    assert len(result.report.extracted) == 1 and len(result.report.missing) == 2


def test_incremental_rebuild_touches_only_the_changed_document(in_examples: Path) -> None:
    saved = in_examples / ".kmgraph" / "graph.nq"
    first = update_graph("refs", saved)
    assert len(first.report.extracted) == 3
    before = read_graph(saved)
    again = update_graph("refs", saved)
    assert again.report.extracted == () and len(again.report.reused) == 3
    assert saved.read_text(encoding="utf-8") == nquads(before)
    doc = in_examples / "examples" / "km-blog-post.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nCommunities of practice matter.\n", encoding="utf-8")
    third = update_graph("refs", saved)
    assert len(third.report.extracted) == 1 and len(third.report.reused) == 2
    changed = third.report.extracted[0]
    after = read_graph(saved)
    for key in first.report.documents:
        old = nquads_of(before, key)
        new = nquads_of(after, key)
        assert (old != new) == (key == changed), key


def nquads_of(ds: Dataset, key: str) -> set:
    return set(ds.graph(source_graph_id(key)))


def test_full_rebuild_replaces_a_corrupt_graph(in_examples: Path) -> None:
    from kmgraph.graph.errors import CorruptGraph

    saved = in_examples / ".kmgraph" / "graph.nq"
    saved.parent.mkdir()
    saved.write_text("this is not n-quads\n", encoding="utf-8")
    with pytest.raises(CorruptGraph):
        update_graph("refs", saved)
    assert saved.read_text(encoding="utf-8") == "this is not n-quads\n"
    update_graph("refs", saved, full=True)
    assert len(read_graph(saved).graph(STORE_GRAPH)) > 0


def test_bundled_store_graph_has_every_entry(seed_graph: Dataset) -> None:
    keys = {str(k) for k in seed_graph.objects(None, DCTERMS.identifier)}
    bib = (ROOT / "references" / "works.bib").read_text(encoding="utf-8") + (ROOT / "references" / "sources.bib").read_text(encoding="utf-8")
    assert keys == set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
