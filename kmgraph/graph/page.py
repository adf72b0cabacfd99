"""A self-contained, offline HTML page to explore the knowledge graph in a browser.

:func:`view_data` selects the nodes to show (the whole NetworkX view, or the
neighbourhood of some entities, capped at the highest-degree nodes) and describes each
one for people: type, label, key, year, IRI, the names it is known by (searched by the
page: alternative labels, acronyms, aliases) and a few other attributes (definition,
URL, DOI, homepage ...). :func:`render_page` puts that data, the script and the style
sheet (``kmgraph/graph/assets/``) into one HTML file.

The page fetches nothing: no CDN, no font, no image. Its Content-Security-Policy allows
no connection at all and only the page's own script and style (by SHA-256 hash), so a
browser enforces that promise. The script lays the graph out itself (a force layout with
Barnes-Hut repulsion, from a fixed start, so the same data gives the same picture) and
draws it as SVG: nodes coloured by type, a legend that hides or shows a type, a search
over labels, keys and alternative names, and a panel with the details and the
neighbours of the selected node.

The output is deterministic: the same graph gives the same bytes (nodes sorted by IRI,
edges by their ends and type, JSON with sorted keys, no timestamp).

Example:
    >>> from kmgraph.graph.page import render_page, view_data
    >>> data = view_data(ds, around=["knowledge brokering"], depth=2)  # doctest: +SKIP
    >>> html = render_page(data, title="Knowledge brokering")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kmgraph.errors import UsageError
from kmgraph.graph.view import EDGE_LABELS, NODE_TYPES, to_networkx
from kmgraph.ontology.namespaces import BIBO, FABIO, FRAPO, KMG

__all__ = ["DEFAULT_MAX_NODES", "DEFAULT_TITLE", "TYPE_STYLES", "render_page", "view_data"]

#: The most nodes a page shows unless told otherwise: a browser lays out and draws a few
#: thousand SVG nodes in a second or two; far more makes the page sluggish.
DEFAULT_MAX_NODES = 2000
DEFAULT_TITLE = "kmgraph: knowledge graph"

#: Legend name and colour of each node type (the Okabe–Ito palette, safe for the common
#: colour-vision deficiencies; sources and cited works share a hue).
TYPE_STYLES: dict[str, tuple[str, str]] = {
    "source": ("Source documents", "#0072B2"),
    "work": ("Cited works", "#56B4E9"),
    "person": ("People", "#009E73"),
    "organisation": ("Organisations", "#CC79A7"),
    "concept": ("Concepts", "#E69F00"),
}

_ASSETS = ("view.css", "view.js")


# --------------------------------------------------------------------------- selection


def _neighbourhood(view: nx.MultiDiGraph, centres: Sequence[str], depth: int) -> dict[str, int]:
    """Nodes within ``depth`` edges (either direction) of any centre, with their distance."""
    undirected = view.to_undirected(as_view=True)
    distance: dict[str, int] = {}
    for centre in centres:
        for node, d in nx.single_source_shortest_path_length(undirected, centre, cutoff=depth).items():
            if d < distance.get(node, depth + 1):
                distance[node] = d
    return distance


def _degrees(view: nx.MultiDiGraph) -> dict[str, int]:
    """The number of distinct neighbours of each node (directions and edge types ignored)."""
    return {n: len(set(view.successors(n)) | set(view.predecessors(n))) for n in view.nodes}


# --------------------------------------------------------------------------- descriptions


def _literals(graph: Graph, iri: URIRef, *predicates: URIRef) -> list[str]:
    """The literal values, English or untagged first, then by text; no duplicates."""
    found: list[Literal] = []
    for predicate in predicates:
        found.extend(o for o in graph.objects(iri, predicate) if isinstance(o, Literal))
    found.sort(key=lambda o: (o.language not in (None, "en"), str(o)))
    out: list[str] = []
    for value in found:
        text = " ".join(str(value).split())
        if text and text not in out:
            out.append(text)
    return out


def _iris(graph: Graph, iri: URIRef, predicate: URIRef) -> list[URIRef]:
    return sorted((o for o in graph.objects(iri, predicate) if isinstance(o, URIRef)), key=str)


def _words(camel: str) -> str:
    """``JournalArticle`` -> ``journal article``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", camel).lower()


def _local_name(iri: URIRef) -> str:
    return re.split(r"[/#]", str(iri).rstrip("/#"))[-1]


def _describe(graph: Graph, iri: URIRef, data: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The extra names a node is searched by, and its other attributes as
    ``[name, value]`` or ``[name, value, link]`` rows, for one node of the view."""
    kind = data["type"]
    label = str(data["label"])
    names: list[str] = []
    attrs: list[list[str]] = []

    def add(name: str, values: Iterable[str], link: str | None = None) -> None:
        shown = [v for v in values if v]
        if shown:
            row = [name, "; ".join(shown)]
            if link:
                row.append(link)
            attrs.append(row)

    if kind in ("source", "work"):
        names += _literals(graph, iri, DCTERMS.title)
        fabio_types = sorted(
            _words(str(t)[len(str(FABIO)) :])
            for t in graph.objects(iri, RDF.type)
            if str(t).startswith(str(FABIO)) and t != FABIO.Expression
        )
        add("publication type", fabio_types)
        issued = _literals(graph, iri, DCTERMS.issued)
        if issued and issued != [str(data.get("year", ""))]:
            add("issued", issued)
        add("published in", [t for venue in _iris(graph, iri, DCTERMS.isPartOf) for t in _literals(graph, venue, DCTERMS.title)[:1]])
        for url in _literals(graph, iri, FABIO.hasURL):
            add("URL", [url], url)
        for doi in _literals(graph, iri, BIBO.doi):
            add("DOI", [doi], f"https://doi.org/{doi}")
        add("document", _literals(graph, iri, KMG.documentPath))
        add("reference as written", _literals(graph, iri, DCTERMS.bibliographicCitation)[:1])
    elif kind == "person":
        names += _literals(graph, iri, FOAF.name)
        family = _literals(graph, iri, FOAF.familyName)
        given = _literals(graph, iri, FOAF.givenName)
        if family:
            names.append(f"{family[0]}, {given[0]}" if given else family[0])
        add("family name", family[:1])
        add("given name", given[:1])
    elif kind == "organisation":
        acronyms = _literals(graph, iri, FRAPO.hasAcronym)
        aliases = [n for n in _literals(graph, iri, SKOS.altLabel, FOAF.name) if n != label and n not in acronyms]
        names += acronyms + aliases
        add("acronym", acronyms)
        add("also known as", aliases)
        if (iri, RDF.type, FRAPO.FundingAgency) in graph:
            add("kind", ["funding agency"])
        add("country", [_local_name(c) for c in _iris(graph, iri, DCTERMS.spatial)])
        for page in _iris(graph, iri, FOAF.homepage):
            add("homepage", [str(page)], str(page))
        add("in the register", ["yes"] if any(True for _ in graph.objects(iri, KMG.inRegister)) else [])
    elif kind == "concept":
        alternatives = [n for n in _literals(graph, iri, SKOS.altLabel) if "…" not in n and n != label]
        hidden = [n for n in _literals(graph, iri, SKOS.hiddenLabel) if "…" not in n]
        names += alternatives + hidden  # hidden labels are for search only (SKOS)
        add("also called", alternatives)
        add("definition", _literals(graph, iri, SKOS.definition)[:1])
    unique: list[str] = []
    for name in names:
        if name and name != label and name != data["key"] and name not in unique:
            unique.append(name)
    return unique, attrs


def view_data(
    graph: Graph,
    *,
    around: Sequence[str] = (),
    depth: int = 1,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> dict[str, Any]:
    """The data a page shows: nodes with their descriptions, edges, and what was left out.

    Args:
        graph: A graph built by :func:`kmgraph.graph.build.build_graph` (or read back).
        around: Show only the neighbourhood of these entities (names resolved loosely by
            :func:`kmgraph.graph.query.resolve`: a key, label, acronym, IRI ...).
        depth: How many edges (in either direction) the neighbourhood reaches.
        max_nodes: Keep at most this many nodes (None or 0: all): the entities named in
            ``around`` first, then the nearest to them, then those of highest degree (the
            number of distinct neighbours in the whole graph), then by IRI.

    Returns:
        A JSON-ready dict: ``nodes`` (``id`` = IRI, ``type``, ``label``, ``key``,
        ``year`` when known, ``degree``, ``names``: other names it is searched by,
        ``attrs``: ``[name, value]`` or ``[name, value, link]`` rows, ``centre``: true for
        an entity named in ``around``), ``edges`` (``[from index, to index, type,
        weight]``), ``types`` (legend names and colours), ``edge_labels`` (each edge type
        read forwards and backwards), and ``selection`` (``total``: nodes before the cap,
        ``shown``, ``max_nodes``, ``around``: the labels of the centres, ``depth``).

    Raises:
        UsageError: ``depth`` below 0 or ``max_nodes`` below 0, or an entity of
            ``around`` that nothing in the graph links to.
        NameNotFound, AmbiguousName: A name of ``around`` does not resolve to one entity.
    """
    if depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}")
    if max_nodes is not None and max_nodes < 0:
        raise UsageError(f"--max-nodes must be 0 (all) or more, not {max_nodes}")
    view = to_networkx(graph)
    degree = _degrees(view)

    centres: list[str] = []
    if around:
        from kmgraph.graph.query import entity

        for name in around:
            found = entity(graph, name)
            if found.iri not in view:
                raise UsageError(f"{found} has no links in the graph; there is nothing around it to show")
            if found.iri not in centres:
                centres.append(found.iri)
        distance = _neighbourhood(view, centres, depth)
    else:
        distance = dict.fromkeys(view.nodes, 0)

    total = len(distance)
    chosen = sorted(distance, key=lambda n: (n not in centres, distance[n], -degree[n], n))
    if max_nodes:
        chosen = chosen[:max_nodes]
    keep = sorted(chosen)
    index = {n: i for i, n in enumerate(keep)}

    nodes: list[dict[str, Any]] = []
    for node in keep:
        attrs = view.nodes[node]
        names, rows = _describe(graph, URIRef(node), attrs)
        item: dict[str, Any] = {
            "id": node,
            "type": attrs["type"],
            "label": str(attrs["label"]),
            "key": str(attrs["key"]),
            "degree": degree[node],
            "names": names,
            "attrs": rows,
        }
        if "year" in attrs:
            item["year"] = attrs["year"]
        if node in centres:
            item["centre"] = True
        nodes.append(item)

    edges: list[list[Any]] = []
    for u, v, key, attrs in sorted(view.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if u in index and v in index:
            weight = attrs.get("weight", 1)
            edges.append([index[u], index[v], key, int(weight) if float(weight).is_integer() else weight])

    return {
        "nodes": nodes,
        "edges": edges,
        "types": [{"id": t, "name": TYPE_STYLES[t][0], "colour": TYPE_STYLES[t][1]} for t in NODE_TYPES],
        "edge_labels": {k: list(v) for k, v in EDGE_LABELS.items()},
        "selection": {
            "total": total,
            "shown": len(nodes),
            "max_nodes": max_nodes or 0,
            "around": [str(view.nodes[c]["label"]) for c in centres],
            "depth": depth if centres else None,
        },
    }


# --------------------------------------------------------------------------- rendering


@cache
def _asset(name: str) -> str:
    return resources.files("kmgraph.graph").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` escaped as
    ``\\u003c`` ..., so no ``</script>`` or ``<!--`` can end or change the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace(
        "\u2028", "\\u2028"
    ).replace("\u2029", "\\u2029")


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def render_page(data: dict[str, Any], *, title: str = DEFAULT_TITLE) -> str:
    """The HTML page for data from :func:`view_data`: one file, nothing fetched.

    Args:
        data: What :func:`view_data` returned.
        title: The page title and heading.

    Returns:
        The page, ending with a newline; the same data and title give the same text.
    """
    from kmgraph import __version__

    style = "\n" + _asset("view.css").strip() + "\n"
    script = "\n" + _asset("view.js").strip() + "\n"
    policy = (
        "default-src 'none'; "
        f"script-src '{_hash(script)}'; "
        f"style-src '{_hash(style)}'; "
        "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    shown = data["selection"]["shown"]
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="kmgraph {html.escape(__version__)}">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        '<div id="app">',
        '<header id="bar">',
        f"<h1>{html.escape(title)}</h1>",
        '<div id="search-box">',
        '<label for="search" class="sr-only">Search</label>',
        '<input id="search" type="search" autocomplete="off" spellcheck="false"'
        ' placeholder="Search labels, keys, acronyms…" aria-controls="results">',
        '<ol id="results" role="listbox" hidden></ol>',
        "</div>",
        '<div id="tools">',
        '<button id="fit" type="button" title="Show the whole graph">Fit</button>',
        '<button id="clear" type="button" title="Clear the search and the selection (Esc)">Clear</button>',
        "</div>",
        "</header>",
        '<main id="stage">',
        '<svg id="graph" role="img" aria-label="The knowledge graph">'
        '<g id="viewport"><g id="edges"></g><g id="nodes"></g><g id="labels"></g></g></svg>',
        '<div id="status" role="status"></div>',
        '<ul id="legend" aria-label="Node types (click to hide or show)"></ul>',
        "</main>",
        '<aside id="details" aria-live="polite">',
        f'<p class="hint">{shown} nodes. Click a node, or search, to see its details and neighbours.'
        " Drag to pan, scroll to zoom, drag a node to move it.</p>",
        "</aside>",
        "</div>",
        f'<script id="kmgraph-data" type="application/json">{_script_json(data)}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(lines)
