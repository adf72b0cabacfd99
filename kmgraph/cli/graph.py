"""The knowledge-graph commands: ``graph build|validate|export|push``, ``query``,
``related``, ``path``, ``rank``, ``clusters`` and ``sparql``. Option parsing and rendering
only; the work is done by :mod:`kmgraph.graph`.

Every command but ``graph build`` reads the saved graph: ``--graph`` (or
``KMGRAPH_GRAPH``) names an N-Quads file (default ``.kmgraph/graph.nq``) or an Oxigraph
folder (``oxigraph:DIR``); ``--endpoint URL`` (or ``KMGRAPH_ENDPOINT``) a SPARQL endpoint
loaded by ``graph push`` (see :mod:`kmgraph.graph.stores`). Output: ``--format table``
for people, ``json`` (documented in docs/graph.md) and ``csv`` for machines.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from kmgraph.cli import cli
from kmgraph.cli.commands import STORE_OPTION, _table
from kmgraph.errors import InputError, StoreError, UsageError

GRAPH_OPTION = click.option(
    "--graph",
    "graph_path",
    default=".kmgraph/graph.nq",
    envvar="KMGRAPH_GRAPH",
    show_default=True,
    help="The saved graph: an N-Quads file, or oxigraph:DIR for an Oxigraph folder (or set KMGRAPH_GRAPH).",
)


def _remember_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    ctx.meta["kmgraph.endpoint"] = value
    ctx.meta["kmgraph.endpoint_source"] = ctx.get_parameter_source(param.name or "endpoint")


#: Read the graph from a SPARQL endpoint instead (stored in ctx.meta for ``_load``).
ENDPOINT_OPTION = click.option(
    "--endpoint",
    metavar="URL",
    envvar="KMGRAPH_ENDPOINT",
    expose_value=False,
    callback=_remember_endpoint,
    help="Read the graph from this SPARQL endpoint (loaded by `graph push`) instead of --graph "
    "(or set KMGRAPH_ENDPOINT; credentials from KMGRAPH_ENDPOINT_USER and KMGRAPH_ENDPOINT_PASSWORD).",
)
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)

GRAPH_EXIT_CODES = """\b
Exit codes:
  0  success
  1  findings: SHACL violations (graph validate), no path (path)
  2  usage error, an unknown or ambiguous name, an invalid SPARQL query
  3  input error: an output file that cannot be written
  4  store error: the store cannot be read
  5  graph error: no saved graph yet, or it cannot be parsed (it is left as it is);
     a SPARQL endpoint that cannot be reached, refuses the credentials or a request
"""


def _endpoint_settings(url: str, update_url: str | None = None, user: str | None = None, password: str | None = None) -> Any:
    import os

    from kmgraph.graph.stores import Endpoint

    return Endpoint(
        url,
        update_url=update_url,
        user=user if user is not None else (os.environ.get("KMGRAPH_ENDPOINT_USER") or None),
        password=password if password is not None else os.environ.get("KMGRAPH_ENDPOINT_PASSWORD"),
    )


def _load(graph_path: str, *, live: bool = False) -> Any:
    """The graph the command reads: ``--endpoint`` when given (the command line beats
    the environment), else ``--graph`` (a file, ``oxigraph:DIR`` or an endpoint URL).

    Args:
        graph_path: The value of ``--graph``.
        live: For an endpoint, send SPARQL queries to the server (``sparql``) instead of
            copying the graph into memory.
    """
    from click.core import ParameterSource

    from kmgraph.graph.stores import location, open_graph

    ctx = click.get_current_context(silent=True)
    endpoint = ctx.meta.get("kmgraph.endpoint") if ctx is not None else None
    if ctx is not None and endpoint:
        from_cli = ParameterSource.COMMANDLINE
        graph_source = ctx.get_parameter_source("graph_path")
        endpoint_source = ctx.meta.get("kmgraph.endpoint_source")
        if graph_source == from_cli and endpoint_source == from_cli:
            raise UsageError("give --graph or --endpoint, not both")
        if graph_source == from_cli:
            endpoint = None
    place = location(endpoint or graph_path)
    if place.kind == "sparql":
        return open_graph(place, endpoint=_endpoint_settings(place.target), live=live)
    return open_graph(place)


def _emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, widths: Sequence[int | None] | None = None) -> None:
    """Rows as a table, JSON (a list of objects) or CSV (lists joined with '; ')."""
    if fmt == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2))
        return

    def cell(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return "; ".join(str(v) for v in value)
        return "" if value is None else str(value)

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])
        click.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        click.echo("(none)")
        return
    table = [[cell(row.get(c)) for c in columns] for row in rows]
    click.echo(_table(table, list(columns), list(widths or [None] * len(columns))))


def _write_output(output: str, text: str) -> None:
    from kmgraph.references.store import atomic_write_text

    try:
        atomic_write_text(Path(output), text)
    except StoreError as exc:  # the output file, not the store
        raise InputError(exc.message, path=output) from None


# graph -----------------------------------------------------------------------------


@cli.group(epilog=GRAPH_EXIT_CODES)
def graph() -> None:
    """Build, check and export the knowledge graph of the store."""


@graph.command("build", epilog=GRAPH_EXIT_CODES)
@STORE_OPTION
@GRAPH_OPTION
@click.option("--full", is_flag=True, help="Ignore the saved graph: extract every document again.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_build(store_path: str, graph_path: str, full: bool, fmt: str) -> None:
    """Build the graph from the store and its documents, and save it.

    Documents are re-read from the paths the store records (relative to the working
    directory); one that has not changed since the last build keeps its graph.
    """
    from kmgraph.graph.workspace import update_graph

    result = update_graph(store_path, graph_path, full=full)
    report = result.report
    if fmt == "json":
        click.echo(json.dumps({**report.to_dict(), "graph": graph_path}, ensure_ascii=False, indent=2))
        return
    for warning in report.warnings:
        click.echo(f"kmgraph: warning: {warning}", err=True)
    click.echo(
        f"{len(report.documents)} documents ({len(report.extracted)} extracted, {len(report.reused)} unchanged, "
        f"{len(report.missing)} missing or unreadable), {report.quads} statements"
        + (f", {report.link_checks} link verdicts" if report.link_checks else "")
        + f" -> {graph_path}"
    )


@graph.command("validate", epilog=GRAPH_EXIT_CODES)
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def graph_validate(graph_path: str, fmt: str) -> None:
    """Check the saved graph against the SHACL shapes (ontology/shapes.ttl).

    Prints each violation as focus node, property path and message; exits 1 when there
    is one.
    """
    from kmgraph.graph.validate import validate

    report = validate(_load(graph_path))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        _emit([asdict(v) for v in report.violations], ["focus", "path", "message", "value", "severity", "shape"], "csv")
    else:
        for violation in report.violations:
            click.echo(f"{violation.severity.lower()}: {violation}")
        click.echo("conforms" if report.conforms else f"{len(report.violations)} violations", err=True)
    if not report.conforms:
        sys.exit(1)


@graph.command("export", epilog=GRAPH_EXIT_CODES)
@GRAPH_OPTION
@ENDPOINT_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "trig", "ntriples", "nquads", "jsonld", "graphml", "gexf"]),
    default="turtle",
    show_default=True,
)
@click.option("-o", "--output", help="Write to a file (default: stdout).")
def graph_export(graph_path: str, fmt: str, output: str | None) -> None:
    """Export the graph: Turtle, TriG, N-Triples, N-Quads, JSON-LD, GraphML or GEXF."""
    from kmgraph.graph.export import export

    text = export(_load(graph_path), fmt)
    if output:
        _write_output(output, text)
        click.echo(f"{fmt} -> {output}", err=True)
    else:
        click.echo(text, nl=False)



@graph.command("push", epilog=GRAPH_EXIT_CODES)
@GRAPH_OPTION
@click.option(
    "--endpoint",
    "endpoint_url",
    metavar="URL",
    envvar="KMGRAPH_ENDPOINT",
    required=True,
    help="The SPARQL 1.1 endpoint to load: its query URL (or set KMGRAPH_ENDPOINT).",
)
@click.option("--update-endpoint", "update_url", metavar="URL", help="Its update URL, when not the same as --endpoint.")
@click.option("--user", envvar="KMGRAPH_ENDPOINT_USER", help="User name, when the endpoint asks for one (or set KMGRAPH_ENDPOINT_USER).")
@click.option(
    "--password-env",
    metavar="VAR",
    default="KMGRAPH_ENDPOINT_PASSWORD",
    show_default=True,
    help="The environment variable holding the password (a password is never an argument).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=1000,
    show_default=True,
    help="Statements per update request (Virtuoso refuses much more than 1,000).",
)
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=60.0, show_default=True, help="Seconds to wait for each answer.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_push(
    graph_path: str,
    endpoint_url: str,
    update_url: str | None,
    user: str | None,
    password_env: str,
    batch_size: int,
    timeout: float,
    fmt: str,
) -> None:
    """Load the saved graph into a SPARQL 1.1 endpoint, replacing what an earlier push left.

    The kmgraph graphs on the endpoint (named under https://w3id.org/kmgraph/graph/) are
    dropped and the graph written again, each document in its own named graph, so pushing
    twice gives the same statements. Credentials go by HTTP Digest or Basic
    authentication, as the endpoint asks (Virtuoso: --endpoint .../sparql-auth). Then
    `kmgraph query ... --endpoint URL` and the other commands read it.

    Exits 5, with one line saying how far it got, when the endpoint cannot be reached,
    refuses the credentials or a request; nothing is written when the first request
    fails.
    """
    import os

    from kmgraph.graph.stores import location, open_graph, push

    source = location(graph_path)
    if source.kind == "sparql":
        raise UsageError("graph push reads a file or oxigraph:DIR (--graph); the endpoint is --endpoint")
    if location(endpoint_url).kind != "sparql":
        raise UsageError(f"--endpoint takes an http:// or https:// URL, not {endpoint_url!r}")
    if update_url is not None and location(update_url).kind != "sparql":
        raise UsageError(f"--update-endpoint takes an http:// or https:// URL, not {update_url!r}")
    password = os.environ.get(password_env)
    if user is not None and password is None:
        raise UsageError(f"--user {user} needs its password in the environment variable {password_env}")
    settings = _endpoint_settings(endpoint_url, update_url, user, password)
    settings.timeout = timeout
    report = push(open_graph(source), settings, batch_size=batch_size)
    if fmt == "json":
        click.echo(json.dumps({**report.to_dict(), "graph": graph_path}, ensure_ascii=False, indent=2))
        return
    dropped = f"; dropped {len(report.dropped)} graphs the graph no longer has" if report.dropped else ""
    click.echo(
        f"{report.statements} statements in {len(report.graphs)} graphs -> {report.endpoint} "
        f"({report.requests} requests, {report.seconds:.1f} s{dropped})"
    )

# query -----------------------------------------------------------------------------


def _years(text: str | None) -> tuple[int | None, int | None] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{4})?\s*(?:(\.\.|-|–)\s*(\d{4})?)?\s*", text)
    if not m or not (m.group(1) or m.group(3)):
        raise UsageError(f"--year takes YEAR, FROM..TO, FROM.. or ..TO, not {text!r}")
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else (lo if not m.group(2) else None)
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(f"--year {text!r} runs backwards; write FROM..TO with FROM first")
    return lo, hi


@cli.group(epilog=GRAPH_EXIT_CODES)
def query() -> None:
    """List sources, concepts and organisations of the graph, with counts."""


@query.command("sources", epilog=GRAPH_EXIT_CODES)
@click.option("--concept", help="About this concept (label, acronym or id) or a narrower one.")
@click.option("--organisation", "--organization", "organisation", help="Published, created, named or funded by it (or a part of it).")
@click.option("--author", help="Created by this person or organisation.")
@click.option("--year", help="A year or a range: 2010..2020, 2010.., ..2020.")
@click.option("--sources/--works", "only", default=None, help="Only ingested documents, or only cited works.")
@click.option("--broken-links", is_flag=True, help="Only those with a link the latest 'kmgraph links check' found failing (recorded at graph build).")
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def query_sources(
    concept: str | None,
    organisation: str | None,
    author: str | None,
    year: str | None,
    only: bool | None,
    broken_links: bool,
    graph_path: str,
    fmt: str,
) -> None:
    """Sources and cited works, filtered by concept, organisation, author, year and link health."""
    from kmgraph.graph.query import sources

    kind = None if only is None else ("source" if only else "work")
    rows = sources(
        _load(graph_path),
        concept=concept,
        organisation=organisation,
        author=author,
        years=_years(year),
        kind=kind,
        broken_links=broken_links,
    )
    columns = ["key", "kind", "type", "year", "cites", "cited_by", "creators", "title"]
    widths: list[int | None] = [None, 6, 16, 4, 5, 8, 24, 60]
    if broken_links or fmt != "table":
        columns.append("broken_links")
        widths.append(None)
    _emit([asdict(r) for r in rows], columns, fmt, widths)


@query.command("concepts", epilog=GRAPH_EXIT_CODES)
@click.option("--all", "everything", is_flag=True, help="Also concepts of the scheme no document has.")
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def query_concepts(everything: bool, graph_path: str, fmt: str) -> None:
    """Concepts with the number of documents about them and of occurrences."""
    from kmgraph.graph.query import concepts

    rows = concepts(_load(graph_path), all_concepts=everything)
    _emit([asdict(r) for r in rows], ["id", "label", "documents", "occurrences", "broader"], fmt)


@query.command("organisations", epilog=GRAPH_EXIT_CODES)
@click.option("--all", "everything", is_flag=True, help="Also register entries nothing links to.")
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def query_organisations(everything: bool, graph_path: str, fmt: str) -> None:
    """Organisations with the documents naming them, the works they published or wrote,
    the sources they fund and the authors they employ."""
    from kmgraph.graph.query import organisations

    rows = organisations(_load(graph_path), all_organisations=everything)
    _emit(
        [asdict(r) for r in rows],
        ["id", "label", "registered", "documents", "occurrences", "published", "created", "funded", "members"],
        fmt,
        [None, 50, None, None, None, None, None, None, None],
    )


# related, path, rank, clusters -------------------------------------------------------


@cli.command(epilog=GRAPH_EXIT_CODES)
@click.argument("key")
@click.option(
    "--by",
    type=click.Choice(["all", "cocitation", "coupling", "concepts", "organisations"]),
    default="all",
    show_default=True,
    help="Rank by one measure, or by all combined.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def related(key: str, by: str, top: int, graph_path: str, fmt: str) -> None:
    """Works related to KEY by co-citation, coupling, shared concepts and organisations.

    Each result says why ("cited together by 3 documents; shares 2 concepts").
    """
    from kmgraph.graph.query import related as run

    rows = run(_load(graph_path), key, by=by, top=top)
    _emit([asdict(r) for r in rows], ["key", "score", "explanation", "label"], fmt, [None, None, 70, 50])


@cli.command(epilog=GRAPH_EXIT_CODES)
@click.argument("a")
@click.argument("b")
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def path(a: str, b: str, graph_path: str, fmt: str) -> None:
    """The shortest path between two entities, explained edge by edge.

    A and B may be sources, works, people, organisations or concepts, named loosely.
    Exits 1 when they are not connected.
    """
    from kmgraph.graph.query import path as run

    found = run(_load(graph_path), a, b)
    rows = [
        {
            "step": n,
            "from": s.source.label,
            "from_kind": s.source.kind,
            "relation": s.relation,
            "to": s.target.label,
            "to_kind": s.target.kind,
            "edge": s.edge,
        }
        for n, s in enumerate(found.steps, 1)
    ]
    if fmt == "table":
        for n, step in enumerate(found.steps, 1):
            click.echo(f"{n}. {step}")
    else:
        _emit(rows, ["step", "from", "from_kind", "relation", "to", "to_kind", "edge"], fmt)
    if not found.found:
        click.echo(f"kmgraph: no path between {found.start} and {found.end}", err=True)
        sys.exit(1)
    if not found.steps:
        click.echo(f"kmgraph: both ends are {found.start} (a path of length 0)", err=True)


@cli.command(epilog=GRAPH_EXIT_CODES)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["source", "work", "person", "organisation", "concept"]),
    help="Only this kind (source: documents and cited works).",
)
@click.option("--method", type=click.Choice(["pagerank", "degree"]), default="pagerank", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def rank(kind: str | None, method: str, top: int, graph_path: str, fmt: str) -> None:
    """The most central entities by PageRank or degree centrality."""
    from kmgraph.graph.query import rank as run

    rows = run(_load(graph_path), kind, method=method, top=top)
    _emit([asdict(r) for r in rows], ["id", "kind", "score", "label"], fmt, [None, None, None, 60])


@cli.command(epilog=GRAPH_EXIT_CODES)
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed of Louvain.")
@click.option("--resolution", type=click.FloatRange(0, 1000, min_open=True), default=1.0, show_default=True, help="Above 1: smaller communities.")
@click.option("--min-size", type=click.IntRange(min=1), default=2, show_default=True)
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def clusters(seed: int, resolution: float, min_size: int, graph_path: str, fmt: str) -> None:
    """Communities of the graph (Louvain), each named by its top concepts."""
    from kmgraph.graph.query import clusters as run

    rows = run(_load(graph_path), seed=seed, resolution=resolution, min_size=min_size)
    _emit([asdict(r) for r in rows], ["id", "size", "top_concepts", "sources", "organisations"], fmt, [None, None, 50, 50, 40])


# sparql ----------------------------------------------------------------------------


@cli.command(epilog=GRAPH_EXIT_CODES)
@click.argument("query_text", metavar="QUERY|FILE")
@GRAPH_OPTION
@ENDPOINT_OPTION
@FORMAT_OPTION
def sparql(query_text: str, graph_path: str, fmt: str) -> None:
    """Run a SPARQL 1.1 query (text, a file holding it, or - for stdin) with the project prefixes bound.

    SELECT gives rows, ASK true or false, CONSTRUCT and DESCRIBE Turtle (JSON-LD with
    --format json).
    """
    from kmgraph.graph.export import export
    from kmgraph.graph.query import sparql as run

    text = query_text
    candidate = Path(query_text)
    if query_text == "-":
        text = click.get_text_stream("stdin").read()
    elif "\n" not in query_text and len(query_text) < 4096 and (
        candidate.suffix.lower() in (".rq", ".sparql", ".txt") or candidate.is_file()
    ):
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the query: {exc.strerror or exc}", path=query_text) from None
    result = run(_load(graph_path, live=True), text)
    if result.kind == "ask":
        click.echo(json.dumps({"boolean": result.boolean}) if fmt == "json" else str(result.boolean).lower())
        return
    if result.graph is not None:
        click.echo(export(result.graph, "jsonld" if fmt == "json" else "turtle"), nl=False)
        return
    _emit(list(result.rows), list(result.variables), fmt)
