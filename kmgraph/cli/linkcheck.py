"""``kmgraph links check``: option parsing and rendering over :mod:`kmgraph.linkcheck`.

Registered on the ``links`` group by importing this module.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

import click

from kmgraph.cli.commands import links
from kmgraph.errors import UsageError
from kmgraph.linkcheck.config import CheckConfig, parse_accept, parse_statuses
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, Status

__all__ = ["LINKS_EXIT_CODES", "links_check"]

_D = CheckConfig()

LINKS_EXIT_CODES = """\b
Exit codes:
  0  no link has a failing status
  1  findings: a link has a status named by --fail-on
  2  usage error: unknown option, bad value, nothing to check
  3  input error: a document you named cannot be found or read
  4  store error: the --store cannot be read
"""

_STATUSES = ", ".join(s.value for s in Status)


def _http_url(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An http(s) URL with a host, or a usage error naming the option."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host", param=param)
    return value


@links.command("check", epilog=LINKS_EXIT_CODES)
@click.argument("paths", nargs=-1)
@click.option("--store", "store_path", default=None, metavar="DIR", help="Also check the links of this BibTeX store.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Also read URLs (or DOIs) from stdin, one per line.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True)
@click.option(
    "--fail-on",
    default=",".join(sorted(s.value for s in DEFAULT_FAIL_ON)),
    show_default=True,
    help=f"Statuses that fail the run (comma-separated; '' for none). Statuses: {_STATUSES}.",
)
@click.option("--concurrency", type=click.IntRange(1), default=_D.concurrency, show_default=True, help="Requests in flight at once.")
@click.option("--host-concurrency", type=click.IntRange(1), default=_D.host_concurrency, show_default=True, help="Requests in flight at once to one host.")
@click.option("--host-interval", type=click.FloatRange(0), default=_D.host_interval, show_default=True, help="Minimum seconds between requests to one host.")
@click.option("--max-time", type=click.FloatRange(0, min_open=True), default=None, help="Seconds for the whole run; what is left is reported as timeout.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=_D.timeout, show_default=True, help="Seconds to connect and between bytes read.")
@click.option("--retries", type=click.IntRange(0), default=_D.retries, show_default=True, help="Retries after a connection error, 429, 502, 503, 504.")
@click.option("--include", multiple=True, metavar="RE", help="Check only URLs matching this regex (repeatable; wins over --exclude).")
@click.option("--exclude", multiple=True, metavar="RE", help="Do not check URLs matching this regex (repeatable).")
@click.option("--accept", default="200..299", show_default=True, metavar="RANGES", help="Status codes that count as ok, e.g. 200..299,403.")
@click.option("--exclude-private/--include-private", default=True, show_default=True, help="Skip private and loopback addresses (link-local and cloud metadata are always skipped).")
@click.option("--base-url", default=None, metavar="URL", callback=_http_url, help="Join relative links to this URL and check them over the network.")
@click.option("--doi-resolver", default=_D.doi_resolver, show_default=True, metavar="URL", callback=_http_url, help="DOI resolver whose handle API checks DOIs.")
@click.option("--user-agent", default=_D.user_agent, show_default=True, metavar="UA")
@click.option("--fragments", is_flag=True, help="Check #fragments of remote HTML pages too (local files always).")
@click.option("--soft-404", "soft404", is_flag=True, help="GET pages (not HEAD) to catch 'not found' pages served with 200.")
@click.option("-v", "--verbose", is_flag=True, help="List every URL in text and github output, ok ones too.")
@click.pass_context
def links_check(
    ctx: click.Context,
    paths: tuple[str, ...],
    store_path: str | None,
    use_stdin: bool,
    fmt: str,
    fail_on: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    accept: str,
    exclude_private: bool,
    verbose: bool,
    **settings: Any,
) -> None:
    """Check the links of documents, of a BibTeX store and of stdin.

    Every distinct URL is checked once and reported at each place it appears
    (file:line:col). DOIs are checked at the resolver, relative links and #fragments on the
    file system. Statuses: ok, redirected, broken, blocked, rate-limited, timeout,
    network-error, soft-404, excluded, unsupported, placeholder.
    """
    from kmgraph.linkcheck.check import check_links
    from kmgraph.linkcheck.collect import collect_links
    from kmgraph.linkcheck.report import LinkReport, render_github, render_json, render_text

    if not paths and not use_stdin and store_path is None:
        raise UsageError("nothing to check: give documents, --store DIR or --stdin")
    config = replace(
        _D,
        include=include,
        exclude=exclude,
        accept=parse_accept(accept),
        fail_on=parse_statuses(fail_on),
        exclude_private=exclude_private,
        **settings,
    )
    started = time.monotonic()
    stdin = sys.stdin if use_stdin else None
    collection = collect_links(list(paths), store=store_path, stdin=stdin, base_url=config.base_url)
    for path, reason in collection.skipped:
        click.echo(f"kmgraph: skipped {path}: {reason}", err=True)

    total = len(collection.requests)
    if sys.stderr.isatty() and total > 1:
        with click.progressbar(length=total, label="Checking links", file=sys.stderr) as bar:
            results = check_links(collection.requests, config, progress=lambda _r: bar.update(1))
    else:
        results = check_links(collection.requests, config)
    report = LinkReport.build(
        results, skipped=collection.skipped, fail_on=config.fail_on, elapsed=time.monotonic() - started
    )
    if fmt == "json":
        click.echo(render_json(report))
    elif fmt == "github":
        click.echo(render_github(report, show_all=verbose))
    else:
        click.echo(render_text(report, show_all=verbose, color=sys.stdout.isatty()))
    if report.failed:
        ctx.exit(1)
