"""``kmgraph links fix``: option parsing and rendering over :mod:`kmgraph.linkcheck.fix`.

Registered on the ``links`` group by importing this module.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import click

from kmgraph.cli.commands import STORE_OPTION, links
from kmgraph.cli.linkcheck import _http_url
from kmgraph.errors import UsageError
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, Status

__all__ = ["FIX_EXIT_CODES", "links_fix"]

_D = CheckConfig()

FIX_EXIT_CODES = """\b
Exit codes:
  0  no link is left with a failing status
  1  findings: after the fix a link still has a status named by --fail-on
     (in a --dry-run nothing is fixed, so with --fail-on redirected a pending
     rewrite fails the run)
  2  usage error: unknown option, bad value, a check option with --from-report
  3  input error: the --from-report file cannot be read or is not a report
  4  store error: the store cannot be read or written, or another kmgraph
     process holds it beyond --lock-timeout (nothing is written then)
"""

# Options that only make sense when this command checks the links itself.
_CHECK_OPTIONS = (
    "concurrency",
    "host_concurrency",
    "host_interval",
    "max_time",
    "timeout",
    "retries",
    "include",
    "exclude",
    "exclude_private",
    "doi_resolver",
    "user_agent",
)


@links.command("fix", epilog=FIX_EXIT_CODES)
@STORE_OPTION
@click.option(
    "--from-report",
    "report_path",
    default=None,
    metavar="FILE",
    help="Use the results of `kmgraph links check --format json` in FILE ('-' for stdin) instead of checking.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; print a unified diff of what would change.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--fail-on",
    default=None,
    help="Statuses that fail the run (comma-separated; '' for none). "
    f"Default: the report's, or {','.join(sorted(s.value for s in DEFAULT_FAIL_ON))}. "
    f"Statuses: {', '.join(s.value for s in Status)}.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=None,
    metavar="SECONDS",
    help="Seconds to wait for another kmgraph process that holds the store [default: 30].",
)
@click.option("--concurrency", type=click.IntRange(1), default=_D.concurrency, show_default=True, help="Requests in flight at once.")
@click.option("--host-concurrency", type=click.IntRange(1), default=_D.host_concurrency, show_default=True, help="Requests in flight at once to one host.")
@click.option("--host-interval", type=click.FloatRange(0), default=_D.host_interval, show_default=True, help="Minimum seconds between requests to one host.")
@click.option("--max-time", type=click.FloatRange(0, min_open=True), default=None, help="Seconds for the whole check.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=_D.timeout, show_default=True, help="Seconds to connect and between bytes read.")
@click.option("--retries", type=click.IntRange(0), default=_D.retries, show_default=True, help="Retries after a connection error, 429, 502, 503, 504.")
@click.option("--include", multiple=True, metavar="RE", help="Check only URLs matching this regex (repeatable).")
@click.option("--exclude", multiple=True, metavar="RE", help="Do not check URLs matching this regex (repeatable).")
@click.option("--exclude-private/--include-private", default=True, show_default=True, help="Skip private and loopback addresses.")
@click.option("--doi-resolver", default=_D.doi_resolver, show_default=True, metavar="URL", callback=_http_url, help="DOI resolver whose handle API checks DOIs.")
@click.option("--user-agent", default=_D.user_agent, show_default=True, metavar="UA")
@click.pass_context
def links_fix(
    ctx: click.Context,
    store_path: str,
    report_path: str | None,
    dry_run: bool,
    fmt: str,
    fail_on: str | None,
    lock_timeout: float | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    exclude_private: bool,
    **settings: Any,
) -> None:
    """Rewrite permanent redirects (301, 308) in the store to their new URLs.

    Checks the links of the store (or reads a `links check --format json` report) and
    rewrites every URL behind a permanent redirect, in place: only those characters of
    the .bib files change, atomically, under the store's lock. Temporary redirects (302,
    303, 307), redirects that end broken and DOIs are reported, never rewritten. A
    rewrite counts as a hand edit, so the next ingest keeps it.
    """
    from kmgraph.linkcheck.config import parse_statuses
    from kmgraph.linkcheck.fix import fix_store, load_report, render_fix_json, render_fix_text

    report = None
    if report_path is not None:
        given = [
            name
            for name in _CHECK_OPTIONS
            if ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)
        ]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise UsageError(f"{flag} has no effect with --from-report (the links were checked already)")
        report = load_report(report_path)
        if fail_on is not None:
            report = replace(report, fail_on=parse_statuses(fail_on))
    config = replace(
        _D,
        include=include,
        exclude=exclude,
        exclude_private=exclude_private,
        fail_on=parse_statuses(fail_on) if fail_on is not None else DEFAULT_FAIL_ON,
        **settings,
    )

    def run(progress: Any = None) -> Any:
        return fix_store(
            store_path, report=report, config=config, dry_run=dry_run, lock_timeout=lock_timeout, progress=progress
        )

    if report is None and sys.stderr.isatty():
        from kmgraph.linkcheck.collect import collect_links

        total = len(collect_links((), store=store_path).requests)
        with click.progressbar(length=total, label="Checking links", file=sys.stderr) as bar:
            fix = run(lambda _r: bar.update(1))
    else:
        fix = run()
    if fmt == "json":
        click.echo(render_fix_json(fix))
    else:
        click.echo(render_fix_text(fix, color=sys.stdout.isatty()))
    if fix.failed:
        ctx.exit(1)
