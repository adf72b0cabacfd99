"""Check link requests over the network (and locally), politely and within a time budget.

:func:`check_links` turns :class:`~kmgraph.linkcheck.collect.LinkRequest` records into
:class:`~kmgraph.linkcheck.status.LinkResult` records, one per request, in the same order.

How a URL is checked:

- **Offline first.** Placeholders, ``mailto:`` (syntax), local files and their anchors,
  ``--include``/``--exclude`` and schemes other than http(s) are settled without the
  network.
- **Safety.** The host is resolved once per run and every address checked before any
  request; link-local and cloud-metadata addresses are never requested (``excluded``),
  nor private and loopback addresses when ``exclude_private`` is set. Connections go to
  the checked addresses only (the name is not resolved again, so a DNS-rebinding answer
  is never used); the Host header, TLS SNI and certificate checks keep the host name.
  Every redirect hop is checked and pinned the same way.
- **Politeness.** ``concurrency`` worker threads sharing one thread-safe urllib3
  connection pool per host (or, when a ``session_factory`` is given, one
  ``requests.Session`` each); at most ``host_concurrency`` requests in flight per host, their starts at least
  ``host_interval`` apart (both configurable per host); a ``Retry-After`` on a 429 holds
  back every request to that host.
- **HEAD, then GET.** HEAD first; a streamed GET (body read only as far as the checks
  need, at most ``max_body`` bytes) when HEAD is refused (4xx other than 429, 501, or a
  Cloudflare 503). Never a GET after a timeout. ``soft404`` and remote ``fragments`` use GET.
- **Redirects** are followed by hand up to ``max_redirects``, each recorded; a loop is
  ``broken``; a first hop 301/308 makes the result ``redirected`` (see
  :attr:`~kmgraph.linkcheck.status.LinkResult.new_url`), 302/303/307 are followed silently.
- **Retries** with exponential backoff and jitter after connection errors, 429, 502, 503
  and 504; ``Retry-After`` (seconds or an HTTP date) is honoured up to ``retry_after_cap``.
  Timeouts are not retried. Each URL has ``url_budget`` seconds in all; the run has
  ``max_time``, after which what is left is ``timeout``.
- **DOIs** are checked at ``{doi_resolver}/api/handles/<doi>`` (``responseCode`` 1: the
  DOI exists; 100: it does not), so a publisher's bot wall never counts against a DOI.

The default transport is urllib3 (which requests is built on), used directly: requests
spends most of its CPU per request on work a link checker does not need (merging
session settings, reading proxy variables and ``~/.netrc`` on every request, a cookie
jar per session). Proxies (``http_proxy``, ``https_proxy``, ``all_proxy``, ``no_proxy``)
are read once per run, certificates come from ``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE`` or certifi as with requests, and cookies set during one URL's
redirect chain are sent back along that chain only. The pools' connections open their
sockets to the addresses the safety check approved (:class:`_PinnedConnection`) and read
response headers with a lean parser (:class:`_Headers`) instead of the ``email`` package.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import os
import queue
import random
import re
import socket
import ssl
import sys
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, quote, unquote, urldefrag, urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ClosedPoolError, ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.util import Retry, parse_url
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from kmgraph.linkcheck.collect import LinkRequest, Target
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.local import always_present, anchors_of_file, fragment_found, html_anchors, mailto_problem
from kmgraph.linkcheck.status import PERMANENT_REDIRECTS, LinkResult, Status

if TYPE_CHECKING:
    import requests

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "bot_challenge",
    "check_links",
    "forbidden_address",
    "parse_retry_after",
    "soft_404_reason",
]

#: Host names of cloud metadata services: never requested.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
#: Addresses of cloud metadata services: never requested (most are link-local anyway).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)

_RETRY_CODES = frozenset({429, 502, 503, 504})
_SMALL = 64 * 1024
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_SOFT_TITLE = re.compile(
    r"not found|\b404\b|page (?:does not|doesn't|no longer) exists?|no longer (?:exists|available)|page unavailable",
    re.I,
)
_SOFT_BODY = re.compile(
    r"(?:page|resource|document) (?:you|that you) (?:requested|were looking for|are looking for|tried to access)"
    r"(?: could not| cannot| can't| couldn't| was not| wasn't| is not| isn't)(?: be)? found"
    r"|(?:page|resource|document) (?:you|that you) (?:requested|were looking for|are looking for)"
    r" (?:does not|doesn't|no longer) exists?"
    r"|this page (?:does not|doesn't) exist|\b404 not found\b|\berror 404\b",
    re.I,
)
_CF_BODY = re.compile(
    rb"just a moment|cf-chl|challenge-platform|attention required! \| cloudflare|checking your browser", re.I
)
#: A request target that needs no percent-encoding (printable ASCII, no space).
_PLAIN_TARGET = re.compile(r"[!-~]+")
_CHALLENGE_BODY = re.compile(rb"cf-chl|challenge-platform|_cf_chl_opt", re.I)


class _OutOfTime(Exception):
    """No time left in the URL's budget (or the run's)."""


_stamp: tuple[int, str] = (-1, "")  # (second, its timestamp): formatted once a second


def _now() -> str:
    global _stamp
    second = int(time.time())
    stamp = _stamp
    if stamp[0] != second:
        stamp = _stamp = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return stamp[1]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    >>> parse_retry_after("120"), parse_retry_after("soon")
    (120.0, None)
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    10.0
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def soft_404_reason(body: bytes) -> str | None:
    """Why an HTML page served with 200 is really a "not found" page, or None.

    >>> soft_404_reason(b"<html><title>Page Not Found</title></html>")
    "the page says it is not there (title 'Page Not Found')"
    >>> soft_404_reason(b"<title>Knowledge brokers</title><p>Welcome</p>") is None
    True
    """
    text = body.decode("utf-8", errors="replace")
    m = _TITLE.search(text)
    if m:
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))).split())
        if _SOFT_TITLE.search(title):
            return f"the page says it is not there (title {title[:80]!r})"
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    m = _SOFT_BODY.search(plain)
    if m:
        return f"the page says it is not there ({m.group(0)!r})"
    return None


def bot_challenge(code: int, headers: Any, body: bytes = b"") -> str | None:
    """Why a response is a bot wall's challenge rather than the page, or None.

    Cloudflare marks its challenges with ``cf-mitigated: challenge``; without the header,
    a 403 or 503 from ``server: cloudflare`` whose body carries its challenge markers
    ("Just a moment", ``cf-chl``…) is one too.

    >>> bot_challenge(403, {"cf-mitigated": "challenge"})
    'bot challenge (Cloudflare)'
    >>> bot_challenge(503, {"server": "cloudflare"}, b"<title>Just a moment...</title>")
    'bot challenge (Cloudflare)'
    >>> bot_challenge(503, {"server": "nginx"}, b"<title>Just a moment...</title>") is None
    True
    """
    get = headers.get
    if (get("cf-mitigated") or "").strip().lower() == "challenge":
        return "bot challenge (Cloudflare)"
    if (get("x-amzn-waf-action") or "").strip().lower() in ("challenge", "captcha"):
        return "bot challenge (AWS WAF)"
    if code in (403, 503) and body:
        if "cloudflare" in (get("server") or "").lower() and _CF_BODY.search(body[:_SMALL]):
            return "bot challenge (Cloudflare)"
        if _CHALLENGE_BODY.search(body[:_SMALL]):
            return "bot challenge"
    return None


def forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, exclude_private: bool) -> str | None:
    """Why an address is never requested, or None when it may be.

    >>> forbidden_address(ipaddress.ip_address("169.254.169.254"), exclude_private=False)
    'cloud metadata address 169.254.169.254 is never requested'
    >>> forbidden_address(ipaddress.ip_address("127.0.0.1"), exclude_private=True)
    'private address 127.0.0.1 is not requested (--include-private checks it)'
    >>> forbidden_address(ipaddress.ip_address("127.0.0.1"), exclude_private=False) is None
    True
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"cloud metadata address {ip} is never requested"
    if ip.is_link_local:
        return f"link-local address {ip} is never requested"
    if exclude_private and (not ip.is_global or ip.is_multicast):
        return f"private address {ip} is not requested (--include-private checks it)"
    return None


_Target = tuple[int, tuple[Any, ...]]  # (address family, socket address with port 0)


class _Refused(OSError):
    """The guard refuses a host where a connection would be opened (internal)."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _host_key(host: str) -> str:
    return host.strip("[]").lower().rstrip(".")


class _Guard:
    """Resolves each host once per run, checks every address, and pins the connections to them.

    :meth:`check` gives the verdict before a request; :meth:`targets` gives the checked
    addresses to the connection being opened (see :class:`_PinnedConnection`), so the
    socket goes to an address that was checked and a second DNS answer (DNS rebinding)
    is never asked for. A host is resolved once per run, even by concurrent workers.
    """

    def __init__(self, exclude_private: bool) -> None:
        self.exclude_private = exclude_private
        self._cache: dict[str, tuple[tuple[Status, str] | None, tuple[_Target, ...]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _entry(self, host: str) -> tuple[tuple[Status, str] | None, tuple[_Target, ...]]:
        h = _host_key(host)
        entry = self._cache.get(h)
        if entry is not None:
            return entry
        with self._lock:
            lock = self._locks.setdefault(h, threading.Lock())
        with lock:  # one lookup per host, whoever asks first
            entry = self._cache.get(h)
            if entry is None:
                entry = self._cache[h] = self._judge(h)
        return entry

    def check(self, host: str) -> tuple[Status, str] | None:
        """(status, reason) when ``host`` must not be requested, else None."""
        return self._entry(host)[0]

    def targets(self, host: str) -> tuple[_Target, ...]:
        """The checked addresses of ``host``, in the resolver's order.

        Raises:
            _Refused: The host must not be requested (or does not resolve).
        """
        refusal, targets = self._entry(host)
        if refusal is not None:
            raise _Refused(*refusal)
        return targets

    def _judge(self, h: str) -> tuple[tuple[Status, str] | None, tuple[_Target, ...]]:
        if h in METADATA_HOSTS:
            return (Status.EXCLUDED, f"{h} is a cloud metadata service and is never requested"), ()
        if h == "invalid" or h.endswith(".invalid"):  # RFC 6761: never resolves
            return (Status.NETWORK_ERROR, f"DNS: {h} does not resolve (.invalid is reserved)"), ()
        targets: list[_Target] = []
        try:
            literal = ipaddress.ip_address(h.split("%")[0])
        except ValueError:
            try:
                infos = socket.getaddrinfo(h, None, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError):
                return (Status.NETWORK_ERROR, f"DNS: cannot resolve {h}"), ()
            for family, _type, _proto, _name, sockaddr in infos:
                if family in (socket.AF_INET, socket.AF_INET6) and (family, tuple(sockaddr)) not in targets:
                    targets.append((family, tuple(sockaddr)))
        else:
            if literal.version == 4:
                targets.append((socket.AF_INET, (str(literal), 0)))
            else:
                targets.append((socket.AF_INET6, (str(literal), 0, 0, 0)))
        if not targets:
            return (Status.NETWORK_ERROR, f"DNS: no address for {h}"), ()
        addresses = {ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for _, sockaddr in targets}
        for ip in sorted(addresses, key=str):
            reason = forbidden_address(ip, exclude_private=self.exclude_private)
            if reason:
                return (Status.EXCLUDED, reason), ()
        return None, tuple(targets)


class _Slots:
    """A counting semaphore made of tokens in a C queue.

    ``threading.Semaphore`` is Python code around a condition variable; taking and giving
    back a token of a ``queue.SimpleQueue`` costs a fraction of it, twice per request.
    """

    def __init__(self, n: int) -> None:
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(n):
            self._tokens.put(None)

    def acquire(self, timeout: float) -> bool:
        try:
            self._tokens.get(timeout=timeout)
        except queue.Empty:
            return False
        return True

    def release(self) -> None:
        self._tokens.put(None)


@dataclass
class _HostState:
    slots: _Slots | None  # None: the host's limit is no tighter than the global one
    interval: float
    next_start: float = 0.0
    lock: threading.Lock = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


class _HostLimiter:
    """Requests in flight (over all hosts and per host) and the interval between starts per host.

    Only requests in flight count against ``concurrency``: a worker waiting out a
    ``Retry-After``, a backoff or a host's interval holds no slot, so the others keep the
    network busy meanwhile (there are more workers than slots).
    """

    def __init__(self, config: CheckConfig) -> None:
        self.config = config
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()
        self._in_flight = _Slots(config.concurrency)

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is not None:
            return state
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                limit = self.config.concurrency_for(host)
                slots = _Slots(limit) if limit < self.config.concurrency else None
                state = _HostState(slots, self.config.interval_for(host))
                self._hosts[host] = state
            return state

    @contextmanager
    def slot(self, host: str, end: float) -> Iterator[None]:
        """Hold one of the host's slots, starting no sooner than its interval allows.

        Raises:
            _OutOfTime: The slot would come after ``end``.
        """
        state = self._state(host)
        slots = state.slots
        if slots is not None and not slots.acquire(max(0.0, end - time.monotonic())):
            raise _OutOfTime
        try:
            now = time.monotonic()
            if now >= end:
                raise _OutOfTime
            if state.interval or state.next_start > now:  # paced, or held back by a Retry-After
                with state.lock:
                    start = max(now, state.next_start)
                    if start >= end:
                        raise _OutOfTime
                    state.next_start = start + state.interval
                if start > now:
                    time.sleep(start - now)
            if not self._in_flight.acquire(max(0.0, end - time.monotonic())):
                raise _OutOfTime
            try:
                yield
            finally:
                self._in_flight.release()
        finally:
            if slots is not None:
                slots.release()

    def defer(self, host: str, seconds: float) -> None:
        """Start no request to ``host`` for ``seconds`` (a ``Retry-After``)."""
        state = self._state(host)
        with state.lock:
            state.next_start = max(state.next_start, time.monotonic() + seconds)


def _chain(exc: BaseException) -> Iterator[object]:
    """The exception, its arguments, reasons and causes, breadth first."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo and len(seen) < 32:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, BaseException):
            todo.extend(a for a in item.args if isinstance(a, BaseException))
            for attr in ("reason", "__cause__", "__context__"):
                nxt = getattr(item, attr, None)
                if isinstance(nxt, BaseException):
                    todo.append(nxt)


def _classify(exc: BaseException) -> tuple[Status, str, bool]:
    """(status, message, retryable) for a failed request (urllib3 or requests exceptions)."""
    from urllib3 import exceptions as u3

    rq = _requests_exceptions()
    refused_host = next((e for e in _chain(exc) if isinstance(e, _Refused)), None)
    if refused_host is not None:
        return refused_host.status, refused_host.reason, False
    if isinstance(exc, u3.NameResolutionError):
        return Status.NETWORK_ERROR, "DNS: cannot resolve the host", False
    refused = isinstance(exc, u3.NewConnectionError)  # a subclass of ConnectTimeoutError, for history
    if (isinstance(exc, u3.ConnectTimeoutError) and not refused) or (rq is not None and isinstance(exc, rq.ConnectTimeout)):
        return Status.TIMEOUT, "connect timed out", False
    if (isinstance(exc, u3.TimeoutError | TimeoutError) and not refused) or (rq is not None and isinstance(exc, rq.Timeout)):
        return Status.TIMEOUT, "read timed out", False
    if isinstance(exc, u3.SSLError) or (rq is not None and isinstance(exc, rq.SSLError)):
        detail = str(exc).split("SSLError(")[-1].rstrip(")'\"")
        return Status.NETWORK_ERROR, f"TLS: {detail[:160]}", False
    if isinstance(exc, u3.LocationValueError) or (
        rq is not None and isinstance(exc, rq.InvalidURL | rq.InvalidSchema | rq.MissingSchema)
    ):
        return Status.BROKEN, f"invalid URL: {exc}", False
    chain = list(_chain(exc))
    if any(isinstance(e, u3.NameResolutionError | socket.gaierror) for e in chain):
        return Status.NETWORK_ERROR, "DNS: cannot resolve the host", False
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return Status.NETWORK_ERROR, "connection refused", True
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return Status.NETWORK_ERROR, "connection reset", True
    if any(type(e).__name__ in ("RemoteDisconnected", "BadStatusLine", "IncompleteRead") for e in chain):
        return Status.NETWORK_ERROR, "connection closed before a complete response", True
    if isinstance(exc, u3.ProxyError):
        return Status.NETWORK_ERROR, f"proxy error: {str(exc)[:160]}", True
    if isinstance(exc, u3.NewConnectionError | u3.ProtocolError | OSError) or (
        rq is not None and isinstance(exc, rq.ConnectionError | rq.ChunkedEncodingError)
    ):
        return Status.NETWORK_ERROR, f"connection error: {str(exc)[:160]}", True
    return Status.NETWORK_ERROR, f"{type(exc).__name__}: {str(exc)[:160]}", False


def _requests_exceptions() -> Any:
    """``requests.exceptions`` when requests has been imported (a session_factory), else None."""
    return sys.modules.get("requests.exceptions")


def _remember_cookies(jar: list[tuple[str, bool, str, str]], host: str, headers: Any) -> None:
    """Add the ``Set-Cookie`` cookies of a response to the jar of one redirect chain.

    Some sites set a cookie on a redirect and loop until it comes back; the cookies are
    kept for the rest of that URL's chain only, never shared with other URLs.

    >>> from urllib3 import HTTPHeaderDict
    >>> jar = []
    >>> _remember_cookies(jar, "www.a.org", HTTPHeaderDict([("Set-Cookie", "s=1; Path=/; Domain=.a.org"),
    ...                                                     ("Set-Cookie", "t=2; HttpOnly")]))
    >>> _cookie_header(jar, "login.a.org"), _cookie_header(jar, "www.a.org"), _cookie_header(jar, "b.org")
    ('s=1', 's=1; t=2', None)
    """
    getlist = getattr(headers, "getlist", None)
    if getlist is None:  # a requests session keeps its own cookies
        return
    for line in getlist("set-cookie"):
        pair, *attrs = line.split(";")
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        scope, is_domain, expired = host, False, False
        for attr in attrs:
            key, _, val = attr.partition("=")
            key = key.strip().lower()
            if key == "domain" and val.strip().strip("."):
                domain = val.strip().strip(".").lower()
                if host == domain or host.endswith("." + domain):  # a cookie for another site is ignored
                    scope, is_domain = domain, True
            elif key == "max-age" and val.strip().lstrip("-").isdigit() and int(val) <= 0:
                expired = True
        jar[:] = [c for c in jar if (c[0], c[2]) != (scope, name)]
        if not expired:
            jar.append((scope, is_domain, name, value.strip()))


def _cookie_header(jar: list[tuple[str, bool, str, str]], host: str) -> str | None:
    """The ``Cookie`` header for ``host`` from the jar of one redirect chain, or None."""
    pairs = [
        f"{name}={value}"
        for scope, is_domain, name, value in jar
        if host == scope or (is_domain and host.endswith("." + scope))
    ]
    return "; ".join(pairs) or None


# transports ----------------------------------------------------------------------------


@dataclass
class _Reply:
    """A response whose body has not been read yet (internal)."""

    status: int
    headers: Any  # a case-insensitive mapping
    chunks: Callable[[int], Iterator[bytes]]
    done: Callable[[bool], None]  # done(complete): release the connection (complete) or drop it


#: No retries and no redirects inside urllib3 (the checker does both); made once, not per request.
_NO_RETRIES = Retry(False, redirect=False)
_MAX_LINE = 65536  # the limits of http.client
_MAX_HEADERS = 100


class _Headers(http.client.HTTPMessage):
    """Response headers parsed line by line (an ``HTTPMessage``, as urllib3 expects).

    http.client hands the header block to the ``email`` package's feed parser, which
    costs about ten times more CPU than the response needs (it looks for MIME parts and
    sanitises every value on every lookup). Values here are the ISO-8859-1 text of the
    line, trimmed, obs-fold continuations joined with a space; a line that is not a
    header field is skipped.
    """

    def get(self, name: str, failobj: Any = None) -> Any:  # type: ignore[override]
        name = name.lower()
        for key, value in self._headers:  # type: ignore[attr-defined]
            if key.lower() == name:
                return value
        return failobj

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self._headers)  # type: ignore[attr-defined]

    def get_payload(self, i: Any = None, decode: bool = False) -> Any:  # noqa: ARG002 - a header block has no body
        return None

    @classmethod
    def read(cls, fp: Any) -> _Headers:
        """Read the header block (up to the empty line) from a response's file."""
        pairs: list[tuple[str, str]] = []
        lines = 0
        while True:
            raw = fp.readline(_MAX_LINE + 1)
            if len(raw) > _MAX_LINE:
                raise http.client.LineTooLong("header line")
            if raw in (b"\r\n", b"\n", b""):
                break
            lines += 1
            if lines > _MAX_HEADERS:
                raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
            line = raw.decode("iso-8859-1")
            if line[0] in " \t":  # obs-fold: the previous value goes on
                if pairs:
                    pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {line.strip()}".strip())
                continue
            name, sep, value = line.partition(":")
            if sep and name and name == name.rstrip():
                pairs.append((name, value.strip()))
        headers = cls()
        headers._headers = pairs  # type: ignore[attr-defined]
        return headers


class _Response(http.client.HTTPResponse):
    """http.client's response, with the header block read by :class:`_Headers`.

    The rest of the status-line and framing logic is http.client's own; tested against
    it response by response in ``tests/linkcheck/test_transport.py``.
    """

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()  # type: ignore[attr-defined]
            if status != 100:
                break
            _Headers.read(self.fp)  # the interim response's headers
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _Headers.read(self.fp)
        coding = self.headers.get("transfer-encoding")
        self.chunked = bool(coding) and coding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()  # type: ignore[attr-defined]
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if status in (204, 304) or 100 <= status < 200 or self._method == "HEAD":  # type: ignore[attr-defined]
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True  # no framing: the body ends when the connection does


#: The fast header parser relies on http.client internals present in 3.11 to 3.13; on
#: another version, the stock response class is kept.
_FAST_RESPONSE = all(hasattr(http.client.HTTPResponse, a) for a in ("_read_status", "_check_close"))


def _open_checked(conn: HTTPConnection, guard: _Guard) -> socket.socket:
    """Open the connection's socket to one of the addresses the guard checked for its host.

    Raises:
        _Refused: The guard refuses the host.
        ConnectTimeoutError: The last address timed out.
        NewConnectionError: No address accepted the connection.
    """
    targets = guard.targets(conn._dns_host)  # type: ignore[attr-defined]
    last: OSError | None = None
    for family, address in targets:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if conn.timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(conn.timeout)  # type: ignore[arg-type]
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect((address[0], conn.port, *address[2:]))
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if isinstance(last, TimeoutError):
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})") from last
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}") from last


class _PinnedConnection(HTTPConnection):
    """An HTTP connection whose socket goes to an address the guard checked.

    The Host header is the URL's host; only the address is fixed, so that a DNS answer
    that changes between the check and the connection (DNS rebinding) is never used.
    """

    if _FAST_RESPONSE:
        response_class = _Response

    def __init__(self, *args: Any, guard: _Guard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard

    def _new_conn(self) -> socket.socket:
        return _open_checked(self, self._guard)


class _PinnedTLSConnection(HTTPSConnection):
    """An HTTPS connection whose socket goes to an address the guard checked.

    TLS is unchanged: SNI and certificate verification use the URL's host name.
    """

    if _FAST_RESPONSE:
        response_class = _Response

    def __init__(self, *args: Any, guard: _Guard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard

    def _new_conn(self) -> socket.socket:
        return _open_checked(self, self._guard)


class _PinnedPool(HTTPConnectionPool):
    ConnectionCls = _PinnedConnection


class _PinnedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedTLSConnection


class _Urllib3Transport:
    """Requests over urllib3 connection pools shared by every worker (urllib3 is thread-safe).

    One pool per ``(scheme, host, port)``, the 256 most recently used kept open, whose
    connections connect to the addresses the guard checked; one TLS context for the run,
    with the certificates of ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` or certifi (as
    requests does) loaded once. Proxies come from the environment, read once per run; a
    proxied URL goes through a ``ProxyManager`` (the proxy resolves the name).
    """

    errors: tuple[type[BaseException], ...] = (_Urllib3Error, OSError)
    MAX_POOLS = 256

    def __init__(self, pool_size: int, guard: _Guard) -> None:
        self._size = pool_size
        self._guard = guard
        self._pools: OrderedDict[tuple[str, str, int], HTTPConnectionPool] = OrderedDict()
        self._proxies = {k.lower(): v for k, v in urllib.request.getproxies_environment().items()}
        self._via: dict[str, urllib3.PoolManager] = {}
        self._route: dict[tuple[str, str], urllib3.PoolManager | None] = {}
        self._tls: ssl.SSLContext | None = None
        self._timeouts: dict[float, urllib3.Timeout] = {}
        self._lock = threading.Lock()

    def _tls_context(self) -> ssl.SSLContext:
        """The run's TLS context: certificates verified, host names checked, CAs loaded once."""
        if self._tls is None:
            from urllib3.util.ssl_ import create_urllib3_context

            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            ca = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if not ca:
                try:
                    import certifi

                    ca = certifi.where()
                except ImportError:  # pragma: no cover - certifi comes with requests
                    ca = None
            if ca and os.path.isdir(ca):
                context.load_verify_locations(capath=ca)
            elif ca:
                context.load_verify_locations(cafile=ca)
            else:  # pragma: no cover
                context.load_default_certs()
            self._tls = context
        return self._tls

    def _proxy_for(self, scheme: str, host: str) -> urllib3.PoolManager | None:
        """The proxy manager for a URL, or None to connect directly (cached per scheme and host)."""
        key = (scheme, host)
        if key in self._route:
            return self._route[key]
        proxy = None
        if self._proxies and not urllib.request.proxy_bypass_environment(host, self._proxies):
            proxy = self._proxies.get(scheme) or self._proxies.get("all")
        manager = None
        with self._lock:
            if proxy:
                manager = self._via.get(proxy)
                if manager is None:
                    manager = self._via[proxy] = self._proxy_manager(proxy)
            self._route[key] = manager
        return manager

    def _proxy_manager(self, proxy: str) -> urllib3.PoolManager:
        if "://" not in proxy:
            proxy = "http://" + proxy
        parts = urlsplit(proxy)
        kw: dict[str, Any] = {"maxsize": self._size, "block": False, "retries": False, "ssl_context": self._tls_context()}
        if parts.scheme.lower().startswith("socks"):
            from urllib3.contrib.socks import SOCKSProxyManager  # needs PySocks, as with requests

            return SOCKSProxyManager(proxy, **kw)
        headers = None
        if parts.username:
            auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers = urllib3.make_headers(proxy_basic_auth=auth)
        return urllib3.ProxyManager(proxy, proxy_headers=headers, **kw)

    def _pool(self, scheme: str, host: str, port: int) -> HTTPConnectionPool:
        key = (scheme, host, port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            kw: dict[str, Any] = {"maxsize": self._size, "block": False, "retries": False}
            if scheme == "https":
                pool = _PinnedTLSPool(host, port, ssl_context=self._tls_context(), guard=self._guard, **kw)
            else:
                pool = _PinnedPool(host, port, guard=self._guard, **kw)
            self._pools[key] = pool
            evicted = self._pools.popitem(last=False)[1] if len(self._pools) > self.MAX_POOLS else None
        if evicted is not None:
            evicted.close()  # idle connections only; a request in flight finishes on its own
        return pool

    def _timeout(self, seconds: float) -> urllib3.Timeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = urllib3.Timeout(connect=seconds, read=seconds)
            if len(self._timeouts) < 64:
                self._timeouts[seconds] = timeout
        return timeout

    def send(
        self, method: str, url: str, parts: SplitResult, host: str, port: int | None, headers: dict[str, str], timeout: float
    ) -> _Reply:
        scheme = parts.scheme.lower()
        kw: dict[str, Any] = {
            "headers": headers,
            "redirect": False,
            "retries": _NO_RETRIES,
            "preload_content": False,
            "decode_content": True,
            "timeout": self._timeout(timeout),
        }
        manager = self._proxy_for(scheme, host) if self._proxies else None
        if manager is not None:
            resp = manager.urlopen(method, url, **kw)
        else:
            target = parts.path or "/"
            if parts.query:
                target = f"{target}?{parts.query}"
            if not _PLAIN_TARGET.fullmatch(target):
                target = parse_url(url).request_uri  # percent-encodes what must be
            port = port or (443 if scheme == "https" else 80)
            try:
                resp = self._pool(scheme, host, port).urlopen(method, target, assert_same_host=False, **kw)
            except ClosedPoolError:  # evicted between lookup and use: once more, with a fresh pool
                resp = self._pool(scheme, host, port).urlopen(method, target, assert_same_host=False, **kw)

        def done(complete: bool) -> None:
            if not complete:
                resp.close()  # an unread body: drop the connection rather than read it
            resp.release_conn()

        return _Reply(resp.status, resp.headers, lambda size: resp.stream(size, decode_content=True), done)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
            managers, self._via = list(self._via.values()), {}
        for pool in pools:
            pool.close()
        for manager in managers:
            manager.clear()


class _SessionTransport:
    """Requests over one ``requests.Session`` per worker thread, made by a session factory."""

    def __init__(self, factory: Callable[[], requests.Session]) -> None:
        import requests

        self.errors: tuple[type[BaseException], ...] = (requests.RequestException, _Urllib3Error, OSError)
        self._factory = factory
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._factory()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def send(
        self, method: str, url: str, parts: SplitResult, host: str, port: int | None, headers: dict[str, str], timeout: float
    ) -> _Reply:
        resp = self.session().request(method, url, headers=headers, timeout=timeout, allow_redirects=False, stream=True)

        def done(complete: bool) -> None:
            if complete and method == "HEAD":
                resp.content  # noqa: B018 - nothing to read; releases the connection to the pool
            resp.close()

        return _Reply(resp.status_code, resp.headers, lambda size: resp.iter_content(size), done)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


@dataclass
class _Verdict:
    """What one fetch found out (internal)."""

    status: Status
    code: int | None = None
    final_url: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    error: str | None = None
    method: str | None = None
    attempts: int = 0
    body: bytes = b""
    truncated: bool = False
    content_type: str = ""


class _Checker:
    def __init__(
        self,
        config: CheckConfig,
        deadline: float | None,
        session_factory: Callable[[], requests.Session] | None,
    ) -> None:
        self.config = config
        self.deadline = deadline
        self.guard = _Guard(config.exclude_private)
        self.limiter = _HostLimiter(config)
        if session_factory is None:
            pool = max([config.concurrency, config.host_concurrency, *(h.concurrency or 0 for h in config.hosts.values())])
            self.transport: _Urllib3Transport | _SessionTransport = _Urllib3Transport(pool, self.guard)
        else:
            self.transport = _SessionTransport(session_factory)
        self._include = [re.compile(p) for p in config.include]
        self._exclude = [re.compile(p) for p in config.exclude]
        self._host_headers: dict[str, Any] = {}
        #: Called before a worker sleeps for a retry (set by check_links to add a worker).
        self.on_wait: Callable[[], None] | None = None
        self._splits: dict[str, SplitResult] = {}

    def split(self, url: str) -> SplitResult:
        """``urlsplit(url)``, computed once per URL and run (raises ``ValueError`` likewise)."""
        parts = self._splits.get(url)
        if parts is None:
            parts = self._splits[url] = urlsplit(url)
        return parts

    def host_of(self, url: str) -> str:
        try:
            return (self.split(url).hostname or "").lower()
        except ValueError:
            return ""

    def close(self) -> None:
        self.transport.close()

    def _headers(self, host: str, api: bool, cookies: str | None) -> dict[str, str]:
        """The request headers: defaults, then the host's own (``env:`` values read now)."""
        extra = self._host_headers.get(host)
        if extra is None:
            extra = self.config.host(host)
            self._host_headers[host] = extra
        headers = {
            "User-Agent": self.config.user_agent,
            "Accept": "application/json" if api else _ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        }
        if cookies:
            headers["Cookie"] = cookies
        if extra.headers:
            headers.update(extra.resolved_headers())
        return headers

    # offline -------------------------------------------------------------------------

    def filtered(self, url: str) -> str | None:
        if self._include and any(p.search(url) for p in self._include):
            return None
        for p in self._exclude:
            if p.search(url):
                return f"matches --exclude {p.pattern!r}"
        if self._include:
            return "matches no --include pattern"
        return None

    def offline(self, req: LinkRequest) -> LinkResult | None:
        """The result of a request that needs no network, else None."""
        def done(status: Status, error: str | None = None) -> LinkResult:
            return LinkResult(req.url, status, error=error, checked_at=_now(), places=req.places)

        if req.target is Target.PLACEHOLDER:
            return done(Status.PLACEHOLDER, f"{req.url or 'an empty link'!s} is a placeholder, not a link")
        if req.target is Target.MAILTO:
            problem = mailto_problem(req.url)
            return done(Status.BROKEN, problem) if problem else done(Status.OK)
        if req.target is Target.UNSUPPORTED:
            return done(Status.UNSUPPORTED, req.reason)
        why = self.filtered(req.url)
        if why:
            return done(Status.EXCLUDED, why)
        if req.target is Target.FILE:
            return self.check_file(req)
        if req.target is Target.HTTP:
            try:
                scheme = self.split(req.url).scheme.lower()
            except ValueError as exc:
                return done(Status.BROKEN, f"invalid URL: {exc}")
            if scheme not in self.config.schemes or scheme not in ("http", "https"):
                return done(Status.UNSUPPORTED, f"{scheme or 'no'} scheme: not checked")
        return None

    def check_file(self, req: LinkRequest) -> LinkResult:
        started = time.monotonic()
        path = req.path or ""

        def done(status: Status, error: str | None = None) -> LinkResult:
            return LinkResult(
                req.url, status, error=error, elapsed=time.monotonic() - started, checked_at=_now(), places=req.places
            )

        p = Path(path)
        if not p.exists():
            return done(Status.BROKEN, f"file not found: {path}")
        fragment = req.fragment
        if fragment is None or always_present(fragment) or not p.is_file():
            return done(Status.OK)
        try:
            anchors = anchors_of_file(p)
        except OSError as exc:
            return done(Status.BROKEN, f"cannot read {path}: {exc.strerror or exc}")
        if anchors is None:
            return done(Status.OK)
        if not fragment_found(fragment, anchors, case_insensitive=p.suffix.lower() not in (".html", ".htm", ".xhtml")):
            return done(Status.BROKEN, f"anchor #{fragment} not found in {path}")
        return done(Status.OK)

    # network -------------------------------------------------------------------------

    def _backoff(self, n: int) -> float:
        base = self.config.backoff
        return base * (2**n) + random.uniform(0, base)

    def _body_limit(self, headers: Any, code: int, method: str, api: bool, want_body: bool) -> int:
        if method == "HEAD":
            return 0
        ctype = (headers.get("content-type") or "").lower()
        length = headers.get("content-length") or ""
        small = int(length) if length.isdigit() and int(length) <= _SMALL else 0
        if api:
            return _SMALL
        if "html" in ctype or "xml" in ctype:
            if 200 <= code < 300:
                return self.config.max_body
            return min(_SMALL, self.config.max_body)
        return small if not want_body else min(small, self.config.max_body)

    def _request(
        self,
        method: str,
        url: str,
        parts: SplitResult,
        host: str,
        port: int | None,
        end: float,
        api: bool,
        want_body: bool,
        cookies: str | None,
    ) -> tuple[int, Any, bytes, bool]:
        """(status code, headers, body read, whether the body was cut short) of one request."""
        cfg = self.config
        with self.limiter.slot(host, end):
            timeout = max(0.001, min(cfg.timeout, end - time.monotonic()))
            reply = self.transport.send(method, url, parts, host, port, self._headers(host, api, cookies), timeout)
            limit = self._body_limit(reply.headers, reply.status, method, api, want_body)
            chunks: list[bytes] = []
            size = 0
            truncated = False
            complete = method == "HEAD"
            try:
                if limit > 0:
                    for chunk in reply.chunks(16384):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= limit or time.monotonic() >= end:
                            truncated = True
                            break
                    else:
                        complete = True
            except self.transport.errors:
                truncated = True
            finally:
                reply.done(complete)
            return reply.status, reply.headers, b"".join(chunks)[:limit], truncated

    def fetch(self, url: str, *, api: bool = False, want_body: bool = False) -> _Verdict:
        """Follow one URL to a verdict (redirects, fallbacks and retries included)."""
        cfg = self.config
        started = time.monotonic()
        budget_end = started + cfg.url_budget
        end = budget_end if self.deadline is None else min(budget_end, self.deadline)
        run_limited = self.deadline is not None and self.deadline <= budget_end
        redirects: list[tuple[int, str]] = []
        jar: list[tuple[str, bool, str, str]] = []  # cookies set along this chain: (host or domain, is domain, name, value)
        seen = {url}
        current = url
        method = "GET" if (api or want_body or cfg.soft404) else "HEAD"
        retries = 0
        attempts = 0

        def verdict(status: Status, error: str | None = None, code: int | None = None, **more: Any) -> _Verdict:
            return _Verdict(
                status,
                code,
                current if redirects else None,
                tuple(redirects),
                error,
                method if attempts else None,
                attempts,
                **more,
            )

        def out_of_time(prefix: str = "") -> _Verdict:
            why = (
                f"the run's time limit (max_time {cfg.max_time:g} s) was reached"
                if run_limited
                else f"the URL's time budget ({cfg.url_budget:g} s) was used up"
            )
            return verdict(Status.TIMEOUT, prefix + why if not attempts else f"{prefix}{why} after {attempts} requests")

        def wait(seconds: float) -> bool:
            if time.monotonic() + seconds >= end:
                return False
            if self.on_wait is not None and seconds >= 0.05:
                self.on_wait()  # another worker keeps the network busy meanwhile
            time.sleep(seconds)
            return True

        while True:
            try:
                parts = self.split(current)
                host = (parts.hostname or "").lower()
                port = parts.port  # raises ValueError for a bad port
            except ValueError as exc:
                return verdict(Status.BROKEN, f"invalid URL: {exc}")
            scheme = parts.scheme.lower()
            if scheme not in cfg.schemes or scheme not in ("http", "https"):
                return verdict(Status.UNSUPPORTED, f"redirected to a {scheme or 'no'}-scheme URL, not checked")
            if not host:
                return verdict(Status.BROKEN, "invalid URL: no host")
            refusal = self.guard.check(host)
            if refusal:
                return verdict(refusal[0], refusal[1])
            if time.monotonic() >= end:
                return out_of_time("not checked: " if not attempts else "")
            try:
                code, headers, body, truncated = self._request(
                    method, current, parts, host, port, end, api, want_body, _cookie_header(jar, host) if jar else None
                )
            except _OutOfTime:
                return out_of_time("not checked: " if not attempts else "")
            except self.transport.errors as exc:
                attempts += 1
                status, message, retryable = _classify(exc)
                if status is Status.TIMEOUT and time.monotonic() >= end - 0.05:
                    return out_of_time(f"{message}: ")
                if retryable and retries < cfg.retries:
                    if not wait(self._backoff(retries)):
                        return verdict(status, f"{message}; no time left to retry")
                    retries += 1
                    continue
                return verdict(status, message + (f" (after {retries} retries)" if retries else ""))
            attempts += 1
            ctype = (headers.get("content-type") or "").lower()
            if "set-cookie" in headers:
                _remember_cookies(jar, host, headers)

            if 300 <= code < 400 and code != 304 and not cfg.accepts(code):
                location = headers.get("location")
                if not location:
                    return verdict(Status.BROKEN, f"HTTP {code} without a Location header", code)
                nxt = urljoin(current, location.strip())
                redirects.append((code, nxt))
                if nxt in seen:
                    return verdict(Status.BROKEN, f"redirect loop back to {nxt}", code)
                if len(redirects) > cfg.max_redirects:
                    return verdict(Status.BROKEN, f"more than {cfg.max_redirects} redirects", code)
                seen.add(nxt)
                current = nxt
                continue

            challenge = bot_challenge(code, headers, body)
            if challenge:
                return verdict(Status.BLOCKED, f"HTTP {code}: {challenge}", code)

            if api and code in (200, 404):
                return verdict(Status.OK, None, code, body=body, content_type=ctype)

            if method == "HEAD" and (
                (code >= 400 and code not in _RETRY_CODES)
                or (code == 503 and "cloudflare" in (headers.get("server") or "").lower())
            ):
                method = "GET"  # HEAD refused or not trusted: ask again with GET
                continue

            if cfg.accepts(code):
                if method == "GET" and 200 <= code < 300 and "html" in ctype and body:
                    why = soft_404_reason(body)
                    if why:
                        return verdict(Status.SOFT_404, why, code)
                status = Status.REDIRECTED if redirects and redirects[0][0] in PERMANENT_REDIRECTS else Status.OK
                return verdict(status, None, code, body=body, truncated=truncated, content_type=ctype)

            if code in _RETRY_CODES:
                final = Status.RATE_LIMITED if code == 429 else Status.BROKEN
                delay = parse_retry_after(headers.get("retry-after"))
                if delay is not None and delay > cfg.retry_after_cap:
                    return verdict(
                        final, f"HTTP {code}: Retry-After {delay:.0f} s is beyond the cap of {cfg.retry_after_cap:g} s", code
                    )
                if retries < cfg.retries:
                    pause = delay if delay is not None else self._backoff(retries)
                    if code == 429 or delay is not None:
                        self.limiter.defer(host, pause)
                    if not wait(pause):
                        return verdict(final, f"HTTP {code}; no time left to retry after {pause:.1f} s", code)
                    retries += 1
                    continue
                return verdict(final, f"HTTP {code}" + (f" after {retries} retries" if retries else ""), code)

            if code in (401, 403, 451, 999):
                return verdict(Status.BLOCKED, f"HTTP {code}: the site refuses robots", code)
            return verdict(Status.BROKEN, f"HTTP {code}", code)

    def check_doi(self, doi: str) -> _Verdict:
        resolver = self.config.doi_resolver.rstrip("/")
        v = self.fetch(f"{resolver}/api/handles/{quote(doi, safe='/')}", api=True)
        if v.status is not Status.OK:
            return _Verdict(v.status, v.code, None, (), v.error, v.method, v.attempts)
        try:
            data = json.loads(v.body.decode("utf-8"))
            rc = data.get("responseCode") if isinstance(data, dict) else None
        except (UnicodeDecodeError, ValueError):
            data, rc = {}, None
        if rc == 1:
            target = next(
                (
                    str(val.get("data", {}).get("value"))
                    for val in data.get("values", [])
                    if isinstance(val, dict) and val.get("type") == "URL" and isinstance(val.get("data"), dict)
                ),
                None,
            )
            return _Verdict(Status.OK, v.code, target, (), None, v.method, v.attempts)
        if rc == 100 or (rc is None and v.code == 404):
            return _Verdict(Status.BROKEN, v.code, None, (), "DOI not found at the resolver", v.method, v.attempts)
        if rc == 200:
            return _Verdict(Status.BROKEN, v.code, None, (), "DOI has no values at the resolver", v.method, v.attempts)
        what = f"responseCode {rc}" if rc is not None else "an answer that is not handle JSON"
        return _Verdict(Status.NETWORK_ERROR, v.code, None, (), f"the DOI resolver gave {what}", v.method, v.attempts)

    def check_group(self, reqs: Sequence[LinkRequest]) -> list[LinkResult]:
        """Check requests that share one fetch (a URL with different fragments, a DOI)."""
        started = time.monotonic()
        first = reqs[0]
        want_anchors = self.config.fragments and any(
            r.fragment is not None and not always_present(r.fragment) for r in reqs
        )
        try:
            if first.target is Target.DOI:
                v = self.check_doi(first.doi or "")
            else:
                v = self.fetch(_defrag(first.url), want_body=want_anchors)
        except Exception as exc:  # noqa: BLE001 - one URL's failure is data, never the run's
            v = _Verdict(Status.NETWORK_ERROR, error=f"unexpected {type(exc).__name__}: {exc}")
        anchors = None
        if want_anchors and v.status in (Status.OK, Status.REDIRECTED) and "html" in v.content_type:
            anchors = html_anchors(v.body)
        elapsed = time.monotonic() - started
        out = []
        for r in reqs:
            status, error = v.status, v.error
            if anchors is not None and r.fragment is not None and not fragment_found(r.fragment, anchors):
                if v.truncated:
                    error = f"anchor #{r.fragment} not in the first {self.config.max_body} bytes; not checked further"
                else:
                    status, error = Status.BROKEN, f"anchor #{r.fragment} not found"
            out.append(
                LinkResult(
                    r.url,
                    status,
                    v.code,
                    v.final_url,
                    v.redirects,
                    elapsed,
                    error,
                    _now(),
                    r.places,
                    v.method,
                    v.attempts,
                )
            )
        return out


def _defrag(url: str) -> str:
    return urldefrag(url)[0] if "#" in url else url


def check_links(
    requests_: Sequence[LinkRequest],
    config: CheckConfig | None = None,
    *,
    progress: Callable[[LinkResult], None] | None = None,
    session_factory: Callable[[], requests.Session] | None = None,
) -> list[LinkResult]:
    """Check every request; one result per request, in the same order.

    Args:
        requests_: The requests (from :func:`~kmgraph.linkcheck.collect.collect_links`).
        config: The settings (the library's defaults when None).
        progress: Called with each result as it is reached, on the calling thread.
        session_factory: Makes the ``requests.Session`` of each worker thread (to mount
            another transport, set proxies or certificates). By default no session is
            used: the workers share a urllib3 pool manager (proxies from the environment,
            certifi's certificates), which costs about half the CPU per request.

    Returns:
        The results. Failures are results with a status and a reason, never exceptions.
    """
    cfg = config or CheckConfig()
    deadline = None if cfg.max_time is None else time.monotonic() + cfg.max_time
    checker = _Checker(cfg, deadline, session_factory)
    results: list[LinkResult | None] = [None] * len(requests_)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, req in enumerate(requests_):
        res = checker.offline(req)
        if res is not None:
            results[i] = res
            if progress:
                progress(res)
            continue
        key = ("doi", req.doi or "") if req.target is Target.DOI else ("http", _defrag(req.url))
        groups.setdefault(key, []).append(i)

    # Interleave hosts so that one big host does not hold every worker at its limit.
    by_host: dict[str, list[tuple[str, str]]] = {}
    for key in groups:
        host = (urlsplit(cfg.doi_resolver).hostname or "") if key[0] == "doi" else checker.host_of(key[1])
        by_host.setdefault(host, []).append(key)
    order: list[tuple[str, str]] = []
    longest = max((len(keys) for keys in by_host.values()), default=0)
    for n in range(longest):
        order.extend(keys[n] for keys in by_host.values() if n < len(keys))

    # Worker threads take groups from one queue. With a progress callback, they hand
    # results back on another queue (the callback runs on the calling thread); without
    # one, they store them and the calling thread sleeps until the last one is in: a
    # wake-up per result costs CPU in lock hand-offs between 30-odd threads, and a future
    # per group (ThreadPoolExecutor, as_completed) costs more than the check.
    todo: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    for key in order:
        todo.put(key)
    done: queue.SimpleQueue[tuple[tuple[str, str], list[LinkResult] | BaseException]] = queue.SimpleQueue()
    left = [len(order)]
    left_lock = threading.Lock()
    finished = threading.Event()
    failures: list[BaseException] = []

    def store(key: tuple[str, str], out: list[LinkResult] | BaseException) -> None:
        if isinstance(out, BaseException):
            failures.append(out)
            finished.set()
            return
        for i, res in zip(groups[key], out, strict=True):
            results[i] = res
        with left_lock:
            left[0] -= 1
            if left[0] == 0:
                finished.set()

    def work() -> None:
        while True:
            try:
                key = todo.get_nowait()
            except queue.Empty:
                return
            try:
                out: list[LinkResult] | BaseException = checker.check_group([requests_[i] for i in groups[key]])
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                out = exc
            if progress:
                done.put((key, out))
            else:
                store(key, out)

    # One worker per request in flight; a worker about to wait for a retry (Retry-After,
    # backoff) starts another, up to twice ``concurrency`` workers, so the network stays
    # busy. The limiter still allows only ``concurrency`` requests in flight. (More
    # workers from the start would cost CPU in contention when nobody waits.)
    workers: list[threading.Thread] = []
    spawn_lock = threading.Lock()

    def spawn() -> None:
        with spawn_lock:
            if len(workers) >= 2 * cfg.concurrency or todo.empty():
                return
            worker = threading.Thread(target=work, name=f"kmgraph-links-{len(workers)}", daemon=True)
            workers.append(worker)
        worker.start()

    checker.on_wait = spawn
    try:
        for _ in range(min(cfg.concurrency, len(order))):
            spawn()
        if progress is None:
            if order:
                finished.wait()
            if failures:
                raise failures[0]
        else:
            for _ in order:
                key, out = done.get()
                if isinstance(out, BaseException):
                    raise out
                for i, res in zip(groups[key], out, strict=True):
                    results[i] = res
                    progress(res)
    finally:
        while True:  # on an error (or Ctrl-C) workers finish their current URL and stop
            try:
                todo.get_nowait()
            except queue.Empty:
                break
        with spawn_lock:
            started = list(workers)
        for worker in started:
            if worker.is_alive():
                worker.join()
        checker.close()
    return [r for r in results if r is not None]
