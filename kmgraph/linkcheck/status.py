"""The closed set of link statuses and the record of one checked URL.

Every URL checked ends in exactly one :class:`Status`; a failure is a status with a
reason, never an exception. :class:`LinkResult` keeps every place the URL was found, so
that a report can say ``file:line:col`` for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kmgraph.records import RawLink

__all__ = ["DEFAULT_FAIL_ON", "PERMANENT_REDIRECTS", "LinkResult", "Status"]


class Status(StrEnum):
    """What became of one URL. The set is closed: reports and ``--fail-on`` rely on it.

    Attributes:
        OK: The target answered with an accepted status (2xx by default), the file exists,
            the anchor is there, the DOI resolves.
        REDIRECTED: Alive, but behind a permanent redirect (301, 308): the link should be
            updated to :attr:`LinkResult.new_url`.
        BROKEN: 404, 410, 5xx after retries, a redirect loop, a missing file or anchor, a
            DOI the resolver does not know, a ``mailto:`` with a malformed address.
        BLOCKED: Alive but refusing robots: 401, 403, 451, 999 or a bot challenge.
        RATE_LIMITED: 429 after the retries (or a ``Retry-After`` beyond the cap).
        TIMEOUT: Connect or read timeout, the per-URL budget or the run's ``max_time``.
        NETWORK_ERROR: DNS failure, connection refused or reset, TLS failure.
        SOFT_404: A 200 page that says it is not there.
        EXCLUDED: Not checked on purpose: ``--exclude``/``--include``, or an address that is
            never requested (link-local, cloud metadata, private with ``exclude_private``).
        UNSUPPORTED: A scheme or form kmgraph does not check (``ftp:``, ``tel:``, a
            root-relative path without ``--base-url``).
        PLACEHOLDER: ``#``, empty, ``javascript:``: a link nobody filled in.
        CACHED: A result taken from the cache of an earlier run; the verdict that run
            reached is :attr:`LinkResult.cached_status`.
    """

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    BLOCKED = "blocked"
    RATE_LIMITED = "rate-limited"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network-error"
    SOFT_404 = "soft-404"
    EXCLUDED = "excluded"
    UNSUPPORTED = "unsupported"
    PLACEHOLDER = "placeholder"
    CACHED = "cached"


#: The statuses that fail a run unless told otherwise (``--fail-on``).
DEFAULT_FAIL_ON: frozenset[Status] = frozenset({Status.BROKEN, Status.NETWORK_ERROR, Status.PLACEHOLDER})

#: Redirect codes that mean "this link has moved for good".
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class LinkResult:
    """The outcome of checking one URL.

    Attributes:
        url: The URL (or local target) checked, as collected: absolute URLs as written,
            local targets as a path relative to the working directory plus ``#fragment``.
        status: The verdict.
        code: The HTTP status code of the last response, or None (no response, local).
        final_url: Where the redirects ended, or None when there were none. For a DOI, the
            URL the handle points to.
        redirects: Each redirect followed, as ``(code, location)``, in order.
        elapsed: Seconds spent on this URL (waits and retries included).
        error: Why, for people; None when there is nothing to say.
        checked_at: When the verdict was reached, ISO 8601 in UTC (``2025-01-31T12:00:00Z``).
        places: Every place the URL appears, in document order.
        method: The HTTP method of the response that decided (``HEAD``, ``GET``), or None.
        attempts: HTTP requests made for this URL (redirect hops and retries included).
        cached_status: For a :attr:`Status.CACHED` result, the status the earlier run gave
            (``code``, ``final_url``, ``error`` and ``checked_at`` are that run's too); else None.
    """

    url: str
    status: Status
    code: int | None = None
    final_url: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    elapsed: float = 0.0
    error: str | None = None
    checked_at: str = ""
    places: tuple[RawLink, ...] = ()
    method: str | None = None
    attempts: int = 0
    cached_status: Status | None = None

    @property
    def verdict(self) -> Status:
        """The status that counts: :attr:`cached_status` for a cached result, else :attr:`status`.

        >>> LinkResult("http://a/", Status.CACHED, 404, cached_status=Status.BROKEN).verdict
        <Status.BROKEN: 'broken'>
        """
        if self.status is Status.CACHED and self.cached_status is not None:
            return self.cached_status
        return self.status

    @property
    def new_url(self) -> str | None:
        """The URL a link should be rewritten to, for a :attr:`Status.REDIRECTED` result.

        The location after the leading run of permanent redirects: for ``301 → 302 → 200``
        it is the 301's target (the 302 is temporary, so the link should not follow it).

        >>> r = LinkResult("http://a/", Status.REDIRECTED, 200, "http://c/",
        ...                ((301, "http://b/"), (302, "http://c/")))
        >>> r.new_url
        'http://b/'
        """
        if self.verdict is not Status.REDIRECTED:
            return None
        new = None
        for code, location in self.redirects:
            if code not in PERMANENT_REDIRECTS:
                break
            new = location
        return new
