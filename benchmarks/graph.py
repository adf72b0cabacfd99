"""Benchmark of the knowledge graph on the synthetic corpus (``benchmarks/graph_synthetic.py``).

What it measures, each run in a fresh Python process (so that the peak memory is the
process's own high-water mark, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

* **build**: ``Store.open`` of the BibTeX store (bibtexparser) plus
  :func:`kmgraph.graph.build.build` with the documents' extraction results, into
  rdflib's in-memory ``Dataset``; the peak RSS right after it (the corpus generator's own
  data is in that figure too and is reported on its own line);
* **save**: the sorted N-Quads that ``kmgraph graph build`` writes (``serialize.nquads``);
* **first query**: the first :func:`kmgraph.graph.query.related` call, which derives the
  NetworkX view, the name index and the ``related`` indexes (cached for the next calls);
* **related** and **path**: the median over several seeds / entity pairs of
  :func:`~kmgraph.graph.query.related` (``by="all"``, top 10) and
  :func:`~kmgraph.graph.query.path`, warm;
* **SPARQL co-citation** (two hops, ``GROUP BY``), through
  :func:`kmgraph.graph.query.sparql`, on the in-memory dataset and on an Oxigraph
  dataset (``Dataset(store="Oxigraph")`` from oxrdflib, loaded from the saved N-Quads
  with ``format="ox-nquads"``), for the most cited work and for a work of median
  citations; the two stores must give the same rows.

Every figure is the median over ``--runs`` processes (min and max shown). Targets (issue
3): build under 60 s and 2 GB; related and path under 200 ms; Oxigraph at least 10 times
faster than the in-memory store on the SPARQL query.

Usage::

    python benchmarks/graph.py                       # the target corpus, 3 runs
    python benchmarks/graph.py --scale 0.1 --runs 3  # a tenth of it
    python benchmarks/graph.py --scale 0.01 --runs 1 --json /tmp/graph-bench.json

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


def child_write(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the corpus and write its store; return its counts."""
    from benchmarks.graph_synthetic import generate

    corpus = generate(args.scale, args.seed)
    corpus.write(args.dir)
    return corpus.stats()


def child_build(args: argparse.Namespace) -> dict[str, Any]:
    """Build, save, and query the in-memory dataset (one run)."""
    from benchmarks.graph_synthetic import generate
    from kmgraph.graph import query
    from kmgraph.graph.build import build
    from kmgraph.graph.serialize import nquads
    from kmgraph.references.store import Store

    warnings.simplefilter("ignore", DeprecationWarning)
    out: dict[str, Any] = {}
    base_mb = _peak_mb()
    out["generate_s"], corpus = _timed(lambda: generate(args.scale, args.seed))
    extractions = corpus.extractions()
    out["generator_mb"] = _peak_mb() - base_mb
    root = Path(args.dir)
    out["store_open_s"], store = _timed(lambda: Store.open(root / "references"))
    out["graph_build_s"], result = _timed(lambda: build(store, extractions, root=root))
    out["build_s"] = out["store_open_s"] + out["graph_build_s"]
    out["build_peak_mb"] = _peak_mb()
    out["quads"] = result.report.quads
    out["warnings"] = len(result.report.warnings)
    ds = result.dataset
    if args.save:
        out["save_s"], text = _timed(lambda: nquads(ds))
        Path(args.save).write_text(text, encoding="utf-8")
        del text
        out["save_peak_mb"] = _peak_mb()

    rng = random.Random(args.seed * 1000 + args.run)
    seeds, hot, median = _seeds(corpus, rng, args.samples)
    out["first_query_s"], _ = _timed(lambda: query.related(ds, seeds[0]))
    related_times = []
    for seed in seeds:
        elapsed, found = _timed(lambda seed=seed: query.related(ds, seed, by="all", top=10))
        related_times.append(elapsed)
    out["related_ms"] = statistics.median(related_times) * 1000
    out["related_max_ms"] = max(related_times) * 1000
    view = query._view(ds)
    nodes = sorted(view.nodes)
    pairs = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(args.samples)]
    out["first_path_s"], _ = _timed(lambda: query.path(ds, *pairs[0]))
    path_times, lengths = [], []
    for a, b in pairs:
        elapsed, found = _timed(lambda a=a, b=b: query.path(ds, a, b))
        path_times.append(elapsed)
        lengths.append(len(found.steps))
    out["path_ms"] = statistics.median(path_times) * 1000
    out["path_max_ms"] = max(path_times) * 1000
    out["path_length"] = statistics.median(lengths)
    out["view_nodes"], out["view_edges"] = view.number_of_nodes(), view.number_of_edges()
    out["query_peak_mb"] = _peak_mb()
    for name, seed in (("hot", hot), ("median", median)):
        elapsed, result_ = _timed(lambda seed=seed: query.sparql(ds, COCITATION.format(seed=seed)))
        out[f"sparql_{name}_s"] = elapsed
        out[f"sparql_{name}_rows"] = _rows(result_)
        out[f"sparql_{name}_raw_s"], _ = _timed(lambda seed=seed: _raw_query(ds, seed))
    return out


def _raw_query(ds: Any, seed: str) -> int:
    """The co-citation query straight to the dataset (no kmgraph wrapper), rows counted."""
    from kmgraph.ontology.namespaces import PREFIXES

    return sum(1 for _ in ds.query(COCITATION.format(seed=seed), initNs=PREFIXES))


def child_oxigraph(args: argparse.Namespace) -> dict[str, Any]:
    """Load the saved N-Quads into an in-memory Oxigraph dataset and run the SPARQL queries."""
    from rdflib import Dataset

    from benchmarks.graph_synthetic import generate
    from kmgraph.graph import query
    from kmgraph.ontology.namespaces import PREFIXES

    warnings.simplefilter("ignore", DeprecationWarning)
    corpus = generate(args.scale, args.seed)
    rng = random.Random(args.seed * 1000 + args.run)
    _, hot, median = _seeds(corpus, rng, args.samples)
    del corpus
    out: dict[str, Any] = {}
    base_mb = _peak_mb()

    def load() -> Dataset:
        ds = Dataset(store="Oxigraph", default_union=True)
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns)
        ds.parse(args.save, format="ox-nquads")
        return ds

    out["oxigraph_load_s"], ds = _timed(load)
    out["oxigraph_mb"] = _peak_mb() - base_mb
    for name, seed in (("hot", hot), ("median", median)):
        query.sparql(ds, COCITATION.format(seed=seed))  # first query compiles and warms
        times = []
        for _ in range(3):
            elapsed, result = _timed(lambda seed=seed: query.sparql(ds, COCITATION.format(seed=seed)))
            times.append(elapsed)
        out[f"oxigraph_{name}_s"] = statistics.median(times)
        out[f"oxigraph_{name}_rows"] = _rows(result)
        out[f"oxigraph_{name}_raw_s"] = statistics.median(_timed(lambda seed=seed: _raw_query(ds, seed))[0] for _ in range(3))
    return out


# --------------------------------------------------------------------------- parent


def _run_child(mode: str, args: argparse.Namespace, run: int, save: str | None) -> dict[str, Any]:
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
    ]
    if save:
        command += ["--save", save]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child {mode} (run {run}) failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(results: Sequence[dict[str, Any]], key: str) -> tuple[float, float, float] | None:
    values = [r[key] for r in results if isinstance(r.get(key), (int, float))]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def _load_situation() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


def report(args: argparse.Namespace, corpus_stats: dict[str, Any], builds: list[dict[str, Any]], oxis: list[dict[str, Any]]) -> str:
    """The results table, for people."""
    lines = [
        f"kmgraph graph benchmark: scale {args.scale:g}, seed {args.seed}, {len(builds)} run(s); "
        + ", ".join(f"{v:,} {k}" for k, v in corpus_stats.items()),
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, Python {platform.python_version()}; {_load_situation()}",
        "",
        f"{'measure':38} {'median':>12} {'min':>10} {'max':>10}  {'target':>9}  met",
    ]

    def row(label: str, results: Sequence[dict[str, Any]], key: str, unit: str, target: float | None = None, scale: float = 1.0, higher: bool = False) -> None:
        found = _median(results, key)
        if found is None:
            return
        med, lo, hi = (v * scale for v in found)
        met = ""
        if target is not None:
            met = "yes" if (med >= target if higher else med <= target) else "NO"
        tgt = f"{target:g} {unit}" if target is not None else ""
        lines.append(f"{label:38} {med:>9.3f} {unit:2} {lo:>10.3f} {hi:>10.3f}  {tgt:>9}  {met}")

    row("corpus generation (not build)", builds, "generate_s", "s")
    row("generator data in the peak", builds, "generator_mb", "MB")
    row("store open (BibTeX)", builds, "store_open_s", "s")
    row("graph build", builds, "graph_build_s", "s")
    row("build total (store + graph)", builds, "build_s", "s", TARGETS["build_s"])
    row("build peak RSS", builds, "build_peak_mb", "MB", TARGETS["build_peak_mb"])
    row("quads", builds, "quads", "")
    row("save sorted N-Quads", builds, "save_s", "s")
    row("first query (view + indexes)", builds, "first_query_s", "s")
    row("related, warm (median of seeds)", builds, "related_ms", "ms", TARGETS["related_ms"])
    row("related, slowest seed", builds, "related_max_ms", "ms")
    row("path, first (undirected view)", builds, "first_path_s", "s")
    row("path, warm (median of pairs)", builds, "path_ms", "ms", TARGETS["path_ms"])
    row("path, slowest pair", builds, "path_max_ms", "ms")
    row("peak RSS after queries", builds, "query_peak_mb", "MB")
    row("SPARQL co-citation, memory, hot", builds, "sparql_hot_s", "s")
    row("SPARQL co-citation, memory, median", builds, "sparql_median_s", "s")
    row("  same, ds.query without kmgraph, hot", builds, "sparql_hot_raw_s", "s")
    row("  same, ds.query without kmgraph, med.", builds, "sparql_median_raw_s", "s")
    row("Oxigraph load (ox-nquads)", oxis, "oxigraph_load_s", "s")
    row("Oxigraph memory (RSS growth)", oxis, "oxigraph_mb", "MB")
    row("SPARQL co-citation, Oxigraph, hot", oxis, "oxigraph_hot_s", "s")
    row("SPARQL co-citation, Oxigraph, median", oxis, "oxigraph_median_s", "s")
    row("  same, ds.query without kmgraph, hot", oxis, "oxigraph_hot_raw_s", "s")
    row("  same, ds.query without kmgraph, med.", oxis, "oxigraph_median_raw_s", "s")
    if builds and oxis:
        for name in ("hot", "median"):
            mem = _median(builds, f"sparql_{name}_s")
            ox = _median(oxis, f"oxigraph_{name}_s")
            if mem and ox and ox[0] > 0:
                speedup = mem[0] / ox[0]
                met = "yes" if speedup >= TARGETS["oxigraph_speedup"] else "NO"
                lines.append(f"{'Oxigraph speed-up, ' + name:38} {speedup:>9.1f} x  {'':>10} {'':>10}  {'10 x':>9}  {met}")
            mem_raw = _median(builds, f"sparql_{name}_raw_s")
            ox_raw = _median(oxis, f"oxigraph_{name}_raw_s")
            if mem_raw and ox_raw and ox_raw[0] > 0:
                lines.append(f"{'  same, without the kmgraph wrapper':38} {mem_raw[0] / ox_raw[0]:>9.1f} x")
        same = all(b[f"sparql_{n}_rows"] == o[f"oxigraph_{n}_rows"] for b in builds for o in oxis for n in ("hot", "median"))
        lines.append(f"{'same SPARQL rows on both stores':38} {'yes' if same else 'NO':>12}")
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
    parser.add_argument("--no-oxigraph", action="store_true", help="skip the Oxigraph store")
    parser.add_argument("--child", choices=("write", "build", "oxigraph"), help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1 or args.samples < 1:
        parser.error("--scale must be positive, --runs and --samples at least 1")
    if args.child:
        children = {"write": child_write, "build": child_build, "oxigraph": child_oxigraph}
        print(json.dumps(children[args.child](args)))
        return 0

    # The parent stays small: Linux keeps a process's peak RSS across fork and exec, so
    # a child started from a parent that held the corpus would report the parent's peak.
    with tempfile.TemporaryDirectory(prefix="kmgraph-bench-") as tmp:
        args.dir = args.dir or tmp
        started = time.perf_counter()
        stats = _run_child("write", args, 0, None)
        print(f"corpus written to {args.dir} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        nq = str(Path(args.dir) / "graph.nq")
        builds, oxis = [], []
        for run in range(args.runs):
            builds.append(_run_child("build", args, run, nq if run == 0 else None))
            print(f"build run {run + 1}/{args.runs}: {builds[-1]['build_s']:.1f} s", file=sys.stderr)
        if not args.no_oxigraph:
            for run in range(args.runs):
                oxis.append(_run_child("oxigraph", args, run, nq))
        print(report(args, stats, builds, oxis))
        if args.json:
            payload = {"scale": args.scale, "seed": args.seed, "corpus": stats, "load": _load_situation(), "build": builds, "oxigraph": oxis}
            Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
