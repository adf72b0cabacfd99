"""The streaming build gives the graph the rdflib build gave, statement for statement.

``tests/graph/reference_build.py`` is the build as it was before (every statement made
as an rdflib term and added to rdflib's memory store); these tests run it and the current
build on the same input (the seeds, examples/ with link verdicts, a small synthetic
corpus) and compare the N-Quads, for the in-memory dataset, the N-Quads file written
while building, and the Oxigraph folder. They also cover what the streaming build adds:
the store read without bibtexparser and its cache, the previous file read line by line,
and SPARQL handed straight to Oxigraph.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import bibtexparser
import pytest
from rdflib import RDF, Dataset, Literal
from rdflib.namespace import DCTERMS, ORG

from benchmarks.graph_synthetic import generate
from kmgraph.errors import StoreError
from kmgraph.graph import query as q
from kmgraph.graph.build import STORE_CACHE, _quick_entries, build, read_store
from kmgraph.graph.errors import CorruptGraph, InvalidQuery
from kmgraph.graph.serialize import nquads
from kmgraph.graph.stores import open_oxigraph
from kmgraph.graph.workspace import NQuadsFileSink, NQuadsPrevious, update_graph
from kmgraph.linkcheck.record import read_record
from kmgraph.ontology.namespaces import FRAPO, GRAPH, ORGID, WORK
from kmgraph.references.bibtex import entry_fields, parse_bibtex
from kmgraph.references.store import Store
from tests.conftest import ROOT, SEEDS, SKIP_NO_SHARED
from tests.graph import reference_build
from tests.graph.test_linkhealth import _results
from tests.graph.test_stores import integers

# kmgraph.graph exports the build function under the module's name: the module itself.
build_module = importlib.import_module("kmgraph.graph.build")

SCALE = 0.002  # 20 documents, 200 works, 600 citations
SEED = 5


# Statements the reference build predates: funders (frapo:isFundedBy, and a funder typed
# frapo:FundingAgency in a document graph) and author affiliations (org:memberOf).
NEW_STATEMENTS = re.compile(
    rf"^\S+ (?:<{re.escape(str(FRAPO.isFundedBy))}> \S+|<{re.escape(str(ORG.memberOf))}> \S+"
    rf"|<{re.escape(str(RDF.type))}> <{re.escape(str(FRAPO.FundingAgency))}>) <{re.escape(str(GRAPH['source/']))}[^>]+> \.$"
)


def compare_builds(store: object, extractions: object = None, **options: object) -> tuple[Dataset, list[str]]:
    """Build with both builds; assert the same statements and the same report, apart
    from the statements the reference build predates (:data:`NEW_STATEMENTS`), which are
    returned with the reference build's dataset."""
    old = reference_build.build(store, extractions, **options)
    new = build(store, extractions, **options)
    lines = nquads(new.dataset).splitlines(keepends=True)
    added = [line for line in lines if NEW_STATEMENTS.match(line)]
    assert "".join(line for line in lines if line not in added) == nquads(old.dataset)
    assert new.report.to_dict() == {**old.report.to_dict(), "quads": old.report.quads + len(added)}
    return old.dataset, added


def same_build(store: object, extractions: object = None, **options: object) -> Dataset:
    """:func:`compare_builds`, for inputs without funders or affiliations."""
    dataset, added = compare_builds(store, extractions, **options)
    assert added == []
    return dataset


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stream-corpus")
    generate(SCALE, SEED).write(root)
    return root


def test_seeds_give_the_same_graph() -> None:
    if not SEEDS.is_dir():
        pytest.skip(SKIP_NO_SHARED)
    _, added = compare_builds(ROOT / "references", root=ROOT)
    # The statements left out of the comparison are there: seed 003's three funders.
    funded = {line.split(" ")[2] for line in added if f"<{FRAPO.isFundedBy}>" in line}
    assert funded == {f"<{ORGID[rid]}>" for rid in ("research-england", "ukri", "esrc")}


def test_examples_with_link_verdicts_give_the_same_graph(in_examples: Path) -> None:
    from kmgraph.linkcheck.record import update_record

    update_record(in_examples / ".kmgraph" / "link-status.json", _results("https://gone.example/page"))
    links = read_record(in_examples / ".kmgraph" / "link-status.json")
    same_build(Path("refs"), links=links)
    same_build(Path("refs"), root=in_examples / "nowhere")  # documents missing: the store alone


def test_synthetic_corpus_gives_the_same_graph_in_every_sink(corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = generate(SCALE, SEED)
    expected = nquads(same_build(corpus_dir / "references", corpus.extractions(), root=corpus_dir))
    monkeypatch.chdir(tmp_path)
    saved = tmp_path / "graph.nq"
    result = update_graph(corpus_dir / "references", saved, extractions=corpus.extractions(), root=corpus_dir, links=None)
    assert saved.read_text(encoding="utf-8") == expected
    assert result.report.quads == expected.count("\n")
    folder = tmp_path / "oxi"
    update_graph(corpus_dir / "references", f"oxigraph:{folder}", extractions=corpus.extractions(), root=corpus_dir, links=None)
    stored = open_oxigraph(folder)
    assert nquads(stored) == integers(expected)
    marker = json.loads((folder / "kmgraph-oxigraph.json").read_text(encoding="utf-8"))
    assert marker["statements"] == expected.count("\n")
    union = {line.rsplit(" <", 1)[0] for line in expected.splitlines()}
    assert marker["union_statements"] == len(union)
    stored.close()


def test_the_saved_dataset_is_read_when_asked_for(in_examples: Path) -> None:
    result = update_graph("refs")
    assert result._dataset is None  # nothing held in memory while building
    assert nquads(result.dataset) == (in_examples / ".kmgraph" / "graph.nq").read_text(encoding="utf-8")
    in_memory = update_graph("refs", save=False)
    assert nquads(in_memory.dataset) == nquads(result.dataset)


# --------------------------------------------------------------------------- incremental builds


def test_incremental_file_build_reuses_graphs_byte_for_byte(in_examples: Path) -> None:
    saved = in_examples / ".kmgraph" / "graph.nq"
    first = update_graph("refs", saved)
    text = saved.read_text(encoding="utf-8")
    again = update_graph("refs", saved)
    assert again.report.reused == first.report.documents and again.report.extracted == ()
    assert saved.read_text(encoding="utf-8") == text
    # A graph written by the old build (every line sorted, graphs interleaved) is read too.
    saved.write_text("".join(sorted(text.splitlines(keepends=True))), encoding="utf-8")
    third = update_graph("refs", saved)
    assert third.report.reused == first.report.documents
    assert saved.read_text(encoding="utf-8") == text


def test_incremental_oxigraph_build_reuses_graphs(in_examples: Path) -> None:
    where = "oxigraph:.kmgraph/oxi"
    first = update_graph("refs", where)
    before = nquads(open_oxigraph(".kmgraph/oxi"))
    doc = in_examples / "examples" / "km-blog-post.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nCommunities of practice matter.\n", encoding="utf-8")
    again = update_graph("refs", where)
    assert len(again.report.extracted) == 1 and len(again.report.reused) == len(first.report.documents) - 1
    after = open_oxigraph(".kmgraph/oxi")
    full = update_graph("refs", where, full=True, save=False)
    assert nquads(after) == integers(nquads(full.dataset))
    assert nquads(after) != before
    after.close()


def test_previous_file_errors_name_the_line(in_examples: Path) -> None:
    saved = in_examples / ".kmgraph" / "graph.nq"
    update_graph("refs", saved)
    lines = saved.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = lines[:3] + ['<https://w3id.org/kmgraph/work/x> "not a predicate" <o> .\n'] + lines[3:]
    saved.write_text("".join(broken), encoding="utf-8")
    with pytest.raises(CorruptGraph, match="line 4 is not N-Quads"):
        update_graph("refs", saved)
    assert saved.read_text(encoding="utf-8") == "".join(broken)  # left as it was
    store_only = [line for line in lines if "/graph/provenance>" not in line]
    saved.write_text("".join(store_only), encoding="utf-8")
    with pytest.raises(CorruptGraph, match="not a kmgraph graph"):
        NQuadsPrevious(saved)


def test_a_failed_file_build_leaves_the_old_file(in_examples: Path) -> None:
    saved = in_examples / "graph.nq"
    saved.write_text("old\n", encoding="utf-8")
    sink = NQuadsFileSink(saved)
    sink.add_graph("https://w3id.org/kmgraph/graph/source/b", [("<s>", "<p>", "<o>")])
    with pytest.raises(ValueError, match="out of order"):
        sink.add_graph("https://w3id.org/kmgraph/graph/source/a", [("<s>", "<p>", "<o>")])
    sink.abort()
    assert saved.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in in_examples.iterdir() if p.name.startswith(".graph.nq")] == []


# --------------------------------------------------------------------------- reading the store


QUICK_CASES = [
    "@article{a,\n  title = {A {B} c},\n  year = {2020}\n}\n",
    "@Article{a,\n  Title = {T},\n  kmgraph-raw = {x \\& y, 50\\% {\\\"u}}\n}\n\n@book{b,\n  title = {U}\n}\n",
    "\ufeff@misc{a,\n  note = {\"quoted\" text},\n  url = {https://x.org/a_b%20c}\n}\n",
]
SLOW_CASES = [
    "@article{a,\n  title = {T},\n}\n",  # a comma after the last field
    "@article{a,\n  title = {T}\n}\n@article{a,\n  title = {U}\n}\n",  # a key twice
    "@article{a,\n  title = {T},\n  Title = {U}\n}\n",  # a field twice
    "@article{a,\n  title = {T \\{ x}\n}\n",  # an escaped brace
    "@article{a,\n  title = {T} # {U}\n}\n",  # a concatenation
    "@article{a,\n  year = 2020\n}\n",  # no braces
    "@string{j = {Journal}}\n",
    "% a comment\n@article{a,\n  title = {T}\n}\n",
    "@article{a,\n  title = {T}}\n",
    "@article{a,\n  title = {Two\n  lines}\n}\n",
    "@article{a,\n  title = { T }\n}\n",
]


def bibtexparser_reads(text: str) -> list[tuple[str, str, dict[str, str]]]:
    library = parse_bibtex(text.lstrip("\ufeff"))
    return [(e.key, e.entry_type, entry_fields(e)) for e in library.entries]


@pytest.mark.parametrize("text", QUICK_CASES)
def test_the_quick_reader_reads_kmgraph_layout_as_bibtexparser_does(text: str) -> None:
    quick = _quick_entries(text.lstrip("\ufeff"))
    assert quick is not None
    assert [(k, t.lower(), f) for k, t, f in quick] == [(k, t.lower(), f) for k, t, f in bibtexparser_reads(text)]


@pytest.mark.parametrize("text", SLOW_CASES)
def test_the_quick_reader_leaves_anything_else_to_bibtexparser(text: str) -> None:
    assert _quick_entries(text) is None


def test_store_files_read_quickly_give_bibtexparsers_entries(corpus_dir: Path, examples_dir: Path) -> None:
    folders = [corpus_dir / "references", examples_dir / "refs"]
    if SEEDS.is_dir():
        folders.append(ROOT / "references")
    for folder in folders:
        quick = build_module._quick_read(folder)
        assert quick is not None, folder  # kmgraph's own files take the quick way
        slow = build_module._read_entries(Store.open(folder))
        assert quick[1] == slow[1]
        assert quick[0].keys() == slow[0].keys()
        for key, entry in slow[0].items():
            assert quick[0][key] == entry, key
    corpus = build_module._quick_read(corpus_dir / "references")
    assert corpus is not None
    library = bibtexparser.parse_string((corpus_dir / "references" / "works.bib").read_text(encoding="utf-8"))
    assert len(library.entries) == len([k for k, e in corpus[0].items() if e.document is None]) == 200


def test_store_cache_is_used_only_for_the_same_bytes(in_examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = in_examples / ".kmgraph" / STORE_CACHE
    first = read_store("refs", cache=cache)
    assert not first.cached and cache.is_file()
    again = read_store("refs", cache=cache)
    assert again.cached and again.entries == first.entries and again.warnings == first.warnings
    # A hand edit of a .bib file (same size, same time stamp) is read from the file.
    bib = in_examples / "refs" / "works.bib"
    stat = bib.stat()
    text = bib.read_text(encoding="utf-8")
    key, entry = next((k, e) for k, e in first.entries.items() if e.fields.get("title") and e.document is None)
    title = str(entry.fields["title"])
    swapped = title[::-1]
    assert text.count("{" + title + "}") == 1
    bib.write_text(text.replace("{" + title + "}", "{" + swapped + "}"), encoding="utf-8")
    os.utime(bib, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = read_store("refs", cache=cache)
    assert not edited.cached and edited.entries[key].fields["title"] == swapped
    result = update_graph("refs")
    assert (WORK[key], DCTERMS.title, Literal(swapped)) in result.dataset.graph(build_module.STORE_GRAPH)
    # A cache that is not one (or from another version) is ignored and replaced.
    cache.write_text("[1, 2", encoding="utf-8")
    assert not read_store("refs", cache=cache).cached and read_store("refs", cache=cache).cached
    monkeypatch.setattr(build_module, "_CACHE_FORMAT", build_module._CACHE_FORMAT + 1)
    assert not read_store("refs", cache=cache).cached


def test_a_corrupt_state_file_is_still_an_error(in_examples: Path) -> None:
    (in_examples / "refs" / "kmgraph-state.json").write_text("{", encoding="utf-8")
    with pytest.raises(StoreError, match="state file"):
        update_graph("refs")


def test_a_store_outside_kmgraphs_layout_is_read_by_bibtexparser(in_examples: Path) -> None:
    bib = in_examples / "refs" / "works.bib"
    bib.write_text("% edited by hand\n" + bib.read_text(encoding="utf-8"), encoding="utf-8")
    assert build_module._quick_read(in_examples / "refs") is None
    same_build(Path("refs"))


# --------------------------------------------------------------------------- SPARQL on Oxigraph


@pytest.fixture
def oxigraph_graph(in_examples: Path) -> Dataset:
    update_graph("refs", "oxigraph:.kmgraph/oxi")
    ds = open_oxigraph(".kmgraph/oxi")
    yield ds
    ds.close()


def test_sparql_goes_straight_to_oxigraph(oxigraph_graph: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    import rdflib.plugins.sparql as rdflib_sparql

    text = "SELECT ?w (COUNT(?d) AS ?n) WHERE { ?d cito:cites ?w } GROUP BY ?w ORDER BY DESC(?n) ?w"
    expected = q.sparql(read_graph_memory(), text)
    assert expected.rows

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rdflib's parser was used")

    monkeypatch.setattr(rdflib_sparql, "prepareQuery", refuse)
    assert q.sparql(oxigraph_graph, text) == expected


def read_graph_memory() -> Dataset:
    return update_graph("refs", save=False).dataset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", "SERVICE is not supported"),
        ("SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", "SERVICE is not supported"),
        ("SELECT WHERE {", "invalid SPARQL query"),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", "invalid SPARQL query"),
        ("SELECT * WHERE { ?s ?p ?o FILTER(nosuch:f(?o)) }", "invalid SPARQL query"),
    ],
)
def test_sparql_errors_on_oxigraph_are_the_same_kind(oxigraph_graph: Dataset, text: str, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        q.sparql(oxigraph_graph, text)
    assert q.sparql(oxigraph_graph, "ASK { ?s ?p ?o }").boolean is True


def test_sparql_construct_and_ask_on_oxigraph_match_memory(oxigraph_graph: Dataset) -> None:
    memory = read_graph_memory()
    for text in (
        "ASK { work:kmdefining ?p ?o }",
        "CONSTRUCT { ?w dcterms:title ?t } WHERE { ?w dcterms:title ?t }",
        'SELECT ?t WHERE { ?w dcterms:title ?t FILTER(CONTAINS(?t, "")) } ORDER BY ?t LIMIT 5',
    ):
        fast, slow = q.sparql(oxigraph_graph, text), q.sparql(memory, text)
        assert (fast.kind, fast.variables, fast.rows, fast.boolean) == (slow.kind, slow.variables, slow.rows, slow.boolean)
        if slow.graph is not None:
            assert fast.graph is not None and set(fast.graph) == set(slow.graph)


@pytest.mark.parametrize(
    "text",
    [
        "Further Reading",
        "## FURTHER READING:",
        "7. Resources",
        "Useful links",
        "Reading list",
        "Recommended reading",
        "References",
        "See also the report Knowledge to action.",
        "Further readinſ",  # re.IGNORECASE folds ſ onto s
        "Useful \u212aeys",
        "Notes",
        "",
    ],
)
def test_the_recommended_heading_shortcut_agrees_with_the_sections(text: str) -> None:
    from kmgraph.references.extract import REFERENCE_HEADINGS, _heading_name

    slow = bool(build_module._RECOMMENDED.search(text)) and _heading_name(text) in REFERENCE_HEADINGS
    assert build_module._recommended_heading(text) == slow


def test_worker_processes_give_the_same_graph(corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_module._workers(2, 100) in (1, 2) and build_module._workers(1, 100) == 1 and build_module._workers(2, 10) == 1
    corpus = generate(SCALE, SEED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(build_module, "_MIN_PARALLEL_DOCUMENTS", 1)
    monkeypatch.setattr(build_module, "_DRAIN_EVERY", 50)  # documents go out while the store graph is made
    texts = []
    for workers in (1, 2):
        saved = tmp_path / f"graph-{workers}.nq"
        result = update_graph(corpus_dir / "references", saved, extractions=corpus.extractions(), root=corpus_dir, links=None, workers=workers)
        texts.append(saved.read_text(encoding="utf-8"))
        assert result.report.quads == texts[-1].count("\n")
    assert texts[0] == texts[1]
    folder = tmp_path / "oxi"
    update_graph(corpus_dir / "references", f"oxigraph:{folder}", extractions=corpus.extractions(), root=corpus_dir, links=None, workers=2)
    stored = open_oxigraph(folder)
    assert nquads(stored) == integers(texts[0])
    stored.close()
    monkeypatch.setenv(build_module.WORKERS_ENV, "3")
    assert build_module._workers(None, 100) in (1, 3)


def test_a_document_that_cannot_be_read_in_a_worker_is_reported(in_examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "_MIN_PARALLEL_DOCUMENTS", 1)
    doc = next((in_examples / "examples").glob("*.pdf"), None) or in_examples / "examples" / "km-blog-post.md"
    doc.write_bytes(b"\x00\x01 not a document \xff" * 10 if doc.suffix == ".pdf" else b"\xff\xfe\x00broken")
    sequential = update_graph("refs", save=False, workers=1)
    parallel = update_graph("refs", ".kmgraph/graph.nq", full=True, workers=2)
    assert parallel.report.to_dict() == sequential.report.to_dict()
    assert nquads(parallel.dataset) == nquads(sequential.dataset)
