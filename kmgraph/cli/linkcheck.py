"""``kmgraph links check``: option parsing and rendering over :mod:`kmgraph.linkcheck`.

Registered on the ``links`` group by importing this module. Settings come from the
library defaults, then the project's config file (``kmgraph.toml`` ``[links]`` or
``pyproject.toml`` ``[tool.kmgraph.links]``) and ignore files, then the flags given on
the command line, which win.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import click

from kmgraph.cli.commands import links
from kmgraph.errors import StoreError, UsageError
from kmgraph.linkcheck.config import (
    DEFAULT_CACHE_FILE,
    CheckConfig,
    HostConfig,
    parse_header,
)
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, Status

__all__ = ["LINKS_EXIT_CODES", "links_check"]

_D = CheckConfig()

LINKS_EXIT_CODES = """\b
Exit codes:
  0  no link has a failing status
  1  findings: a link has a status named by --fail-on
  2  usage error: unknown option, bad value, nothing to check
  3  input error: a document, the config file or an ignore file cannot be found,
     read or parsed (the file and line are named), or a report cannot be written
  4  store error: the --store cannot be read
"""

_STATUSES = ", ".join(s.value for s in Status)
_FORMATS = ["text", "json", "github", "junit", "sarif", "markdown"]

#: Options that set a CheckConfig field of the same meaning (option name -> field).
_CONFIG_OPTIONS = {
    "concurrency": "concurrency",
    "host_concurrency": "host_concurrency",
    "host_interval": "host_interval",
    "max_time": "max_time",
    "timeout": "timeout",
    "retries": "retries",
    "accept": "accept",
    "fail_on": "fail_on",
    "exclude_private": "exclude_private",
    "base_url": "base_url",
    "doi_resolver": "doi_resolver",
    "user_agent": "user_agent",
    "fragments": "fragments",
    "soft404": "soft404",
    "cache": "cache",
    "cache_file": "cache_file",
    "max_age": "max_age",
    "cache_failures": "cache_failures",
    "offline": "offline",
}


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


def _reports(_ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[tuple[str, str]]:
    """``FORMAT:FILE`` pairs, or a usage error naming the option."""
    out = []
    for item in value:
        fmt, sep, path = item.partition(":")
        if not sep or not path or fmt not in _FORMATS:
            raise click.BadParameter(f"{item!r} is not FORMAT:FILE with FORMAT one of {', '.join(_FORMATS)}", param=param)
        out.append((fmt, path))
    return out


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source in (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)


def _with_headers(cfg: CheckConfig, specs: tuple[str, ...]) -> CheckConfig:
    """``cfg`` with the ``--header`` values added (they win over the config file's)."""
    if not specs:
        return cfg
    hosts = dict(cfg.hosts)
    for spec in specs:
        host, name, value = parse_header(spec)
        old = hosts.get(host, HostConfig())
        headers = {k: v for k, v in old.headers.items() if k.lower() != name.lower()}
        headers[name] = value
        hosts[host] = replace(old, headers=MappingProxyType(headers))
    return replace(cfg, hosts=MappingProxyType(hosts))


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _warn(message: str) -> None:
    click.echo(f"kmgraph: warning: {message}", err=True)


@links.command("check", epilog=LINKS_EXIT_CODES)
@click.argument("paths", nargs=-1)
@click.option("--store", "store_path", default=None, metavar="DIR", help="Also check the links of this BibTeX store.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Also read URLs (or DOIs) from stdin, one per line.")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True, help="The report on stdout (or in --output).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the --format report to FILE (atomically) instead of stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:FILE", callback=_reports, help="Also write a report in FORMAT to FILE (repeatable), e.g. sarif:links.sarif.")
@click.option(
    "--fail-on",
    default=",".join(sorted(s.value for s in DEFAULT_FAIL_ON)),
    show_default=True,
    help=f"Statuses that fail the run (comma-separated; '' for none). Statuses: {_STATUSES}.",
)
@click.option("--config", "config_file", default=None, metavar="FILE", help="Read settings from this kmgraph.toml or pyproject.toml instead of looking for one.")
@click.option("--no-config", is_flag=True, help="Read no config file and no ignore file.")
@click.option("--concurrency", type=click.IntRange(1), default=_D.concurrency, show_default=True, help="Requests in flight at once.")
@click.option("--host-concurrency", type=click.IntRange(1), default=_D.host_concurrency, show_default=True, help="Requests in flight at once to one host.")
@click.option("--host-interval", type=click.FloatRange(0), default=_D.host_interval, show_default=True, help="Minimum seconds between requests to one host.")
@click.option("--max-time", type=click.FloatRange(0, min_open=True), default=None, help="Seconds for the whole run; what is left is reported as timeout.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=_D.timeout, show_default=True, help="Seconds to connect and between bytes read.")
@click.option("--retries", type=click.IntRange(0), default=_D.retries, show_default=True, help="Retries after a connection error, 429, 502, 503, 504.")
@click.option("--include", multiple=True, metavar="RE", help="Check only URLs matching this regex (repeatable; wins over --exclude).")
@click.option("--exclude", multiple=True, metavar="RE", help="Do not check URLs matching this regex (repeatable; added to the config's and the ignore files').")
@click.option("--accept", default="200..299", show_default=True, metavar="RANGES", help="Status codes that count as ok, e.g. 200..299,403.")
@click.option("--exclude-private/--include-private", default=True, show_default=True, help="Skip private and loopback addresses (link-local and cloud metadata are always skipped).")
@click.option("--base-url", default=None, metavar="URL", callback=_http_url, help="Join relative links to this URL and check them over the network.")
@click.option("--doi-resolver", default=_D.doi_resolver, show_default=True, metavar="URL", callback=_http_url, help="DOI resolver whose handle API checks DOIs.")
@click.option("--user-agent", default=_D.user_agent, show_default=True, metavar="UA")
@click.option("--header", "headers", multiple=True, metavar="[HOST=]NAME: VALUE", help="Send this header (to HOST only when given; repeatable). $VAR, ${VAR} and env:VAR read the environment; values never appear in reports.")
@click.option("--fragments/--no-fragments", default=False, help="Check #fragments of remote HTML pages too (local files always).")
@click.option("--soft-404/--no-soft-404", "soft404", default=False, help="GET pages (not HEAD) to catch 'not found' pages served with 200.")
@click.option("--cache/--no-cache", default=False, help=f"Reuse results of earlier runs and store the new ones (in {DEFAULT_CACHE_FILE}).")
@click.option("--cache-file", default=None, metavar="FILE", help=f"The cache file (default {DEFAULT_CACHE_FILE}).")
@click.option("--max-age", default="1d", show_default=True, metavar="AGE", help="How long a cached result stays good: 3600, 90m, 12h, 1d, 2w.")
@click.option("--cache-failures/--no-cache-failures", default=False, help="Also cache broken, blocked and soft-404 results (timeouts, 429s and network errors never are).")
@click.option("--offline", is_flag=True, help="No network: web links and DOIs come from the cache, those not in it are excluded.")
@click.option("--record/--no-record", default=True, show_default=True, help="Keep each URL's latest verdict in .kmgraph/link-status.json for graph build and refs lint.")
@click.option("--no-progress", is_flag=True, help="No progress bar (shown on stderr when it is a terminal).")
@click.option("-v", "--verbose", is_flag=True, help="List every URL in text, github and sarif output, ok ones too.")
@click.pass_context
def links_check(
    ctx: click.Context,
    paths: tuple[str, ...],
    store_path: str | None,
    use_stdin: bool,
    fmt: str,
    output: str | None,
    reports: list[tuple[str, str]],
    config_file: str | None,
    no_config: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    headers: tuple[str, ...],
    record: bool,
    no_progress: bool,
    verbose: bool,
    **settings: Any,
) -> None:
    """Check the links of documents, of a BibTeX store and of stdin.

    Every distinct URL is checked once and reported at each place it appears
    (file:line:col). DOIs are checked at the resolver, relative links and #fragments on the
    file system. Statuses: ok, redirected, broken, blocked, rate-limited, timeout,
    network-error, soft-404, excluded, unsupported, placeholder, cached.

    Settings are read from [links] of kmgraph.toml or [tool.kmgraph.links] of
    pyproject.toml (in this folder or up to the repository root), URLs to skip from
    .kmgraphignore-links and .lycheeignore there; flags win. Reports: --format on stdout
    (or -o FILE), and any number of --report FORMAT:FILE.
    """
    from kmgraph.linkcheck import check_requests
    from kmgraph.linkcheck.collect import collect_links
    from kmgraph.linkcheck.config import load_config
    from kmgraph.linkcheck.report import LinkReport, render, render_text, summary_line, write_report

    if not paths and not use_stdin and store_path is None:
        raise UsageError("nothing to check: give documents, --store DIR or --stdin")
    if config_file is not None and no_config:
        raise UsageError("--config and --no-config do not go together")
    loaded = load_config(config_file, discover=not no_config, ignore_files=not no_config)
    given = {field: settings[name] for name, field in _CONFIG_OPTIONS.items() if _given(ctx, name)}
    config = CheckConfig.from_mapping(given, base=loaded.config)
    if include or exclude:
        config = replace(config, include=(*config.include, *include), exclude=(*config.exclude, *exclude))
    config = _with_headers(config, headers)
    for host, name, var in config.missing_variables():
        where = "every host" if host == "*" else host
        _warn(f"${var} is not set: the {name} header for {where} is left out")
    if config.offline and not config.cache_path().is_file():
        _warn(f"--offline without a cache at {config.cache_path()}: every web link and DOI is excluded")

    started = time.monotonic()
    stdin = sys.stdin if use_stdin else None
    collection = collect_links(list(paths), store=store_path, stdin=stdin, base_url=config.base_url)
    for path, reason in collection.skipped:
        click.echo(f"kmgraph: skipped {path}: {reason}", err=True)

    total = len(collection.requests)
    if total > 1 and not no_progress and _stderr_is_terminal():
        with click.progressbar(length=total, label="Checking links", file=sys.stderr) as bar:
            step: Callable[[Any], None] = lambda _r: bar.update(1)  # noqa: E731
            results = check_requests(collection.requests, config, progress=step, warn=_warn)
    else:
        results = check_requests(collection.requests, config, warn=_warn)
    report = LinkReport.build(
        results, skipped=collection.skipped, fail_on=config.fail_on, elapsed=time.monotonic() - started
    )
    if record:
        from kmgraph.linkcheck.record import default_record_path, update_record

        try:
            update_record(default_record_path(), results)
        except (OSError, StoreError) as exc:
            _warn(f"{default_record_path()}: link status not recorded ({getattr(exc, 'message', exc)})")
    for report_fmt, path in reports:
        write_report(path, render(report, report_fmt, show_all=verbose))
    if output is not None and output != "-":
        write_report(output, render(report, fmt, show_all=verbose))
        click.echo(summary_line(report), err=True)
    elif fmt == "text":
        click.echo(render_text(report, show_all=verbose, color=sys.stdout.isatty()))
    else:
        click.echo(render(report, fmt, show_all=verbose))
    if report.failed:
        ctx.exit(1)
