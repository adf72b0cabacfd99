"""The ``kmgraph`` command line: a thin skin over the library.

Each command parses its options, calls one library function and renders the result.
This package is the only place that imports click.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from kmgraph import __version__
from kmgraph.errors import KmgraphError

__all__ = ["main", "cli"]

EXIT_CODES = """\b
Exit codes:
  0  success
  1  findings: refs lint found errors, graph validate a violation, links check a failing
     link, path no path
  2  usage error: unknown option, missing argument
  3  input error: a file you named cannot be found, read or written
  4  store error: the BibTeX store cannot be read or written, or is locked
  5  graph error: no saved graph yet (run kmgraph graph build), it cannot be parsed, or a
     SPARQL endpoint cannot be reached or refuses the request
"""


def _show_warning(message: Warning | str, category: type[Warning], *_args: Any, **_kwargs: Any) -> None:
    """A warning as one line on stderr, like the errors, instead of Python's two-line form."""
    click.echo(f"kmgraph: warning: {message}", err=True)


class KmgraphGroup(click.Group):
    """A group that turns kmgraph errors into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning  # restored when the command ends
                return super().invoke(ctx)
        except KmgraphError as exc:
            click.echo(f"kmgraph: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `kmgraph refs list | head`
            sys.stderr.close()
            ctx.exit(0)


@click.group(cls=KmgraphGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmgraph")
def cli() -> None:
    """Turn knowledge-mobilization documents into a BibTeX store and keep their links honest.

    Start with `kmgraph ingest examples --store references` and `kmgraph refs list`.
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kmgraph")


# Register the commands (imported for their side effect on `cli`).
from kmgraph.cli import commands as _commands  # noqa: E402,F401
from kmgraph.cli import graph as _graph  # noqa: E402,F401
from kmgraph.cli import graph_view as _graph_view  # noqa: E402,F401
from kmgraph.cli import linkcheck as _linkcheck  # noqa: E402,F401
from kmgraph.cli import links_fix as _links_fix  # noqa: E402,F401
