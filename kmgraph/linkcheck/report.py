"""A link check's report and its renderings: text for people, JSON, GitHub annotations.

The JSON form is a stable contract, documented in ``docs/linkcheck.md``. Renderings are
deterministic for the same results: results sorted by URL, places by file, line, column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, LinkResult, Status

__all__ = ["JSON_VERSION", "LinkReport", "render_github", "render_json", "render_text", "report_to_dict", "summary_line"]

#: Version of the JSON report's schema; bumped when a key changes meaning or goes away.
JSON_VERSION = 1

#: Statuses that the text and GitHub renderings leave out unless asked for everything.
QUIET = frozenset({Status.OK, Status.CACHED, Status.EXCLUDED})

_COLORS = {
    Status.OK: "32",
    Status.CACHED: "32",
    Status.REDIRECTED: "33",
    Status.BLOCKED: "33",
    Status.RATE_LIMITED: "33",
    Status.TIMEOUT: "33",
    Status.SOFT_404: "31",
    Status.BROKEN: "31",
    Status.NETWORK_ERROR: "31",
    Status.PLACEHOLDER: "31",
    Status.EXCLUDED: "2",
    Status.UNSUPPORTED: "2",
}


@dataclass(frozen=True)
class LinkReport:
    """The results of one run.

    Attributes:
        results: One per distinct URL, sorted by URL.
        skipped: ``(document, reason)`` for documents that could not be read.
        fail_on: The statuses that fail the run.
        elapsed: Wall-clock seconds of the run.
    """

    results: tuple[LinkResult, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    fail_on: frozenset[Status] = DEFAULT_FAIL_ON
    elapsed: float = 0.0

    @classmethod
    def build(
        cls,
        results: Iterable[LinkResult],
        *,
        skipped: Iterable[tuple[str, str]] = (),
        fail_on: Iterable[Status] = DEFAULT_FAIL_ON,
        elapsed: float = 0.0,
    ) -> LinkReport:
        """A report with its results sorted by URL."""
        return cls(tuple(sorted(results, key=lambda r: r.url)), tuple(skipped), frozenset(fail_on), elapsed)

    def counts(self) -> dict[str, int]:
        """Results per status, every status present, in the order of :class:`Status`."""
        counts = dict.fromkeys((s.value for s in Status), 0)
        for r in self.results:
            counts[r.status.value] += 1
        return counts

    @property
    def failures(self) -> tuple[LinkResult, ...]:
        """The results whose status is in :attr:`fail_on`."""
        return tuple(r for r in self.results if r.status in self.fail_on)

    @property
    def failed(self) -> bool:
        """True when some result has a failing status."""
        return bool(self.failures)


def _describe(r: LinkResult, gap: str = " ") -> str:
    """``code url → target (error)``: the part of a result line every report shares."""
    text = f"{r.code if r.code is not None else '-'} {r.url}"
    target = _target(r)
    if target:
        text += f" → {target}"
    if r.error:
        text += f"{gap}({r.error})"
    return text


def _target(r: LinkResult) -> str | None:
    if r.status is Status.REDIRECTED:
        return r.new_url
    if r.final_url and r.final_url != r.url:
        return r.final_url
    return None


def _rows(report: LinkReport, show_all: bool) -> list[tuple[str, int, int, LinkResult]]:
    rows = [
        (place.path, place.line, place.column, r)
        for r in report.results
        if show_all or r.status not in QUIET
        for place in (r.places or ())
    ]
    rows.sort(key=lambda x: (x[0], x[1], x[2], x[3].url))
    return rows


def summary_line(report: LinkReport) -> str:
    """One line: URLs checked, counts of the statuses present, failing results, time.

    >>> from kmgraph.linkcheck.status import LinkResult, Status
    >>> summary_line(LinkReport.build([LinkResult("https://a", Status.OK),
    ...                                LinkResult("https://b", Status.BROKEN)], elapsed=1.234))
    '2 URLs: 1 ok, 1 broken; 1 failing in 1.2 s'
    """
    counts = ", ".join(f"{n} {status}" for status, n in report.counts().items() if n)
    failing = len(report.failures)
    return (
        f"{len(report.results)} URL{'s' if len(report.results) != 1 else ''}: {counts or 'none'}; "
        f"{failing} failing in {report.elapsed:.1f} s"
    )


def render_text(report: LinkReport, *, show_all: bool = False, color: bool = False) -> str:
    """Findings grouped by file, one ``file:line:col: status code url → target`` line each.

    Args:
        report: The report.
        show_all: Also list ``ok``, ``cached`` and ``excluded`` results.
        color: Colour the statuses with ANSI codes (for a terminal).

    Returns:
        The lines, a blank line between files, then the summary line.
    """
    lines: list[str] = []
    last_file = None
    for path, line, col, r in _rows(report, show_all):
        if last_file is not None and path != last_file:
            lines.append("")
        last_file = path
        status = r.status.value
        if color:
            status = f"\x1b[{'1;' if r.status in report.fail_on else ''}{_COLORS[r.status]}m{status}\x1b[0m"
        lines.append(f"{path}:{line}:{col}: {status} {_describe(r, gap='  ')}")
    if lines:
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines)


def report_to_dict(report: LinkReport) -> dict[str, Any]:
    """The JSON report as plain data (see ``docs/linkcheck.md``)."""
    return {
        "version": JSON_VERSION,
        "summary": {
            "urls": len(report.results),
            "places": sum(len(r.places) for r in report.results),
            "failing": len(report.failures),
            "elapsed": round(report.elapsed, 3),
            "statuses": report.counts(),
        },
        "fail_on": sorted(s.value for s in report.fail_on),
        "skipped": [{"file": f, "reason": why} for f, why in report.skipped],
        "results": [
            {
                "url": r.url,
                "status": r.status.value,
                "failing": r.status in report.fail_on,
                "code": r.code,
                "final_url": r.final_url,
                "new_url": r.new_url,
                "redirects": [{"code": c, "url": u} for c, u in r.redirects],
                "method": r.method,
                "attempts": r.attempts,
                "elapsed": round(r.elapsed, 3),
                "error": r.error,
                "checked_at": r.checked_at,
                "places": [
                    {"file": p.path, "line": p.line, "column": p.column, "text": p.text, "element": p.element}
                    for p in sorted(r.places, key=lambda p: (p.path, p.line, p.column))
                ],
            }
            for r in report.results
        ],
    }


def render_json(report: LinkReport) -> str:
    """The JSON report (schema in ``docs/linkcheck.md``), indented, keys in a fixed order."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: LinkReport, *, show_all: bool = False) -> str:
    """GitHub workflow commands: ``::error`` for failing results, ``::warning`` for others.

    One annotation per place (``file``, ``line``, ``col``); the summary line last.

    >>> from kmgraph.records import RawLink, LinkKind
    >>> place = RawLink("https://a.org/x", "docs/a.md", 3, 5, "", LinkKind.ABSOLUTE)
    >>> print(render_github(LinkReport.build([LinkResult("https://a.org/x", Status.BROKEN, 404,
    ...       error="HTTP 404", places=(place,))])).splitlines()[0])
    ::error file=docs/a.md,line=3,col=5,title=kmgraph links%3A broken::broken 404 https://a.org/x (HTTP 404)
    """
    lines = []
    for path, line, col, r in _rows(report, show_all):
        level = "error" if r.status in report.fail_on else ("notice" if r.status in QUIET else "warning")
        message = f"{r.status.value} {_describe(r)}"
        props = [] if path.startswith("<") else [f"file={_escape_property(path)}", f"line={line}", f"col={col}"]
        props.append(f"title={_escape_property(f'kmgraph links: {r.status.value}')}")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    lines.append(summary_line(report))
    return "\n".join(lines)


