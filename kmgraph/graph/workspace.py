"""The built graph saved in the workspace, and the incremental rebuild.

The graph is saved as N-Quads (one statement per line, each with its named graph) in
``.kmgraph/graph.nq`` under the working directory, the folder kmgraph is run from, like
the store; ``--graph FILE`` or the environment variable ``KMGRAPH_GRAPH`` name another
file. N-Quads keep the provenance graphs and parse fast. The file is canonical
(:func:`kmgraph.graph.serialize.nquads`: graph after graph in the order of their names,
each graph's statements sorted), so a rebuild that changes nothing changes no byte, and
each graph is one run of lines: :func:`update_graph` writes the file graph by graph
while it builds, and reads the previous file line by line for an incremental build,
without holding the graph in memory (:func:`kmgraph.graph.build.build_into`).

What the build reads from the store is kept in ``.kmgraph/store-cache.json``
(:func:`kmgraph.graph.build.read_store`), used only while the store's files are byte
for byte the same.

The file is written atomically (temporary file, fsync, rename). A file that cannot be
parsed is never overwritten by an incremental build: the error says so (with the line),
and ``kmgraph graph build --full`` rebuilds from scratch.

Instead of a file, ``--graph`` (and every ``path`` argument here) may name an Oxigraph
folder, ``oxigraph:DIR``, for graphs too big to parse on every command; see
:mod:`kmgraph.graph.stores`, which opens any location (a file, a folder, a SPARQL
endpoint) the same way.

Example:
    >>> from kmgraph.graph.workspace import update_graph, read_graph
    >>> result = update_graph("references", ".kmgraph/graph.nq")  # doctest: +SKIP
    >>> ds = read_graph(".kmgraph/graph.nq")  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from rdflib import Dataset

from kmgraph.errors import InputError, StoreError, UsageError
from kmgraph.graph.build import (
    PROVENANCE_GRAPH,
    STORE_CACHE,
    STORE_GRAPH,
    BuildResult,
    Triple,
    build,
    build_into,
    hashes_from_provenance,
    new_dataset,
    read_store,
)
from kmgraph.graph.errors import CorruptGraph, GraphError, GraphNotFound
from kmgraph.graph.serialize import nquads
from kmgraph.ontology.namespaces import GRAPH
from kmgraph.references.store import Store

__all__ = [
    "DEFAULT_GRAPH",
    "GRAPH_ENV",
    "NQuadsFileSink",
    "NQuadsPrevious",
    "default_graph_path",
    "read_graph",
    "update_graph",
    "write_graph",
]

#: The saved graph, relative to the working directory.
DEFAULT_GRAPH = ".kmgraph/graph.nq"
#: The environment variable that names another file.
GRAPH_ENV = "KMGRAPH_GRAPH"
#: The workspace folder (relative to the working directory) of the store cache.
WORKSPACE = ".kmgraph"

_SOURCE_LABEL = "<" + str(GRAPH["source/"])


def default_graph_path() -> Path:
    """``$KMGRAPH_GRAPH`` when set, else :data:`DEFAULT_GRAPH`."""
    return Path(os.environ.get(GRAPH_ENV) or DEFAULT_GRAPH)


def read_graph(path: str | os.PathLike[str] | None = None) -> Dataset:
    """Read a saved graph.

    Args:
        path: The N-Quads file (default :func:`default_graph_path`), or an Oxigraph
            folder as ``oxigraph:DIR`` (opened read-only, nothing parsed).

    Returns:
        The dataset (union default graph, project prefixes bound).

    Raises:
        GraphNotFound: No file there (nothing built yet).
        CorruptGraph: The file cannot be parsed, or is not a kmgraph graph.
    """
    if path is None:
        path = default_graph_path()
    if os.fspath(path).startswith("oxigraph:"):
        from kmgraph.graph.stores import open_oxigraph

        return open_oxigraph(os.fspath(path)[len("oxigraph:") :] or ".kmgraph/oxigraph")
    file = Path(path)
    if not file.is_file():
        raise GraphNotFound("no graph here; `kmgraph graph build` builds it", path=str(file))
    ds = new_dataset()
    try:
        data = file.read_bytes().decode("utf-8")
        with warnings.catch_warnings():  # rdflib's own parser uses its deprecated API
            warnings.simplefilter("ignore", DeprecationWarning)
            ds.parse(data=data, format="nquads")
    except OSError as exc:
        raise GraphError(f"cannot read: {exc.strerror or exc}", path=str(file)) from exc
    except Exception as exc:  # rdflib raises several kinds for bad syntax
        message = " ".join(str(exc).split())[:200]
        raise CorruptGraph(
            f"the saved graph cannot be parsed ({message}); `kmgraph graph build --full` rebuilds it",
            path=str(file),
        ) from exc
    if len(ds.graph(STORE_GRAPH)) == 0 or len(ds.graph(PROVENANCE_GRAPH)) == 0:
        raise CorruptGraph(
            "not a kmgraph graph (no store or provenance graph); `kmgraph graph build --full` rebuilds it",
            path=str(file),
        )
    return ds


# --------------------------------------------------------------------------- writing


class _AtomicFile:
    """A file written in a temporary sibling, fsynced and renamed over the target on
    :meth:`commit` (keeping its permission bits); :meth:`abort` leaves the target as it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.mode = stat.S_IMODE(path.stat().st_mode)
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                self.mode = 0o666 & ~umask
            fd, self.temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise _cannot_write(path, exc) from exc
        self.handle: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self.temporary, self.mode)
            os.replace(self.temporary, self.path)
        except OSError as exc:
            self.abort()
            raise _cannot_write(self.path, exc) from exc
        from kmgraph.atomic import fsync_folder

        fsync_folder(self.path.parent)

    def abort(self) -> None:
        self.handle.close()
        try:
            os.unlink(self.temporary)
        except FileNotFoundError:
            pass


def _cannot_write(path: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError(f"cannot write the graph: cannot write: {reason}", path=str(path))


def _write_lines(handle: IO[bytes], lines: list[str]) -> int:
    """Write lines as UTF-8, a slice at a time (a graph of millions of lines is not
    copied whole into one string); return the bytes written."""
    written = 0
    for i in range(0, len(lines), 20_000):
        data = "".join(lines[i : i + 20_000]).encode("utf-8")
        handle.write(data)
        written += len(data)
    return written


class NQuadsFileSink:
    """Writes a build as the canonical N-Quads file (:func:`kmgraph.graph.serialize.nquads`)
    while it is made: each graph's statements are sorted as it comes and written to a
    temporary file (the document graphs one after the other, in the order of their names,
    as :func:`~kmgraph.graph.build.build_into` gives them); :meth:`commit` copies the
    graphs into the file in the order of their names and replaces the file atomically."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._others: dict[str, tuple[int, int]] = {}  # label -> (offset, length) in _parts
        self._out = _AtomicFile(self.path)
        try:
            self._sources: IO[bytes] = tempfile.TemporaryFile(dir=self.path.parent, prefix=f".{self.path.name}.sources.")
            self._parts: IO[bytes] = tempfile.TemporaryFile(dir=self.path.parent, prefix=f".{self.path.name}.graphs.")
        except OSError as exc:
            self.abort()
            raise _cannot_write(self.path, exc) from exc
        self._last_source = ""

    def add_graph(self, name: str, triples: Iterable[Triple]) -> int:
        """Add one graph (its statements may repeat); return its number of statements."""
        label = f"<{name}>"
        end = f" {label} .\n"
        lines = sorted({f"{s} {p} {o}{end}" for s, p, o in triples})
        try:
            if label.startswith(_SOURCE_LABEL):
                self._next_source(label)
                _write_lines(self._sources, lines)
            elif lines:
                if label in self._others:
                    raise ValueError(f"graph {label} given twice")
                start = self._parts.tell()
                self._others[label] = (start, _write_lines(self._parts, lines))
        except OSError as exc:
            raise _cannot_write(self.path, exc) from exc
        return len(lines)

    @staticmethod
    def render(name: str, triples: list[Triple]) -> tuple[bytes, int]:
        """A document graph as the file's bytes (sorted lines) and its number of
        statements; pure, so a worker process can make it (:meth:`add_rendered` adds it)."""
        end = f" <{name}> .\n"
        lines = sorted({f"{s} {p} {o}{end}" for s, p, o in triples})
        return "".join(lines).encode("utf-8"), len(lines)

    def add_rendered(self, name: str, rendered: tuple[bytes, int]) -> int:
        """Add a document graph made by :meth:`render`; return its number of statements."""
        self._next_source(f"<{name}>")
        try:
            self._sources.write(rendered[0])
        except OSError as exc:
            raise _cannot_write(self.path, exc) from exc
        return rendered[1]

    def _next_source(self, label: str) -> None:
        if not label.startswith(_SOURCE_LABEL) or label <= self._last_source:
            raise ValueError(f"document graphs out of order: {label} after {self._last_source or 'none'}")
        self._last_source = label

    def commit(self) -> None:
        """Write the file and put it in place."""
        out = self._out.handle
        try:
            sources_written = False
            for label in sorted(self._others):
                if not sources_written and label > _SOURCE_LABEL:
                    self._copy(self._sources, 0, None, out)
                    sources_written = True
                self._copy(self._parts, *self._others[label], out)
            if not sources_written:
                self._copy(self._sources, 0, None, out)
            self._sources.close()
            self._parts.close()
        except OSError as exc:
            self.abort()
            raise _cannot_write(self.path, exc) from exc
        self._out.commit()

    @staticmethod
    def _copy(source: IO[bytes], offset: int, length: int | None, out: IO[bytes]) -> None:
        source.flush()
        if length is None:
            length = os.fstat(source.fileno()).st_size - offset
        if hasattr(os, "sendfile"):  # the kernel copies, without Python reading the bytes
            out.flush()
            try:
                while length > 0:
                    sent = os.sendfile(out.fileno(), source.fileno(), offset, length)
                    if sent == 0:
                        break
                    offset += sent
                    length -= sent
                return
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise
        source.seek(offset)
        left = length
        while left is None or left > 0:
            chunk = source.read(1 << 20 if left is None else min(left, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            if left is not None:
                left -= len(chunk)

    def abort(self) -> None:
        """Leave the file as it was."""
        for name in ("_sources", "_parts"):
            handle = getattr(self, name, None)
            if handle is not None:
                handle.close()
        self._out.abort()


def write_graph(dataset: Dataset, path: str | os.PathLike[str] | None = None) -> Path:
    """Write a dataset as canonical N-Quads, atomically; create the folder when missing.

    ``oxigraph:DIR`` writes an Oxigraph folder instead
    (:func:`kmgraph.graph.stores.write_oxigraph`).

    Raises:
        InputError: The file or its folder cannot be written (exit 3).
    """
    if path is None:
        path = default_graph_path()
    if os.fspath(path).startswith("oxigraph:"):
        from kmgraph.graph.stores import location, write_oxigraph

        return write_oxigraph(dataset, location(path).target)
    file = Path(path)
    out = _AtomicFile(file)
    try:
        out.handle.write(nquads(dataset).encode("utf-8"))
    except OSError as exc:
        out.abort()
        raise _cannot_write(file, exc) from exc
    out.commit()
    return file


# --------------------------------------------------------------------------- reading the previous build

_IRI = rb"<[^<>\"\x00-\x20]*>"
_NODE = rb"(?:" + _IRI + rb"|_:[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
_TERM = rb"(?:" + _NODE + rb"|\"(?:[^\"\\\n\r]|\\.)*\"(?:\^\^" + _IRI + rb"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?)"
# One N-Quads statement: subject, predicate (an IRI), object, graph name (optional).
_LINE = re.compile(
    rb"[ \t]*(" + _NODE + rb")[ \t]*(" + _IRI + rb")[ \t]*(" + _TERM + rb")(?:[ \t]*(" + _NODE + rb"))?[ \t]*\.[ \t]*(?:#[^\n]*)?\r?\n?"
)
_BLANK = re.compile(rb"[ \t]*(?:#[^\n]*)?\r?\n?")


class NQuadsPrevious:
    """The previous build saved as N-Quads, read line by line (every line checked).

    It keeps the provenance graph and where each document graph's lines are in the file
    (one run each in a file kmgraph wrote); :meth:`triples` reads a graph back from there.

    Raises:
        CorruptGraph: A line is not N-Quads, or the file has no store or provenance graph
            (the message gives the line).
        GraphError: The file cannot be read.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._runs: dict[str, list[tuple[int, int]]] = {}
        self._provenance: list[Triple] = []
        provenance = f"<{PROVENANCE_GRAPH}>".encode()
        store = f"<{STORE_GRAPH}>".encode()
        has_store = False
        offset = 0
        run_label = b""
        run_start = 0
        try:
            with open(self.path, "rb") as handle:
                for number, line in enumerate(handle, 1):
                    m = _LINE.fullmatch(line)
                    if m is None:
                        if _BLANK.fullmatch(line):
                            offset += len(line)
                            continue
                        raise CorruptGraph(
                            f"the saved graph cannot be parsed (line {number} is not N-Quads); "
                            "`kmgraph graph build --full` rebuilds it",
                            path=str(self.path),
                        )
                    label = m.group(4) or b""
                    if label != run_label:
                        self._close_run(run_label, run_start, offset)
                        run_label, run_start = label, offset
                    if label == provenance:
                        self._provenance.append(tuple(m.group(i).decode("utf-8") for i in (1, 2, 3)))  # type: ignore[arg-type]
                    elif label == store:
                        has_store = True
                    offset += len(line)
                self._close_run(run_label, run_start, offset)
        except UnicodeDecodeError as exc:
            raise CorruptGraph(
                f"the saved graph cannot be parsed (not UTF-8: {exc.reason}); `kmgraph graph build --full` rebuilds it",
                path=str(self.path),
            ) from exc
        except OSError as exc:
            raise GraphError(f"cannot read: {exc.strerror or exc}", path=str(self.path)) from exc
        if not has_store or not self._provenance:
            raise CorruptGraph(
                "not a kmgraph graph (no store or provenance graph); `kmgraph graph build --full` rebuilds it",
                path=str(self.path),
            )

    def _close_run(self, label: bytes, start: int, end: int) -> None:
        if label.startswith(_SOURCE_LABEL.encode()) and end > start:
            runs = self._runs.setdefault(label.decode("utf-8")[1:-1], [])
            if runs and runs[-1][1] == start:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))

    def hashes(self) -> dict[str, tuple[str, str]]:
        """Per document key, the content and store hashes of its graph."""
        return hashes_from_provenance(self._provenance)

    def triples(self, name: str) -> Iterator[Triple]:
        """The statements of one document graph, as the file has them."""
        runs = self._runs.get(name, [])
        if not runs:
            return
        with open(self.path, "rb") as handle:
            for start, end in runs:
                handle.seek(start)
                for line in handle.read(end - start).splitlines(keepends=True):
                    m = _LINE.fullmatch(line)
                    if m is not None:
                        yield m.group(1).decode("utf-8"), m.group(2).decode("utf-8"), m.group(3).decode("utf-8")


# --------------------------------------------------------------------------- the incremental build


def update_graph(
    store: Store | str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    *,
    full: bool = False,
    save: bool = True,
    cache: bool = True,
    **options: Any,
) -> BuildResult:
    """Build the graph incrementally against the saved one, and save it.

    With ``save`` (the default) the graph is written while it is built, straight into the
    N-Quads file or the Oxigraph folder, never held whole in memory; the result's
    ``dataset`` then reads the saved graph when first asked for.

    Args:
        store: The store (or its folder).
        path: The saved graph (default :func:`default_graph_path`): an N-Quads file or
            ``oxigraph:DIR``.
        full: Ignore the saved graph (rebuild every document, overwrite a corrupt file).
        save: Write the result; without it, the graph is built in memory only.
        cache: Keep what is read from the store in ``.kmgraph/store-cache.json`` under the
            working directory (:func:`kmgraph.graph.build.read_store`).
        **options: Passed to :func:`kmgraph.graph.build.build_into` (``root``,
            ``extractions``, ``links``, ``read_documents``, ``workers``; by default
            ``links`` is the workspace's link-status record,
            :func:`kmgraph.linkcheck.record.read_record`, and ``workers`` the CPUs, at
            most 4, or ``$KMGRAPH_WORKERS``).

    Returns:
        The :class:`~kmgraph.graph.build.BuildResult`.

    Raises:
        CorruptGraph: The saved graph cannot be parsed (and ``full`` is false); the file
            is left as it is.
        InputError: The file cannot be written, or is a folder.
        StoreError: The store cannot be read, or has no entries.
        UsageError: ``path`` is a SPARQL endpoint (``kmgraph graph push`` loads one).
    """
    from kmgraph.graph.stores import location, open_graph

    place = location(path)
    if place.kind == "sparql":
        raise UsageError(f"graph build writes a file or oxigraph:DIR; load an endpoint with `kmgraph graph push --endpoint {place.target}`")
    file = Path(place.target)
    if place.kind == "file" and file.is_dir():
        raise InputError("is a folder; --graph takes the graph file (or oxigraph:DIR)", path=str(file))
    snapshot = read_store(store, cache=Path(WORKSPACE) / STORE_CACHE if cache and not isinstance(store, Store) else None)
    if not snapshot.entries:
        # An empty graph would only be refused by every query afterwards.
        raise StoreError("the store has no entries; `kmgraph ingest DOCUMENTS --store PATH` fills it", path=str(snapshot.path))
    previous: Any = None
    if not full and file.exists():
        if place.kind == "oxigraph":
            from kmgraph.graph.stores import OxigraphPrevious

            previous = OxigraphPrevious(place.target)
        else:
            previous = NQuadsPrevious(file)
    if "links" not in options:
        from kmgraph.linkcheck.record import read_record

        options["links"] = read_record()
    if not save:
        return build(snapshot, previous=previous, **options)
    if place.kind == "oxigraph":
        from kmgraph.graph.stores import OxigraphSink

        sink: Any = OxigraphSink(place.target)
    else:
        sink = NQuadsFileSink(file)
    try:
        report = build_into(sink, snapshot, previous=previous, **options)
        if previous is not None and hasattr(previous, "close"):
            previous.close()  # an Oxigraph folder is replaced next
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    return BuildResult(None, report, opener=lambda: open_graph(place))
