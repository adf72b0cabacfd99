"""Rewrite permanent redirects in the BibTeX store (``kmgraph links fix``).

A link whose check says ``redirected`` (the first hop a 301 or 308, the end accepted) has
moved for good: the store should name the new place. :func:`fix_store` checks the
store's links (or takes the results of an earlier check, e.g. a JSON report read by
:func:`load_report`), finds every place a redirected URL is written in the store and
rewrites it to :attr:`~kmgraph.linkcheck.status.LinkResult.new_url`:

- where: the ``url`` field, URLs in ``howpublished``, and ``\\url{…}`` / ``\\href{…}{…}``
  in any field: the places ``kmgraph links check --store`` reads. ``doi`` and
  ``kmgraph-*`` fields are never touched (``kmgraph-raw`` is provenance and the key of
  exact matching).
- what is not rewritten, and reported instead: temporary redirects (302, 303, 307), a
  redirect that ends broken or loops, a DOI (a DOI that resolves is never replaced by the
  publisher URL it points to), a redirect to a non-http(s) URL, a redirected URL written
  only in documents outside the store, a value kmgraph cannot edit in place (a
  ``@string`` name, a ``#`` concatenation).
- the new URL keeps the old one's ``#fragment`` when the redirect gives none (as a
  browser does), and ``{``, ``}``, ``\\``, ``"`` and white space are percent-encoded so the
  value stays plain BibTeX.

How the files are written: under the store's lock (:meth:`Store.locked`, so an ingest
running at the same time cannot lose the fix, and the store is read again once the lock
is held), through :meth:`Store.edit_field` and :meth:`Store.save`: atomically, only the
characters of each rewritten value change; comments, ``@string`` blocks, malformed blocks,
the layout and field order of every entry (the edited one included) stay byte for byte.

The three-way merge: a rewrite counts as a librarian's edit. ``kmgraph-state.json`` keeps
what kmgraph generated (the old URL, which the source documents still cite), so the next
ingest sees the store's value differ from its base and keeps it (listing the field among
"hand edits kept") instead of reverting it. Recording the new URL as the base instead
would make the next ingest, whose documents still carry the old URL, put the old URL back.
When the documents are corrected too, the generated value equals the store's and the
field stops being reported.

>>> from kmgraph.linkcheck.status import LinkResult, Status
>>> moved = LinkResult("http://a.example/old#s", Status.REDIRECTED, 200, "http://a.example/new",
...                    ((301, "http://a.example/new"),))
>>> rewrite_target(moved)
'http://a.example/new#s'
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from kmgraph.errors import InputError, MalformedInput, StoreError
from kmgraph.ingest.urls import classify_link, find_bare_urls
from kmgraph.linkcheck.collect import doi_of, request_for
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.report import JSON_VERSION, LinkReport
from kmgraph.linkcheck.status import PERMANENT_REDIRECTS, LinkResult, Status
from kmgraph.records import RawLink

__all__ = [
    "FIX_JSON_VERSION",
    "FixReport",
    "NotRewritten",
    "Rewrite",
    "fix_store",
    "fix_summary",
    "fix_to_dict",
    "load_report",
    "render_fix_json",
    "render_fix_text",
    "rewrite_target",
    "store_urls",
]

#: Version of the ``links fix --format json`` schema.
FIX_JSON_VERSION = 1

#: Redirect codes that are reported but never rewritten.
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})

_HREF = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{[^{}]*\}")
_URL = re.compile(r"\\url\s*\{([^{}]*)\}")
_RESULT_FIELDS = frozenset(f.name for f in fields(LinkResult))
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_UNSAFE = {"{": "%7B", "}": "%7D", "\\": "%5C", '"': "%22", " ": "%20", "\t": "%09", "\n": "%0A", "\r": "%0D"}


@dataclass(frozen=True)
class Rewrite:
    """One field of one entry whose URL was (or, in a dry run, would be) rewritten.

    Attributes:
        key: The entry's key.
        field: The field's name as written in the file.
        old: The URL as it was written.
        new: The URL written instead.
        file: The ``.bib`` file (as a path under the store folder given).
        line: 1-based line of the field in the file (before the fix).
        code: The first redirect's code (301 or 308).
    """

    key: str
    field: str
    old: str
    new: str
    file: str
    line: int
    code: int


@dataclass(frozen=True)
class NotRewritten:
    """A redirect that was left as it is, and why.

    Attributes:
        url: The URL checked.
        status: Its status.
        reason: Why it was not rewritten, for people.
        target: Where it leads (the new URL or the end of the redirects), if known.
        places: Where it is written, as ``file:line:col``.
    """

    url: str
    status: Status
    reason: str
    target: str | None = None
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class FixReport:
    """What :func:`fix_store` did.

    Attributes:
        store: The store folder.
        rewrites: Every field rewritten, in file, line order.
        not_rewritten: Redirects left as they are, sorted by URL.
        diff: A unified diff of the ``.bib`` files (``a/`` and ``b/`` prefixes, ``patch -p1``).
        written: The files written (nothing in a dry run).
        dry_run: True when nothing was written.
        check: The check the fix is based on.
    """

    store: str
    rewrites: tuple[Rewrite, ...]
    not_rewritten: tuple[NotRewritten, ...]
    diff: str
    written: tuple[str, ...]
    dry_run: bool
    check: LinkReport

    @property
    def fixed_urls(self) -> frozenset[str]:
        """The checked URLs that no longer appear in the store (all their places rewritten)."""
        if self.dry_run:
            return frozenset()
        left = {n.url for n in self.not_rewritten}
        return frozenset(r.url for r in self.check.results if _verdict(r) is Status.REDIRECTED) - left

    @property
    def failures(self) -> tuple[LinkResult, ...]:
        """Results with a status in the check's ``fail_on`` that the fix did not settle."""
        fixed = self.fixed_urls
        return tuple(r for r in self.check.failures if r.url not in fixed)

    @property
    def failed(self) -> bool:
        """True when some link still has a failing status."""
        return bool(self.failures)


def rewrite_target(result: LinkResult) -> str | None:
    """The URL to write instead of ``result.url``, or None when it must stay.

    Only a :attr:`Status.REDIRECTED` result whose URL is not a DOI, with an http(s)
    target that differs from the URL. The old URL's ``#fragment`` is kept when the target
    has none.
    """
    if _verdict(result) is not Status.REDIRECTED or _is_doi(result.url):
        return None
    new = result.new_url
    if not new:
        return None
    try:
        parts = urlsplit(new)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    old_fragment = result.url.partition("#")[2]
    if old_fragment and "#" not in new:
        new = f"{new}#{old_fragment}"
    return None if new == result.url else new


def _verdict(result: LinkResult) -> Status:
    """The status that counts (a cached result's earlier verdict, where the checker has a cache)."""
    return getattr(result, "verdict", result.status)


def _is_doi(url: str) -> bool:
    """A DOI link: ``doi:…`` or any URL on the DOI resolver's host."""
    if doi_of(url):
        return True
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in _DOI_HOSTS


def _bibtex_safe(url: str) -> str:
    return "".join(_UNSAFE.get(ch, ch) for ch in url)


def _why_not(result: LinkResult) -> tuple[str, str | None] | None:
    """Why a result with redirects is not rewritten, or None when it is not worth a word."""
    verdict = _verdict(result)
    if verdict is Status.REDIRECTED:
        if _is_doi(result.url):
            return "a DOI is never rewritten", result.new_url
        target = result.new_url
        if not target:
            return "a permanent redirect without a target to write", None
        if not re.match(r"(?i)https?://", target):
            return "the redirect leads to a URL that is not http(s)", target
        return "the redirect leads back to the same URL", target
    if not result.redirects:
        return None
    first = result.redirects[0][0]
    end = result.final_url
    if verdict is Status.OK and first in TEMPORARY_REDIRECTS:
        return f"temporary redirect ({first}): the link stays", end
    if verdict is Status.OK:
        return f"redirect ({first}) is not permanent: the link stays", end
    why = result.error or verdict.value
    kind = "permanent" if first in PERMANENT_REDIRECTS else "temporary"
    return f"{kind} redirect ({first}) that ends {verdict.value}: {why}", end


def _places(result: LinkResult) -> tuple[str, ...]:
    return tuple(f"{p.path}:{p.line}:{p.column}" for p in sorted(result.places, key=lambda p: (p.path, p.line, p.column)))


# --------------------------------------------------------------------------- the store's URLs


def _spans(name: str, value: str) -> list[tuple[int, int]]:
    """``(begin, end)`` of each URL written in a field value, as ``links check`` reads it."""
    found: list[tuple[int, int]] = []

    def add(begin: int, end: int) -> None:
        text = value[begin:end]
        begin += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        if end > begin and not any(b < end and begin < e for b, e in found):
            found.append((begin, end))

    for m in _HREF.finditer(value):
        add(*m.span(1))
    for m in _URL.finditer(value):
        add(*m.span(1))
    if name == "url":
        add(0, len(value))
    elif name == "howpublished":
        for offset, url in find_bare_urls(value):
            add(offset, offset + len(url))
    return sorted(found)


def _normal(url: str, path: str) -> str:
    return request_for(RawLink(url, path, 1, 1, "", classify_link(url), "bibtex")).url


def store_urls(store: Any) -> list[tuple[str, Any, Any, list[tuple[int, int, str]]]]:
    """Every field of the store that holds URLs: ``(file, entry, field, [(begin, end, url)])``.

    ``url`` is the URL as ``kmgraph links check`` names it (``www.…`` gets ``https://``,
    DOIs become ``https://doi.org/…``), so it can be matched against a check's results.
    """
    out = []
    for path, entry in store.entries_by_file():
        for field in entry.fields:
            name = field.key.lower()
            if name == "doi" or name.startswith("kmgraph-") or not isinstance(field.value, str):
                continue
            value = field.value
            spans = [(b, e, _normal(value[b:e], path.as_posix())) for b, e in _spans(name, value)]
            if spans:
                out.append((path.as_posix(), entry, field, spans))
    return out


# --------------------------------------------------------------------------- reading a report


def _fail(path: str, message: str, line: int | None = None) -> MalformedInput:
    return MalformedInput(f"not a `kmgraph links check --format json` report: {message}", path=path, line=line)


def load_report(source: str | os.PathLike[str] | IO[str]) -> LinkReport:
    """Read a report written by ``kmgraph links check --format json`` (schema version 1).

    Args:
        source: The file's path, ``-`` for standard input, or an open text stream.

    Returns:
        The report: its results (URL, status, code, redirects, final URL, error, places),
        ``fail_on`` and ``skipped``.

    Raises:
        InputError: The file cannot be read (exit code 3).
        MalformedInput: Not JSON, another schema version, or a result without the keys
            the fix needs (the message names the file, and the line for bad JSON).
    """
    if hasattr(source, "read"):
        name = getattr(source, "name", "<stdin>")
        text = source.read()  # type: ignore[union-attr]
    elif str(source) == "-":
        name, text = "<stdin>", sys.stdin.read()
    else:
        name = os.fspath(source)  # type: ignore[arg-type]
        try:
            text = Path(name).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise InputError("report not found", path=name) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=name) from exc
        except UnicodeDecodeError as exc:
            raise _fail(name, f"not UTF-8 ({exc.reason})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail(name, str(getattr(exc, "msg", exc)), getattr(exc, "lineno", None)) from exc
    if not isinstance(data, dict) or "results" not in data:
        raise _fail(name, 'no "results"')
    if data.get("version") != JSON_VERSION:
        raise _fail(name, f"schema version {data.get('version')!r}; this kmgraph reads version {JSON_VERSION}")
    results = []
    for i, item in enumerate(data["results"]):
        try:
            url = item["url"]
            status = Status(item["status"])
            redirects = tuple((int(h["code"]), str(h["url"])) for h in item.get("redirects") or ())
            places = tuple(
                RawLink(url, str(p["file"]), int(p["line"]), int(p["column"]), str(p.get("text", "")),
                        classify_link(url), str(p.get("element", "a")))
                for p in item.get("places") or ()
            )
            code = item.get("code")
            extra: dict[str, Any] = {}
            if item.get("cached_status") and "cached_status" in _RESULT_FIELDS:
                extra["cached_status"] = Status(item["cached_status"])
            results.append(
                LinkResult(
                    url=str(url),
                    status=status,
                    code=int(code) if code is not None else None,
                    final_url=item.get("final_url"),
                    redirects=redirects,
                    elapsed=float(item.get("elapsed") or 0.0),
                    error=item.get("error"),
                    checked_at=str(item.get("checked_at") or ""),
                    places=places,
                    method=item.get("method"),
                    attempts=int(item.get("attempts") or 0),
                    **extra,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _fail(name, f"result {i + 1} is incomplete ({type(exc).__name__}: {exc})") from exc
    try:
        fail_on = frozenset(Status(s) for s in data.get("fail_on", ()))
        skipped = tuple((str(s["file"]), str(s["reason"])) for s in data.get("skipped") or ())
        elapsed = float((data.get("summary") or {}).get("elapsed") or 0.0)
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(name, f"bad \"fail_on\", \"skipped\" or \"summary\" ({exc})") from exc
    return LinkReport.build(results, skipped=skipped, fail_on=fail_on, elapsed=elapsed)


# --------------------------------------------------------------------------- fixing


def _check(store_path: str, config: CheckConfig, progress: Any) -> LinkReport:
    from kmgraph.linkcheck.check import check_links
    from kmgraph.linkcheck.collect import collect_links

    started = time.monotonic()
    collection = collect_links((), store=store_path)
    results = check_links(collection.requests, config, progress=progress)
    return LinkReport.build(
        results, skipped=collection.skipped, fail_on=config.fail_on, elapsed=time.monotonic() - started
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read: {exc}", path=str(path)) from exc


def _range(start: int, stop: int) -> str:
    """A unified diff's line range (as :mod:`difflib` writes it)."""
    first, length = start + 1, stop - start
    if length == 1:
        return str(first)
    return f"{first - 1 if not length else first},{length}"


def _hunks(before: list[str], after: list[str], context: int = 3) -> Iterator[str]:
    """Unified diff hunks of two texts with the same number of lines, in linear time.

    A rewrite replaces a URL inside one line, so the lines stay paired; difflib's
    matcher would take quadratic time on a large store. Gives the same text as
    :func:`difflib.unified_diff` for such inputs.
    """
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    groups: list[list[int]] = []
    for i in changed:
        if groups and i - groups[-1][-1] - 1 <= 2 * context:  # as difflib: split past 2n equal lines
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        lo, hi = max(0, group[0] - context), min(len(before), group[-1] + 1 + context)
        yield f"@@ -{_range(lo, hi)} +{_range(lo, hi)} @@\n"
        i = lo
        while i < hi:
            if before[i] == after[i]:
                yield " " + before[i]
                i += 1
                continue
            j = i
            while j < hi and before[j] != after[j]:
                j += 1
            yield from ("-" + line for line in before[i:j])
            yield from ("+" + line for line in after[i:j])
            i = j


def _diff(store: Any, files: Sequence[Path]) -> str:
    chunks: list[str] = []
    for path in files:
        before = _read_text(path).splitlines(keepends=True)
        after = store.render(path.name).splitlines(keepends=True)
        if before == after:
            continue
        name = path.as_posix()
        if len(before) == len(after):
            chunks += [f"--- a/{name}\n", f"+++ b/{name}\n", *_hunks(before, after)]
        else:  # not from a rewrite (an edit made through the store in the same session)
            chunks += difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def _store_files(store: Any) -> set[Path]:
    files = set()
    for path in store.files:
        with contextlib.suppress(OSError):
            files.add(Path(path).resolve())
    return files


def _in_store(place: RawLink, files: set[Path]) -> bool:
    try:
        return Path(place.path).resolve() in files
    except OSError:
        return False


def _elsewhere(result: LinkResult, files: set[Path]) -> str:
    """Why a redirected URL was found in no field kmgraph rewrites."""
    if any(_in_store(place, files) for place in result.places):
        return "written in the store where kmgraph does not rewrite it (a @string, or a field it does not read)"
    return "not written in the store (a document's link): fix it where it is"


def _apply(
    store: Any, results: Sequence[LinkResult]
) -> tuple[list[Rewrite], list[NotRewritten], list[Path]]:
    targets = {r.url: (r, new) for r in results if (new := rewrite_target(r))}
    by_url = {r.url: r for r in results}
    rewrites: list[Rewrite] = []
    refused: dict[str, list[str]] = {}
    seen_in_store: set[str] = set()
    touched: list[Path] = []
    for file, entry, field, spans in store_urls(store):
        hits = [(b, e, u) for b, e, u in spans if u in targets]
        seen_in_store.update(u for _, _, u in spans)
        if not hits:
            continue
        value = field.value
        new_value = value
        for begin, end, url in reversed(hits):
            new_value = new_value[:begin] + _bibtex_safe(targets[url][1]) + new_value[end:]
        line = (field.start_line + 1) if field.start_line is not None else (entry.start_line or 0) + 1
        try:
            path = store.edit_field(entry.key, field.key, new_value)
        except StoreError as exc:
            for _, _, url in hits:
                refused.setdefault(url, []).append(f"{file}:{line}: {exc.message}")
            continue
        if path not in touched:
            touched.append(path)
        for begin, end, url in hits:
            result = targets[url][0]
            rewrites.append(
                Rewrite(entry.key, field.key, value[begin:end], _bibtex_safe(targets[url][1]), file, line,
                        result.redirects[0][0])
            )
    left: list[NotRewritten] = []
    files = _store_files(store)
    for url, (result, new) in sorted(targets.items()):
        verdict = _verdict(result)
        if url in refused:
            left.append(NotRewritten(url, verdict, "; ".join(refused[url]), new, _places(result)))
        elif url not in seen_in_store:
            left.append(NotRewritten(url, verdict, _elsewhere(result, files), new, _places(result)))
        else:
            outside = tuple(p for p in result.places if not _in_store(p, files))
            if outside:
                reason = "rewritten in the store, but also written outside it: fix it there"
                left.append(NotRewritten(url, verdict, reason, new, _places(replace(result, places=outside))))
    for url, result in sorted(by_url.items()):
        if url in targets:
            continue
        why = _why_not(result)
        if why is not None:
            left.append(NotRewritten(url, _verdict(result), why[0], why[1], _places(result)))
    rewrites.sort(key=lambda r: (r.file, r.line, r.key, r.field, r.old))
    left.sort(key=lambda n: n.url)
    return rewrites, left, touched


def fix_store(
    store: str | os.PathLike[str],
    *,
    report: LinkReport | None = None,
    config: CheckConfig | None = None,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    progress: Any = None,
) -> FixReport:
    """Rewrite the permanent redirects of a store's links to their new URLs.

    The check (when ``report`` is None) runs before the store is locked, so the lock is
    held only while the files are read again, patched and written.

    Args:
        store: The store folder.
        report: Results of an earlier check (e.g. :func:`load_report`); None checks the
            store's links now with ``config``.
        config: The check's settings (library defaults when None).
        dry_run: Compute the rewrites and the diff; write nothing and take no lock.
        lock_timeout: Seconds to wait for another process that holds the store (the
            store's default when None).
        progress: Called with each result of the check as it is reached.

    Returns:
        A :class:`FixReport`.

    Raises:
        StoreNotFound: No store at ``store``.
        StoreError: The store cannot be read or written, or is locked by another process
            beyond ``lock_timeout`` (nothing is written then).
    """
    from kmgraph.references.store import LOCK_TIMEOUT, Store

    folder = os.fspath(store)
    opened = Store.open(folder)  # a missing store fails before any request is made
    check = report if report is not None else _check(folder, config or CheckConfig(), progress)
    with contextlib.ExitStack() as stack:
        if not dry_run:
            try:
                stack.enter_context(opened.locked(LOCK_TIMEOUT if lock_timeout is None else lock_timeout))
            except StoreError as exc:
                raise StoreError(f"{exc.message}; nothing was written", path=exc.path) from exc
        rewrites, left, touched = _apply(opened, check.results)
        diff = _diff(opened, touched)
        written = [] if dry_run else opened.save()
    return FixReport(
        store=folder,
        rewrites=tuple(rewrites),
        not_rewritten=tuple(left),
        diff=diff,
        written=tuple(Path(p).as_posix() for p in written),
        dry_run=dry_run,
        check=check,
    )


# --------------------------------------------------------------------------- rendering


def fix_summary(fix: FixReport) -> str:
    """One line: rewrites, files, redirects left, failing links.

    >>> fix_summary(FixReport("refs", (), (), "", (), True, LinkReport.build([])))
    'would rewrite 0 URLs in 0 files; 0 redirects not rewritten; 0 failing'
    """
    files = len({r.file for r in fix.rewrites})
    verb = "would rewrite" if fix.dry_run else "rewrote"
    n = len(fix.rewrites)
    head = f"{verb} {n} URL{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
    left = len(fix.not_rewritten)
    return f"{head}; {left} redirect{'s' if left != 1 else ''} not rewritten; {len(fix.failures)} failing"


def render_fix_text(fix: FixReport, *, color: bool = False) -> str:
    """For people: one line per rewrite (``file:line: key field: old → new``), then what
    was left and why, then the summary line. A dry run starts with the unified diff."""
    lines: list[str] = []
    if fix.dry_run and fix.diff:
        lines.extend(fix.diff.rstrip("\n").splitlines())
        lines.append("")
    for r in fix.rewrites:
        arrow = "\x1b[33m→\x1b[0m" if color else "→"
        lines.append(f"{r.file}:{r.line}: {r.key} {r.field}: {r.old} {arrow} {r.new}")
    if fix.not_rewritten:
        if fix.rewrites:
            lines.append("")
        for n in fix.not_rewritten:
            where = f" [{', '.join(n.places)}]" if n.places else ""
            target = f" → {n.target}" if n.target else ""
            lines.append(f"not rewritten: {n.url}{target} ({n.reason}){where}")
    if fix.failures:
        lines.append("")
        for r in fix.failures:
            lines.append(f"failing: {r.status.value} {r.url}" + (f" ({r.error})" if r.error else ""))
    if lines:
        lines.append("")
    lines.append(fix_summary(fix))
    return "\n".join(lines)


def fix_to_dict(fix: FixReport) -> dict[str, Any]:
    """The ``links fix --format json`` document (schema in ``docs/ci.md``)."""
    return {
        "version": FIX_JSON_VERSION,
        "store": fix.store,
        "dry_run": fix.dry_run,
        "summary": {
            "rewrites": len(fix.rewrites),
            "files": len({r.file for r in fix.rewrites}),
            "not_rewritten": len(fix.not_rewritten),
            "failing": len(fix.failures),
        },
        "rewrites": [
            {"key": r.key, "field": r.field, "file": r.file, "line": r.line, "old": r.old, "new": r.new, "code": r.code}
            for r in fix.rewrites
        ],
        "not_rewritten": [
            {"url": n.url, "status": n.status.value, "target": n.target, "reason": n.reason, "places": list(n.places)}
            for n in fix.not_rewritten
        ],
        "failing": [{"url": r.url, "status": r.status.value, "error": r.error} for r in fix.failures],
        "written": list(fix.written),
        "diff": fix.diff,
    }


def render_fix_json(fix: FixReport) -> str:
    """:func:`fix_to_dict` as indented JSON."""
    return json.dumps(fix_to_dict(fix), ensure_ascii=False, indent=2)
