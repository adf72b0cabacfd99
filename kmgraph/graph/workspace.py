"""The built graph saved in the workspace, and the incremental rebuild.

The graph is saved as sorted N-Quads (one statement per line, each with its named graph)
in ``.kmgraph/graph.nq`` under the working directory, the folder kmgraph is run from,
like the store; ``--graph FILE`` or the environment variable ``KMGRAPH_GRAPH`` name
another file. N-Quads keep the provenance graphs, parse fast, and sorted they are
byte-identical for the same graph, so a rebuild that changes nothing changes no byte.

The file is written atomically (temporary file, fsync, rename). A file that cannot be
parsed is never overwritten by an incremental build: the error says so, and
``kmgraph graph build --full`` rebuilds from scratch.

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

import os
import warnings
from pathlib import Path
from typing import Any

from rdflib import Dataset

from kmgraph.errors import InputError, StoreError, UsageError
from kmgraph.graph.build import PROVENANCE_GRAPH, STORE_GRAPH, BuildResult, build, new_dataset
from kmgraph.graph.errors import CorruptGraph, GraphError, GraphNotFound
from kmgraph.graph.serialize import nquads
from kmgraph.references.store import Store, atomic_write_text

__all__ = ["DEFAULT_GRAPH", "GRAPH_ENV", "default_graph_path", "read_graph", "update_graph", "write_graph"]

#: The saved graph, relative to the working directory.
DEFAULT_GRAPH = ".kmgraph/graph.nq"
#: The environment variable that names another file.
GRAPH_ENV = "KMGRAPH_GRAPH"


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


def write_graph(dataset: Dataset, path: str | os.PathLike[str] | None = None) -> Path:
    """Write a dataset as sorted N-Quads, atomically; create the folder when missing.

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
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(file, nquads(dataset))
    except (OSError, StoreError) as exc:  # an output file that cannot be written: exit 3
        raise InputError(f"cannot write the graph: {getattr(exc, 'message', exc)}", path=str(file)) from exc
    return file


def update_graph(
    store: Store | str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    *,
    full: bool = False,
    save: bool = True,
    **options: Any,
) -> BuildResult:
    """Build the graph incrementally against the saved one, and save it.

    Args:
        store: The store (or its folder).
        path: The saved graph (default :func:`default_graph_path`): an N-Quads file or
            ``oxigraph:DIR``.
        full: Ignore the saved graph (rebuild every document, overwrite a corrupt file).
        save: Write the result.
        **options: Passed to :func:`kmgraph.graph.build.build` (``root``, ``extractions``,
            ``links``; by default ``links`` is the workspace's link-status record,
            :func:`kmgraph.linkcheck.record.read_record`).

    Returns:
        The :class:`~kmgraph.graph.build.BuildResult`.

    Raises:
        CorruptGraph: The saved graph cannot be parsed (and ``full`` is false); the file
            is left as it is.
        InputError: The file cannot be written, or is a folder.
        StoreError: The store cannot be read, or has no entries.
        UsageError: ``path`` is a SPARQL endpoint (``kmgraph graph push`` loads one).
    """
    from kmgraph.graph.stores import location

    place = location(path)
    if place.kind == "sparql":
        raise UsageError(f"graph build writes a file or oxigraph:DIR; load an endpoint with `kmgraph graph push --endpoint {place.target}`")
    file = Path(place.target)
    if place.kind == "file" and file.is_dir():
        raise InputError("is a folder; --graph takes the graph file (or oxigraph:DIR)", path=str(file))
    target = store if isinstance(store, Store) else Store.open(store)
    if not target.entries:
        # An empty graph would only be refused by every query afterwards.
        raise StoreError("the store has no entries; `kmgraph ingest DOCUMENTS --store PATH` fills it", path=str(target.path))
    previous = None
    if not full and file.exists():
        previous = read_graph(str(place))
    if "links" not in options:
        from kmgraph.linkcheck.record import read_record

        options["links"] = read_record()
    result = build(target, previous=previous, **options)
    if previous is not None:
        previous.close()  # an Oxigraph folder is replaced next
    if save:
        write_graph(result.dataset, str(place))
    return result
