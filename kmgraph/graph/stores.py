"""Where the graph lives: an N-Quads file, an Oxigraph folder, or a SPARQL 1.1 endpoint.

One function opens "the graph" from a location, whatever backs it, and every command
and library caller goes through it (:func:`open_graph`). A location is written as:

=====================  ===============================================================
``PATH``               an N-Quads file read into rdflib's memory store (the default,
                       ``.kmgraph/graph.nq``); fine up to some 100,000 statements
``oxigraph:DIR``       an Oxigraph (RocksDB) folder read through oxrdflib without
                       parsing anything; ``oxigraph:`` alone is ``.kmgraph/oxigraph``
``http(s)://URL``      a SPARQL 1.1 endpoint (its query URL), loaded by :func:`push`
=====================  ===============================================================

Each gives an :class:`rdflib.Dataset` whose default graph is the union of the named
graphs (the store graph, the provenance graph, the ontology and one graph per source
document), so the queries of :mod:`kmgraph.graph.query` give the same answers on each.

Oxigraph folder
    Written by :func:`write_oxigraph` (``kmgraph graph build --graph oxigraph:DIR``) into
    a new sibling folder that then replaces the old one by two renames, so no process
    ever writes a folder that another has open. A RocksDB folder has one writer at a
    time; queries open it read-only (:func:`open_oxigraph`), any number at once. A
    ``kmgraph-oxigraph.json`` file in the folder marks it as kmgraph's: a folder
    without it is never replaced.

    The union of the named graphs, as rdflib's memory dataset sees it, is a set: a
    statement two graphs make (a citation the store and the document both record)
    counts once. Oxigraph's and Virtuoso's unions are bags and count it twice. So the
    union is stored too, each statement once: as the default graph of the Oxigraph
    folder, and as the graph ``graph:union`` on an endpoint; queries without ``GRAPH``
    read it, and ``SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }`` gives the same number on
    every store. It doubles the statements stored. Oxigraph keeps literals by value:
    an ``xsd:nonNegativeInteger`` comes back as ``xsd:integer`` (same number), plain
    literals untyped as rdflib has them.

SPARQL endpoint
    :func:`push` loads the graph through rdflib's ``SPARQLUpdateStore``: it drops the
    kmgraph graphs the endpoint holds (names under ``https://w3id.org/kmgraph/graph/``)
    and those it is about to write, then inserts the statements, per-document named
    graphs kept, and the union graph, in requests of at most 1,000 statements (Virtuoso refuses much larger
    ``INSERT DATA`` requests). Pushing twice leaves the same statements. After an HTTP
    error the failed batch is discarded (``rollback``: rdflib would otherwise send it
    again with the next request) and :class:`~kmgraph.graph.errors.EndpointError`
    (exit 5) says how far the push got. Credentials are sent with HTTP Digest or Basic
    authentication, whichever the server asks for (Virtuoso's ``/sparql-auth`` asks for
    Digest, which rdflib alone cannot answer). Blank nodes cannot be addressed on an
    endpoint, so a graph with one is refused before anything is sent.

    Read back, :func:`open_graph` copies the kmgraph graphs of the endpoint into memory
    (a few SELECT requests, paged, each checked against the endpoint's own count, so a
    server that silently caps result sets, like Virtuoso's ``ResultSetMaxRows``, is
    caught) for the commands that walk the whole graph; with ``live=True`` the dataset
    sends its queries to the endpoint instead (``kmgraph sparql``), with the kmgraph
    graphs as the query's dataset (``default-graph-uri`` the union graph,
    ``named-graph-uri`` the others; a query with its own ``FROM`` keeps it), so a
    server's own graphs (Virtuoso's system graphs) do not show in the answers.

Example:
    >>> from kmgraph.graph.stores import location
    >>> location("oxigraph:graph-db")
    Location(kind='oxigraph', target='graph-db')
    >>> str(location("https://example.org/sparql"))
    'https://example.org/sparql'
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import secrets
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from rdflib import XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from rdflib.query import Result

from kmgraph import __version__
from kmgraph.errors import InputError, UsageError
from kmgraph.graph.build import PROVENANCE_GRAPH, STORE_GRAPH, new_dataset
from kmgraph.graph.errors import CorruptGraph, EndpointError, GraphError, GraphNotFound, InvalidQuery
from kmgraph.graph.serialize import term_nt
from kmgraph.ontology.namespaces import GRAPH, PREFIXES

__all__ = [
    "DEFAULT_OXIGRAPH",
    "ENDPOINT_ENV",
    "MAX_BATCH",
    "OXIGRAPH_MARKER",
    "Endpoint",
    "OxigraphPrevious",
    "OxigraphSink",
    "Location",
    "PushReport",
    "UNION_GRAPH",
    "graph_exists",
    "location",
    "open_graph",
    "open_oxigraph",
    "push",
    "remote_graphs",
    "save_graph",
    "write_oxigraph",
]

#: The Oxigraph folder of ``oxigraph:`` without a folder, relative to the working directory.
DEFAULT_OXIGRAPH = ".kmgraph/oxigraph"
#: The environment variable naming the SPARQL endpoint the query commands read.
ENDPOINT_ENV = "KMGRAPH_ENDPOINT"
#: The file that marks an Oxigraph folder as written by kmgraph.
OXIGRAPH_MARKER = "kmgraph-oxigraph.json"
#: The most statements one update request carries (Virtuoso fails from about 1,500).
MAX_BATCH = 1000
#: The graph that holds, on an endpoint, the union of the others, each statement once.
UNION_GRAPH = GRAPH["union"]

_OXIGRAPH_PREFIX = "oxigraph:"
_USER_AGENT = f"kmgraph/{__version__} (+https://github.com/kmgraph/kmgraph)"


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class Location:
    """Where a graph lives.

    Attributes:
        kind: ``file`` (N-Quads, memory store), ``oxigraph`` (folder) or ``sparql``.
        target: The file, the folder or the query endpoint's URL.
    """

    kind: str
    target: str

    def __str__(self) -> str:
        return f"{_OXIGRAPH_PREFIX}{self.target}" if self.kind == "oxigraph" else self.target


def location(spec: str | os.PathLike[str] | Location | None = None) -> Location:
    """Parse a location: ``PATH``, ``oxigraph:DIR`` (``oxigraph:`` alone: the default
    folder) or an ``http(s)://`` endpoint URL.

    Args:
        spec: The location; None reads ``$KMGRAPH_GRAPH``, else ``.kmgraph/graph.nq``.
    """
    if isinstance(spec, Location):
        return spec
    if spec is None:
        from kmgraph.graph.workspace import default_graph_path

        spec = default_graph_path()
    text = os.fspath(spec)
    if text.startswith(_OXIGRAPH_PREFIX):
        return Location("oxigraph", text[len(_OXIGRAPH_PREFIX) :] or DEFAULT_OXIGRAPH)
    if re.match(r"(?i)https?://", text):
        return Location("sparql", text)
    return Location("file", text)


def graph_exists(where: str | os.PathLike[str] | Location | None = None) -> bool:
    """True when a file or an Oxigraph folder is there (an endpoint is not asked)."""
    place = location(where)
    if place.kind == "sparql":
        return True
    return Path(place.target).exists()


def open_graph(
    where: str | os.PathLike[str] | Location | None = None,
    *,
    endpoint: Endpoint | None = None,
    live: bool = False,
    read_only: bool = True,
    in_memory: bool = False,
) -> Dataset:
    """Open the graph at a location.

    Args:
        where: ``PATH``, ``oxigraph:DIR`` or an endpoint URL (see :func:`location`).
        endpoint: For an endpoint, its settings (credentials, timeout); ``where`` may
            then be None.
        live: For an endpoint, a dataset whose ``query()`` runs on the server (triple
            lookups then cost a request each); otherwise a copy in memory.
        read_only: For an Oxigraph folder, open it read-only (the default; any number
            of readers). A writer holds the folder's lock until the dataset is closed.
        in_memory: For an Oxigraph folder, answer from a copy in Oxigraph's in-memory
            store (see :func:`open_oxigraph`).

    Returns:
        A dataset whose default graph is the union of its named graphs, prefixes bound.

    Raises:
        GraphNotFound: Nothing there yet.
        CorruptGraph: It cannot be read, or is not a kmgraph graph.
        EndpointError: The endpoint cannot be reached or refuses the request.
    """
    if endpoint is not None and where is None:
        where = Location("sparql", endpoint.url)
    place = location(where)
    if place.kind == "file":
        from kmgraph.graph.workspace import read_graph

        return read_graph(place.target)
    if place.kind == "oxigraph":
        return open_oxigraph(place.target, read_only=read_only, in_memory=in_memory)
    settings = endpoint if endpoint is not None and endpoint.url == place.target else Endpoint(place.target)
    return _remote_dataset(settings) if live else _fetch(settings)


def save_graph(dataset: Dataset, where: str | os.PathLike[str] | Location | None = None) -> Location:
    """Save a dataset as an N-Quads file or an Oxigraph folder (atomically either way).

    Raises:
        UsageError: ``where`` is an endpoint (load it with :func:`push`).
        InputError: The file or folder cannot be written, or the folder is not kmgraph's.
    """
    place = location(where)
    if place.kind == "sparql":
        raise UsageError(f"a SPARQL endpoint is loaded with `kmgraph graph push --endpoint {place.target}`, not saved to")
    if place.kind == "oxigraph":
        write_oxigraph(dataset, place.target)
    else:
        from kmgraph.graph.workspace import write_graph

        write_graph(dataset, place.target)
    return place


def _check_kmgraph(ds: Dataset, where: str, hint: str) -> None:
    for name in (STORE_GRAPH, PROVENANCE_GRAPH):
        if next(iter(ds.quads((None, None, None, name))), None) is None:
            raise CorruptGraph(f"not a kmgraph graph (no store or provenance graph); {hint}", path=where)


# --------------------------------------------------------------------------- Oxigraph


def _oxigraph_store_class() -> type:
    try:
        from oxrdflib import OxigraphStore
        from oxrdflib._converter import from_ox, to_ox_quad_pattern
    except ImportError as exc:  # pragma: no cover - oxrdflib is a dependency
        raise UsageError("the Oxigraph store needs the oxrdflib package (pip install oxrdflib)") from exc

    def term_of(node: Any) -> Any:
        # Oxigraph types every plain literal xsd:string (RDF 1.1); rdflib's parsers and
        # the memory store keep it untyped, and Literal("x") != Literal("x", datatype=xsd:string).
        if isinstance(node, Literal) and node.datatype == XSD.string:
            return Literal(str(node))
        return node

    cache: dict[Any, Any] = {}

    def term(value: Any) -> Any:
        # Building rdflib terms is the slow part of a lookup; the same terms recur.
        found = cache.get(value)
        if found is None:
            if len(cache) >= 100_000:
                cache.clear()
            found = cache[value] = term_of(from_ox(value))
        return found

    import pyoxigraph as ox

    default_graph = ox.DefaultGraph()

    class UnionOxigraphStore(OxigraphStore):
        """oxrdflib's store answering like rdflib's memory store.

        The folder's default graph holds the union of the named graphs, each triple once
        (:func:`write_oxigraph` writes it): union lookups and SPARQL queries without
        ``GRAPH`` read it, so a triple two graphs state counts once, as in memory.
        Plain literals come back untyped, and a read-only store writes nothing."""

        def __init__(self, *, store: Any, read_only: bool) -> None:
            super().__init__(store=store)
            self.read_only = read_only

        def _graphs(self, triple: tuple[Any, Any, Any]) -> Iterator[Graph]:
            for quad in self._inner.quads_for_pattern(*to_ox_quad_pattern(triple, None)):
                if not isinstance(quad.graph_name, ox.DefaultGraph):
                    yield Graph(identifier=from_ox(quad.graph_name), store=self)

        def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:
            union = context is None or getattr(context, "identifier", None) == DATASET_DEFAULT_GRAPH_ID
            try:
                s, p, o, g = to_ox_quad_pattern(triple_pattern, None if union else context)
            except (TypeError, ValueError):  # a literal as subject and the like: no match
                return iter(())
            found = self._inner.quads_for_pattern(s, p, o, default_graph if union else g)
            if not union:
                return (((term(q.subject), term(q.predicate), term(q.object)), iter((context,))) for q in found)
            return (((t := (term(q.subject), term(q.predicate), term(q.object))), self._graphs(t)) for q in found)

        def named_quads(self, triple_pattern: Any) -> Iterator[tuple[Any, Any, Any, Any]]:
            """Each statement of the named graphs matching a pattern, once per graph."""
            try:
                s, p, o, _ = to_ox_quad_pattern(triple_pattern, None)
            except (TypeError, ValueError):
                return
            for q in self._inner.quads_for_pattern(s, p, o, None):
                if not isinstance(q.graph_name, ox.DefaultGraph):
                    yield term(q.subject), term(q.predicate), term(q.object), from_ox(q.graph_name)

        def contexts(self, triple: Any = None) -> Iterator[Graph]:  # type: ignore[override]
            if triple is None:
                return (Graph(identifier=from_ox(g), store=self) for g in self._inner.named_graphs())
            return self._graphs(triple)

        def query(self, query: Any, initNs: Any, initBindings: Any, queryGraph: Any, **kwargs: Any) -> Result:  # noqa: N803
            # The union default graph is stored, so the query reads the default graph.
            scope = "" if queryGraph in ("__UNION__", DATASET_DEFAULT_GRAPH_ID) else queryGraph
            result = super().query(query, initNs, initBindings, scope, **kwargs)
            if result.type == "SELECT" and result.bindings is not None:
                rows = result.bindings
                result.bindings = [{k: term_of(v) for k, v in row.items()} for row in rows]
            elif result.graph is not None:
                out = Graph()
                out += ((s, p, term_of(o)) for s, p, o in result.graph)
                result.graph = out
            return result

        def add_graph(self, graph: Graph) -> None:
            # Dataset.graph(name) registers the graph; a read-only store has it or not.
            if self.read_only:
                return
            super().add_graph(graph)

    return UnionOxigraphStore


class _OxigraphDataset(Dataset):
    """A dataset on the store above: ``quads()`` reads the named graphs in one scan
    (rdflib's generic way asks the store for the graphs of each triple)."""

    def quads(self, quad: Any = None) -> Iterator[Any]:  # type: ignore[override]
        pattern = tuple(quad) if quad is not None else (None, None, None, None)
        if len(pattern) == 4 and pattern[3] is not None:
            yield from super().quads(pattern)  # type: ignore[arg-type]
            return
        yield from self.store.named_quads(pattern[:3])  # type: ignore[attr-defined]


def _marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / OXIGRAPH_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def open_oxigraph(folder: str | os.PathLike[str], *, read_only: bool = True, in_memory: bool = False) -> Dataset:
    """Open an Oxigraph folder written by :func:`write_oxigraph`.

    Args:
        folder: The folder.
        read_only: Open it read-only (any number of readers); otherwise take its lock.
        in_memory: Copy the folder into Oxigraph's in-memory store and answer from the
            copy, for sessions that run many queries: opening reads every statement
            (about 10 s for the 1.3 million statements of the benchmark's scale-0.1
            folder; 143 s and 6.3 GB for 13.4 million), then queries that read many terms back
            (grouping, sorting) are several times faster than on the folder, whose
            terms are looked up in RocksDB. Read-only: changes would not reach the folder.

    Raises:
        UsageError: ``in_memory`` without ``read_only``.
        GraphNotFound: No folder there.
        CorruptGraph: Not a kmgraph Oxigraph folder, or RocksDB cannot open it.
        GraphError: Opened for writing while another process writes it (locked).
    """
    if in_memory and not read_only:
        raise UsageError("an Oxigraph folder copied into memory is read-only; changes would not reach the folder")
    import pyoxigraph as ox

    path = Path(folder)
    where = f"{_OXIGRAPH_PREFIX}{path}"
    if not path.exists():
        raise GraphNotFound(f"no graph here; `kmgraph graph build --graph {where}` builds it", path=where)
    if not path.is_dir() or _marker(path) is None:
        raise CorruptGraph(
            f"not a kmgraph Oxigraph folder (no {OXIGRAPH_MARKER}); `kmgraph graph build --graph {where}` writes one",
            path=where,
        )
    try:
        inner = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except (OSError, RuntimeError) as exc:  # pyoxigraph raises either for RocksDB's lock
        message = " ".join(str(exc).split())[:200]
        if "lock" in message.lower():
            raise GraphError(f"the Oxigraph folder is locked by another writer ({message})", path=where) from exc
        raise CorruptGraph(
            f"the Oxigraph store cannot be opened ({message}); `kmgraph graph build --full --graph {where}` rebuilds it",
            path=where,
        ) from exc
    if in_memory:
        inner = _in_memory(inner, where)
    ds = _OxigraphDataset(store=_oxigraph_store_class()(store=inner, read_only=read_only), default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    _check_kmgraph(ds, where, f"`kmgraph graph build --full --graph {where}` rebuilds it")
    return ds


def _in_memory(disk: Any, where: str) -> Any:
    """A copy of an opened Oxigraph store in Oxigraph's in-memory store (through an
    N-Quads temporary file, so the text is never all in memory at once)."""
    import tempfile

    import pyoxigraph as ox

    copy = ox.Store()
    try:
        with tempfile.TemporaryFile() as text:
            disk.dump(text, ox.RdfFormat.N_QUADS)
            text.seek(0)
            copy.load(text, ox.RdfFormat.N_QUADS)
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptGraph(f"the Oxigraph store cannot be copied into memory ({' '.join(str(exc).split())[:200]})", path=where) from exc
    return copy


class OxigraphSink:
    """Writes a build into a new Oxigraph folder, graph by graph, with Oxigraph's bulk
    loader (:meth:`pyoxigraph.Store.bulk_load`, fed N-Quads text in batches): each named
    graph's statements, and each statement once more in the default graph, which holds the
    union. :meth:`commit` compacts the folder (:meth:`pyoxigraph.Store.optimize`) and puts
    it in the place of the old one (two renames); :meth:`abort` removes it and leaves the
    old one as it was.

    Raises:
        InputError: The folder is a file, is not kmgraph's (no marker, not empty), or
            cannot be written.
    """

    #: Characters of N-Quads text handed to the bulk loader at a time. Oxigraph's memory
    #: grows with the batch: at the benchmark's scale 1, 8 MB batches peak at 1.6 GB and
    #: 32 MB batches at 2.05 GB, in the same time (4 MB: 1.46 GB, 10 % slower).
    BATCH = 8 << 20

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        import pyoxigraph as ox

        self.path = Path(folder)
        self.where = f"{_OXIGRAPH_PREFIX}{self.path}"
        if self.path.exists() and not self.path.is_dir():
            raise InputError("is a file; oxigraph: takes a folder", path=self.where)
        if self.path.is_dir() and any(self.path.iterdir()) and _marker(self.path) is None:
            raise InputError(f"not a kmgraph Oxigraph folder (no {OXIGRAPH_MARKER}); refusing to replace it", path=self.where)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.fresh = self.path.parent / f".{self.path.name}.new-{token}"
        self.old = self.path.parent / f".{self.path.name}.old-{token}"
        self._format = ox.RdfFormat.N_QUADS
        self._batch: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self.statements = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(exc) from exc
        # Opened on the first load: RocksDB starts threads, and the build may first fork
        # its worker processes (kmgraph.graph.build.build_into).
        self.store: Any = None

    def _error(self, exc: BaseException) -> InputError:
        message = " ".join(str(exc).split())[:200]
        return InputError(f"cannot write the Oxigraph store: {message}", path=self.where)

    def add_graph(self, name: str | None, triples: Iterable[tuple[str, str, str]]) -> int:
        """Add one graph (None: the default graph): its statements in N-Triples terms,
        possibly repeated; return its number of statements."""
        label = f" <{name}> .\n" if name is not None else None
        lines: list[str] = []
        seen: set[str] = set()
        size = 0
        for s, p, o in triples:
            text = f"{s} {p} {o}"
            if text in seen:
                continue
            seen.add(text)
            if label is not None:
                lines.append(text + label)
            lines.append(text + " .\n")
            size += 2 * len(text) + 60
            if size > self.BATCH:
                self._add_bytes("".join(lines).encode("utf-8"))
                lines.clear()
                size = 0
        self._add_bytes("".join(lines).encode("utf-8"))
        if label is not None:
            self.statements += len(seen)
        return len(seen)

    @staticmethod
    def render(name: str, triples: Iterable[tuple[str, str, str]]) -> tuple[bytes, int]:
        """A named graph as the N-Quads the loader takes (each statement in the graph and
        in the default graph) and its number of statements; pure, so a worker process can
        make it (:meth:`add_rendered` adds it)."""
        unique = dict.fromkeys(f"{s} {p} {o}" for s, p, o in triples)
        label = f" <{name}> .\n"
        return "".join(f"{t}{label}{t} .\n" for t in unique).encode("utf-8"), len(unique)

    def add_rendered(self, name: str, rendered: tuple[bytes, int]) -> int:
        """Add a graph made by :meth:`render`; return its number of statements."""
        self._add_bytes(rendered[0])
        self.statements += rendered[1]
        return rendered[1]

    def _add_bytes(self, data: bytes) -> None:
        if data:
            self._batch.append(data)
            self._size += len(data)
        if self._size > self.BATCH:
            self._load()

    def _load(self) -> None:
        """Hand the batch to the loading thread (Oxigraph loads while Python builds the
        next graphs; at most two batches wait)."""
        if self._failure is not None:
            raise self._error(self._failure) from self._failure
        if not self._batch:
            return
        data = b"".join(self._batch)
        self._batch.clear()
        self._size = 0
        if self._thread is None:
            self._open()
            self._thread = threading.Thread(target=self._loader, name="kmgraph-oxigraph-load", daemon=True)
            self._thread.start()
        self._queue.put(data)

    def _open(self) -> Any:
        import pyoxigraph as ox

        if self.store is None:
            try:
                self.store = ox.Store(str(self.fresh))
            except (OSError, RuntimeError) as exc:
                shutil.rmtree(self.fresh, ignore_errors=True)
                raise self._error(exc) from exc
        return self.store

    def _loader(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._failure is None:
                try:
                    self.store.bulk_load(input=data, format=self._format)
                except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
                    self._failure = exc

    def _finish_loading(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._failure is not None:
            raise self._error(self._failure) from self._failure

    def commit(self) -> Path:
        """Finish loading, write the marker and put the folder in place."""
        try:
            self._load()
            self._finish_loading()
            # Compact what the bulk loader wrote (one set of sorted files per batch):
            # every later read looks terms up in fewer files, so reads and queries that
            # read strings back (grouping, sorting) are about twice as fast.
            self._open().optimize()
            self.store.flush()
            graphs = sum(1 for _ in self.store.named_graphs())
            union = len(self.store) - self.statements
            self.store = None  # releases RocksDB's lock
            marker = {
                "format": "kmgraph oxigraph store",
                "version": 1,
                "kmgraph": __version__,
                "statements": self.statements,
                "graphs": graphs,
                "union_statements": union,
            }
            (self.fresh / OXIGRAPH_MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            if self.path.exists():
                os.rename(self.path, self.old)
            os.rename(self.fresh, self.path)
        except (OSError, RuntimeError, InputError) as exc:
            self.abort()
            if self.old.exists() and not self.path.exists():
                os.rename(self.old, self.path)
            raise exc if isinstance(exc, InputError) else self._error(exc) from exc
        shutil.rmtree(self.old, ignore_errors=True)
        return self.path

    def abort(self) -> None:
        """Remove the new folder; the old one stays as it was."""
        self._batch.clear()
        if self._thread is not None:
            self._failure = self._failure or RuntimeError("aborted")  # the loader skips what is left
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self.store = None
        shutil.rmtree(self.fresh, ignore_errors=True)


class OxigraphPrevious:
    """The previous build in an Oxigraph folder, as an incremental build reads it.

    Raises:
        GraphNotFound, CorruptGraph, GraphError: As :func:`open_oxigraph`.
    """

    #: RocksDB runs threads: a build reading it does not fork worker processes.
    fork_safe = False

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.dataset = open_oxigraph(folder)
        self._inner = self.dataset.store._inner  # type: ignore[attr-defined]

    def _quads(self, name: str) -> Iterator[Any]:
        import pyoxigraph as ox

        return self._inner.quads_for_pattern(None, None, None, ox.NamedNode(name))

    def hashes(self) -> dict[str, tuple[str, str]]:
        """Per document key, the content and store hashes of its graph."""
        from kmgraph.graph.build import hashes_from_provenance

        return hashes_from_provenance(self.triples(str(PROVENANCE_GRAPH)))

    def triples(self, name: str) -> Iterator[tuple[str, str, str]]:
        """The statements of one named graph, in N-Triples terms."""
        for q in self._quads(name):
            yield str(q.subject), str(q.predicate), str(q.object)

    def close(self) -> None:
        """Release the folder (it is replaced next)."""
        self.dataset.close()


def write_oxigraph(dataset: Dataset, folder: str | os.PathLike[str]) -> Path:
    """Write a dataset into an Oxigraph folder, replacing what it held.

    The statements are bulk-loaded into a new folder next to it, which then takes the
    old one's place (two renames); readers of the old folder keep their open files, and
    a failure leaves the old folder as it was (:class:`OxigraphSink`).

    Raises:
        InputError: The folder is a file, is not kmgraph's (no marker, not empty), or
            cannot be written.
    """
    graphs: dict[Any, set[tuple[str, str, str]]] = defaultdict(set)
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        label = None if name is None or name == DATASET_DEFAULT_GRAPH_ID else str(name)
        graphs[label].add((term_nt(s), term_nt(p), term_nt(o)))
    sink = OxigraphSink(folder)
    try:
        for label in sorted(graphs, key=lambda n: "" if n is None else n):
            sink.add_graph(label, sorted(graphs[label]))
    except BaseException:
        sink.abort()
        raise
    return sink.commit()


# --------------------------------------------------------------------------- endpoints


@dataclass
class Endpoint:
    """A SPARQL 1.1 endpoint and how to talk to it.

    Attributes:
        url: The query endpoint.
        update_url: The update endpoint (default: ``url``).
        user: User name, when the endpoint asks for one.
        password: Its password (never shown in ``repr``).
        timeout: Seconds to wait for each answer.
        page_size: Rows asked for per request when the graph is copied.
        session: A ``requests.Session`` to use (tests inject one; default: a new one).
    """

    url: str
    update_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    page_size: int = 10000
    session: requests.Session | None = field(default=None, repr=False, compare=False)
    _auth: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = requests.Session()
            self.session.headers["User-Agent"] = _USER_AGENT

    @property
    def writes_to(self) -> str:
        """The update endpoint."""
        return self.update_url or self.url

    # -- HTTP ------------------------------------------------------------------

    def _post(self, url: str, data: Mapping[str, Any], accept: str) -> requests.Response:
        assert self.session is not None
        headers = {"Accept": accept}
        try:
            answer = self.session.post(url, data=data, headers=headers, timeout=self.timeout, auth=self._auth)
            if answer.status_code == 401 and self.user is not None and self._auth is None:
                # Answer the server's challenge with the scheme it names.
                challenge = answer.headers.get("WWW-Authenticate", "")
                scheme = challenge.split(" ", 1)[0].lower()
                password = self.password or ""
                self._auth = (
                    requests.auth.HTTPDigestAuth(self.user, password)
                    if scheme == "digest"
                    else requests.auth.HTTPBasicAuth(self.user, password)
                )
                answer = self.session.post(url, data=data, headers=headers, timeout=self.timeout, auth=self._auth)
        except requests.Timeout:
            raise EndpointError(f"no answer within {self.timeout:g} s", url=url) from None
        except requests.ConnectionError as exc:
            raise EndpointError(f"cannot reach the endpoint ({_reason(exc)})", url=url) from None
        except requests.RequestException as exc:
            raise EndpointError(f"the request failed ({' '.join(str(exc).split())[:200]})", url=url) from None
        if answer.status_code == 401:
            message = (
                f"the endpoint refuses the credentials of {self.user!r} (HTTP 401)"
                if self.user is not None
                else "the endpoint asks for credentials (HTTP 401); give --user and --password-env"
            )
            raise EndpointError(message, url=url, status=401)
        if answer.status_code == 403:
            raise EndpointError("the endpoint forbids this request (HTTP 403)", url=url, status=403)
        if answer.status_code >= 400:
            raise EndpointError(
                f"the endpoint answered HTTP {answer.status_code}: {_first_line(answer.text)}",
                url=url,
                status=answer.status_code,
            )
        return answer

    def select(
        self,
        query: str,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        *,
        graph_result: bool = False,
    ) -> Result:
        """Run a query and parse the answer (SELECT/ASK results or an RDF graph).

        Args:
            query: The query.
            default_graphs: ``default-graph-uri`` values (the query's default graph).
            named_graphs: ``named-graph-uri`` values.
            graph_result: A CONSTRUCT or DESCRIBE: ask for RDF (some servers, Virtuoso
                among them, would otherwise send the triples as result rows).

        Raises:
            EndpointError: No answer, an HTTP error, or an answer that cannot be parsed.
        """
        data: dict[str, Any] = {"query": query}
        if default_graphs:
            data["default-graph-uri"] = list(default_graphs)
        if named_graphs:
            data["named-graph-uri"] = list(named_graphs)
        accept = (
            "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
            if graph_result
            else "application/sparql-results+json, application/sparql-results+xml;q=0.9"
        )
        answer = self._post(self.url, data, accept)
        kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if kind in ("application/sparql-results+json", "application/json"):
                return Result.parse(io.BytesIO(answer.content), format="json")
            if kind in ("application/sparql-results+xml", "application/xml"):
                return Result.parse(io.BytesIO(answer.content), format="xml")
            rdf_format = {
                "application/n-triples": "nt",
                "text/plain": "nt",
                "text/turtle": "turtle",
                "application/rdf+xml": "xml",
            }.get(kind)
            if rdf_format is None:
                raise ValueError(f"unexpected content type {kind or '(none)'!r}")
            graph = Graph()
            graph.parse(data=answer.content, format=rdf_format)
            result = Result("CONSTRUCT")
            result.graph = graph
            return result
        except Exception as exc:  # the parsers raise several kinds
            raise EndpointError(
                f"the endpoint's answer cannot be read ({' '.join(str(exc).split())[:200]})", url=self.url
            ) from None

    def update(self, request: str) -> None:
        """Send a SPARQL Update request.

        Raises:
            EndpointError: No answer or an HTTP error.
        """
        self._post(self.writes_to, {"update": request}, "application/sparql-results+json, */*;q=0.1")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "unknown host"
    if "timed out" in text:
        return "connection timed out"
    return " ".join(text.split())[:160] or type(exc).__name__


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = re.sub(r"<[^>]+>", " ", line).strip()
        if line:
            return " ".join(line.split())[:240]
    return "(no message)"


def remote_graphs(endpoint: Endpoint) -> dict[str, int]:
    """The kmgraph named graphs the endpoint holds, with their statement counts.

    Raises:
        EndpointError: The endpoint cannot be reached or refuses the query.
    """
    query = (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{GRAPH}")) }} GROUP BY ?g'
    )
    result = endpoint.select(query)
    found: dict[str, int] = {}
    for row in result:
        name, count = row[0], row[1]  # type: ignore[index]
        if isinstance(name, URIRef) and count is not None:
            found[str(name)] = int(count)
    return dict(sorted(found.items()))


def _fetch(endpoint: Endpoint) -> Dataset:
    """Copy the kmgraph graphs of an endpoint into an in-memory dataset."""
    counts = remote_graphs(endpoint)
    where = endpoint.url
    if not set(counts) - {str(UNION_GRAPH)}:
        raise GraphNotFound(f"no kmgraph graph at this endpoint; `kmgraph graph push --endpoint {where}` loads it", path=where)
    ds = new_dataset()
    page = max(1, endpoint.page_size)
    for name, expected in counts.items():
        if name == str(UNION_GRAPH):
            continue
        graph = ds.graph(URIRef(name))
        got = 0
        offset = 0
        while got < expected:
            query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
            if expected > page or offset:
                query += f" LIMIT {page} OFFSET {offset}"
            rows = list(endpoint.select(query))
            if not rows:
                break
            for s, p, o in rows:  # type: ignore[misc]
                graph.add((s, p, o))
            offset += len(rows)
            got = len(graph)
        if len(graph) != expected:
            raise EndpointError(
                f"the endpoint returned {len(graph)} of the {expected} statements of <{name}>; "
                "raise its result-set limit (Virtuoso: ResultSetMaxRows) or lower the page size",
                url=where,
            )
    hint = f"`kmgraph graph push --endpoint {where}` loads it"
    # The union graph is written last: missing or short, the last push did not finish.
    if counts.get(str(UNION_GRAPH)) != len(ds):
        raise CorruptGraph(f"the endpoint holds an unfinished push; {hint} again", path=where)
    _check_kmgraph(ds, where, hint)
    return ds


class _RemoteStore(SPARQLUpdateStore):
    """rdflib's SPARQLUpdateStore talking through an :class:`Endpoint` (authentication,
    timeouts, one-line errors), with the kmgraph graphs as the dataset of each query."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(
            query_endpoint=endpoint.url,
            update_endpoint=endpoint.writes_to,
            autocommit=False,
            returnFormat="json",
        )
        self.endpoint = endpoint
        self.graphs: list[str] | None = None

    def _query(self, query: str, default_graph: str | None = None, named_graph: str | None = None) -> Result:  # type: ignore[override]
        self._queries += 1
        form, own_dataset = _inspect(query)
        rdf = form in ("ConstructQuery", "DescribeQuery")
        try:
            if default_graph is not None:
                return self.endpoint.select(query, [default_graph], graph_result=rdf)
            if own_dataset:
                return self.endpoint.select(query, graph_result=rdf)
            if self.graphs is None:
                self.graphs = list(remote_graphs(self.endpoint))
            named = [g for g in self.graphs if g != str(UNION_GRAPH)]
            default = [str(UNION_GRAPH)] if str(UNION_GRAPH) in self.graphs else named
            return self.endpoint.select(query, default, named, graph_result=rdf)
        except EndpointError as exc:
            if exc.status == 400:  # the server's parser or planner refuses the query
                raise InvalidQuery(f"the endpoint refused the query: {exc.message}") from None
            raise

    def _update(self, update: str) -> None:
        self._updates += 1
        self.endpoint.update(update)


def _inspect(query: str) -> tuple[str, bool]:
    """The query's form (``SelectQuery``, ``ConstructQuery`` ...) and whether it names
    its own dataset (``FROM``, ``FROM NAMED``)."""
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(query)
    except Exception:  # the server will say what is wrong
        return "", False
    return str(parsed[1].name), "datasetClause" in parsed[1].keys()


def _remote_dataset(endpoint: Endpoint) -> Dataset:
    store = _RemoteStore(endpoint)
    store.graphs = list(remote_graphs(endpoint))
    if not set(store.graphs) - {str(UNION_GRAPH)}:
        raise GraphNotFound(
            f"no kmgraph graph at this endpoint; `kmgraph graph push --endpoint {endpoint.url}` loads it", path=endpoint.url
        )
    ds = Dataset(store=store, default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    return ds


# --------------------------------------------------------------------------- push


@dataclass(frozen=True)
class PushReport:
    """What a push did.

    Attributes:
        endpoint: The update endpoint.
        graphs: The named graphs written, sorted.
        statements: Statements of the graph written (not counting the union graph).
        dropped: kmgraph graphs the endpoint held that the pushed graph no longer has.
        requests: Update requests sent.
        seconds: Wall time.
    """

    endpoint: str
    graphs: tuple[str, ...]
    statements: int
    dropped: tuple[str, ...] = ()
    requests: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``kmgraph graph push --format json``)."""
        return {
            "endpoint": self.endpoint,
            "graphs": list(self.graphs),
            "statements": self.statements,
            "dropped": list(self.dropped),
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
        }


def _quads_by_graph(dataset: Dataset) -> dict[URIRef, list[tuple[Any, Any, Any]]]:
    graphs: dict[URIRef, set[tuple[Any, Any, Any]]] = defaultdict(set)
    blank = 0
    unnamed = 0
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        if any(isinstance(t, BNode) for t in (s, p, o)) or isinstance(name, BNode):
            blank += 1
            continue
        if name is None or name == DATASET_DEFAULT_GRAPH_ID:
            unnamed += 1
            continue
        graphs[URIRef(name)].add((s, p, o))
    if blank:
        raise GraphError(
            f"the graph has {blank} statements with blank nodes, which a SPARQL endpoint cannot address; "
            "give those resources IRIs"
        )
    if unnamed:
        raise GraphError(f"the graph has {unnamed} statements outside a named graph; a kmgraph graph keeps all in named graphs")
    key = lambda t: tuple(x.n3() for x in t)  # noqa: E731
    try:
        return {name: sorted(triples, key=key) for name, triples in sorted(graphs.items())}
    except Exception as exc:  # rdflib refuses to write an IRI with a space, a quote ...
        raise GraphError(f"the graph cannot be sent: {' '.join(str(exc).split())[:200]}") from None


def push(
    dataset: Dataset,
    endpoint: Endpoint | str,
    *,
    batch_size: int = MAX_BATCH,
) -> PushReport:
    """Load a graph into a SPARQL 1.1 endpoint, replacing the kmgraph graphs it held.

    Args:
        dataset: The graph (e.g. from :func:`open_graph`).
        endpoint: The endpoint (or its URL, for one that needs no credentials).
        batch_size: Statements per update request, 1 to :data:`MAX_BATCH`.

    Returns:
        A :class:`PushReport`.

    Raises:
        UsageError: A batch size out of range.
        GraphError: The graph has blank nodes or statements outside a named graph
            (nothing is sent).
        EndpointError: The endpoint cannot be reached, refuses the credentials or a
            request; when it happens after the first write, the message says how many
            statements were written (push again to replace them).
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageError(f"the batch size must be 1 to {MAX_BATCH}, not {batch_size}")
    target = endpoint if isinstance(endpoint, Endpoint) else Endpoint(endpoint)
    started = time.perf_counter()
    by_graph = _quads_by_graph(dataset)
    total = sum(len(t) for t in by_graph.values())
    names = [str(n) for n in by_graph]
    if str(UNION_GRAPH) in names:
        raise GraphError(f"the graph uses the name <{UNION_GRAPH}>, which kmgraph keeps for the union on an endpoint")
    key = lambda t: tuple(x.n3() for x in t)  # noqa: E731
    writes = dict(by_graph)
    writes[UNION_GRAPH] = sorted({t for triples in by_graph.values() for t in triples}, key=key)
    try:
        before = remote_graphs(target)  # reachable, credentials accepted for reading
    except EndpointError as exc:
        raise EndpointError(f"{exc.message} (nothing was written)", url=exc.url, status=exc.status) from None
    store = _RemoteStore(target)
    doomed = sorted(set(before) | {str(n) for n in writes})
    written = 0
    dropped = False
    try:
        for i in range(0, len(doomed), 200):
            store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in doomed[i : i + 200]))
            store.commit()
            dropped = True
        batch: list[tuple[Any, Any, Any, Graph]] = []
        for name, triples in writes.items():
            context = Graph(identifier=name)
            for s, p, o in triples:
                batch.append((s, p, o, context))
                if len(batch) == batch_size:
                    store.addN(batch)
                    store.commit()
                    written += len(batch)
                    batch = []
        if batch:
            store.addN(batch)
            store.commit()
            written += len(batch)
    except EndpointError as exc:
        store.rollback()  # rdflib would send the failed batch again with the next request
        planned = sum(len(t) for t in writes.values())
        done = (
            "nothing was written"
            if not dropped
            else f"the kmgraph graphs were dropped and {written} of {planned} statements written; push again"
        )
        raise EndpointError(f"{exc.message} ({done})", url=exc.url, status=exc.status) from None
    after = remote_graphs(target)
    for name, triples in writes.items():
        if after.get(str(name), 0) != len(triples):
            raise EndpointError(
                f"the endpoint holds {after.get(str(name), 0)} statements in <{name}> after the push, not {len(triples)}",
                url=target.writes_to,
            )
    return PushReport(
        endpoint=target.writes_to,
        graphs=tuple(names),
        statements=total,
        dropped=tuple(sorted(set(before) - set(names) - {str(UNION_GRAPH)})),
        requests=store._updates,
        seconds=time.perf_counter() - started,
    )

