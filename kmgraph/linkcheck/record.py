"""The latest verdict for every URL checked: ``.kmgraph/link-status.json`` in the workspace.

Unlike the cache (:mod:`kmgraph.linkcheck.cache`, off by default, live answers only,
consulted to skip requests), this record keeps what the last check said about each URL,
failures included, for the commands that show link health elsewhere: ``kmgraph graph
build`` puts it into the graph (``kmgraph query sources --broken-links``) and ``kmgraph
refs lint`` reports the store's broken links from it.

``kmgraph links check`` updates it after every run (``--no-record`` leaves it alone). A
run merges into what is there: the URLs it checked get their new verdict, other URLs
keep theirs, so checking one folder does not forget another. Only web links and DOIs are
recorded (local files and placeholders cost nothing to judge again, and a relative path
means something else in each folder). Results that say nothing about the target
(``excluded``, ``unsupported``) never replace an earlier verdict. A
cached result is recorded under the verdict it stands for, with the time that verdict
was reached.

The file is JSON, sorted, written atomically: an object with ``version`` and ``links``,
a map from URL to ``{"status", "code", "final_url", "new_url", "checked_at", "error",
"places"}`` where ``places`` are ``"path:line:col"`` strings. An unreadable file is
treated as empty, with a warning, and replaced by the next run.

>>> import tempfile, os
>>> from kmgraph.linkcheck.status import LinkResult, Status
>>> path = os.path.join(tempfile.mkdtemp(), "link-status.json")
>>> update_record(path, [LinkResult("https://a.org/x", Status.BROKEN, 404, checked_at="2026-01-31T12:00:00Z")])
1
>>> read_record(path)["https://a.org/x"].status
'broken'
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, LinkResult, Status

__all__ = [
    "DEFAULT_RECORD",
    "FAILING",
    "RECORD_VERSION",
    "LinkRecord",
    "default_record_path",
    "read_record",
    "update_record",
]

#: The record, relative to the working directory (beside the saved graph).
DEFAULT_RECORD = ".kmgraph/link-status.json"
#: The environment variable that names another file.
RECORD_ENV = "KMGRAPH_LINK_STATUS"
#: The version of the file's layout.
RECORD_VERSION = 1

#: Verdicts that say nothing about the target: they never replace a recorded one.
_UNINFORMATIVE = frozenset({Status.EXCLUDED, Status.UNSUPPORTED, Status.CACHED})

#: Verdicts that count as a broken link where the record is shown (graph, lint): the
#: default ``--fail-on`` statuses plus soft-404, which is as dead as a 404 for a reader.
FAILING: frozenset[str] = frozenset(str(s) for s in DEFAULT_FAIL_ON | {Status.SOFT_404})


@dataclass(frozen=True)
class LinkRecord:
    """What the latest check said about one URL.

    Attributes:
        url: The URL as checked (a DOI as ``https://doi.org/<doi>``).
        status: The verdict (a :class:`~kmgraph.linkcheck.status.Status` value).
        code: The HTTP status code, or None.
        final_url: Where redirects ended, or None.
        new_url: For a permanent redirect, the URL to rewrite the link to, else None.
        checked_at: When, ISO 8601 UTC.
        error: Why, for people, or None.
        places: Where the URL appears, as ``path:line:col``.
    """

    url: str
    status: str
    code: int | None = None
    final_url: str | None = None
    new_url: str | None = None
    checked_at: str = ""
    error: str | None = None
    places: tuple[str, ...] = ()

    @property
    def failing(self) -> bool:
        """True for a verdict in :data:`FAILING`."""
        return self.status in FAILING

    @property
    def paths(self) -> tuple[str, ...]:
        """The files the URL appears in, in order, without repeats."""
        seen: dict[str, None] = {}
        for place in self.places:
            seen.setdefault(place.rsplit(":", 2)[0], None)
        return tuple(seen)


def default_record_path() -> Path:
    """``$KMGRAPH_LINK_STATUS`` when set, else :data:`DEFAULT_RECORD`."""
    return Path(os.environ.get(RECORD_ENV) or DEFAULT_RECORD)


def _from_result(result: LinkResult) -> LinkRecord | None:
    verdict = result.verdict
    if verdict in _UNINFORMATIVE or not result.url.lower().startswith(("http://", "https://")):
        return None  # local files, placeholders and mailto: are judged again for nothing
    return LinkRecord(
        url=result.url,
        status=str(verdict),
        code=result.code,
        final_url=result.final_url,
        new_url=result.new_url,
        checked_at=result.checked_at,
        error=result.error,
        places=tuple(f"{p.path}:{p.line}:{p.column}" for p in result.places),
    )


def read_record(path: str | os.PathLike[str] | None = None) -> dict[str, LinkRecord]:
    """The recorded verdicts by URL; empty when there is no record.

    A file that cannot be read as a record gives a warning (naming it) and an empty map.
    """
    file = Path(path) if path is not None else default_record_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        warnings.warn(f"{file}: cannot read the link-status record ({exc.strerror}); ignored", stacklevel=2)
        return {}
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
            raise ValueError(f"not a version-{RECORD_VERSION} link-status record")
        out: dict[str, LinkRecord] = {}
        for url, item in data["links"].items():
            fields = {k: v for k, v in item.items() if k in LinkRecord.__dataclass_fields__ and k != "url"}
            fields["places"] = tuple(fields.get("places") or ())
            out[url] = LinkRecord(url=url, **fields)
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        where = f"{file}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(file)
        warnings.warn(f"{where}: unreadable link-status record ({exc}); ignored", stacklevel=2)
        return {}


def _dump(records: Mapping[str, LinkRecord]) -> str:
    names = [f for f in LinkRecord.__dataclass_fields__ if f != "url"]
    links = {}
    for url in sorted(records):
        record = records[url]
        item = {name: getattr(record, name) for name in names}  # asdict() deep-copies: slow
        item["places"] = list(item["places"])
        links[url] = item
    return json.dumps({"version": RECORD_VERSION, "links": links}, ensure_ascii=False, indent=1) + "\n"


def update_record(path: str | os.PathLike[str] | None, results: Iterable[LinkResult]) -> int:
    """Merge a run's results into the record; return how many URLs got a new verdict.

    Written atomically (the folder is created when missing). Raises
    :class:`~kmgraph.errors.StoreError` (or ``OSError`` when the folder cannot be made)
    when the file cannot be written; the old file is then left as it was.
    """
    from kmgraph.errors import InputError, StoreError
    from kmgraph.linkcheck.report import write_report  # atomic; lighter to import than the store

    file = Path(path) if path is not None else default_record_path()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unreadable record is simply replaced
        records = read_record(file)
    changed = 0
    for result in results:
        record = _from_result(result)
        if record is not None:
            records[record.url] = record
            changed += 1
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_report(file, _dump(records))
    except InputError as exc:
        raise StoreError(exc.message.replace("the report", "the link-status record"), path=str(file)) from None
    return changed
