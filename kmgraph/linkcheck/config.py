"""The settings of a link check, with every default defined once.

:class:`CheckConfig` is a frozen dataclass: build one with keyword arguments, derive
variants with :func:`dataclasses.replace`, or read a mapping (a ``[tool.kmgraph.links]``
table, a JSON object) with :meth:`CheckConfig.from_mapping`, which accepts the same names
with ``-`` or ``_`` and validates each value. Command-line flags are applied last, so they
win over a file.

>>> cfg = CheckConfig.from_mapping({"concurrency": 8, "accept": "200..299,403"})
>>> cfg.concurrency, cfg.accepts(403), cfg.accepts(404)
(8, True, False)
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from kmgraph import __version__
from kmgraph.errors import UsageError
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, Status

__all__ = [
    "DEFAULT_USER_AGENT",
    "CheckConfig",
    "HostConfig",
    "parse_accept",
    "parse_statuses",
]

#: The User-Agent sent with every request unless configured otherwise.
DEFAULT_USER_AGENT = f"kmgraph/{__version__} (+https://github.com/kmgraph/kmgraph)"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def parse_accept(text: str | Iterable[int | str]) -> tuple[tuple[int, int], ...]:
    """Status code ranges from ``"200..299,403"`` (or a list of codes and ranges).

    ``a..b`` and ``a..=b`` are inclusive ranges; ``a`` alone is one code.

    >>> parse_accept("200..299, 403")
    ((200, 299), (403, 403))
    >>> parse_accept([200, "300..=308"])
    ((200, 200), (300, 308))

    Raises:
        UsageError: A part that is not a code or a range of codes (100-999).
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    ranges: list[tuple[int, int]] = []
    for part in parts:
        item = str(part).strip()
        if not item:
            continue
        m = re.fullmatch(r"(\d{3})(?:\s*\.\.=?\s*(\d{3}))?", item)
        if not m:
            raise UsageError(f"accept: {item!r} is not a status code or a range such as 200..299")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if not 100 <= lo <= hi <= 999:
            raise UsageError(f"accept: {item!r} is not a range of status codes (100..999, low to high)")
        ranges.append((lo, hi))
    if not ranges:
        raise UsageError("accept: no status codes given")
    return tuple(ranges)


def parse_statuses(text: str | Iterable[str]) -> frozenset[Status]:
    """Statuses from ``"broken,network-error"`` (or a list of names).

    >>> sorted(parse_statuses("broken, timeout"))
    [<Status.BROKEN: 'broken'>, <Status.TIMEOUT: 'timeout'>]

    Raises:
        UsageError: An unknown status name.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: set[Status] = set()
    for part in parts:
        name = part.strip().lower().replace("_", "-")
        if not name:
            continue
        try:
            out.add(Status(name))
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise UsageError(f"unknown status {name!r} (known: {known})") from None
    return frozenset(out)


@dataclass(frozen=True)
class HostConfig:
    """Settings for one host (or a glob of hosts such as ``*.example.org``).

    Attributes:
        concurrency: Requests in flight to this host at once; None keeps the global default.
        interval: Minimum seconds between the starts of two requests to this host; None
            keeps the global default.
        headers: Extra request headers. A value ``env:NAME`` is read from the environment
            variable ``NAME`` when the request is made (and the header left out when the
            variable is unset); header values never appear in reports.
    """

    concurrency: int | None = None
    interval: float | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def resolved_headers(self) -> dict[str, str]:
        """The headers with ``env:NAME`` values read from the environment."""
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            if value.startswith("env:"):
                env = os.environ.get(value[4:])
                if env is None:
                    continue
                value = env
            out[name] = value
        return out


@dataclass(frozen=True)
class CheckConfig:
    """Everything that decides how links are checked. Defaults are the library's.

    Attributes:
        concurrency: Requests in flight at once, over all hosts (worker threads).
        host_concurrency: Requests in flight at once to one host.
        host_interval: Minimum seconds between the starts of two requests to one host.
        hosts: Per-host overrides (concurrency, interval, headers), keyed by host name or
            glob (``*.example.org``); the first matching key wins, exact names first.
        timeout: Seconds to wait to connect and between bytes read, per request.
        retries: Retries after a connection error, 429, 502, 503 or 504 (not after a timeout).
        backoff: Base of the exponential backoff in seconds (``backoff * 2**n`` plus jitter).
        retry_after_cap: Longest ``Retry-After`` honoured, in seconds; a longer one ends the
            check as ``rate-limited`` (429) or ``broken`` (503) at once.
        url_budget: Total seconds one URL may take, waits and retries included.
        max_time: Seconds for the whole run; URLs not done by then are ``timeout``. None: no limit.
        max_redirects: Redirects followed before the URL is ``broken``.
        max_body: Most bytes read from a body (soft-404, bot-challenge and anchor checks).
        include: Regular expressions; when given, a URL that matches one is checked even if
            an ``exclude`` matches too, and a URL that matches none is ``excluded``.
        exclude: Regular expressions; a matching URL is ``excluded`` (unless included).
        accept: Status code ranges that count as ``ok`` (after redirects).
        schemes: URL schemes checked over the network; others are ``unsupported``.
        user_agent: The User-Agent header.
        exclude_private: Also never request private, loopback and other non-public
            addresses (link-local and cloud metadata addresses are never requested).
        doi_resolver: Base URL of the DOI resolver whose handle API checks DOIs.
        fragments: Check ``#fragment`` anchors of remote HTML pages too (local files always).
        soft404: GET pages instead of HEAD, to recognise "not found" pages served with 200.
            A GET made anyway (HEAD refused) is always checked.
        base_url: Join relative links of local documents to this URL and check them over
            the network, instead of on the file system.
        fail_on: The statuses that make a run fail.
    """

    concurrency: int = 16
    host_concurrency: int = 2
    host_interval: float = 0.1
    hosts: Mapping[str, HostConfig] = field(default_factory=lambda: _EMPTY)
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    retry_after_cap: float = 30.0
    url_budget: float = 30.0
    max_time: float | None = None
    max_redirects: int = 10
    max_body: int = 256 * 1024
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    accept: tuple[tuple[int, int], ...] = ((200, 299),)
    schemes: tuple[str, ...] = ("http", "https")
    user_agent: str = DEFAULT_USER_AGENT
    exclude_private: bool = True
    doi_resolver: str = "https://doi.org"
    fragments: bool = False
    soft404: bool = False
    base_url: str | None = None
    fail_on: frozenset[Status] = DEFAULT_FAIL_ON

    def __post_init__(self) -> None:
        for name in ("concurrency", "host_concurrency", "max_redirects", "max_body"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name.replace('_', '-')} must be at least 1")
        for name in ("host_interval", "retries", "backoff", "retry_after_cap"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name.replace('_', '-')} must not be negative")
        for name in ("timeout", "url_budget"):
            if getattr(self, name) <= 0:
                raise UsageError(f"{name.replace('_', '-')} must be positive")
        if self.max_time is not None and self.max_time <= 0:
            raise UsageError("max-time must be positive")
        for pattern in (*self.include, *self.exclude):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"bad regular expression {pattern!r}: {exc}") from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: CheckConfig | None = None) -> CheckConfig:
        """A config from a mapping such as a ``[tool.kmgraph.links]`` table.

        Keys are the attribute names, with ``-`` or ``_``. ``accept`` and ``fail_on`` take
        the command-line forms or lists; ``hosts`` maps a host to a table with
        ``concurrency``, ``interval`` and ``headers``.

        Args:
            data: The settings.
            base: The config the settings apply to (the defaults when None).

        Raises:
            UsageError: An unknown key or a value of the wrong type.
        """
        names = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = raw_key.replace("-", "_")
            if key not in names:
                raise UsageError(f"unknown link-check setting {raw_key!r}")
            changes[key] = _coerce(key, value)
        return replace(base or cls(), **changes)

    def host(self, host: str) -> HostConfig:
        """The per-host settings for ``host`` (an empty :class:`HostConfig` when none)."""
        host = host.lower()
        if host in self.hosts:
            return self.hosts[host]
        for pattern, cfg in self.hosts.items():
            if fnmatch.fnmatchcase(host, pattern.lower()):
                return cfg
        return HostConfig()

    def interval_for(self, host: str) -> float:
        """Minimum seconds between requests to ``host``."""
        value = self.host(host).interval
        return self.host_interval if value is None else value

    def concurrency_for(self, host: str) -> int:
        """Requests in flight at once to ``host``."""
        value = self.host(host).concurrency
        return self.host_concurrency if value is None else value

    def accepts(self, code: int) -> bool:
        """True when ``code`` is in the accepted ranges."""
        return any(lo <= code <= hi for lo, hi in self.accept)


def _coerce(key: str, value: Any) -> Any:
    def bad(kind: str) -> UsageError:
        return UsageError(f"link-check setting {key!r} must be {kind}, not {value!r}")

    if key == "accept":
        return parse_accept(value)
    if key == "fail_on":
        return parse_statuses(value)
    if key in ("include", "exclude", "schemes"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(v.lower() for v in value) if key == "schemes" else tuple(value)
    if key == "hosts":
        if not isinstance(value, Mapping):
            raise bad("a table of hosts")
        hosts: dict[str, HostConfig] = {}
        for host, spec in value.items():
            if isinstance(spec, HostConfig):
                hosts[str(host).lower()] = spec
                continue
            if not isinstance(spec, Mapping) or set(spec) - {"concurrency", "interval", "headers"}:
                raise bad("a table of hosts, each with concurrency, interval and headers")
            headers = spec.get("headers", {})
            if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
                raise bad("a table of hosts whose headers are strings")
            hosts[str(host).lower()] = HostConfig(
                concurrency=None if spec.get("concurrency") is None else int(spec["concurrency"]),
                interval=None if spec.get("interval") is None else float(spec["interval"]),
                headers=MappingProxyType(dict(headers)),
            )
        return MappingProxyType(hosts)
    if key in ("exclude_private", "fragments", "soft404"):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key in ("concurrency", "host_concurrency", "retries", "max_redirects", "max_body"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if key in ("host_interval", "timeout", "backoff", "retry_after_cap", "url_budget", "max_time"):
        if value is None and key == "max_time":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number of seconds")
        return float(value)
    if key in ("user_agent", "doi_resolver", "base_url"):
        if not isinstance(value, str):
            raise bad("a string")
        return value
    raise bad("something else")  # pragma: no cover - every field is handled above
