"""Deterministic serialisations: the same graph always gives the same bytes.

rdflib's Turtle and TriG serialisers do not promise a stable order, so kmgraph writes its
own: statements sorted by their N-Triples form (N-Triples; N-Quads graph by graph) or
grouped by subject, subjects and predicates sorted (Turtle, TriG). Blank nodes are not
used by the graph builder; were one present, its label would make the order depend on
rdflib's labelling.

Example:
    >>> from rdflib import Graph, Literal, URIRef
    >>> g = Graph()
    >>> _ = g.add((URIRef("https://w3id.org/kmgraph/work/b"), URIRef("http://purl.org/dc/terms/title"), Literal("B")))
    >>> print(turtle(g, {"dcterms": "http://purl.org/dc/terms/", "work": "https://w3id.org/kmgraph/work/"}), end="")
    @prefix dcterms: <http://purl.org/dc/terms/> .
    @prefix work: <https://w3id.org/kmgraph/work/> .
    <BLANKLINE>
    work:b dcterms:title "B" .
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from rdflib import RDF, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.serializers.nt import _quoteLiteral

__all__ = ["graph_lines", "ntriples", "nquads", "turtle", "trig", "term_nt"]

_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def term_nt(term: object) -> str:
    """One term in N-Triples syntax."""
    if isinstance(term, Literal):
        return _quoteLiteral(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return f"<{term}>"


def _triples(graph: Graph) -> Iterable[tuple]:
    if isinstance(graph, Dataset):
        return {(s, p, o) for s, p, o, _g in graph.quads((None, None, None, None))}
    return graph.triples((None, None, None))


def ntriples(graph: Graph) -> str:
    """Sorted N-Triples of a graph (a dataset gives the union of its graphs)."""
    lines = sorted({f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n" for s, p, o in _triples(graph)})
    return "".join(lines)


def nquads(dataset: Dataset) -> str:
    """N-Quads of a dataset in a canonical order: grouped by named graph, graphs in the
    order of their N-Triples names (the default graph, unlabelled, first), and each
    graph's statements sorted. The same dataset always gives the same text, and one
    graph's statements are contiguous, so the file can be written and read back one graph
    at a time (:func:`kmgraph.graph.workspace.write_graph`)."""
    graphs: dict[str, set[str]] = defaultdict(set)
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        label = "" if name is None or name == DATASET_DEFAULT_GRAPH_ID else term_nt(name)
        graphs[label].add(f"{term_nt(s)} {term_nt(p)} {term_nt(o)}")
    return "".join("".join(graph_lines(label, graphs[label])) for label in sorted(graphs))


def graph_lines(label: str, triples: Iterable[str]) -> list[str]:
    """The N-Quads lines of one graph, sorted: ``triples`` are ``"s p o"`` texts (N-Triples
    terms), ``label`` the graph's N-Triples name (empty for the default graph)."""
    end = f" {label} .\n" if label else " .\n"
    return sorted({t + end for t in triples})


class _Names:
    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # Longest namespace first, so "work/" is not taken for "work/x/" etc.
        self._ns = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def __call__(self, term: object) -> str:
        if isinstance(term, URIRef):
            text = str(term)
            for prefix, ns in self._ns:
                if text.startswith(ns):
                    local = text[len(ns) :]
                    if local == "" or _LOCAL.match(local):
                        return f"{prefix}:{local}"
            return f"<{text}>"
        if isinstance(term, Literal) and term.datatype is not None and term.language is None:
            quoted = _quoteLiteral(Literal(str(term)))
            return f"{quoted}^^{self(term.datatype)}"
        return term_nt(term)


def _body(graph_triples: Iterable[tuple], name: _Names, indent: str = "") -> list[str]:
    by_subject: dict[object, dict[object, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in graph_triples:
        by_subject[s][p].add(name(o))
    blocks = []
    for s in sorted(by_subject, key=term_nt):
        preds = by_subject[s]
        order = sorted(preds, key=lambda p: (p != RDF.type, term_nt(p)))
        lines = []
        for i, p in enumerate(order):
            verb = "a" if p == RDF.type else name(p)
            objects = sorted(preds[p])
            sep = " ;" if i < len(order) - 1 else " ."
            head = f"{indent}{name(s)} " if i == 0 else f"{indent}    "
            lines.append(f"{head}{verb} {', '.join(objects)}{sep}")
        blocks.append("\n".join(lines))
    return blocks


def _prefix_lines(prefixes: Mapping[str, str]) -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(prefixes.items()))


def turtle(graph: Graph, prefixes: Mapping[str, str]) -> str:
    """Turtle with one block per subject, everything sorted (a dataset gives the union)."""
    name = _Names(prefixes)
    blocks = _body(_triples(graph), name)
    return _prefix_lines(prefixes) + "\n" + "".join(b + "\n\n" for b in blocks).rstrip("\n") + "\n"


def trig(dataset: Dataset, prefixes: Mapping[str, str]) -> str:
    """TriG: each named graph in a ``GRAPH { }`` block, graphs and statements sorted."""
    name = _Names(prefixes)
    graphs: dict[object, list[tuple]] = defaultdict(list)
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graphs[g.identifier if isinstance(g, Graph) else g].append((s, p, o))
    out = [_prefix_lines(prefixes)]
    for g in sorted(graphs, key=lambda t: "" if t in (None, DATASET_DEFAULT_GRAPH_ID) else term_nt(t)):
        blocks = _body(graphs[g], name, indent="    ")
        body = "\n\n".join(blocks)
        if g is None or g == DATASET_DEFAULT_GRAPH_ID:
            out.append("\n{\n" + body + "\n}\n")
        else:
            out.append(f"\n{name(g)} {{\n{body}\n}}\n")
    return "".join(out)
