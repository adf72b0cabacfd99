"""Link health in the graph: the latest ``kmgraph links check`` verdicts on sources' URLs.

``kmgraph links check`` records each URL's latest verdict in the workspace
(:mod:`kmgraph.linkcheck.record`); ``kmgraph graph build`` turns that record into the
named graph ``https://w3id.org/kmgraph/graph/links``, rebuilt on every build (it is
small, and the record changes without any document changing)::

    <https://w3id.org/kmgraph/link/3f0c...> a kmg:LinkCheck ;
        kmg:checkedURL "https://example.org/gone"^^xsd:anyURI ;
        kmg:linkStatus "broken" ; kmg:httpStatus 404 ;
        prov:generatedAtTime "2026-01-31T12:00:00Z"^^xsd:dateTime ;
        kmg:linkCheckOf <https://w3id.org/kmgraph/work/levin2008thinking> .

A check is about (``kmg:linkCheckOf``) every work whose ``fabio:hasURL`` is the URL or
whose ``bibo:doi`` the DOI it checked at the resolver, and every source document the URL
was found in. A recorded URL that no source or work of the graph carries is left out.

Example:
    >>> from kmgraph.graph.linkhealth import add_link_health
    >>> add_link_health(dataset, read_record())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from rdflib import RDF, XSD, Dataset, Literal, Namespace, URIRef
from rdflib.namespace import PROV

from kmgraph.ontology.namespaces import BASE, BIBO, FABIO, GRAPH, KMG
from kmgraph.references.dedup import normalize_doi

if TYPE_CHECKING:
    from kmgraph.linkcheck.record import LinkRecord

__all__ = ["LINK", "LINKS_GRAPH", "add_link_health", "link_iri", "matches"]

T = TypeVar("T")

#: The named graph of link checks.
LINKS_GRAPH = GRAPH["links"]
#: The IRIs of link checks: a digest of the URL.
LINK = Namespace(BASE + "link/")

_DOI_PREFIX = "https://doi.org/"


def link_iri(url: str) -> URIRef:
    """The stable IRI of the check of ``url``.

    >>> link_iri("https://example.org/") == link_iri("https://example.org/")
    True
    >>> str(link_iri("https://example.org/")).startswith("https://w3id.org/kmgraph/link/")
    True
    """
    return LINK[hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]]


def _carriers(ds: Dataset) -> tuple[dict[str, set[URIRef]], dict[str, set[URIRef]], dict[str, set[URIRef]]]:
    """Works by URL and by lower-cased DOI, source documents by path."""
    by_url: dict[str, set[URIRef]] = defaultdict(set)
    by_doi: dict[str, set[URIRef]] = defaultdict(set)
    by_path: dict[str, set[URIRef]] = defaultdict(set)
    for s, _p, o, _g in ds.quads((None, FABIO.hasURL, None, None)):
        by_url[str(o).strip()].add(s)  # type: ignore[arg-type]
    for s, _p, o, _g in ds.quads((None, BIBO.doi, None, None)):
        doi = normalize_doi(str(o))
        if doi:
            by_doi[doi].add(s)  # type: ignore[arg-type]
    documents = set(ds.subjects(RDF.type, KMG.SourceDocument))  # not the named graphs, which carry the path too
    for s, _p, o, _g in ds.quads((None, KMG.documentPath, None, None)):
        if s in documents:
            by_path[str(o)].add(s)  # type: ignore[arg-type]
    return by_url, by_doi, by_path


def matches(
    records: Mapping[str, LinkRecord],
    by_url: Mapping[str, set[T]],
    by_doi: Mapping[str, set[T]],
    by_path: Mapping[str, set[T]],
) -> Iterator[tuple[str, LinkRecord, set[T]]]:
    """Each recorded URL, in order, with what it is about: the carriers of the URL, of the
    DOI it checks at the resolver (``by_doi`` keys are lower-cased DOIs), and of the files
    it was found in. URLs about nothing are skipped. The carriers are IRIs here, store keys
    for the streaming build."""
    for url in sorted(records):
        record = records[url]
        about: set[T] = set(by_url.get(url, ()))
        if url.lower().startswith(_DOI_PREFIX):
            doi = normalize_doi(url)
            if doi:
                about |= by_doi.get(doi, set())
        for path in record.paths:
            about |= by_path.get(path, set())
        if about:
            yield url, record, about


def add_link_health(ds: Dataset, records: Mapping[str, LinkRecord] | None) -> int:
    """Replace the links graph of ``ds`` with the checks of ``records``.

    Args:
        ds: A built dataset.
        records: The recorded verdicts by URL (:func:`kmgraph.linkcheck.record.read_record`);
            None or empty leaves an empty links graph.

    Returns:
        The number of link checks added.
    """
    graph = ds.graph(LINKS_GRAPH)
    graph.remove((None, None, None))
    if not records:
        return 0
    added = 0
    for url, record, about in matches(records, *_carriers(ds)):
        node = link_iri(url)
        graph.add((node, RDF.type, KMG.LinkCheck))
        graph.add((node, KMG.checkedURL, Literal(url, datatype=XSD.anyURI)))
        graph.add((node, KMG.linkStatus, Literal(record.status)))
        if record.code is not None:
            graph.add((node, KMG.httpStatus, Literal(record.code, datatype=XSD.integer)))
        if record.final_url:
            graph.add((node, KMG.finalURL, Literal(record.final_url, datatype=XSD.anyURI)))
        if record.checked_at:
            graph.add((node, PROV.generatedAtTime, Literal(record.checked_at, datatype=XSD.dateTime)))
        for subject in sorted(about):
            graph.add((node, KMG.linkCheckOf, subject))
        added += 1
    return added
