"""``kmgraph graph view``: write the graph as a self-contained interactive HTML page.

Option parsing and rendering only; the page is made by :mod:`kmgraph.graph.page`.
"""

from __future__ import annotations

import click

from kmgraph.cli.graph import ENDPOINT_OPTION, GRAPH_EXIT_CODES, GRAPH_OPTION, _load, _write_output, graph

# The library's defaults (kmgraph.graph.page), repeated so that `kmgraph --help` does not
# import rdflib and networkx; a test keeps them equal.
DEFAULT_MAX_NODES = 2000
DEFAULT_TITLE = "kmgraph: knowledge graph"


@graph.command("view", epilog=GRAPH_EXIT_CODES)
@GRAPH_OPTION
@ENDPOINT_OPTION
@click.option(
    "-o",
    "--output",
    default="graph.html",
    show_default=True,
    help="The page to write ('-': stdout).",
)
@click.option(
    "--around",
    "around",
    multiple=True,
    metavar="NAME",
    help="Only the neighbourhood of this entity (key, label, acronym, name or IRI); repeatable.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="How many edges the neighbourhood of --around reaches.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Keep at most this many nodes, those of highest degree (0: all).",
)
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="The page title.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default web browser.")
def graph_view(graph_path: str, output: str, around: tuple[str, ...], depth: int, max_nodes: int, title: str, open_page: bool) -> None:
    """Write the graph as one interactive HTML page that works offline.

    Nodes are coloured by type (sources, cited works, people, organisations, concepts);
    search by label, key, acronym or alternative label; click a node for its details and
    its neighbours. The page loads nothing from the network: data, script and style are
    inside it.

    \b
    Examples:
      kmgraph graph view                          # -> graph.html
      kmgraph graph view --around KMb --depth 2 -o kmb.html --open
    """
    from kmgraph.graph.page import render_page, view_data

    if depth != 1 and not around:
        click.echo("kmgraph: warning: --depth has no effect without --around", err=True)
    data = view_data(_load(graph_path), around=around, depth=depth, max_nodes=max_nodes)
    selection = data["selection"]
    if selection["total"] > selection["shown"]:
        click.echo(
            f"kmgraph: warning: {selection['total']} nodes; the page shows the {selection['shown']} of highest "
            "degree (--max-nodes N changes the limit, 0 shows all)",
            err=True,
        )
    page = render_page(data, title=title)
    summary = f"{selection['shown']} nodes, {len(data['edges'])} edges"
    if output == "-":
        click.echo(page, nl=False)
        click.echo(summary, err=True)
        return
    _write_output(output, page)
    click.echo(f"{summary} -> {output}", err=True)
    if open_page:
        import webbrowser
        from pathlib import Path

        if not webbrowser.open(Path(output).resolve().as_uri()):
            click.echo(f"kmgraph: warning: no web browser could be opened; open {output} yourself", err=True)
