"""The knowledge graph: RDF build, NetworkX view, queries, exports (see docs/graph.md).

Modules:

* :mod:`kmgraph.graph.build`: :func:`build_graph` (store + documents -> rdflib Dataset
  of named graphs), :func:`build` (with a :class:`BuildReport`);
* :mod:`kmgraph.graph.workspace`: the saved graph (``.kmgraph/graph.nq``),
  :func:`update_graph` (incremental build and save), :func:`read_graph`;
* :mod:`kmgraph.graph.validate`: SHACL validation with pySHACL;
* :mod:`kmgraph.graph.view`: :func:`to_networkx`;
* :mod:`kmgraph.graph.query`: sources, concepts, organisations, related, path, rank,
  clusters, sparql, name resolution;
* :mod:`kmgraph.graph.export`: Turtle, TriG, N-Triples, N-Quads, JSON-LD, GraphML, GEXF;
* :mod:`kmgraph.graph.serialize`: the deterministic RDF writers;
* :mod:`kmgraph.graph.errors`: the graph's exceptions and exit codes.
"""

from __future__ import annotations

from kmgraph.graph.build import BuildReport, BuildResult, build, build_graph
from kmgraph.graph.export import export
from kmgraph.graph.view import to_networkx
from kmgraph.graph.workspace import read_graph, update_graph, write_graph

__all__ = [
    "BuildReport",
    "BuildResult",
    "build",
    "build_graph",
    "export",
    "read_graph",
    "to_networkx",
    "update_graph",
    "write_graph",
]
