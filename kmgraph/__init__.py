"""kmgraph: knowledge-mobilization documents to a BibTeX store and a knowledge graph.

The small public API::

    >>> import kmgraph
    >>> ex = kmgraph.extract("examples/km-blog-post.md")          # doctest: +SKIP
    >>> report = kmgraph.ingest_documents(["examples"], "references")  # doctest: +SKIP
    >>> kmgraph.parse_reference("Levin, B. (2011). Mobilising research knowledge in "
    ...     "education. London Review of Education, 9(1), 15-26.").fields["year"]  # doctest: +SKIP
    '2011'
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "read_document",
    "extract",
    "ingest_documents",
    "parse_reference",
    "Store",
    "find_links",
]


def __getattr__(name: str):  # imported lazily: `kmgraph --help` stays fast
    if name == "read_document":
        from kmgraph.ingest import read_document

        return read_document
    if name == "extract":
        from kmgraph.pipeline import extract

        return extract
    if name == "ingest_documents":  # `kmgraph.ingest` is the subpackage of readers
        from kmgraph.pipeline import ingest

        return ingest
    if name == "parse_reference":
        from kmgraph.references.parse import parse_reference

        return parse_reference
    if name == "Store":
        from kmgraph.references.store import Store

        return Store
    if name == "find_links":
        from kmgraph.links import find_links

        return find_links
    raise AttributeError(f"module 'kmgraph' has no attribute {name!r}")
