"""The view and the name index read an Oxigraph folder through pyoxigraph directly
(``kmgraph.graph.view._OxigraphStatements``); they must be what the generic reader
(through rdflib and oxrdflib) makes of the same folder, and what it makes of the same
graph in rdflib's memory store: on the seeds, on ``examples/`` and on a synthetic corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rdflib import Dataset, Literal
from rdflib.namespace import DCTERMS

from benchmarks.graph_synthetic import generate
from kmgraph.graph import query
from kmgraph.graph.build import STORE_GRAPH, build, new_dataset
from kmgraph.graph.stores import open_oxigraph, write_oxigraph
from kmgraph.graph.view import Statements, _OxigraphStatements, statements, to_networkx
from kmgraph.graph.workspace import update_graph
from kmgraph.ontology.namespaces import WORK


def shape(view: nx.MultiDiGraph) -> tuple[list[Any], list[Any]]:
    """Nodes and edges with their attributes, in the order they were added."""
    return list(view.nodes(data=True)), list(view.edges(keys=True, data=True))


def index(names: Any) -> tuple[Any, ...]:
    return names.entities, [dict(level) for level in names.levels], dict(names.surnames)


def assert_same_view_and_names(memory: Dataset, folder: Path) -> None:
    stored = open_oxigraph(folder)
    fast = statements(stored)
    assert isinstance(fast, _OxigraphStatements)
    assert type(statements(memory)) is Statements
    view = to_networkx(stored)
    assert view.number_of_edges() > 0
    assert shape(view) == shape(to_networkx(stored, Statements(stored)))
    assert shape(view) == shape(to_networkx(memory))
    names = query._Names(stored)
    assert index(names) == index(query._Names(stored, Statements(stored)))
    assert index(names) == index(query._Names(memory))


def test_seeds_with_a_title_in_another_language(seed_graph: Dataset, tmp_path: Path) -> None:
    graph = new_dataset()
    graph.addN(seed_graph.quads((None, None, None, None)))
    work = WORK["kmdefining"]
    english = str(graph.value(work, DCTERMS.title))
    graph.graph(STORE_GRAPH).add((work, DCTERMS.title, Literal("A title sorted first, in French", lang="fr")))
    write_oxigraph(graph, tmp_path / "db")
    assert_same_view_and_names(graph, tmp_path / "db")
    assert to_networkx(open_oxigraph(tmp_path / "db")).nodes[str(work)]["label"] == english


def test_examples(examples_graph: Dataset, tmp_path: Path) -> None:
    write_oxigraph(examples_graph, tmp_path / "db")
    assert_same_view_and_names(examples_graph, tmp_path / "db")


def test_synthetic_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = generate(0.002, 5)  # 20 documents, 200 works
    corpus.write(tmp_path)
    monkeypatch.chdir(tmp_path)
    memory = build(tmp_path / "references", corpus.extractions(), root=tmp_path).dataset
    update_graph(tmp_path / "references", f"oxigraph:{tmp_path / 'db'}", extractions=corpus.extractions(), root=tmp_path, links=None)
    assert_same_view_and_names(memory, tmp_path / "db")
