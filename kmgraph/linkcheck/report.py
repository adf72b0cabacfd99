"""A link check's report and its renderings.

Text for people, JSON (a stable contract, documented in ``docs/linkcheck.md``), GitHub
workflow annotations, JUnit XML (one test case per URL), SARIF 2.1.0 (code scanning) and
Markdown (a GitHub job summary). Renderings are deterministic for the same results:
results sorted by URL, places by file, line, column. :func:`write_report` writes one
atomically.

A result taken from the cache has the status ``cached`` and keeps the earlier verdict
(:attr:`~kmgraph.linkcheck.status.LinkResult.cached_status`); it fails the run when that
verdict is in ``fail_on``, and is reported under it (SARIF rule, JUnit failure type).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from kmgraph import __version__
from kmgraph.errors import InputError
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, LinkResult, Status

__all__ = [
    "FORMATS",
    "JSON_VERSION",
    "SARIF_SCHEMA",
    "LinkReport",
    "render",
    "render_github",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "render_text",
    "report_to_dict",
    "sarif_to_dict",
    "summary_line",
    "write_report",
]

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

    def failing(self, result: LinkResult) -> bool:
        """True when ``result`` fails the run: its status, or for a cached result the
        earlier verdict, is in :attr:`fail_on`."""
        return result.status in self.fail_on or result.verdict in self.fail_on

    @property
    def failures(self) -> tuple[LinkResult, ...]:
        """The results that fail the run (see :meth:`failing`)."""
        return tuple(r for r in self.results if self.failing(r))

    @property
    def failed(self) -> bool:
        """True when some result has a failing status."""
        return bool(self.failures)


def _reason(r: LinkResult) -> str | None:
    """The reason in parentheses: the error, and for a cached result the earlier verdict."""
    if r.status is Status.CACHED and r.cached_status is not None:
        when = f" at {r.checked_at}" if r.checked_at else ""
        return f"{r.cached_status.value}{when}" + (f": {r.error}" if r.error else "")
    return r.error


def _describe(r: LinkResult, gap: str = " ") -> str:
    """``code url → target (error)``: the part of a result line every report shares."""
    text = f"{r.code if r.code is not None else '-'} {r.url}"
    target = _target(r)
    if target:
        text += f" → {target}"
    reason = _reason(r)
    if reason:
        text += f"{gap}({reason})"
    return text


def _target(r: LinkResult) -> str | None:
    if r.verdict is Status.REDIRECTED:
        return r.new_url
    if r.final_url and r.final_url != r.url:
        return r.final_url
    return None


def _rows(report: LinkReport, show_all: bool) -> list[tuple[str, int, int, LinkResult]]:
    rows = [
        (place.path, place.line, place.column, r)
        for r in report.results
        if show_all or r.status not in QUIET or report.failing(r)
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
            status = f"\x1b[{'1;' if report.failing(r) else ''}{_COLORS[r.verdict]}m{status}\x1b[0m"
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
                "cached_status": r.cached_status.value if r.cached_status is not None else None,
                "failing": report.failing(r),
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
        level = "error" if report.failing(r) else ("notice" if r.verdict in QUIET else "warning")
        message = f"{r.status.value} {_describe(r)}"
        props = [] if path.startswith("<") else [f"file={_escape_property(path)}", f"line={line}", f"col={col}"]
        props.append(f"title={_escape_property(f'kmgraph links: {r.status.value}')}")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    lines.append(summary_line(report))
    return "\n".join(lines)




# JUnit XML -----------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can carry (control characters other than tab and newlines dropped)."""
    return _XML_BAD.sub("", text)


def _where(r: LinkResult) -> list[str]:
    return [f"{p.path}:{p.line}:{p.column}" for p in sorted(r.places, key=lambda p: (p.path, p.line, p.column))]


def render_junit(report: LinkReport, *, name: str = "kmgraph links check") -> str:
    """JUnit XML: one test case per URL, as CI servers (Jenkins, GitLab) read it.

    A failing result is a ``<failure>`` whose ``type`` is the status (the earlier verdict
    for a cached result) and whose text lists ``file:line:col`` for every place;
    ``excluded`` and ``unsupported`` results are ``<skipped>``; other results pass, with a
    ``<system-out>`` line when there is something to say (a redirect, a bot wall, a
    cached answer). Documents that could not be read are skipped test cases too. The
    test case's ``classname`` is ``kmgraph.links.<status>``, so CI servers group by status.

    >>> from kmgraph.linkcheck.status import LinkResult, Status
    >>> xml = render_junit(LinkReport.build([LinkResult("https://a.org/", Status.OK, 200)]))
    >>> '<testcase name="https://a.org/" classname="kmgraph.links.ok" time="0.000" />' in xml
    True
    """
    cases = []
    failures = skipped = 0
    for r in report.results:
        case = ET.Element(
            "testcase", {"name": _xml(r.url), "classname": f"kmgraph.links.{r.status.value}", "time": f"{r.elapsed:.3f}"}
        )
        line = f"{r.verdict.value} {_describe(r)}"
        if report.failing(r):
            failures += 1
            failure = ET.SubElement(case, "failure", {"type": r.verdict.value, "message": _xml(line)})
            failure.text = _xml("\n".join(f"{w}: {line}" for w in _where(r)) or line)
        elif r.verdict in (Status.EXCLUDED, Status.UNSUPPORTED):
            skipped += 1
            ET.SubElement(case, "skipped", {"message": _xml(line)})
        elif r.verdict is not Status.OK or r.status is Status.CACHED or r.error:
            out = ET.SubElement(case, "system-out")
            out.text = _xml("\n".join([line, *_where(r)]))
        cases.append(case)
    for path, reason in report.skipped:
        case = ET.Element("testcase", {"name": _xml(path), "classname": "kmgraph.links.documents", "time": "0.000"})
        ET.SubElement(case, "skipped", {"message": _xml(f"not read: {reason}")})
        skipped += 1
        cases.append(case)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    elapsed = f"{report.elapsed:.3f}"
    root = ET.Element("testsuites", {"name": "kmgraph", **counts, "time": elapsed})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts, "skipped": str(skipped), "time": elapsed})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "fail_on", "value": ",".join(sorted(s.value for s in report.fail_on))})
    ET.SubElement(props, "property", {"name": "kmgraph_version", "value": __version__})
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# SARIF 2.1.0 ---------------------------------------------------------------------------

#: The SARIF version written, and its schema.
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_RULES: dict[Status, tuple[str, str, str]] = {
    Status.OK: ("LinkOk", "The link works.", "The target answered with an accepted status."),
    Status.REDIRECTED: (
        "LinkMovedPermanently",
        "The link moved for good.",
        "The target answered with a permanent redirect (301 or 308): write the new URL instead.",
    ),
    Status.BROKEN: (
        "LinkBroken",
        "The link is broken.",
        "The target is gone (404, 410, other 4xx, 5xx after retries), a redirect loop, a missing file or "
        "anchor, a DOI the resolver does not know, or a malformed mailto: address.",
    ),
    Status.BLOCKED: (
        "LinkBlocked",
        "The site refuses robots.",
        "The target answered 401, 403, 451, 999 or a bot challenge: it is probably alive but cannot be "
        "checked automatically. Check it in a browser.",
    ),
    Status.RATE_LIMITED: (
        "LinkRateLimited",
        "The site limited the rate of requests.",
        "The target answered 429 after the retries, or asked to wait longer than the cap allows.",
    ),
    Status.TIMEOUT: (
        "LinkTimeout",
        "The link timed out.",
        "No answer in time (connect or read timeout, the URL's budget or the run's --max-time).",
    ),
    Status.NETWORK_ERROR: (
        "LinkNetworkError",
        "The host cannot be reached.",
        "DNS failure, connection refused or reset, or a TLS failure.",
    ),
    Status.SOFT_404: (
        "LinkSoft404",
        "The page says it is not there.",
        "The target answered 200 with a page whose title or text says it was not found.",
    ),
    Status.EXCLUDED: (
        "LinkExcluded",
        "The link was not checked on purpose.",
        "An --exclude or --include pattern, an ignore file, an address that is never requested, "
        "or --offline without a cached answer.",
    ),
    Status.UNSUPPORTED: ("LinkUnsupported", "The link cannot be checked.", "A scheme or form kmgraph does not check."),
    Status.PLACEHOLDER: (
        "LinkPlaceholder",
        "The link is a placeholder.",
        "An empty link, '#' or 'javascript:': a link nobody filled in.",
    ),
    Status.CACHED: ("LinkCached", "The answer came from the cache.", "A result taken from an earlier run's cache."),
}


def _artifact(path: str) -> dict[str, Any]:
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    if PurePosixPath(posix).is_absolute() or re.match(r"^[A-Za-z]:/", posix):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix, safe="/"), "uriBaseId": "%SRCROOT%"}


def sarif_to_dict(report: LinkReport, *, show_all: bool = False) -> dict[str, Any]:
    """The SARIF 2.1.0 log as plain data (see :func:`render_sarif`)."""
    statuses = list(Status)
    rules = []
    for status in statuses:
        name, short, full = _RULES[status]
        rules.append(
            {
                "id": status.value,
                "name": name,
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "help": {"text": full},
                "defaultConfiguration": {"level": "error" if status in report.fail_on else "warning"},
                "properties": {"tags": ["links"]},
            }
        )
    results = []
    seen: dict[tuple[str, str, str], int] = {}
    for path, line, col, r in _rows(report, show_all):
        level = "error" if report.failing(r) else ("note" if r.verdict in QUIET else "warning")
        verdict = r.verdict
        result: dict[str, Any] = {
            "ruleId": verdict.value,
            "ruleIndex": statuses.index(verdict),
            "level": level,
            "message": {"text": f"{verdict.value}: {_describe(r)}"},
        }
        if not path.startswith("<"):
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(path),
                        "region": {"startLine": max(line, 1), "startColumn": max(col, 1)},
                    }
                }
            ]
            key = (verdict.value, r.url, path)
            nth = seen.get(key, 0)
            seen[key] = nth + 1
            digest = hashlib.sha256("\x1f".join([*key, str(nth)]).encode("utf-8")).hexdigest()[:32]
            result["partialFingerprints"] = {"kmgraphLink/v1": digest}
        props: dict[str, Any] = {"url": r.url, "status": r.status.value}
        if r.code is not None:
            props["code"] = r.code
        if r.status is Status.CACHED:
            props["cachedStatus"] = verdict.value
            props["checkedAt"] = r.checked_at
        if r.verdict is Status.REDIRECTED and r.new_url:
            props["newUrl"] = r.new_url
        result["properties"] = props
        results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.skipped:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {"text": f"not read: {reason}"},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(path)}}],
            }
            for path, reason in report.skipped
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kmgraph",
                        "fullName": "kmgraph links check",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/kmgraph/kmgraph",
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(report: LinkReport, *, show_all: bool = False) -> str:
    """A SARIF 2.1.0 log for code scanning (GitHub, GitLab, Azure DevOps).

    One rule per status (the rule ``id`` is the status; a rule's default level is
    ``error`` for the statuses in ``fail_on``). One result per place of each finding, as
    in the text report (``show_all`` adds ``ok``, ``cached`` and ``excluded`` ones as
    ``note``): ``level`` ``error`` when it fails the run, else ``warning``; a
    ``physicalLocation`` with ``startLine`` and ``startColumn`` (columns in Unicode code
    points); ``partialFingerprints`` that survive lines moving; and the URL, status,
    code and new URL in ``properties``. Documents that could not be read are
    tool-execution notifications.
    """
    return json.dumps(sarif_to_dict(report, show_all=show_all), ensure_ascii=False, indent=2)


# Markdown ------------------------------------------------------------------------------

#: Rows of each Markdown table before the rest is summarised in one line.
MARKDOWN_MAX_ROWS = 500


def _cell(text: str) -> str:
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def _md_url(url: str) -> str:
    if re.fullmatch(r"https?://[^\s<>`|]+", url):
        return f"<{url}>"
    return _cell(url) or "(empty)"


def _md_table(report: LinkReport, rows: list[tuple[str, int, int, LinkResult]]) -> list[str]:
    lines = ["| where | status | code | URL | details |", "|:--|:--|--:|:--|:--|"]
    for path, line, col, r in rows[:MARKDOWN_MAX_ROWS]:
        details = []
        target = _target(r)
        if target:
            details.append(f"→ {_md_url(target)}")
        reason = _reason(r)
        if reason:
            details.append(_cell(reason))
        status = r.verdict.value + (" (cached)" if r.status is Status.CACHED else "")
        code = str(r.code) if r.code is not None else "–"
        lines.append(f"| {_cell(f'{path}:{line}:{col}')} | {status} | {code} | {_md_url(r.url)} | {' '.join(details)} |")
    if len(rows) > MARKDOWN_MAX_ROWS:
        lines.append("")
        lines.append(f"… and {len(rows) - MARKDOWN_MAX_ROWS} more (see the JSON or SARIF report).")
    return lines


def render_markdown(report: LinkReport, *, title: str = "kmgraph links check") -> str:
    """Markdown for a GitHub job summary (``>> $GITHUB_STEP_SUMMARY``).

    A headline, a table of counts per status, a table of the failing places
    (``file:line:col``, status, code, URL, details), the other findings in a folded
    ``<details>`` block, and the documents that could not be read. Each table stops after
    :data:`MARKDOWN_MAX_ROWS` rows (a job summary holds at most 1 MiB).

    >>> from kmgraph.linkcheck.status import LinkResult, Status
    >>> print(render_markdown(LinkReport.build([LinkResult("https://a.org/", Status.OK, 200)])).splitlines()[2])
    **No failing links**: 1 URL checked in 0.0 s.
    """
    n = len(report.results)
    failing = report.failures
    lines = [f"## {title}", ""]
    if failing:
        lines.append(f"**{len(failing)} failing** of {n} URL{'s' if n != 1 else ''}, checked in {report.elapsed:.1f} s.")
    else:
        lines.append(f"**No failing links**: {n} URL{'s' if n != 1 else ''} checked in {report.elapsed:.1f} s.")
    lines += ["", "| status | URLs |", "|:--|--:|"]
    for status, count in report.counts().items():
        if count:
            mark = " (failing)" if Status(status) in report.fail_on else ""
            lines.append(f"| {status}{mark} | {count} |")
    rows = _rows(report, False)
    bad = [row for row in rows if report.failing(row[3])]
    other = [row for row in rows if not report.failing(row[3])]
    if bad:
        lines += ["", f"### Failing links ({len(bad)} place{'s' if len(bad) != 1 else ''})", ""]
        lines += _md_table(report, bad)
    if other:
        lines += ["", f"<details><summary>Other findings ({len(other)} place{'s' if len(other) != 1 else ''})</summary>", ""]
        lines += _md_table(report, other)
        lines += ["", "</details>"]
    if report.skipped:
        lines += ["", "### Documents not read", ""]
        lines += [f"- {_cell(path)}: {_cell(reason)}" for path, reason in report.skipped]
    return "\n".join(lines)


# Dispatch and files --------------------------------------------------------------------

#: The report formats by name: each takes the report and ``show_all``.
FORMATS: dict[str, Callable[[LinkReport, bool], str]] = {
    "text": lambda rep, show_all: render_text(rep, show_all=show_all),
    "json": lambda rep, show_all: render_json(rep),
    "github": lambda rep, show_all: render_github(rep, show_all=show_all),
    "junit": lambda rep, show_all: render_junit(rep),
    "sarif": lambda rep, show_all: render_sarif(rep, show_all=show_all),
    "markdown": lambda rep, show_all: render_markdown(rep),
}


def render(report: LinkReport, fmt: str, *, show_all: bool = False) -> str:
    """The report in one of :data:`FORMATS` (text without colour).

    Raises:
        ValueError: An unknown format.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})") from None
    return renderer(report, show_all)


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Write a report file atomically (a temporary file in the same folder, fsync, rename).

    The text gets a final newline. A reader never sees half a report, and a failed write
    leaves the old file as it was.

    Raises:
        InputError: The file cannot be written (its folder is missing, no permission).
    """
    from kmgraph.atomic import write_atomically

    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=os.fspath(path)) from None
