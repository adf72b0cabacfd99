"""Exports of the knowledge graph: RDF for linked-data tools, GraphML and GEXF for
network tools (yEd, Cytoscape, Gephi).

========== ================================================= =========================
format     what                                              writer
========== ================================================= =========================
turtle     the union of the named graphs, sorted             own, deterministic
trig       every named graph (provenance kept), sorted       own, deterministic
ntriples   the union, one statement per line, sorted         own, deterministic
nquads     every statement with its graph, sorted            own, deterministic
jsonld     the union, compacted with ``ontology/context.jsonld`` rdflib's JSON-LD
graphml    the NetworkX view (typed nodes and edges)         ``networkx.write_graphml``
gexf       the NetworkX view; Gephi reads ``label``           ``networkx.write_gexf``
========== ================================================= =========================

The JSON-LD context (the project prefixes) is published as ``ontology/context.jsonld``
and embedded in every JSON-LD export, so reading one back needs no network.

Example:
    >>> from kmgraph.graph.export import export
    >>> text = export(dataset, "turtle")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from typing import Any

import networkx as nx
from rdflib import Dataset, Graph

from kmgraph.errors import UsageError
from kmgraph.graph.serialize import nquads, ntriples, trig, turtle
from kmgraph.graph.view import to_networkx
from kmgraph.ontology.namespaces import PREFIXES
from kmgraph.ontology.vocabulary import data_dir

__all__ = ["CONTEXT_FILE", "FORMATS", "export", "jsonld_context", "union"]

#: The export formats, in the order the command line lists them.
FORMATS = ("turtle", "trig", "ntriples", "nquads", "jsonld", "graphml", "gexf")
CONTEXT_FILE = "context.jsonld"


@lru_cache(maxsize=1)
def _context_text() -> str:
    return (data_dir() / CONTEXT_FILE).read_text(encoding="utf-8")


def jsonld_context() -> dict[str, Any]:
    """The published JSON-LD context (``{"@context": {...}}``)."""
    return json.loads(_context_text())


def union(graph: Graph) -> Graph:
    """A plain graph holding the union of a dataset's named graphs (prefixes bound)."""
    out = Graph()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True)
    if isinstance(graph, Dataset):
        for s, p, o, _g in graph.quads((None, None, None, None)):
            out.add((s, p, o))
    else:
        for triple in graph:
            out.add(triple)
    return out


def _flat(view: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The view with only string, int and float attributes (GraphML and GEXF refuse None,
    lists and dicts)."""
    flat = nx.MultiDiGraph()
    for node, data in view.nodes(data=True):
        flat.add_node(node, **{k: v for k, v in data.items() if isinstance(v, (str, int, float))})
    for u, v, key, data in view.edges(keys=True, data=True):
        flat.add_edge(u, v, key=key, **{k: val for k, val in data.items() if isinstance(val, (str, int, float))})
    return flat


def export(graph: Graph, fmt: str) -> str:
    """The graph in one format, as text.

    Args:
        graph: A dataset (or graph) built by kmgraph.
        fmt: One of :data:`FORMATS`.

    Raises:
        UsageError: An unknown format, or a dataset format for a plain graph.
    """
    if fmt == "turtle":
        return turtle(graph, PREFIXES)
    if fmt == "ntriples":
        return ntriples(graph)
    if fmt in ("trig", "nquads"):
        if not isinstance(graph, Dataset):
            raise UsageError(f"{fmt} needs a dataset with named graphs")
        return trig(graph, PREFIXES) if fmt == "trig" else nquads(graph)
    if fmt == "jsonld":
        data = union(graph).serialize(format="json-ld", context=jsonld_context()["@context"], sort_keys=True, indent=2)
        return data if data.endswith("\n") else data + "\n"
    if fmt in ("graphml", "gexf"):
        view = _flat(to_networkx(graph))
        buffer = io.BytesIO()
        if fmt == "graphml":
            nx.write_graphml(view, buffer, encoding="utf-8")
        else:
            nx.write_gexf(view, buffer, encoding="utf-8")
        return buffer.getvalue().decode("utf-8")
    raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
