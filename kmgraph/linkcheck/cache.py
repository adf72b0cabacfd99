"""A cache of link-check results between runs: one SQLite file in the workspace.

Only answers worth keeping are stored. By default that is ``ok`` and ``redirected``;
with ``cache_failures`` also ``broken``, ``blocked`` and ``soft-404`` (a server's own
answer). ``timeout``, ``rate-limited`` and ``network-error`` are never stored: they are
transient by nature, and a cached one would fail the next runs without a retry (the
trap lychee fell into, lychee#2190). Local files, placeholders, ``mailto:``, excluded and
unsupported links are never stored either: they cost nothing to judge again.

A result is stored under its URL and a *profile*: a digest of the settings that change a
verdict (accepted codes, fragment and soft-404 checks, the DOI resolver, the redirect
limit). A run with other settings does not see it. (An address that a run refuses to
request is ``excluded`` and never stored, so the private-address policy is not part of
the profile: an answer stored by a run with ``--include-private`` is served to one
without, which makes no request either.) A run
also only takes entries whose status it would store itself, so turning
``cache_failures`` off stops cached failures being served at once (lychee#1770).

The file is opened in WAL mode, so that readers never wait; writes are short
``BEGIN IMMEDIATE`` transactions (one writer at a time, others wait up to
``busy_timeout``). A file that is not a usable SQLite database is moved aside to
``<name>.corrupt`` and a fresh cache started, with a warning; any later SQLite error
turns the cache off for the rest of the run, with a warning. The cache never fails a run.

>>> import tempfile, os
>>> from kmgraph.linkcheck.status import LinkResult, Status
>>> path = os.path.join(tempfile.mkdtemp(), "links.sqlite")
>>> with LinkCache(path) as cache:
...     cache.put(LinkResult("https://a.org/", Status.OK, 200, checked_at="2025-01-31T12:00:00Z"), "p1")
>>> with LinkCache(path, readonly=True) as cache:
...     entry = cache.lookup(["https://a.org/"], "p1", max_age=3600, statuses={Status.OK})["https://a.org/"]
>>> entry.status, entry.code
(<Status.OK: 'ok'>, 200)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from kmgraph import __version__
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.records import RawLink

if TYPE_CHECKING:
    from kmgraph.linkcheck.config import CheckConfig

__all__ = [
    "CACHED_BY_DEFAULT",
    "CACHED_FAILURES",
    "SCHEMA_VERSION",
    "CacheEntry",
    "LinkCache",
    "cached_result",
    "entries_for",
    "profile_of",
    "storable_statuses",
]

#: The version of the file's tables; a file of another version is started afresh.
SCHEMA_VERSION = 1

#: Statuses stored by default: the link is alive.
CACHED_BY_DEFAULT: frozenset[Status] = frozenset({Status.OK, Status.REDIRECTED})

#: Statuses stored too with ``cache_failures``: a definite answer from the server.
CACHED_FAILURES: frozenset[Status] = frozenset({Status.BROKEN, Status.BLOCKED, Status.SOFT_404})

_FLUSH_ROWS = 200
_FLUSH_SECONDS = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
    url TEXT NOT NULL,
    profile TEXT NOT NULL,
    status TEXT NOT NULL,
    code INTEGER,
    final_url TEXT,
    redirects TEXT NOT NULL,
    method TEXT,
    error TEXT,
    checked_at TEXT NOT NULL,
    stored REAL NOT NULL,
    PRIMARY KEY (url, profile)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_stored ON results (stored);
"""


def storable_statuses(cache_failures: bool) -> frozenset[Status]:
    """The statuses a run stores (and takes back from the cache).

    >>> sorted(storable_statuses(False))
    [<Status.OK: 'ok'>, <Status.REDIRECTED: 'redirected'>]
    """
    return CACHED_BY_DEFAULT | CACHED_FAILURES if cache_failures else CACHED_BY_DEFAULT


def profile_of(config: CheckConfig) -> str:
    """A short digest of the settings that can change a verdict.

    Header values are not part of it (they are secrets, and the cache keeps none of them).
    """
    parts = {
        "accept": [list(r) for r in config.accept],
        "fragments": config.fragments,
        "soft404": config.soft404,
        "doi_resolver": config.doi_resolver.rstrip("/"),
        "max_redirects": config.max_redirects,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CacheEntry:
    """One stored result.

    Attributes:
        status: The verdict the run that stored it reached.
        code: Its HTTP status code.
        final_url: Where the redirects ended.
        redirects: Each redirect followed, ``(code, location)``.
        method: The method of the deciding response.
        error: The reason given.
        checked_at: When it was checked, ISO 8601 in UTC.
        stored: When it was stored, seconds since the epoch.
    """

    status: Status
    code: int | None
    final_url: str | None
    redirects: tuple[tuple[int, str], ...]
    method: str | None
    error: str | None
    checked_at: str
    stored: float


def cached_result(url: str, entry: CacheEntry, places: Iterable[RawLink] = ()) -> LinkResult:
    """The :attr:`Status.CACHED` result that ``entry`` gives for ``url`` at ``places``.

    The earlier run's status is :attr:`LinkResult.cached_status`; its code, final URL,
    redirects, reason and time are kept; ``elapsed`` and ``attempts`` are 0 (no request).
    """
    return LinkResult(
        url,
        Status.CACHED,
        entry.code,
        entry.final_url,
        entry.redirects,
        0.0,
        entry.error,
        entry.checked_at,
        tuple(places),
        entry.method,
        0,
        cached_status=entry.status,
    )


def _default_warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


class LinkCache:
    """The cache file, opened for one run.

    Args:
        path: The SQLite file (its folder is created when writing).
        readonly: Only read (``--offline``): a missing file is an empty cache, nothing is
            created, moved or written.
        warn: Called with a one-line message when the cache cannot be used as it is
            (the default issues a :class:`RuntimeWarning`).
        busy_timeout: Seconds to wait for another process's write to end.

    Use it as a context manager, or call :meth:`close` (which writes what is pending).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        warn: Callable[[str], None] | None = None,
        busy_timeout: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._warn = warn or _default_warn
        self._busy = busy_timeout
        self._lock = threading.Lock()
        self._pending: list[tuple[object, ...]] = []
        self._last_flush = time.monotonic()
        self._con: sqlite3.Connection | None = None
        self.stored = 0  # rows written by this run
        self._open()

    # opening ---------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        """False once the cache has been turned off for this run."""
        return self._con is not None

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=self._busy, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(self.path, timeout=self._busy, isolation_level=None, check_same_thread=False)

    def _prepare(self, con: sqlite3.Connection) -> str | None:
        """Set the file up; the reason it is unusable, or None.

        Raises:
            _Newer: A newer kmgraph wrote it.
            _Foreign: A SQLite file of something else.
            sqlite3.DatabaseError: Not a SQLite file, or a damaged one.
        """
        if not self.readonly:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
        check = con.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            return f"integrity check failed: {check[0] if check else 'no answer'}"
        version = self._version(con)
        if version == SCHEMA_VERSION:
            return None
        if self.readonly:
            return "no cache tables" if version is None else f"cache schema {version}"
        con.execute("BEGIN IMMEDIATE")
        try:
            version = self._version(con)  # another run may have set it up meanwhile
            if version != SCHEMA_VERSION:
                con.execute("DROP TABLE IF EXISTS results")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?), ('written_by', ?)",
                    (str(SCHEMA_VERSION), f"kmgraph {__version__}"),
                )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        return None

    @staticmethod
    def _version(con: sqlite3.Connection) -> int | None:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return None
        if not {"meta", "results"} <= tables:
            raise _Foreign()
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 0
        if version > SCHEMA_VERSION:
            raise _Newer(version)
        return version

    def _open(self) -> None:
        if self.readonly and not self.path.is_file():
            return
        if not self.readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._warn(f"link cache {self.path}: cannot create its folder ({exc.strerror or exc}); not caching")
                return
        for attempt in (1, 2):
            con = None
            try:
                con = self._connect()
                problem = self._prepare(con)
            except _Newer as exc:
                if con is not None:
                    con.close()
                self._warn(f"link cache {self.path} was written by a newer kmgraph (schema {exc.version}); not using it")
                return
            except _Foreign:
                if con is not None:
                    con.close()
                self._warn(f"link cache {self.path} is a SQLite file of something else; not using it")
                return
            except sqlite3.OperationalError as exc:  # locked, busy, cannot open: the file may be fine
                if con is not None:
                    con.close()
                self._warn(f"link cache {self.path}: {exc}; not using the cache this run")
                return
            except sqlite3.DatabaseError as exc:
                if con is not None:
                    con.close()
                con, problem = None, str(exc)
            if problem is None:
                self._con = con
                return
            if con is not None:
                con.close()
            if self.readonly or attempt == 2:
                if problem != "no cache tables":
                    self._warn(f"link cache {self.path} is not usable ({problem}); not using it")
                return
            self._set_aside(problem)

    def _set_aside(self, problem: str) -> None:
        aside = self.path.with_name(self.path.name + ".corrupt")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:  # another run set it aside first
            pass
        except OSError as exc:
            try:
                self.path.unlink()
            except OSError:
                self._warn(f"link cache {self.path} is not usable ({problem}) and cannot be moved ({exc.strerror})")
                return
        for suffix in ("-wal", "-shm", "-journal"):
            try:
                os.unlink(str(self.path) + suffix)
            except OSError:
                pass
        self._warn(f"link cache {self.path} was not usable ({problem}); moved it to {aside.name}, starting afresh")

    def _fail(self, exc: BaseException, doing: str) -> None:
        self._warn(f"link cache {self.path}: {doing} failed ({exc}); not caching for the rest of this run")
        con, self._con = self._con, None
        self._pending.clear()
        if con is not None:
            try:
                con.close()
            except sqlite3.Error:
                pass

    # reading -----------------------------------------------------------------------------

    def lookup(
        self,
        urls: Iterable[str],
        profile: str,
        *,
        max_age: float,
        statuses: Iterable[Status],
        now: float | None = None,
    ) -> dict[str, CacheEntry]:
        """The stored entries of ``urls`` under ``profile``, younger than ``max_age``
        seconds, whose status is one of ``statuses``."""
        wanted = {s.value for s in statuses}
        urls = list(dict.fromkeys(urls))
        out: dict[str, CacheEntry] = {}
        with self._lock:
            con = self._con
            if con is None or not urls or not wanted:
                return out
            oldest = (time.time() if now is None else now) - max_age
            try:
                for i in range(0, len(urls), 500):
                    chunk = urls[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = con.execute(
                        "SELECT url, status, code, final_url, redirects, method, error, checked_at, stored"
                        f" FROM results WHERE profile = ? AND stored >= ? AND url IN ({marks})",
                        (profile, oldest, *chunk),
                    ).fetchall()
                    for url, status, code, final_url, redirects, method, error, checked_at, stored in rows:
                        if status not in wanted:
                            continue
                        out[url] = CacheEntry(
                            Status(status),
                            code,
                            final_url,
                            tuple((int(c), str(u)) for c, u in json.loads(redirects)),
                            method,
                            error,
                            checked_at,
                            stored,
                        )
            except (sqlite3.Error, ValueError, TypeError) as exc:
                self._fail(exc, "reading")
                return {}
        return out

    def __len__(self) -> int:
        with self._lock:
            if self._con is None:
                return 0
            try:
                return int(self._con.execute("SELECT count(*) FROM results").fetchone()[0])
            except sqlite3.Error as exc:
                self._fail(exc, "counting")
                return 0

    # writing -----------------------------------------------------------------------------

    def put(self, result: LinkResult, profile: str) -> None:
        """Queue ``result`` for storing (written in batches, and by :meth:`close`).

        The caller decides whether the status is worth storing; ``cached`` results and
        read-only caches store nothing.
        """
        if self.readonly or result.status is Status.CACHED:
            return
        row = (
            result.url,
            profile,
            result.status.value,
            result.code,
            result.final_url,
            json.dumps([[c, u] for c, u in result.redirects]),
            result.method,
            result.error,
            result.checked_at,
            time.time(),
        )
        with self._lock:
            if self._con is None:
                return
            self._pending.append(row)
            due = len(self._pending) >= _FLUSH_ROWS or time.monotonic() - self._last_flush >= _FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the queued results in one transaction."""
        with self._lock:
            con = self._con
            self._last_flush = time.monotonic()
            if con is None or not self._pending:
                return
            rows, self._pending = self._pending, []
            try:
                con.execute("BEGIN IMMEDIATE")
                con.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                con.execute("COMMIT")
                self.stored += len(rows)
            except sqlite3.Error as exc:
                try:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._fail(exc, "writing")

    def prune(self, max_age: float, *, now: float | None = None) -> int:
        """Delete entries older than ``max_age`` seconds; the number deleted."""
        with self._lock:
            con = self._con
            if con is None or self.readonly:
                return 0
            oldest = (time.time() if now is None else now) - max_age
            try:
                con.execute("BEGIN IMMEDIATE")
                n = con.execute("DELETE FROM results WHERE stored < ?", (oldest,)).rowcount
                con.execute("COMMIT")
                return int(n)
            except sqlite3.Error as exc:
                try:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                self._fail(exc, "pruning")
                return 0

    def close(self) -> None:
        """Write what is pending and close the file."""
        self.flush()
        with self._lock:
            con, self._con = self._con, None
        if con is not None:
            try:
                con.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> LinkCache:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Foreign(Exception):
    pass


class _Newer(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def entries_for(
    cache: LinkCache, urls: Sequence[str], config: CheckConfig, *, now: float | None = None
) -> dict[str, CacheEntry]:
    """The entries ``config`` may take from ``cache`` for ``urls``."""
    return cache.lookup(
        urls, profile_of(config), max_age=config.max_age, statuses=storable_statuses(config.cache_failures), now=now
    )
