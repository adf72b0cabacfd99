"""Link checking: collect -> check -> report.

The one-liner::

    >>> from kmgraph.linkcheck import check_paths
    >>> report = check_paths(["docs"], store="references")       # doctest: +SKIP
    >>> [r.url for r in report.failures]                          # doctest: +SKIP

and the stages, for control::

    collect_links(paths, store=..., stdin=..., base_url=...) -> LinkCollection (LinkRequest...)
    check_links(requests, CheckConfig(...), progress=..., session_factory=...) -> [LinkResult]
    LinkReport.build(results, ...) -> render_text / render_json / render_github

Statuses are the closed enum :class:`Status`; a failure is a result with a reason, not an
exception. Defaults live in :class:`CheckConfig`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kmgraph.linkcheck.config import CheckConfig
    from kmgraph.linkcheck.report import LinkReport
    from kmgraph.linkcheck.status import LinkResult

# Imported lazily (``requests`` is not needed to read the settings or print --help).
_EXPORTS = {
    "check_links": "kmgraph.linkcheck.check",
    "LinkCollection": "kmgraph.linkcheck.collect",
    "LinkRequest": "kmgraph.linkcheck.collect",
    "Target": "kmgraph.linkcheck.collect",
    "collect_links": "kmgraph.linkcheck.collect",
    "DEFAULT_USER_AGENT": "kmgraph.linkcheck.config",
    "CheckConfig": "kmgraph.linkcheck.config",
    "HostConfig": "kmgraph.linkcheck.config",
    "parse_accept": "kmgraph.linkcheck.config",
    "parse_statuses": "kmgraph.linkcheck.config",
    "LinkReport": "kmgraph.linkcheck.report",
    "render_github": "kmgraph.linkcheck.report",
    "render_json": "kmgraph.linkcheck.report",
    "render_text": "kmgraph.linkcheck.report",
    "DEFAULT_FAIL_ON": "kmgraph.linkcheck.status",
    "LinkResult": "kmgraph.linkcheck.status",
    "Status": "kmgraph.linkcheck.status",
}

__all__ = [
    "DEFAULT_FAIL_ON",
    "DEFAULT_USER_AGENT",
    "CheckConfig",
    "HostConfig",
    "LinkCollection",
    "LinkReport",
    "LinkRequest",
    "LinkResult",
    "Status",
    "Target",
    "check_links",
    "check_paths",
    "collect_links",
    "parse_accept",
    "parse_statuses",
    "render_github",
    "render_json",
    "render_text",
]


def check_paths(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    store: str | os.PathLike[str] | None = None,
    stdin: Iterable[str] | None = None,
    config: CheckConfig | None = None,
    progress: Callable[[LinkResult], None] | None = None,
) -> LinkReport:
    """Collect the links of documents (and a store, and stdin lines) and check them.

    Args:
        paths: Files, folders and globs.
        store: A BibTeX store folder whose links are checked too.
        stdin: Lines with one URL each.
        config: The settings (library defaults when None); ``config.base_url`` applies to
            the collection too.
        progress: Called with each result as it is reached.

    Returns:
        A :class:`LinkReport`.

    Raises:
        DocumentNotFound: A path matches nothing.
        StoreNotFound: ``store`` is not a store.
    """
    from kmgraph.linkcheck.check import check_links
    from kmgraph.linkcheck.collect import collect_links
    from kmgraph.linkcheck.config import CheckConfig
    from kmgraph.linkcheck.report import LinkReport

    cfg = config or CheckConfig()
    started = time.monotonic()
    collection = collect_links(paths, store=store, stdin=stdin, base_url=cfg.base_url)
    results = check_links(collection.requests, cfg, progress=progress)
    return LinkReport.build(
        results, skipped=collection.skipped, fail_on=cfg.fail_on, elapsed=time.monotonic() - started
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kmgraph.linkcheck' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
