"""Link checking: collect -> check -> report.

The one-liner::

    >>> from kmgraph.linkcheck import check_paths
    >>> report = check_paths(["docs"], store="references")       # doctest: +SKIP
    >>> [r.url for r in report.failures]                          # doctest: +SKIP

and the stages, for control::

    load_config() -> LoadedConfig (CheckConfig from kmgraph.toml / pyproject.toml + ignore files)
    collect_links(paths, store=..., stdin=..., base_url=...) -> LinkCollection (LinkRequest...)
    check_requests(requests, CheckConfig(...), progress=..., warn=...) -> [LinkResult]
        (the cache and --offline around check_links(requests, config, progress=, session_factory=))
    LinkReport.build(results, ...) -> render_text / render_json / render_github / render_junit /
        render_sarif / render_markdown

Statuses are the closed enum :class:`Status`; a failure is a result with a reason, not an
exception. Defaults live in :class:`CheckConfig`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from kmgraph.linkcheck.collect import LinkRequest
    from kmgraph.linkcheck.config import CheckConfig
    from kmgraph.linkcheck.report import LinkReport
    from kmgraph.linkcheck.status import LinkResult

# Imported lazily (``requests`` is not needed to read the settings or print --help).
_EXPORTS = {
    "LinkCache": "kmgraph.linkcheck.cache",
    "check_links": "kmgraph.linkcheck.check",
    "LinkCollection": "kmgraph.linkcheck.collect",
    "LinkRequest": "kmgraph.linkcheck.collect",
    "Target": "kmgraph.linkcheck.collect",
    "collect_links": "kmgraph.linkcheck.collect",
    "DEFAULT_USER_AGENT": "kmgraph.linkcheck.config",
    "CheckConfig": "kmgraph.linkcheck.config",
    "HostConfig": "kmgraph.linkcheck.config",
    "LoadedConfig": "kmgraph.linkcheck.config",
    "load_config": "kmgraph.linkcheck.config",
    "parse_accept": "kmgraph.linkcheck.config",
    "parse_duration": "kmgraph.linkcheck.config",
    "parse_statuses": "kmgraph.linkcheck.config",
    "LinkReport": "kmgraph.linkcheck.report",
    "render_github": "kmgraph.linkcheck.report",
    "render_json": "kmgraph.linkcheck.report",
    "render_junit": "kmgraph.linkcheck.report",
    "render_markdown": "kmgraph.linkcheck.report",
    "render_sarif": "kmgraph.linkcheck.report",
    "render_text": "kmgraph.linkcheck.report",
    "write_report": "kmgraph.linkcheck.report",
    "DEFAULT_FAIL_ON": "kmgraph.linkcheck.status",
    "LinkResult": "kmgraph.linkcheck.status",
    "Status": "kmgraph.linkcheck.status",
}

__all__ = [
    "DEFAULT_FAIL_ON",
    "DEFAULT_USER_AGENT",
    "CheckConfig",
    "HostConfig",
    "LinkCache",
    "LinkCollection",
    "LinkReport",
    "LinkRequest",
    "LinkResult",
    "LoadedConfig",
    "Status",
    "Target",
    "check_links",
    "check_paths",
    "check_requests",
    "collect_links",
    "load_config",
    "parse_accept",
    "parse_duration",
    "parse_statuses",
    "render_github",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "render_text",
    "write_report",
]


def _needs_network(req: LinkRequest, cfg: CheckConfig) -> bool:
    """True when ``req`` would be sent over the network (so the cache can answer it)."""
    from urllib.parse import urlsplit

    from kmgraph.linkcheck.collect import Target

    if req.target not in (Target.HTTP, Target.DOI) or cfg.excluded_reason(req.url) is not None:
        return False
    if req.target is Target.DOI:
        return True
    try:
        scheme = urlsplit(req.url).scheme.lower()
    except ValueError:
        return False
    return scheme in ("http", "https") and scheme in cfg.schemes


def check_requests(
    requests_: Sequence[LinkRequest],
    config: CheckConfig | None = None,
    *,
    progress: Callable[[LinkResult], None] | None = None,
    warn: Callable[[str], None] | None = None,
    session_factory: Callable[[], requests.Session] | None = None,
) -> list[LinkResult]:
    """Check requests, with the cache between runs and the offline mode of ``config``.

    Without ``config.cache`` and ``config.offline`` this is
    :func:`~kmgraph.linkcheck.check.check_links`. With ``cache``, web links and DOIs with a
    fresh cached answer come back as :attr:`Status.CACHED` (the earlier verdict in
    ``cached_status``) without a request, and the new answers worth keeping are stored.
    With ``offline``, nothing goes over the network: cached answers are used, other web
    links and DOIs are :attr:`Status.EXCLUDED`, and local links are checked as usual.

    Args:
        requests_: The requests (from :func:`collect_links`).
        config: The settings (the defaults when None).
        progress: Called with each result as it is reached, on the calling thread.
        warn: Called with one line when the cache cannot be used as it is (a damaged file
            is set aside and a fresh cache started); a :class:`RuntimeWarning` by default.
        session_factory: Passed to :func:`~kmgraph.linkcheck.check.check_links`.

    Returns:
        One result per request, in the same order.
    """
    from dataclasses import replace

    from kmgraph.linkcheck.cache import LinkCache, cached_result, entries_for, profile_of, storable_statuses
    from kmgraph.linkcheck.check import check_links
    from kmgraph.linkcheck.config import CheckConfig
    from kmgraph.linkcheck.status import LinkResult, Status

    cfg = config or CheckConfig()
    if not cfg.cache and not cfg.offline:
        return check_links(requests_, cfg, progress=progress, session_factory=session_factory)

    network = [i for i, req in enumerate(requests_) if _needs_network(req, cfg)]
    cache = LinkCache(cfg.cache_path(), readonly=cfg.offline or not cfg.cache, warn=warn)
    try:
        entries = entries_for(cache, [requests_[i].url for i in network], cfg) if network else {}
        results: list[LinkResult | None] = [None] * len(requests_)
        to_check: list[int] = []
        network_set = set(network)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for i, req in enumerate(requests_):
            entry = entries.get(req.url) if i in network_set else None
            if entry is not None:
                results[i] = cached_result(req.url, entry, req.places)
            elif cfg.offline and i in network_set:
                results[i] = LinkResult(
                    req.url, Status.EXCLUDED, error="not in the cache (--offline)", checked_at=now, places=req.places
                )
            else:
                to_check.append(i)
                continue
            if progress:
                progress(results[i])  # type: ignore[arg-type]

        storing = not cfg.offline and cfg.cache and cache.usable
        keep = storable_statuses(cfg.cache_failures)
        profile = profile_of(cfg)
        cacheable_urls = {requests_[i].url for i in network}

        def on_result(res: LinkResult) -> None:
            if storing and res.status in keep and res.url in cacheable_urls:
                cache.put(res, profile)
            if progress:
                progress(res)

        checked = check_links(
            [requests_[i] for i in to_check],
            replace(cfg, offline=False) if cfg.offline else cfg,
            progress=on_result,
            session_factory=session_factory,
        )
        for i, res in zip(to_check, checked, strict=True):
            results[i] = res
        if storing:
            cache.prune(cfg.max_age)
        return [r for r in results if r is not None]
    finally:
        cache.close()


def check_paths(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    store: str | os.PathLike[str] | None = None,
    stdin: Iterable[str] | None = None,
    config: CheckConfig | None = None,
    progress: Callable[[LinkResult], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> LinkReport:
    """Collect the links of documents (and a store, and stdin lines) and check them.

    Args:
        paths: Files, folders and globs.
        store: A BibTeX store folder whose links are checked too.
        stdin: Lines with one URL each.
        config: The settings (library defaults when None); ``config.base_url`` applies to
            the collection too, ``cache`` and ``offline`` to the checks
            (see :func:`check_requests`).
        progress: Called with each result as it is reached.
        warn: Called with one line when the cache cannot be used as it is.

    Returns:
        A :class:`LinkReport`.

    Raises:
        DocumentNotFound: A path matches nothing.
        StoreNotFound: ``store`` is not a store.
    """
    from kmgraph.linkcheck.collect import collect_links
    from kmgraph.linkcheck.config import CheckConfig
    from kmgraph.linkcheck.report import LinkReport

    cfg = config or CheckConfig()
    started = time.monotonic()
    collection = collect_links(paths, store=store, stdin=stdin, base_url=cfg.base_url)
    results = check_requests(collection.requests, cfg, progress=progress, warn=warn)
    return LinkReport.build(
        results, skipped=collection.skipped, fail_on=cfg.fail_on, elapsed=time.monotonic() - started
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kmgraph.linkcheck' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
