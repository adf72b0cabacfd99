"""Benchmark ``kmgraph links check`` against lychee, LinkChecker and linkinator on loopback.

Reproduce (details and figures in ``docs/linkcheck-benchmark.md``)::

    benchmarks/setup_link_peers.sh                 # peers into /tmp/kmgraph-bench-peers
    python benchmarks/links.py --runs 3            # both profiles, every tool, medians of 3
    python benchmarks/links.py --quick             # 300 URLs per profile, one run
    python benchmarks/links.py --profile raw --tools kmgraph,lychee --runs 5

One loopback server (asyncio, in a thread of this process) listens on ``--hosts``
addresses 127.0.0.2, 127.0.0.3, ... with one port, so every tool sees that many distinct
hosts. Each URL of the plan has a kind (ok, missing, rate-limited, bot wall...) and a
latency; the server answers by the plan, so the ground truth of every URL is known:
only ``missing`` (404), ``gone`` (410) and ``moved-gone`` (a redirect to a 404) are
broken. A bot wall, a 429, a transient 503 or a transient hang is a live link, and a
tool that fails CI on it reports a *false broken*.

Profiles:

- ``raw``: engine speed. 2,000 URLs (10 % 404), 50 ms latency, no politeness limits,
  concurrency 32.
- ``realistic``: 2,000 URLs over 20 hosts, 100-300 ms latency, at most 4 requests in
  flight per host and 50 ms between request starts to one host, concurrency 32, 5 %
  broken (404, 410, redirect to 404) and 10 % faults: 429 with ``Retry-After: 1`` and
  503 on the first request, 403 and 999 bot walls, Cloudflare-style challenges, a first
  request that hangs past the timeout, redirects (301, 302, 308, chains), HEAD refused.

Each tool runs as a child process on the same links (a text file with one URL per line
for kmgraph and lychee, or a Markdown list with ``--input md``; an HTML page for
LinkChecker and linkinator), one after the other, interleaved over the runs. For each
run: wall time, CPU time of the child (``wait4`` rusage, user + system), the per-URL
verdicts parsed from the tool's machine output, and the server's counters (requests,
methods, peak in flight overall and per host). A one-URL run of each tool measures its
start-up. The table shows medians.

The ideal time is ``max(sum of latencies / concurrency, the slowest URL's minimum,
the per-host bound)``; the per-host bound is ``max over hosts of max(N_host * interval,
sum of the host's latencies / host concurrency)``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PEERS = Path(os.environ.get("KMGRAPH_BENCH_PEERS", "/tmp/kmgraph-bench-peers"))

#: Kinds whose URLs are broken (the ground truth); every other kind is a live link.
BROKEN_KINDS = frozenset({"missing", "gone", "moved-gone"})

OK_BODY = (
    b"<!doctype html><html><head><title>Knowledge management, page {i}</title></head>"
    b"<body><h1>Page {i}</h1><p>Tacit and explicit knowledge, communities of practice.</p></body></html>"
)
NOT_FOUND_BODY = b"<!doctype html><html><head><title>404 Not Found</title></head><body>Not here.</body></html>"
GONE_BODY = b"<!doctype html><html><head><title>410 Gone</title></head><body>Removed.</body></html>"
DENIED_BODY = b"<!doctype html><html><head><title>Access denied</title></head><body>Robots are not welcome.</body></html>"
CHALLENGE_BODY = (
    b"<!doctype html><html><head><title>Just a moment...</title></head>"
    b'<body><div id="challenge-platform">Checking your browser (cf-chl)</div></body></html>'
)

REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 308: "Permanent Redirect", 404: "Not Found",
    405: "Method Not Allowed", 410: "Gone", 403: "Forbidden", 429: "Too Many Requests",
    503: "Service Unavailable", 999: "Request denied",
}


# ---------------------------------------------------------------------------------------
# The plan: every URL with its kind, host, latency and ground truth
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One URL of the plan."""

    index: int
    kind: str
    host: int  # 0-based host number: address 127.0.0.(2 + host)
    delay: float  # seconds the server waits before each answer for this URL

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.index}"

    @property
    def broken(self) -> bool:
        return self.kind in BROKEN_KINDS


@dataclass(frozen=True)
class Profile:
    """How a benchmark run is set up: the plan's shape and the tools' policy."""

    name: str
    urls: int
    hosts: int
    latency: tuple[float, float]  # uniform range, seconds
    mix: dict[str, float]  # kind -> fraction of the URLs (the rest are "ok")
    concurrency: int
    host_concurrency: int | None  # None: no per-host limit
    host_interval: float  # seconds between request starts to one host
    timeout: float  # the request timeout given to every tool
    hang: float  # how long a "slow" URL's first request hangs (past the timeout)
    description: str = ""


REALISTIC_MIX = {
    # broken: 5 %
    "missing": 0.035,
    "gone": 0.010,
    "moved-gone": 0.005,
    # faults on live links: 10 %
    "ratelimit": 0.020,
    "flaky": 0.015,
    "forbidden": 0.0125,
    "denied999": 0.0075,
    "challenge": 0.010,
    "slow": 0.010,
    "redirect": 0.020,
    "nohead": 0.005,
}

PROFILES = {
    "raw": Profile(
        "raw",
        urls=2000,
        hosts=20,
        latency=(0.05, 0.05),
        mix={"missing": 0.10},
        concurrency=32,
        host_concurrency=None,
        host_interval=0.0,
        timeout=10.0,
        hang=0.0,
        description="engine speed: 50 ms latency, 10 % 404, no politeness limits, concurrency 32",
    ),
    "realistic": Profile(
        "realistic",
        urls=2000,
        hosts=20,
        latency=(0.10, 0.30),
        mix=REALISTIC_MIX,
        concurrency=32,
        host_concurrency=4,
        host_interval=0.05,
        timeout=5.0,
        hang=8.0,
        description=(
            "20 hosts, 100-300 ms latency, 4 in flight and 50 ms between starts per host, concurrency 32, "
            "5 % broken, 10 % faults (429, 503, 403, 999, challenge, hang, redirects, HEAD 405)"
        ),
    ),
}


def make_plan(profile: Profile, urls: int | None = None, seed: int = 20240501) -> list[Entry]:
    """The profile's URLs, deterministic for a seed: kinds by the mix, hosts and latencies at random."""
    n = urls or profile.urls
    rng = random.Random(seed)
    kinds: list[str] = []
    for kind, share in profile.mix.items():
        kinds.extend([kind] * max(1, round(n * share)))
    kinds = kinds[:n]
    kinds.extend(["ok"] * (n - len(kinds)))
    rng.shuffle(kinds)
    lo, hi = profile.latency
    return [
        Entry(i, kind, rng.randrange(profile.hosts), round(rng.uniform(lo, hi), 3) if hi > lo else lo)
        for i, kind in enumerate(kinds)
    ]


def ideal_time(plan: Sequence[Entry], profile: Profile) -> dict[str, float]:
    """The lower bounds of a run (seconds): total latency / concurrency, tail, per host."""
    total = sum(e.delay for e in plan)

    def minimum(e: Entry) -> float:  # the least time a correct client needs for this URL
        if e.kind == "slow":
            return profile.timeout + e.delay  # wait out the hang, ask again
        if e.kind == "ratelimit":
            return 2 * e.delay + 1.0  # Retry-After: 1
        if e.kind in ("flaky", "moved-gone"):
            return 2 * e.delay
        if e.kind == "redirect":
            return (3 if e.index % 4 == 3 else 2) * e.delay
        return e.delay

    per_host = 0.0
    if profile.host_concurrency is not None:
        by_host: dict[int, list[Entry]] = {}
        for e in plan:
            by_host.setdefault(e.host, []).append(e)
        per_host = max(
            max(len(es) * profile.host_interval, sum(x.delay for x in es) / profile.host_concurrency)
            for es in by_host.values()
        )
    bounds = {
        "latency_over_concurrency": total / profile.concurrency,
        "tail": max(minimum(e) for e in plan),
        "per_host": per_host,
    }
    bounds["ideal"] = max(bounds.values())
    return bounds


# ---------------------------------------------------------------------------------------
# The loopback server
# ---------------------------------------------------------------------------------------


class BenchServer:
    """An asyncio HTTP/1.1 server on 127.0.0.2 .. 127.0.0.(hosts+1), one port, answering by the plan.

    Only loopback addresses are bound. Counters (requests, methods, statuses, kinds, peak
    in flight overall and per host) are read with :meth:`stats` and cleared, together with
    the "first request" state of the transient faults, by :meth:`reset`.
    """

    def __init__(self, plan: Sequence[Entry], hosts: int, *, hang: float = 8.0, linkchecker_header: bool = True) -> None:
        if not 1 <= hosts <= 250:
            raise ValueError("hosts must be between 1 and 250")
        self.plan = list(plan)
        self.hosts = hosts
        self.hang = hang
        self.linkchecker_header = linkchecker_header
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task] = set()
        self._clear()

    # addresses and URLs ----------------------------------------------------------------

    @staticmethod
    def address(host: int) -> str:
        return f"127.0.0.{2 + host}"

    def url(self, entry: Entry) -> str:
        return f"http://{self.address(entry.host)}:{self.port}{entry.path}"

    def truth(self) -> dict[str, bool]:
        """URL -> broken, for every URL of the plan."""
        return {self.url(e): e.broken for e in self.plan}

    def kind_of(self) -> dict[str, str]:
        """URL -> kind, for every URL of the plan."""
        return {self.url(e): e.kind for e in self.plan}

    # life cycle ------------------------------------------------------------------------

    def start(self) -> BenchServer:
        self._thread = threading.Thread(target=self._run, name="bench-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"the benchmark server did not start: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = []
        for attempt in range(20):
            port = self._free_port()
            try:
                for h in range(self.hosts):
                    servers.append(
                        await asyncio.start_server(self._connection, self.address(h), port, backlog=1024, reuse_address=True)
                    )
            except OSError:
                for s in servers:
                    s.close()
                servers = []
                if attempt == 19:
                    raise
                continue
            self.port = port
            break
        self._ready.set()
        await self._stop.wait()
        for s in servers:
            s.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _free_port(self) -> int:
        with socket.socket() as s:
            s.bind((self.address(0), 0))
            return int(s.getsockname()[1])

    # counters --------------------------------------------------------------------------

    def _clear(self) -> None:
        self.hits: Counter[str] = Counter()  # path -> requests (any method)
        self.methods: Counter[str] = Counter()
        self.codes: Counter[int] = Counter()
        self.kinds: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        self.host_in_flight: Counter[int] = Counter()
        self.host_peak: Counter[int] = Counter()
        self.requests = 0

    def _call(self, fn: Callable[[], object]) -> object:
        """Run ``fn`` on the server's loop (so counters are never read half-updated)."""
        if self._loop is None:
            return fn()
        done = threading.Event()
        box: list[object] = []

        def call() -> None:
            box.append(fn())
            done.set()

        self._loop.call_soon_threadsafe(call)
        done.wait(10)
        return box[0] if box else None

    def reset(self) -> None:
        """Forget counters and which transient faults have fired."""
        self._call(self._clear)

    def stats(self) -> dict[str, object]:
        def snap() -> dict[str, object]:
            return {
                "requests": self.requests,
                "methods": dict(sorted(self.methods.items())),
                "codes": {str(k): v for k, v in sorted(self.codes.items())},
                "kinds": dict(sorted(self.kinds.items())),
                "peak_in_flight": self.peak,
                "peak_in_flight_per_host": max(self.host_peak.values(), default=0),
            }

        return self._call(snap)  # type: ignore[return-value]

    # HTTP ------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        local = writer.get_extra_info("sockname")[0]
        try:
            host = int(local.rsplit(".", 1)[1]) - 2
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    return
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = headers.get("content-length", "0")
                if length.isdigit() and int(length):
                    await reader.readexactly(int(length))
                close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
                ok = await self._answer(writer, host, method.upper(), target, close)
                if not ok or close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # the client hung up, or the server is stopping
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    def _lookup(self, host: int, path: str) -> tuple[Entry | None, str]:
        """(entry, role) for a path: role is the kind, or "landing"/"hop" for redirect targets."""
        parts = path.split("?", 1)[0].split("/")
        if len(parts) != 3 or not parts[2].isdigit():
            return None, ""
        role, index = parts[1], int(parts[2])
        if index >= len(self.plan):
            return None, ""
        entry = self.plan[index]
        if entry.host != host:
            return None, ""
        if role == entry.kind or (role in ("landing", "hop") and entry.kind in ("redirect", "moved-gone")):
            return entry, role
        return None, ""

    def _respond(self, host: int, method: str, path: str) -> tuple[int, dict[str, str], bytes, float]:
        """(code, headers, body, delay) for one request, by the plan."""
        entry, role = self._lookup(host, path)
        if entry is None:
            return 404, {}, NOT_FOUND_BODY, 0.0 if path == "/robots.txt" else 0.01
        self.kinds[role] += 1
        nth = self.hits[path]
        self.hits[path] = nth + 1
        page = OK_BODY.replace(b"{i}", str(entry.index).encode())
        base = f"http://{self.address(host)}:{self.port}"
        d = entry.delay
        kind = entry.kind
        if role == "landing":
            if kind == "moved-gone":
                return 404, {}, NOT_FOUND_BODY, d
            return 200, {}, page, d
        if role == "hop":
            return 302, {"Location": f"/landing/{entry.index}"}, b"", d
        if kind == "ok":
            return 200, {}, page, d
        if kind == "missing":
            return 404, {}, NOT_FOUND_BODY, d
        if kind == "gone":
            return 410, {}, GONE_BODY, d
        if kind == "moved-gone":
            return 301, {"Location": f"{base}/landing/{entry.index}"}, b"", d
        if kind == "redirect":
            variant = entry.index % 4
            if variant == 0:
                return 301, {"Location": f"{base}/landing/{entry.index}"}, b"", d
            if variant == 1:
                return 302, {"Location": f"/landing/{entry.index}"}, b"", d
            if variant == 2:
                return 308, {"Location": f"{base}/landing/{entry.index}"}, b"", d
            return 301, {"Location": f"{base}/hop/{entry.index}"}, b"", d
        if kind == "ratelimit":
            if nth == 0:
                return 429, {"Retry-After": "1"}, b"slow down", d
            return 200, {}, page, d
        if kind == "flaky":
            if nth == 0:
                return 503, {}, b"try again", d
            return 200, {}, page, d
        if kind == "forbidden":
            return 403, {}, DENIED_BODY, d
        if kind == "denied999":
            return 999, {}, DENIED_BODY, d
        if kind == "challenge":
            return 403, {"Server": "cloudflare", "cf-mitigated": "challenge"}, CHALLENGE_BODY, d
        if kind == "slow":
            if nth == 0:
                return 200, {}, page, self.hang
            return 200, {}, page, d
        if kind == "nohead":
            if method == "HEAD":
                return 405, {"Allow": "GET"}, b"", d
            return 200, {}, page, d
        return 404, {}, NOT_FOUND_BODY, d  # pragma: no cover - every kind is handled above

    async def _answer(self, writer: asyncio.StreamWriter, host: int, method: str, target: str, close: bool) -> bool:
        path = target
        if target.startswith("http://"):
            path = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        self.requests += 1
        self.methods[method] += 1
        self.in_flight += 1
        self.host_in_flight[host] += 1
        self.peak = max(self.peak, self.in_flight)
        self.host_peak[host] = max(self.host_peak[host], self.host_in_flight[host])
        try:
            code, headers, body, delay = self._respond(host, method, path)
            self.codes[code] += 1
            if delay:
                await asyncio.sleep(delay)
            head = [f"HTTP/1.1 {code} {REASONS.get(code, 'Unknown')}"]
            headers = {"Content-Type": "text/html; charset=utf-8", **headers, "Content-Length": str(len(body))}
            if self.linkchecker_header:
                headers["LinkChecker"] = "benchmark"  # lets LinkChecker use maxrequestspersecond
            if close:
                headers["Connection"] = "close"
            head.extend(f"{k}: {v}" for k, v in headers.items())
            data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
            if method != "HEAD":
                data += body
            writer.write(data)
            await writer.drain()
            return True
        except (ConnectionError, RuntimeError):
            return False
        finally:
            self.in_flight -= 1
            self.host_in_flight[host] -= 1


# ---------------------------------------------------------------------------------------
# The tools
# ---------------------------------------------------------------------------------------


@dataclass
class Workspace:
    """The input files every tool reads, and where outputs go."""

    folder: Path
    urls: list[str]
    input: str = "txt"

    @property
    def markdown(self) -> Path:
        return self.folder / "links.md"

    @property
    def html(self) -> Path:
        return self.folder / "links.html"

    @property
    def text(self) -> Path:
        return self.folder / "links.txt"

    def document(self, kind: str) -> Path:
        """The input of kmgraph and lychee: ``txt`` (one URL per line) or ``md``."""
        return self.markdown if kind == "md" else self.text

    def write(self) -> None:
        md = ["# Links", ""] + [f"- [link {i}]({u})" for i, u in enumerate(self.urls)]
        self.markdown.write_text("\n".join(md) + "\n", encoding="utf-8")
        self.text.write_text("".join(f"{u}\n" for u in self.urls), encoding="utf-8")
        body = "\n".join(f'<li><a href="{escape(u)}">link {i}</a></li>' for i, u in enumerate(self.urls))
        self.html.write_text(
            f"<!doctype html><html><head><meta charset=utf-8><title>Links</title></head><body><ul>\n{body}\n</ul></body></html>\n",
            encoding="utf-8",
        )


class Tool:
    """A link checker run as a child process: its command and its output parser."""

    name = ""

    def __init__(self, peers: Path) -> None:
        self.peers = peers

    def available(self) -> str | None:
        """None when the tool can run, else why not."""
        return None

    def version(self) -> str:
        try:
            data = json.loads((self.peers / "versions.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        return str(data.get(self.name, ""))

    def command(self, ws: Workspace, profile: Profile, out: Path) -> tuple[list[str], Path | None]:
        """(argv, file the tool writes its report to, or None for stdout)."""
        raise NotImplementedError

    def broken(self, output: str) -> dict[str, bool]:
        """URL -> reported as broken (failing the run), for every URL the tool reported."""
        raise NotImplementedError


class Kmgraph(Tool):
    name = "kmgraph"

    def version(self) -> str:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))  # the checkout's kmgraph, as run_child uses it
        from kmgraph import __version__

        return f"kmgraph {__version__}"

    def command(self, ws: Workspace, profile: Profile, out: Path) -> tuple[list[str], Path | None]:
        hc = profile.host_concurrency or profile.concurrency
        argv = [
            sys.executable, "-m", "kmgraph", "links", "check", str(ws.document(ws.input)),
            "--format", "json", "--include-private",
            "--concurrency", str(profile.concurrency),
            "--host-concurrency", str(hc),
            "--host-interval", f"{profile.host_interval:g}",
            "--timeout", f"{profile.timeout:g}",
        ]  # fmt: skip
        return argv, None

    def broken(self, output: str) -> dict[str, bool]:
        data = json.loads(output)
        return {r["url"]: bool(r["failing"]) for r in data["results"]}


class Lychee(Tool):
    name = "lychee"

    @property
    def exe(self) -> Path:
        return self.peers / "lychee" / "bin" / "lychee"

    def available(self) -> str | None:
        return None if self.exe.exists() else f"{self.exe} not found (run benchmarks/setup_link_peers.sh)"

    def command(self, ws: Workspace, profile: Profile, out: Path) -> tuple[list[str], Path | None]:
        hc = profile.host_concurrency or profile.concurrency
        argv = [
            str(self.exe), "--no-progress", "--format", "json", "--output", str(out),
            "--max-concurrency", str(profile.concurrency),
            "--host-concurrency", str(hc),
            "--host-request-interval", f"{round(profile.host_interval * 1000)}ms",
            "--timeout", f"{profile.timeout:g}",
            str(ws.document(ws.input)),
        ]  # fmt: skip
        return argv, out

    def broken(self, output: str) -> dict[str, bool]:
        data = json.loads(output)
        verdicts: dict[str, bool] = {}
        # lychee lists only failures (and, with -v, successes); a timeout fails the run too.
        maps = (("success_map", False), ("redirect_map", False), ("excluded_map", False),
                ("error_map", True), ("fail_map", True), ("timeout_map", True))  # fmt: skip
        for key, flag in maps:
            for items in (data.get(key) or {}).values():
                for item in items:
                    url = item.get("url") if isinstance(item, dict) else None
                    if url:
                        verdicts[url] = verdicts.get(url, False) or flag
        return verdicts


class LinkChecker(Tool):
    name = "linkchecker"

    @property
    def exe(self) -> Path:
        return self.peers / "linkchecker" / "bin" / "linkchecker"

    def available(self) -> str | None:
        return None if self.exe.exists() else f"{self.exe} not found (run benchmarks/setup_link_peers.sh)"

    def command(self, ws: Workspace, profile: Profile, out: Path) -> tuple[list[str], Path | None]:
        # The server sends a "LinkChecker" header, which lets LinkChecker wait
        # uniform(1, 6) / maxrequestspersecond between requests to one host instead of
        # its built-in uniform(0.1, 0.6) s; 1000/s when the profile has no interval.
        rate = 1000.0 if profile.host_interval <= 0 else 1.0 / profile.host_interval
        rc = ws.folder / "linkcheckerrc"
        rc.write_text(
            "[checking]\n"
            f"threads={profile.concurrency}\n"
            f"timeout={profile.timeout:g}\n"
            f"maxrequestspersecond={rate:g}\n"
            "[filtering]\ncheckextern=1\n",
            encoding="utf-8",
        )
        argv = [
            str(self.exe), "-f", str(rc), "--check-extern", "--no-status", "--no-warnings",
            "-r", "1", "-t", str(profile.concurrency), "--timeout", f"{profile.timeout:g}",
            "-o", "csv/utf-8", str(ws.html),
        ]  # fmt: skip
        return argv, None

    def broken(self, output: str) -> dict[str, bool]:
        lines = [line for line in output.splitlines() if line and not line.startswith("#")]
        verdicts: dict[str, bool] = {}
        for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
            url = row.get("urlname") or row.get("url") or ""  # the link as written, not the redirect target
            if not url.startswith("http"):
                continue
            valid = (row.get("valid") or "").strip().lower() in ("true", "1")
            verdicts[url] = verdicts.get(url, False) or not valid
        return verdicts


class Linkinator(Tool):
    name = "linkinator"

    @property
    def exe(self) -> Path:
        return self.peers / "linkinator" / "node_modules" / ".bin" / "linkinator"

    def available(self) -> str | None:
        return None if self.exe.exists() else f"{self.exe} not found (run benchmarks/setup_link_peers.sh)"

    def command(self, ws: Workspace, profile: Profile, out: Path) -> tuple[list[str], Path | None]:
        argv = [
            str(self.exe), str(ws.html), "--format", "json",
            "--concurrency", str(profile.concurrency),
            "--timeout", str(round(profile.timeout * 1000)),
        ]  # fmt: skip
        return argv, None

    def broken(self, output: str) -> dict[str, bool]:
        start = output.find("{")
        data = json.loads(output[start:]) if start >= 0 else {"links": []}
        verdicts: dict[str, bool] = {}
        for link in data.get("links", []):
            url = link.get("url", "")
            if url.startswith("http://127.0.0.") and link.get("state") in ("OK", "BROKEN"):
                verdicts[url] = verdicts.get(url, False) or link.get("state") == "BROKEN"
        return verdicts


TOOLS: dict[str, type[Tool]] = {t.name: t for t in (Kmgraph, Lychee, LinkChecker, Linkinator)}


# ---------------------------------------------------------------------------------------
# Running and scoring
# ---------------------------------------------------------------------------------------


@dataclass
class RunResult:
    tool: str
    profile: str
    run: int
    wall: float
    cpu: float
    exit_code: int
    false_broken: int
    missed_broken: int
    not_reported: int
    server: dict[str, object] = field(default_factory=dict)
    error: str | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)
    false_broken_by_kind: dict[str, int] = field(default_factory=dict)
    missed_broken_by_kind: dict[str, int] = field(default_factory=dict)


def run_child(argv: list[str], stdout: Path, stderr: Path, limit: float) -> tuple[float, float, int]:
    """Run a child to its end: (wall seconds, CPU seconds user+system, exit code)."""
    env = dict(os.environ)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(name, None)  # loopback only: never through a proxy
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.0/8,localhost"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # kmgraph runs from the checkout: keep its bytecode between runs (outside the checkout),
    # as an installed package has it, even where PYTHONDONTWRITEBYTECODE is set.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "kmgraph-bench-pycache"))
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=stdout.parent)
        deadline = started + limit
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def run_tool(tool: Tool, ws: Workspace, profile: Profile, server: BenchServer, truth: dict[str, bool], run: int, limit: float) -> RunResult:
    """Run one tool once on the workspace's links and score its verdicts against the truth."""
    out = ws.folder / f"{tool.name}-{profile.name}-{run}.out"
    argv, report_file = tool.command(ws, profile, out)
    if report_file is not None:
        report_file.unlink(missing_ok=True)
    stdout = ws.folder / f"{tool.name}-{profile.name}-{run}.stdout"
    stderr = ws.folder / f"{tool.name}-{profile.name}-{run}.stderr"
    server.reset()
    wall, cpu, code = run_child(argv, stdout, stderr, limit)
    stats = server.stats()
    kinds = server.kind_of()
    text = (report_file or stdout).read_text(encoding="utf-8", errors="replace") if (report_file or stdout).exists() else ""
    error = None
    try:
        verdicts = tool.broken(text)
    except (ValueError, KeyError, TypeError) as exc:
        verdicts = {}
        tail = stderr.read_text(encoding="utf-8", errors="replace")[-400:]
        error = f"could not read the output ({type(exc).__name__}: {exc}); exit {code}; stderr: {tail}"
    false_broken = sorted(u for u, b in verdicts.items() if b and u in truth and not truth[u])
    missed = sorted(u for u, b in truth.items() if b and not verdicts.get(u, False))
    not_reported = sum(1 for u in truth if u not in verdicts)
    if wall >= limit:
        error = f"killed after {limit:g} s"
    return RunResult(
        tool.name, profile.name, run, wall, cpu, code, len(false_broken), len(missed), not_reported, stats, error,
        {"false_broken": false_broken[:5], "missed_broken": missed[:5]},
        dict(sorted(Counter(kinds.get(u, "?") for u in false_broken).items())),
        dict(sorted(Counter(kinds.get(u, "?") for u in missed).items())),
    )  # fmt: skip


def summarise(results: list[RunResult], startups: list[RunResult], bounds: dict[str, float], urls: int) -> dict[str, object]:
    wall = statistics.median(r.wall for r in results)
    cpu = statistics.median(r.cpu for r in results)
    start_cpu = statistics.median(r.cpu for r in startups) if startups else 0.0
    return {
        "runs": len(results),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_url": round(cpu / urls * 1000, 3),
        "startup_wall_s": round(statistics.median(r.wall for r in startups), 3) if startups else None,
        "startup_cpu_s": round(start_cpu, 3),
        "cpu_ms_per_url_after_startup": round(max(0.0, cpu - start_cpu) / urls * 1000, 3),
        "wall_over_ideal": round(wall / bounds["ideal"], 2),
        "false_broken": statistics.median(r.false_broken for r in results),
        "missed_broken": statistics.median(r.missed_broken for r in results),
        "not_reported": statistics.median(r.not_reported for r in results),
        "requests": statistics.median(int(r.server.get("requests", 0)) for r in results),  # type: ignore[call-overload]
        "peak_in_flight": max(int(r.server.get("peak_in_flight", 0)) for r in results),  # type: ignore[call-overload]
        "peak_per_host": max(int(r.server.get("peak_in_flight_per_host", 0)) for r in results),  # type: ignore[call-overload]
        "errors": [r.error for r in results if r.error],
        "false_broken_by_kind": results[len(results) // 2].false_broken_by_kind,
        "missed_broken_by_kind": results[len(results) // 2].missed_broken_by_kind,
    }


def table(profile: Profile, summary: dict[str, dict[str, object]], bounds: dict[str, float], urls: int) -> str:
    head = (
        f"\n{profile.name}: {urls} URLs, {profile.description}\n"
        f"ideal {bounds['ideal']:.2f} s (latency/concurrency {bounds['latency_over_concurrency']:.2f} s, "
        f"tail {bounds['tail']:.2f} s, per host {bounds['per_host']:.2f} s)\n"
    )
    cols = ["tool", "wall s", "CPU s", "CPU ms/URL", "start CPU s", "ms/URL after start", "wall/ideal",
            "false broken", "missed broken", "requests", "peak", "peak/host"]  # fmt: skip
    rows = [cols]
    for name, s in summary.items():
        rows.append([
            name, f"{s['wall_s']:.2f}", f"{s['cpu_s']:.2f}", f"{s['cpu_ms_per_url']:.2f}", f"{s['startup_cpu_s']:.2f}",
            f"{s['cpu_ms_per_url_after_startup']:.2f}", f"{s['wall_over_ideal']:.2f}",
            f"{s['false_broken']:g}", f"{s['missed_broken']:g}", f"{s['requests']:g}", str(s["peak_in_flight"]), str(s["peak_per_host"]),
        ])  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    errors = [f"  {n}: {e}" for n, s in summary.items() for e in s["errors"]]  # type: ignore[attr-defined]
    return head + "\n".join(lines) + ("\n" + "\n".join(errors) if errors else "")


def targets(summary: dict[str, dict[str, dict[str, object]]]) -> dict[str, object]:
    """The issue's targets for kmgraph, checked against this run's medians."""
    out: dict[str, object] = {}
    real = summary.get("realistic", {})
    if "kmgraph" in real:
        k = real["kmgraph"]
        out["realistic_no_false_broken"] = k["false_broken"] == 0
        out["realistic_no_missed_broken"] = k["missed_broken"] == 0
        if "lychee" in real:
            out["realistic_wall_not_worse_than_lychee"] = k["wall_s"] <= real["lychee"]["wall_s"]  # type: ignore[operator]
    raw = summary.get("raw", {})
    if "kmgraph" in raw:
        out["raw_within_1.5x_ideal"] = raw["kmgraph"]["wall_over_ideal"] <= 1.5  # type: ignore[operator]
        out["raw_under_1ms_cpu_per_url"] = raw["kmgraph"]["cpu_ms_per_url"] < 1.0  # type: ignore[operator]
        out["raw_under_1ms_cpu_per_url_after_startup"] = raw["kmgraph"]["cpu_ms_per_url_after_startup"] < 1.0  # type: ignore[operator]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["raw", "realistic", "all"], default="all")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, from: " + ", ".join(TOOLS))
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (medians are reported)")
    parser.add_argument("--quick", action="store_true", help="300 URLs per profile and one run (unless --runs is given)")
    parser.add_argument("--urls", type=int, default=None, help="URLs per profile (default: the profile's 2,000)")
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="where setup_link_peers.sh installed the peers")
    parser.add_argument("--json", type=Path, default=None, help="write the results here (default: PEERS/links-results.json)")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds before a tool run is killed")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (inputs and raw outputs)")
    parser.add_argument(
        "--input", choices=["txt", "md"], default="txt",
        help="what kmgraph and lychee read: a text file with one URL per line, or a Markdown list "
        "(LinkChecker and linkinator always read the HTML page)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if "--runs" not in (argv if argv is not None else sys.argv[1:]) and args.quick:
        args.runs = 1
    urls = args.urls or (300 if args.quick else None)

    tools: list[Tool] = []
    for name in [t.strip() for t in args.tools.split(",") if t.strip()]:
        if name not in TOOLS:
            parser.error(f"unknown tool {name!r} (known: {', '.join(TOOLS)})")
        tool = TOOLS[name](args.peers)
        why = tool.available()
        if why:
            print(f"skipping {name}: {why}", file=sys.stderr)
            continue
        tools.append(tool)
    if not tools:
        parser.error("no tool to run")

    names = ["raw", "realistic"] if args.profile == "all" else [args.profile]
    work = Path(tempfile.mkdtemp(prefix="kmgraph-bench-links-"))
    work.chmod(0o755)  # LinkChecker run as root drops to "nobody" and must still read the inputs
    report: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {t.name: t.version() for t in tools},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "input": args.input,
        "command": " ".join(["python", "benchmarks/links.py", *(argv if argv is not None else sys.argv[1:])]),
        "profiles": {},
    }
    summaries: dict[str, dict[str, dict[str, object]]] = {}
    try:
        for pname in names:
            profile = PROFILES[pname]
            plan = make_plan(profile, urls, args.seed)
            bounds = ideal_time(plan, profile)
            with BenchServer(plan, profile.hosts, hang=profile.hang) as server:
                truth = server.truth()
                folder = work / pname
                folder.mkdir(mode=0o755)
                ws = Workspace(folder, list(truth), args.input)
                ws.write()
                first_ok = next(server.url(e) for e in plan if e.kind == "ok")
                (folder / "startup").mkdir(mode=0o755)
                one = Workspace(folder / "startup", [first_ok], args.input)
                one.write()
                runs: dict[str, list[RunResult]] = {t.name: [] for t in tools}
                startups: dict[str, list[RunResult]] = {t.name: [] for t in tools}
                for run in range(args.runs):
                    for tool in tools:
                        startups[tool.name].append(run_tool(tool, one, profile, server, {first_ok: False}, run, args.limit))
                        r = run_tool(tool, ws, profile, server, truth, run, args.limit)
                        runs[tool.name].append(r)
                        print(
                            f"[{pname} run {run + 1}/{args.runs}] {tool.name:12} wall {r.wall:7.2f} s  cpu {r.cpu:6.2f} s  "
                            f"false broken {r.false_broken:3}  missed {r.missed_broken:3}  exit {r.exit_code}"
                            + (f"  ERROR {r.error}" if r.error else ""),
                            file=sys.stderr,
                            flush=True,
                        )
            summary = {name: summarise(rs, startups[name], bounds, len(plan)) for name, rs in runs.items()}
            summaries[pname] = summary
            print(table(profile, summary, bounds, len(plan)))
            report["profiles"][pname] = {  # type: ignore[index]
                "profile": {**asdict(profile), "urls": len(plan)},
                "kinds": dict(sorted(Counter(e.kind for e in plan).items())),
                "bounds": {k: round(v, 3) for k, v in bounds.items()},
                "summary": summary,
                "runs": [asdict(r) for rs in runs.values() for r in rs],
            }
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder kept: {work}", file=sys.stderr)
    report["targets"] = targets(summaries)
    report["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
    print("\ntargets: " + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in report["targets"].items()))  # type: ignore[union-attr]
    out = args.json or args.peers / "links-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
