"""Checks of the BibTeX store for a librarian.

Codes (severity):

==================== ======= ==============================================================
``malformed-block``  error   a block that could not be read (file and line of the block)
``duplicate-key``    error   a key defined twice (in two files, or twice in one file)
``missing-field``    warning a field the entry type needs (BibLaTeX-like, see ``REQUIRED``), as biber warns
``bad-doi``          error   a DOI that is not ``10.NNNN/...`` (resolver prefixes allowed)
``bad-url``          error   a URL without scheme or host, or with spaces
``bad-year``         error   a year that is not four digits or ``n.d.``
``bad-pages``        warning pages that are not numbers or ranges written with ``--``
``probable-duplicate`` warning two entries with the same DOI or URL, or near-duplicates
                             (:func:`kmgraph.references.dedup.near_score`)
``broken-link``      error   the last ``kmgraph links check`` found the entry's URL or DOI
                             broken (404, 410, soft 404, network error ...)
``moved-link``       warning the URL is behind a permanent redirect (``kmgraph links fix``
                             rewrites it)
==================== ======= ==============================================================

The two link codes come from the record of the latest check (``links``, see
:mod:`kmgraph.linkcheck.record`); without it they never appear: lint itself goes on no
network.

Issues come sorted by file, line, key, code and message. Probable duplicates are found
by blocking on role and first author (the near-duplicate rule needs the same first
author), so the check stays fast on large stores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kmgraph.references.bibtex import ENTRY_TYPE_ALIASES, entry_fields
from kmgraph.references.dedup import bibtex_match_info, near_score, normalize_doi
from kmgraph.references.store import Store

if TYPE_CHECKING:
    from kmgraph.linkcheck.record import LinkRecord

__all__ = ["REQUIRED", "LintIssue", "lint"]

#: Required fields per entry type; a tuple inside means "one of these".
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "article": (("author",), ("title",), ("journal", "journaltitle"), ("year", "date")),
    "book": (("author", "editor"), ("title",), ("publisher",), ("year", "date")),
    "incollection": (("author",), ("title",), ("booktitle",), ("year", "date")),
    "inproceedings": (("author",), ("title",), ("booktitle",), ("year", "date")),
    "report": (("author", "institution", "publisher"), ("title",), ("year", "date")),
    "thesis": (("author",), ("title",), ("school", "institution"), ("year", "date")),
    "online": (("title",), ("url", "doi")),
    "misc": (("title",),),
}
_PAGE = r"(?:[A-Za-z]{0,3}\d+[A-Za-z]?|[ivxlcdmIVXLCDM]+)"
_PAGES = re.compile(rf"{_PAGE}(?:\s*--\s*{_PAGE})?(?:\s*,\s*{_PAGE}(?:\s*--\s*{_PAGE})?)*\+?")


@dataclass(frozen=True)
class LintIssue:
    """One problem found in the store.

    Attributes:
        key: The entry key ("" for a malformed block).
        file: The file.
        line: 1-based line of the entry or block (None for entries not saved yet).
        code: ``missing-field``, ``bad-doi`` ... (see the module docstring).
        severity: ``error`` or ``warning``.
        message: One line for people.
    """

    key: str
    file: Path
    line: int | None
    code: str
    severity: str
    message: str


def _sort_key(issue: LintIssue) -> tuple[str, int, str, str, str]:
    return (str(issue.file), issue.line or 0, issue.key, issue.code, issue.message)


def lint(store: Store, links: Mapping[str, LinkRecord] | None = None) -> list[LintIssue]:
    """Check every entry and block of the store.

    Args:
        store: An open store.
        links: The recorded verdicts of the latest link check by URL
            (:func:`kmgraph.linkcheck.record.read_record`); None or empty for no link codes.

    Returns:
        The issues, in a stable sorted order.
    """
    issues: list[LintIssue] = []
    for failed in store.failed_blocks:
        code = "duplicate-key" if failed.code == "duplicate-key" else "malformed-block"
        key_match = re.match(r"\s*@\s*\w+\s*[{(]\s*([^,\s]+)", failed.raw)
        issues.append(
            LintIssue(
                key_match.group(1) if key_match else "",
                failed.file,
                failed.line,
                code,
                "error",
                failed.reason,
            )
        )
    located = []
    by_key: dict[str, list[tuple[str, Path, int | None]]] = {}
    for path, entry in store.entries_by_file():
        line = entry.start_line + 1 if entry.start_line is not None else None
        fields = entry_fields(entry)
        issues.extend(_check_entry(entry.key, entry.entry_type, fields, path, line))
        if links:
            issues.extend(_check_links(entry.key, fields, path, line, links))
        located.append((bibtex_match_info(entry.key, entry.entry_type, fields), path, line))
        by_key.setdefault(entry.key.lower(), []).append((entry.key, path, line))
    for places in by_key.values():
        if len(places) > 1:
            where = ", ".join(f"{p.name}:{ln}" if ln else p.name for _, p, ln in places)
            for key, path, line in places:
                issues.append(
                    LintIssue(
                        key,
                        path,
                        line,
                        "duplicate-key",
                        "error",
                        f"key '{key}' is defined more than once: {where}",
                    )
                )
    issues.extend(_duplicates(located))
    return sorted(set(issues), key=_sort_key)


def _check_entry(
    key: str, entry_type: str, fields: dict[str, str], path: Path, line: int | None
) -> list[LintIssue]:
    out: list[LintIssue] = []
    kind = ENTRY_TYPE_ALIASES.get(entry_type.lower(), entry_type.lower())
    for group in REQUIRED.get(kind, (("title",),)):
        if not any(fields.get(name, "").strip() for name in group):
            out.append(
                LintIssue(
                    key, path, line, "missing-field", "warning", f"@{entry_type} needs {' or '.join(group)}"
                )
            )
    doi = fields.get("doi", "").strip()
    if doi and normalize_doi(doi) is None:
        out.append(LintIssue(key, path, line, "bad-doi", "error", f"malformed DOI '{doi}'"))
    url = fields.get("url", "").strip()
    if url:
        parts = urlsplit(url)
        if re.search(r"\s", url) or parts.scheme not in ("http", "https", "ftp") or not parts.netloc:
            out.append(LintIssue(key, path, line, "bad-url", "error", f"malformed URL '{url}'"))
    year = fields.get("year", "").strip()
    if year and not re.fullmatch(r"\d{4}|n\.\s?d\.", year):
        out.append(
            LintIssue(key, path, line, "bad-year", "error", f"year '{year}' is not four digits or n.d.")
        )
    pages = fields.get("pages", "").strip()
    if pages and not _PAGES.fullmatch(pages):
        out.append(
            LintIssue(
                key,
                path,
                line,
                "bad-pages",
                "warning",
                f"pages '{pages}' are not numbers or ranges with '--'",
            )
        )
    return out


_URL_IN_TEXT = re.compile(r"\\url\{([^}]+)\}")


def _entry_urls(fields: Mapping[str, str]) -> list[str]:
    """The URLs a link check collects from an entry: url, doi (at the resolver), \\url{} in howpublished."""
    urls = [fields["url"].strip()] if fields.get("url", "").strip() else []
    doi = normalize_doi(fields.get("doi"))
    if doi:
        urls.append(f"https://doi.org/{doi}")
    urls.extend(m.group(1).strip() for m in _URL_IN_TEXT.finditer(fields.get("howpublished", "")))
    return urls


def _check_links(
    key: str, fields: Mapping[str, str], path: Path, line: int | None, links: Mapping[str, LinkRecord]
) -> list[LintIssue]:
    out: list[LintIssue] = []
    lowered = None
    for url in _entry_urls(fields):
        record = links.get(url)
        if record is None and url.startswith("https://doi.org/"):
            # a DOI is case-insensitive: the check may have recorded it as written
            lowered = lowered or {u.lower(): r for u, r in links.items() if u.startswith("https://doi.org/")}
            record = lowered.get(url.lower())
        if record is None:
            continue
        when = record.checked_at[:10] or "an earlier run"
        code = f" {record.code}" if record.code else ""
        if record.failing:
            why = f": {record.error}" if record.error else ""
            out.append(
                LintIssue(key, path, line, "broken-link", "error", f"{url} is {record.status}{code} (checked {when}){why}")
            )
        elif record.new_url:
            out.append(
                LintIssue(
                    key, path, line, "moved-link", "warning",
                    f"{url} moved permanently to {record.new_url} (checked {when}); kmgraph links fix rewrites it",
                )
            )
    return out


def _duplicates(located: list) -> list[LintIssue]:
    out: list[LintIssue] = []
    seen_pairs: set[tuple[str, str]] = set()

    def report(a: tuple, b: tuple, why: str) -> None:
        (ia, pa, la), (ib, _pb, _lb) = sorted((a, b), key=lambda x: x[0].key)
        pair = (ia.key, ib.key)
        if ia.key == ib.key or pair in seen_pairs:
            return
        seen_pairs.add(pair)
        out.append(
            LintIssue(ia.key, pa, la, "probable-duplicate", "warning", f"{ia.key} and {ib.key}: {why}")
        )

    for attr in ("doi", "url"):
        groups: dict[tuple[str, str], list] = {}
        for item in located:
            value = getattr(item[0], attr)
            if value:
                groups.setdefault((item[0].role, value), []).append(item)
        for items in groups.values():
            for a, b in combinations(items, 2):
                report(a, b, f"same {attr.upper()}")
    blocks: dict[tuple[str, str | None], list] = {}
    for item in located:
        if item[0].title:
            blocks.setdefault((item[0].role, item[0].author), []).append(item)
    for items in blocks.values():
        for a, b in combinations(items, 2):
            score = near_score(a[0], b[0])
            if score is not None:
                report(a, b, f"near-duplicate titles (score {score:.1f})")
    return out
