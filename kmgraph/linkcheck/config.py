"""The settings of a link check, with every default defined once.

:class:`CheckConfig` is a frozen dataclass: build one with keyword arguments, derive
variants with :func:`dataclasses.replace`, or read a mapping (a ``[tool.kmgraph.links]``
table, a JSON object) with :meth:`CheckConfig.from_mapping`, which accepts the same names
with ``-`` or ``_`` and validates each value. Command-line flags are applied last, so they
win over a file.

>>> cfg = CheckConfig.from_mapping({"concurrency": 8, "accept": "200..299,403", "max-age": "12h"})
>>> cfg.concurrency, cfg.accepts(403), cfg.accepts(404), cfg.max_age
(8, True, False, 43200.0)

Files: :func:`load_config` reads ``[links]`` of a ``kmgraph.toml`` or ``[tool.kmgraph.links]``
of a ``pyproject.toml`` (found in the working directory or upward to the repository
root), and the ignore files (:data:`IGNORE_FILES`) of that project. A mistake in a file is a
:class:`~kmgraph.errors.MalformedInput` naming the file and line.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kmgraph import __version__
from kmgraph.errors import DocumentNotFound, MalformedInput, UsageError
from kmgraph.linkcheck.status import DEFAULT_FAIL_ON, Status

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_CACHE_FILE",
    "DEFAULT_USER_AGENT",
    "IGNORE_FILES",
    "CheckConfig",
    "HostConfig",
    "LoadedConfig",
    "find_config_file",
    "load_config",
    "parse_accept",
    "parse_duration",
    "parse_header",
    "parse_statuses",
    "project_root",
    "read_ignore_file",
]

#: The User-Agent sent with every request unless configured otherwise.
DEFAULT_USER_AGENT = f"kmgraph/{__version__} (+https://github.com/kmgraph/kmgraph)"

#: The cache of link-check results, relative to the working directory (the workspace).
DEFAULT_CACHE_FILE = ".kmgraph/linkcheck.sqlite"

#: Configuration files, in the order they are looked for in each folder, with the table
#: that holds the link-check settings.
CONFIG_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kmgraph.toml", ("links",)),
    ("pyproject.toml", ("tool", "kmgraph", "links")),
)

#: Ignore files read from the project root: one regular expression per line, ``#`` comments.
#: ``.lycheeignore`` has the same format and is read too, so a project moving from lychee
#: keeps its list.
IGNORE_FILES = (".kmgraphignore-links", ".lycheeignore")

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


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d|w)?", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: str | float | int) -> float:
    """Seconds from ``"1d"``, ``"12h"``, ``"1h30m"``, ``"500ms"``, ``"3600"`` or a number.

    Units: ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``; a number without a unit is seconds.

    >>> parse_duration("1d"), parse_duration("1h30m"), parse_duration("3600"), parse_duration("250ms")
    (86400.0, 5400.0, 3600.0, 0.25)

    Raises:
        UsageError: Not a duration, or a negative one.
    """
    if isinstance(value, bool):
        raise UsageError(f"{value!r} is not a duration such as 1d, 12h, 30m or 3600")
    if isinstance(value, int | float):
        if value < 0:
            raise UsageError(f"{value!r} is not a duration (negative)")
        return float(value)
    text = str(value).strip().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if not m or (m.group(2) is None and (pos != 0 or m.end() != len(text))):
            break
        total += float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]
        pos = m.end()
    if not text or pos != len(text):
        raise UsageError(f"{value!r} is not a duration such as 1d, 12h, 30m or 3600")
    return total


_ENV_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))")


def _env_names(value: str) -> list[str]:
    if value.startswith("env:"):
        return [value[4:]]
    return [m.group(1) or m.group(2) for m in _ENV_REF.finditer(value) if not m.group(3)]


def _expand(value: str) -> str | None:
    """A header value with its environment variables read; None when one is unset."""
    if value.startswith("env:"):
        return os.environ.get(value[4:])
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        if m.group(3):
            return "$"
        got = os.environ.get(m.group(1) or m.group(2))
        if got is None:
            missing = True
            return ""
        return got

    out = _ENV_REF.sub(sub, value)
    return None if missing else out


def parse_header(text: str) -> tuple[str, str, str]:
    """``(host, name, value)`` from ``[HOST=]Name: value`` (the ``--header`` form).

    Without ``HOST=`` the header goes to every host (``*``). Values are kept as written:
    ``$NAME``, ``${NAME}`` and a whole ``env:NAME`` are read from the environment when a
    request is made (``$$`` is a literal ``$``).

    >>> parse_header("api.github.com=Authorization: Bearer ${GITHUB_TOKEN}")
    ('api.github.com', 'Authorization', 'Bearer ${GITHUB_TOKEN}')
    >>> parse_header("Accept-Language: en")
    ('*', 'Accept-Language', 'en')

    Raises:
        UsageError: No ``Name: value``, or a name that is not a header name.
    """
    head, sep, value = text.partition(":")
    if not sep:
        raise UsageError(f"header {text!r} is not [HOST=]Name: value")
    host, eq, name = head.rpartition("=")
    host = host.strip().lower() if eq else "*"
    name = name.strip()
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        raise UsageError(f"header {text!r}: {name!r} is not a header name")
    if not host:
        raise UsageError(f"header {text!r}: empty host before '='")
    return host, name, value.strip()


@dataclass(frozen=True)
class HostConfig:
    """Settings for one host (or a glob of hosts such as ``*.example.org``).

    Attributes:
        concurrency: Requests in flight to this host at once; None keeps the global default.
        interval: Minimum seconds between the starts of two requests to this host; None
            keeps the global default.
        headers: Extra request headers. A value ``env:NAME`` is read from the environment
            variable ``NAME`` when the request is made, and so are ``$NAME`` and ``${NAME}``
            inside a value (``Bearer ${GITHUB_TOKEN}``); the header is left out when a
            variable is unset. Header values never appear in reports or in the cache.
    """

    concurrency: int | None = None
    interval: float | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def resolved_headers(self) -> dict[str, str]:
        """The headers with their environment variables read (unset ones leave the header out).

        >>> os.environ["KMGRAPH_DOCTEST_TOKEN"] = "s3cret"
        >>> HostConfig(headers={"Authorization": "Bearer $KMGRAPH_DOCTEST_TOKEN", "X": "env:KMGRAPH_UNSET_VAR"}).resolved_headers()
        {'Authorization': 'Bearer s3cret'}
        """
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            got = _expand(value)
            if got is not None:
                out[name] = got
        return out

    def missing_variables(self) -> list[tuple[str, str]]:
        """``(header, variable)`` for each environment variable a header needs and lacks."""
        return [
            (name, var) for name, value in self.headers.items() for var in _env_names(value) if var not in os.environ
        ]


@dataclass(frozen=True)
class CheckConfig:
    """Everything that decides how links are checked. Defaults are the library's.

    Attributes:
        concurrency: Requests in flight at once, over all hosts (worker threads).
        host_concurrency: Requests in flight at once to one host.
        host_interval: Minimum seconds between the starts of two requests to one host.
        hosts: Per-host overrides (concurrency, interval, headers), keyed by host name or
            glob (``*.example.org``); merged by :meth:`host` (exact name, then globs, longest first).
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
        cache: Keep results between runs in :attr:`cache_file` and reuse those younger
            than :attr:`max_age` (see :mod:`kmgraph.linkcheck.cache`).
        cache_file: The cache's SQLite file (:data:`DEFAULT_CACHE_FILE` when None).
        max_age: Seconds a cached result stays good.
        cache_failures: Also cache ``broken``, ``blocked`` and ``soft-404`` (answers a
            server gave); ``timeout``, ``rate-limited`` and ``network-error`` are never cached.
        offline: No network at all: web links and DOIs come from the cache (also without
            :attr:`cache`), and those not in it are ``excluded``; local links are checked.
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
    cache: bool = False
    cache_file: str | None = None
    max_age: float = 86400.0
    cache_failures: bool = False
    offline: bool = False
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("concurrency", "host_concurrency", "max_redirects", "max_body"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name.replace('_', '-')} must be at least 1")
        for name in ("host_interval", "retries", "backoff", "retry_after_cap", "max_age"):
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
        names = {f.name for f in fields(cls) if f.init}
        changes: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = raw_key.replace("-", "_")
            if key not in names:
                raise UsageError(f"unknown link-check setting {raw_key!r}")
            changes[key] = _coerce(key, value)
        return replace(base or cls(), **changes)

    def host(self, host: str) -> HostConfig:
        """The per-host settings for ``host`` (an empty :class:`HostConfig` when none).

        Every matching key contributes: the exact name first, then the globs, the longest
        (most specific) first, so ``*`` (every host) comes last. Each setting comes from
        the first key that sets it; headers are merged, a header of an earlier key winning.

        >>> cfg = CheckConfig(hosts={"*": HostConfig(headers={"A": "1", "B": "1"}),
        ...                          "x.org": HostConfig(interval=2, headers={"A": "2"})})
        >>> h = cfg.host("X.org")
        >>> h.interval, dict(h.headers)
        (2, {'A': '2', 'B': '1'})
        """
        host = host.lower()
        key = ("host", host)
        got = self._memo.get(key)
        if got is not None:
            return got
        matches = [self.hosts[host]] if host in self.hosts else []
        globs = sorted((p for p in self.hosts if p != host), key=lambda p: -len(p))
        matches += [self.hosts[p] for p in globs if fnmatch.fnmatchcase(host, p.lower())]
        if not matches:
            got = HostConfig()
        elif len(matches) == 1:
            got = matches[0]
        else:
            headers: dict[str, str] = {}
            for cfg in reversed(matches):
                headers.update(cfg.headers)
            got = HostConfig(
                concurrency=next((c.concurrency for c in matches if c.concurrency is not None), None),
                interval=next((c.interval for c in matches if c.interval is not None), None),
                headers=MappingProxyType(headers),
            )
        self._memo[key] = got
        return got

    def excluded_reason(self, url: str) -> str | None:
        """Why ``url`` is not checked by the ``include``/``exclude`` patterns, or None.

        A URL matching an ``include`` pattern is checked even if an ``exclude`` matches;
        when there are ``include`` patterns, a URL matching none is not checked.

        >>> CheckConfig(exclude=("linkedin",)).excluded_reason("https://www.linkedin.com/in/x")
        "matches --exclude 'linkedin'"
        """
        compiled = self._memo.get("patterns")
        if compiled is None:
            compiled = ([re.compile(p) for p in self.include], [re.compile(p) for p in self.exclude])
            self._memo["patterns"] = compiled
        include, exclude = compiled
        if include and any(p.search(url) for p in include):
            return None
        for p in exclude:
            if p.search(url):
                return f"matches --exclude {p.pattern!r}"
        if include:
            return "matches no --include pattern"
        return None

    def cache_path(self) -> Path:
        """The cache file: :attr:`cache_file`, else :data:`DEFAULT_CACHE_FILE`."""
        return Path(self.cache_file or DEFAULT_CACHE_FILE)

    def missing_variables(self) -> list[tuple[str, str, str]]:
        """``(host, header, variable)`` for each environment variable a header needs and lacks."""
        return [(host, name, var) for host, cfg in self.hosts.items() for name, var in cfg.missing_variables()]

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
            if not isinstance(headers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
            ):
                raise bad("a table of hosts whose headers are strings")
            concurrency = spec.get("concurrency")
            if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1):
                raise UsageError(f"link-check setting 'hosts': concurrency of {host!r} must be an integer of at least 1")
            interval = spec.get("interval")
            if interval is not None:
                try:
                    interval = parse_duration(interval)
                except UsageError as exc:
                    raise UsageError(f"link-check setting 'hosts': interval of {host!r}: {exc}") from None
            hosts[str(host).lower()] = HostConfig(
                concurrency=concurrency, interval=interval, headers=MappingProxyType(dict(headers))
            )
        return MappingProxyType(hosts)
    if key == "max_age":
        return parse_duration(value)
    if key in ("exclude_private", "fragments", "soft404", "cache", "cache_failures", "offline"):
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
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except UsageError:
                raise bad("a number of seconds or a duration such as 500ms") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number of seconds")
        return float(value)
    if key in ("user_agent", "doi_resolver", "base_url", "cache_file"):
        if not isinstance(value, str):
            raise bad("a string")
        return value
    raise bad("something else")  # pragma: no cover - every field is handled above


# Files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedConfig:
    """A config read from files, and where it came from.

    Attributes:
        config: The settings: the defaults, then the config file, then the ignore files.
        config_file: The file the settings were read from, or None.
        ignore_files: The ignore files read, in order.
        root: The project root: the config file's folder, else the repository root (the
            nearest folder up from the working directory with a ``.git``), else the
            working directory. Ignore files are read here; a relative ``cache-file`` in a
            config file is relative to the config file's folder.
    """

    config: CheckConfig
    config_file: Path | None = None
    ignore_files: tuple[Path, ...] = ()
    root: Path = Path(".")


def _search_dirs(start: Path) -> tuple[list[Path], Path | None]:
    """The folders to search, from ``start`` up to the repository root, and that root."""
    start = start.resolve()
    chain = [start, *start.parents]
    for i, folder in enumerate(chain):
        if (folder / ".git").exists():
            return chain[: i + 1], folder
    return [start], None


def _table(data: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentNotFound("no such configuration file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MalformedInput(f"cannot read the configuration: {reason}", path=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        line = int(m.group(1)) if m else None
        if m:
            message = message[: m.start()]
        raise MalformedInput(f"invalid TOML: {message}", path=str(path), line=line) from None


def find_config_file(start: str | os.PathLike[str] | None = None) -> tuple[Path, tuple[str, ...]] | None:
    """The configuration file that applies in ``start`` (the working directory), and its table.

    Looks in ``start`` and each folder above it up to the repository root (the first
    folder with a ``.git``; without one, ``start`` only). In each folder a ``kmgraph.toml``
    comes first (its ``[links]`` table, which may be absent), then a ``pyproject.toml``
    with a ``[tool.kmgraph.links]`` table; a ``pyproject.toml`` without that table is
    passed over.

    Returns:
        ``(file, table path)``, or None when no file applies.

    Raises:
        MalformedInput: A candidate file that is not valid TOML (file and line named).
    """
    folders, _ = _search_dirs(Path(start) if start is not None else Path.cwd())
    for folder in folders:
        for name, table in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name == "kmgraph.toml":
                return candidate, table
            data, _ = _read_toml(candidate)
            if _table(data, table) is not None:
                return candidate, table
    return None


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The repository root above ``start`` (the nearest folder with ``.git``), else ``start``."""
    base = Path(start) if start is not None else Path.cwd()
    _, root = _search_dirs(base)
    return root or base.resolve()


def _key_line(text: str, table: tuple[str, ...], key: str) -> int | None:
    """Best effort: the line where ``key`` of ``table`` is set (or its table starts)."""

    def parts(header: str) -> tuple[str, ...]:
        return tuple(p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', header))

    current: tuple[str, ...] = ()
    header_line = None
    key_re = re.compile(rf"""^\s*(?:["']?{re.escape(key)}["']?)\s*[=.]""")
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$", line)
        if m:
            current = parts(m.group(1))
            if current == table and header_line is None:
                header_line = number
            if current[: len(table) + 1] == (*table, key):
                return number
            continue
        if current == table and key_re.match(line):
            return number
        if current and current == table[: len(current)]:  # dotted keys: links.key = ... under [tool.kmgraph]
            dotted = ".".join(table[len(current) :] + (key,))
            if re.match(rf"^\s*{re.escape(dotted)}\s*[=.]", line):
                return number
    return header_line


def read_ignore_file(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The patterns of an ignore file: one regular expression per line.

    Blank lines and lines whose first non-blank character is ``#`` are skipped; the other
    lines are stripped of surrounding whitespace.

    Raises:
        MalformedInput: A line that is not a regular expression (file and line named),
            or a file that cannot be read.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MalformedInput(f"cannot read the ignore file: {reason}", path=str(p)) from None
    patterns = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            re.compile(line)
        except re.error as exc:
            raise MalformedInput(f"bad regular expression {line!r}: {exc}", path=str(p), line=number) from None
        patterns.append(line)
    return tuple(patterns)


def load_config(
    config_file: str | os.PathLike[str] | None = None,
    *,
    start: str | os.PathLike[str] | None = None,
    discover: bool = True,
    ignore_files: bool = True,
    base: CheckConfig | None = None,
) -> LoadedConfig:
    """Read the link-check settings of a project.

    Args:
        config_file: A ``kmgraph.toml`` or ``pyproject.toml`` to read instead of looking
            for one (any other name is read as a ``kmgraph.toml``).
        start: The folder to look from (the working directory when None).
        discover: Look for a config file (see :func:`find_config_file`) when none is given.
        ignore_files: Read the ignore files (:data:`IGNORE_FILES`) of the project root;
            their patterns come before the config's ``exclude``.
        base: The settings the files apply to (the defaults when None).

    Returns:
        The settings and the files they came from.

    Raises:
        DocumentNotFound: ``config_file`` does not exist.
        MalformedInput: A file that is not valid TOML, an unknown setting or a bad value
            (the file and line named), an ignore file with a bad regular expression.
    """
    start_dir = Path(start) if start is not None else Path.cwd()
    found: tuple[Path, tuple[str, ...]] | None
    if config_file is not None:
        path = Path(config_file)
        table = dict(CONFIG_FILES).get(path.name, CONFIG_FILES[0][1])
        found = (path, table)
    else:
        found = find_config_file(start_dir) if discover else None
    cfg = base or CheckConfig()
    root = project_root(start_dir)
    used: Path | None = None
    if found is not None:
        path, table = found
        data, text = _read_toml(path)
        settings = _table(data, table)
        parent = _table(data, table[:-1])
        if settings is None and parent is not None and table[-1] in parent:
            where = _key_line(text, table[:-1], table[-1])
            raise MalformedInput(f"{'.'.join(table)} must be a table", path=str(path), line=where)
        for raw_key, value in (settings or {}).items():
            if raw_key.replace("-", "_") == "cache_file" and isinstance(value, str) and not os.path.isabs(value):
                value = str(path.parent / value)
            try:
                cfg = CheckConfig.from_mapping({raw_key: value}, base=cfg)
            except UsageError as exc:
                raise MalformedInput(exc.message, path=str(path), line=_key_line(text, table, raw_key)) from None
        used = path
        root = path.resolve().parent
    read: list[Path] = []
    if ignore_files:
        patterns: list[str] = []
        for name in IGNORE_FILES:
            candidate = root / name
            if candidate.is_file():
                patterns.extend(read_ignore_file(candidate))
                read.append(candidate)
        if patterns:
            cfg = replace(cfg, exclude=(*patterns, *(p for p in cfg.exclude if p not in patterns)))
    return LoadedConfig(cfg, used, tuple(read), root)
