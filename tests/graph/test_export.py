"""Exports round-trip: Turtle and JSON-LD re-parse to an isomorphic graph; GraphML and GEXF load."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kmgraph.errors import UsageError
from kmgraph.graph.export import export, jsonld_context, union
from kmgraph.graph.view import to_networkx
from kmgraph.ontology.namespaces import PREFIXES


@pytest.mark.parametrize(("fmt", "parser"), [("turtle", "turtle"), ("jsonld", "json-ld"), ("ntriples", "nt")])
def test_rdf_exports_round_trip(examples_graph: Dataset, fmt: str, parser: str) -> None:
    text = export(examples_graph, fmt)
    back = Graph().parse(data=text, format=parser)
    assert isomorphic(back, union(examples_graph))


def test_dataset_exports_keep_the_named_graphs(examples_graph: Dataset) -> None:
    for fmt, parser in (("trig", "trig"), ("nquads", "nquads")):
        back = Dataset()
        back.parse(data=export(examples_graph, fmt), format=parser)
        assert {g.identifier for g in back.graphs() if len(g)} == {g.identifier for g in examples_graph.graphs() if len(g)}


def test_jsonld_embeds_the_published_context(examples_graph: Dataset) -> None:
    data = json.loads(export(examples_graph, "jsonld"))
    assert data["@context"] == jsonld_context()["@context"]
    assert {k: v for k, v in jsonld_context()["@context"].items() if not k.startswith("@")} == PREFIXES


def test_turtle_is_deterministic(examples_graph: Dataset) -> None:
    assert export(examples_graph, "turtle") == export(examples_graph, "turtle")


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_exports_load_in_networkx(examples_graph: Dataset, fmt: str) -> None:
    text = export(examples_graph, fmt)
    read = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    loaded = read(io.BytesIO(text.encode("utf-8")))
    view = to_networkx(examples_graph)
    assert loaded.number_of_nodes() == view.number_of_nodes()
    assert loaded.number_of_edges() == view.number_of_edges()
    node = "https://w3id.org/kmgraph/concept/knowledge-mobilization"
    assert loaded.nodes[node]["label"] == "knowledge mobilization"


def test_view_nodes_and_edges_are_typed(examples_graph: Dataset) -> None:
    view = to_networkx(examples_graph)
    assert {d["type"] for _, d in view.nodes(data=True)} == {"source", "work", "person", "organisation", "concept"}
    assert {d["type"] for *_, d in view.edges(data=True)} >= {"cites", "creator", "publisher", "subject", "mentions"}
    assert all(d["label"] for _, d in view.nodes(data=True))


def test_unknown_format(examples_graph: Dataset) -> None:
    with pytest.raises(UsageError):
        export(examples_graph, "pdf")
