"""Benchmark of the knowledge graph on the synthetic corpus (``benchmarks/graph_synthetic.py``).

What it measures, each measurement in a fresh Python process (so that the peak memory is
the process's own high-water mark, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

* **build**, as ``kmgraph graph build --full`` does it
  (:func:`kmgraph.graph.workspace.update_graph` with the documents' extraction results),
  into each target: the N-Quads file (the default) and an Oxigraph folder
  (``--graph oxigraph:DIR``); with the store read by bibtexparser or kmgraph's own reader
  and no cache ("cold"), and with the store cache of an earlier build ("warm"); with
  kmgraph's worker processes (``--workers``, default kmgraph's choice: the CPUs, at
  most 4). The CPU time of all processes, the peak RSS of the build process and of a
  worker, and the time the generator alone needs to make the extraction results (the
  stand-in for the extractor, which the build's time includes) are reported;
* **in memory**: :func:`kmgraph.graph.build.build` into rdflib's memory ``Dataset``
  (only up to ``--memory-scale``; rdflib needs about 1.6 KB per statement), then
  ``related``, ``path`` and the SPARQL query on it;
* **Oxigraph queries** on the folder the build wrote (:func:`kmgraph.graph.stores.open_oxigraph`):
  the first query (NetworkX view and indexes, read from pyoxigraph), ``related`` and
  ``path`` warm, and the SPARQL co-citation query (two hops, ``GROUP BY``) through
  :func:`kmgraph.graph.query.sparql` for the most cited work and a work of median
  citations; both stores must give the same rows.

Every figure is the median over ``--runs`` processes (min and max shown). Targets (issue
3): build under 60 s and 2 GB; related and path under 200 ms; Oxigraph at least 10 times
faster than the in-memory store on the SPARQL query.

Usage::

    python benchmarks/graph.py                       # the target corpus, 3 runs
    python benchmarks/graph.py --scale 0.1 --runs 3  # a tenth of it
    python benchmarks/graph.py --scale 0.01 --runs 1 --json /tmp/graph-bench.json
    python benchmarks/graph.py --scale 1 --runs 1 --no-file  # the Oxigraph build and queries only

Results and their discussion: ``docs/graph-benchmark.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The issue's targets.
TARGETS = {"build_s": 60.0, "build_peak_mb": 2048.0, "related_ms": 200.0, "path_ms": 200.0, "oxigraph_speedup": 10.0}

COCITATION = """SELECT ?other (COUNT(DISTINCT ?citing) AS ?n) WHERE {{
  ?citing cito:cites <{seed}> , ?other .
  FILTER (?other != <{seed}>)
}} GROUP BY ?other ORDER BY DESC(?n) STR(?other) LIMIT 20"""


def _peak_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _rows(result: Any) -> list[list[str | None]]:
    return [[row[v] for v in result.variables] for row in result.rows]


# --------------------------------------------------------------------------- children


def child_write(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the corpus and write its store; return its counts."""
    from benchmarks.graph_synthetic import generate

    corpus = generate(args.scale, args.seed)
    corpus.write(args.dir)
    return corpus.stats()


def child_build(args: argparse.Namespace) -> dict[str, Any]:
    """``update_graph`` into one target (``--target``), with or without the store cache."""
    from benchmarks.graph_synthetic import generate
    from kmgraph.graph.build import STORE_CACHE
    from kmgraph.graph.workspace import update_graph

    warnings.simplefilter("ignore", DeprecationWarning)
    root = Path(args.dir)
    os.chdir(root)  # the workspace (.kmgraph/, where the store cache lives)
    cache = root / ".kmgraph" / STORE_CACHE
    if args.cache == "cold":
        cache.unlink(missing_ok=True)
    base_mb = _peak_mb()
    corpus = generate(args.scale, args.seed)
    extractions = corpus.extractions()
    out: dict[str, Any] = {"generator_mb": _peak_mb() - base_mb}
    where = str(root / "graph.nq") if args.target == "file" else f"oxigraph:{root / 'oxigraph'}"
    workers = None if args.workers == 0 else args.workers

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    started = cpu()
    out["build_s"], result = _timed(
        lambda: update_graph(root / "references", where, full=True, extractions=extractions, root=root, links=None, workers=workers)
    )
    out["build_cpu_s"] = cpu() - started
    out["build_peak_mb"] = _peak_mb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["worker_peak_mb"] = children / 1024 if sys.platform != "darwin" else children / 1024 / 1024
    out["quads"] = result.report.quads
    out["warnings"] = len(result.report.warnings)
    # The stand-in for the extractor: what making every extraction costs, in this process.
    out["generator_s"], _ = _timed(lambda: sum(1 for path in extractions if extractions[path] is not None))
    return out


def _seeds(corpus: Any, rng: random.Random, count: int) -> tuple[list[str], str, str]:
    """Seed IRIs for ``related``: the most cited works, random sources, random works;
    and the most cited and a median-cited work for SPARQL."""
    from kmgraph.ontology.namespaces import WORK

    cited = Counter(i for plan in corpus.plan for i in plan)
    ranked = [i for i, _ in cited.most_common()]
    hot = [str(WORK[corpus.works[i].key]) for i in ranked[: max(1, count // 3)]]
    sources = [str(WORK[s.key]) for s in rng.sample(corpus.sources, min(len(corpus.sources), max(1, count // 3)))]
    works = [str(WORK[w.key]) for w in rng.sample(corpus.works, min(len(corpus.works), max(1, count - len(hot) - len(sources))))]
    median = str(WORK[corpus.works[ranked[len(ranked) // 2]].key])
    return hot + sources + works, hot[0], median


def _queries(ds: Any, corpus: Any, args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    """First query, related and path (warm medians), SPARQL co-citation (median of 3)."""
    from kmgraph.graph import query

    out: dict[str, Any] = {}
    rng = random.Random(args.seed * 1000 + args.run)
    seeds, hot, median = _seeds(corpus, rng, args.samples)
    cpu = time.process_time()
    out[f"{prefix}first_query_s"], _ = _timed(lambda: query.related(ds, seeds[0]))
    out[f"{prefix}first_query_cpu_s"] = time.process_time() - cpu
    out[f"{prefix}first_query_peak_mb"] = _peak_mb()
    related_times = [_timed(lambda seed=seed: query.related(ds, seed, by="all", top=10))[0] for seed in seeds]
    out[f"{prefix}related_ms"] = statistics.median(related_times) * 1000
    out[f"{prefix}related_max_ms"] = max(related_times) * 1000
    view = query._view(ds)
    nodes = sorted(view.nodes)
    pairs = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(args.samples)]
    out[f"{prefix}first_path_s"], _ = _timed(lambda: query.path(ds, *pairs[0]))
    path_times = [_timed(lambda a=a, b=b: query.path(ds, a, b))[0] for a, b in pairs]
    out[f"{prefix}path_ms"] = statistics.median(path_times) * 1000
    out[f"{prefix}path_max_ms"] = max(path_times) * 1000
    out[f"{prefix}view_nodes"], out[f"{prefix}view_edges"] = view.number_of_nodes(), view.number_of_edges()
    out[f"{prefix}query_peak_mb"] = _peak_mb()
    out.update(_sparql(ds, hot, median, prefix))
    return out


def _sparql(ds: Any, hot: str, median: str, prefix: str) -> dict[str, Any]:
    """The SPARQL co-citation query for the hot and the median seed (median of 3)."""
    from kmgraph.graph import query

    out: dict[str, Any] = {}
    for name, seed in (("hot", hot), ("median", median)):
        text = COCITATION.format(seed=seed)
        times = []
        for _ in range(3):
            elapsed, result = _timed(lambda text=text: query.sparql(ds, text))
            times.append(elapsed)
        out[f"{prefix}sparql_{name}_s"] = statistics.median(times)
        out[f"{prefix}sparql_{name}_rows"] = _rows(result)
    return out


def child_memory(args: argparse.Namespace) -> dict[str, Any]:
    """Build into rdflib's memory store and query it (one run)."""
    from benchmarks.graph_synthetic import generate
    from kmgraph.graph.build import build

    warnings.simplefilter("ignore", DeprecationWarning)
    root = Path(args.dir)
    corpus = generate(args.scale, args.seed)
    extractions = corpus.extractions()
    out: dict[str, Any] = {}
    out["memory_build_s"], result = _timed(lambda: build(root / "references", extractions, root=root))
    out["memory_build_peak_mb"] = _peak_mb()
    out.update(_queries(result.dataset, corpus, args, "memory_"))
    return out


def child_oxigraph(args: argparse.Namespace) -> dict[str, Any]:
    """Open the Oxigraph folder the build wrote and query it (one run)."""
    from benchmarks.graph_synthetic import generate
    from kmgraph.graph.stores import open_oxigraph

    warnings.simplefilter("ignore", DeprecationWarning)
    corpus = generate(args.scale, args.seed)
    out: dict[str, Any] = {}
    out["oxigraph_open_s"], ds = _timed(lambda: open_oxigraph(Path(args.dir) / "oxigraph"))
    out.update(_queries(ds, corpus, args, "oxigraph_"))
    ds.close()
    # The same folder copied into Oxigraph's in-memory store (open_oxigraph(in_memory=True)).
    _, hot, median = _seeds(corpus, random.Random(0), args.samples)
    cpu = time.process_time()
    out["inmemory_open_s"], ds = _timed(lambda: open_oxigraph(Path(args.dir) / "oxigraph", in_memory=True))
    out["inmemory_open_cpu_s"] = time.process_time() - cpu
    out.update(_sparql(ds, hot, median, "inmemory_"))
    return out


# --------------------------------------------------------------------------- parent


def _run_child(mode: str, args: argparse.Namespace, run: int, *extra: str) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--scale",
        str(args.scale),
        "--seed",
        str(args.seed),
        "--samples",
        str(args.samples),
        "--dir",
        str(args.dir),
        "--run",
        str(run),
        *extra,
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child {mode} (run {run}) failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(results: Sequence[dict[str, Any]], key: str) -> tuple[float, float, float] | None:
    values = [r[key] for r in results if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def _load_situation() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


#: The builds each run makes, in order: (label, target, cache).
BUILDS = (("file, cold", "file", "cold"), ("file, warm", "file", "warm"), ("oxigraph, warm", "oxigraph", "warm"))


def report(
    args: argparse.Namespace,
    corpus_stats: dict[str, Any],
    builds: dict[str, list[dict[str, Any]]],
    memory: list[dict[str, Any]],
    oxis: list[dict[str, Any]],
    loads: list[str],
) -> str:
    """The results table, for people."""
    runs = max((len(v) for v in builds.values()), default=0)
    lines = [
        f"kmgraph graph benchmark: scale {args.scale:g}, seed {args.seed}, {runs} run(s); "
        + ", ".join(f"{v:,} {k}" for k, v in corpus_stats.items()),
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        *(f"  {load}" for load in loads),
        "",
        f"{'measure':44} {'median':>12} {'min':>10} {'max':>10}  {'target':>9}  met",
    ]

    def row(label: str, results: Sequence[dict[str, Any]], key: str, unit: str, target: float | None = None) -> None:
        found = _median(results, key)
        if found is None:
            return
        med, lo, hi = found
        met = ""
        if target is not None:
            met = "yes" if med <= target else "NO"
        tgt = f"{target:g} {unit}" if target is not None else ""
        lines.append(f"{label:44} {med:>9.3f} {unit:2} {lo:>10.3f} {hi:>10.3f}  {tgt:>9}  {met}")

    for label, _target, _cache in BUILDS:
        results = builds.get(label, [])
        row(f"build {label}", results, "build_s", "s", TARGETS["build_s"])
        row("  CPU time (all processes)", results, "build_cpu_s", "s")
        row("  peak RSS", results, "build_peak_mb", "MB", TARGETS["build_peak_mb"])
        row("  peak RSS of a worker process", results, "worker_peak_mb", "MB", TARGETS["build_peak_mb"])
    row("  (generator data in the peak)", builds.get(BUILDS[0][0], []), "generator_mb", "MB")
    row("  (making the extractions alone, 1 process)", builds.get(BUILDS[0][0], []), "generator_s", "s")
    row("quads", builds.get(BUILDS[0][0], []), "quads", "")
    row("memory build (rdflib Dataset)", memory, "memory_build_s", "s")
    row("  peak RSS", memory, "memory_build_peak_mb", "MB")
    for name, results in (("memory", memory), ("oxigraph", oxis)):
        p = f"{name}_"
        row(f"{name}: first query (view + indexes)", results, p + "first_query_s", "s")
        row("  CPU time", results, p + "first_query_cpu_s", "s")
        row("  peak RSS", results, p + "first_query_peak_mb", "MB")
        row(f"{name}: related, warm (median of seeds)", results, p + "related_ms", "ms", TARGETS["related_ms"])
        row(f"{name}: related, slowest seed", results, p + "related_max_ms", "ms")
        row(f"{name}: path, first (undirected view)", results, p + "first_path_s", "s")
        row(f"{name}: path, warm (median of pairs)", results, p + "path_ms", "ms", TARGETS["path_ms"])
        row(f"{name}: path, slowest pair", results, p + "path_max_ms", "ms")
        row(f"{name}: peak RSS after queries", results, p + "query_peak_mb", "MB")
        row(f"{name}: SPARQL co-citation, hot", results, p + "sparql_hot_s", "s")
        row(f"{name}: SPARQL co-citation, median", results, p + "sparql_median_s", "s")
    row("oxigraph in memory: open (copy the folder)", oxis, "inmemory_open_s", "s")
    row("  CPU time", oxis, "inmemory_open_cpu_s", "s")
    row("oxigraph in memory: SPARQL co-citation, hot", oxis, "inmemory_sparql_hot_s", "s")
    row("oxigraph in memory: SPARQL co-citation, median", oxis, "inmemory_sparql_median_s", "s")
    if memory and oxis:
        for store, label in (("oxigraph", "Oxigraph"), ("inmemory", "Oxigraph in memory")):
            for name in ("hot", "median"):
                mem = _median(memory, f"memory_sparql_{name}_s")
                ox = _median(oxis, f"{store}_sparql_{name}_s")
                if mem and ox and ox[0] > 0:
                    speedup = mem[0] / ox[0]
                    met = "yes" if speedup >= TARGETS["oxigraph_speedup"] else "NO"
                    lines.append(f"{label + ' speed-up, SPARQL ' + name:44} {speedup:>9.1f} x  {'':>10} {'':>10}  {'10 x':>9}  {met}")
        same = all(
            m[f"memory_sparql_{n}_rows"] == o[f"{store}_sparql_{n}_rows"]
            for m in memory
            for o in oxis
            for n in ("hot", "median")
            for store in ("oxigraph", "inmemory")
        )
        lines.append(f"{'same SPARQL rows on both stores':44} {'yes' if same else 'NO':>12}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Benchmark kmgraph's graph build and queries on a synthetic corpus.")
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size factor (1 = 10,000 documents)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (medians)")
    parser.add_argument("--samples", type=int, default=9, help="seeds for related, pairs for path, per run")
    parser.add_argument("--dir", help="working folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--json", help="also write every run's figures to this JSON file")
    parser.add_argument("--no-oxigraph", action="store_true", help="skip the Oxigraph build and queries")
    parser.add_argument("--no-file", action="store_true", help="skip the N-Quads file builds")
    parser.add_argument(
        "--memory-scale", type=float, default=0.25, help="build in rdflib's memory store only up to this scale (default 0.25)"
    )
    parser.add_argument("--workers", type=int, default=0, help="worker processes of the build (default: kmgraph's choice)")
    parser.add_argument("--child", choices=("write", "build", "memory", "oxigraph"), help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--target", choices=("file", "oxigraph"), default="file", help=argparse.SUPPRESS)
    parser.add_argument("--cache", choices=("cold", "warm"), default="warm", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1 or args.samples < 1:
        parser.error("--scale must be positive, --runs and --samples at least 1")
    if args.child:
        children = {"write": child_write, "build": child_build, "memory": child_memory, "oxigraph": child_oxigraph}
        print(json.dumps(children[args.child](args)))
        return 0

    # The parent stays small: Linux keeps a process's peak RSS across fork and exec, so
    # a child started from a parent that held the corpus would report the parent's peak.
    with tempfile.TemporaryDirectory(prefix="kmgraph-bench-") as tmp:
        args.dir = args.dir or tmp
        started = time.perf_counter()
        stats = _run_child("write", args, 0)
        print(f"corpus written to {args.dir} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        builds: dict[str, list[dict[str, Any]]] = {}
        memory: list[dict[str, Any]] = []
        oxis: list[dict[str, Any]] = []
        loads = [f"at the start: {_load_situation()}"]
        for run in range(args.runs):
            for label, target, cache in BUILDS:
                if (target == "oxigraph" and args.no_oxigraph) or (target == "file" and args.no_file):
                    continue
                result = _run_child("build", args, run, "--target", target, "--cache", cache, "--workers", str(args.workers))
                builds.setdefault(label, []).append(result)
                print(f"run {run + 1}/{args.runs}, build {label}: {result['build_s']:.1f} s, {result['build_peak_mb']:.0f} MB", file=sys.stderr)
            if not args.no_oxigraph:
                oxis.append(_run_child("oxigraph", args, run))
            if args.scale <= args.memory_scale:
                memory.append(_run_child("memory", args, run))
            loads.append(f"after run {run + 1}: {_load_situation()}")
        print(report(args, stats, builds, memory, oxis, loads))
        if args.json:
            payload = {"scale": args.scale, "seed": args.seed, "corpus": stats, "load": loads, "build": builds, "memory": memory, "oxigraph": oxis}
            Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
