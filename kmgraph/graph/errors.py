"""Errors of the knowledge graph, in the tree of :mod:`kmgraph.errors`::

    KmgraphError
    ├── UsageError               exit 2
    │   ├── NameNotFound                a name (key, label, acronym) matches no entity
    │   ├── AmbiguousName               a name matches several entities (listed)
    │   └── InvalidQuery                a SPARQL query that does not parse or run
    └── GraphError               exit 5  the saved graph cannot be used
        ├── GraphNotFound               no saved graph yet (run `kmgraph graph build`)
        ├── CorruptGraph                the saved graph cannot be parsed
        └── EndpointError               a SPARQL endpoint cannot be reached, refuses the
                                        credentials or answers with an error

A name the user typed is an argument value, so an unknown or ambiguous one is a usage
error (exit 2), the way click reports an invalid choice. SHACL violations are findings,
not errors: ``kmgraph graph validate`` exits 1 on them.
"""

from __future__ import annotations

from collections.abc import Sequence

from kmgraph.errors import KmgraphError, UsageError

__all__ = [
    "AmbiguousName",
    "CorruptGraph",
    "EndpointError",
    "GraphError",
    "GraphNotFound",
    "InvalidQuery",
    "NameNotFound",
]


class NameNotFound(UsageError):
    """A name that matches no entity of the graph.

    Attributes:
        name: The name as given.
        close: Close matches, best first (may be empty).
    """

    def __init__(self, name: str, close: Sequence[str] = (), *, what: str = "entity") -> None:
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        super().__init__(f"no {what} named {name!r} in the graph{hint}")
        self.name = name
        self.close = tuple(close)


class AmbiguousName(UsageError):
    """A name that matches several entities.

    Attributes:
        name: The name as given.
        candidates: ``"kind label (id)"`` of each match, sorted.
    """

    def __init__(self, name: str, candidates: Sequence[str]) -> None:
        super().__init__(f"{name!r} is ambiguous; it matches: {'; '.join(candidates)} (use the id)")
        self.name = name
        self.candidates = tuple(candidates)


class InvalidQuery(UsageError):
    """A SPARQL query that cannot be parsed or evaluated."""


class GraphError(KmgraphError):
    """The saved graph cannot be read or written."""

    exit_code = 5


class GraphNotFound(GraphError):
    """No saved graph at the path (nothing has been built yet)."""


class CorruptGraph(GraphError):
    """The saved graph exists but cannot be parsed (it is left as it is)."""


class EndpointError(GraphError):
    """A SPARQL endpoint that cannot be reached, refuses the credentials or the request.

    Attributes:
        url: The endpoint.
        status: The HTTP status, or None when no answer came.
    """

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message, path=url)
        self.url = url
        self.status = status
