"""Benchmark of the reference-string parsers on the annotated ``refparse`` data.

Metrics are those of ``../shared/design/reference-parsing-notes.md`` §6 (restated in
``docs/refparse.md``):

- **token accuracy**: correct labels / gold tokens, micro; a reference whose tokens do
  not match the gold's counts as all wrong ("misaligned");
- **span F1**: a segment (maximal run of one label) is right when (label, start, end)
  matches a gold segment; micro over labels;
- **field F1** (headline): labels mapped to fields (author, editor, translator,
  contributor, title, container, series, year, volume, pages, publisher, url, doi, isbn,
  edition, note, address, type), every value normalised, multiset intersection per
  reference and field, micro and per field;
- **whole reference**: every mapped field's multiset matches.

Parsers compared, on the same strings:

- ``crf``: the CRF model (:mod:`kmgraph.references.crf`), scored on its labelled
  segments (the notes' definition) and, as ``crf-fields``, on the contract fields it
  returns (:func:`~kmgraph.references.crf.parser.parse_reference_crf`);
- ``rules``: the first, rule-based parser (``parse_reference_rules``), scored on its
  contract fields;
- ``crf+rules``: the CRF, or the rules when the CRF is unsure and the rules' parse is
  complete (:func:`~kmgraph.references.parse.parse_reference_combined`, the default
  behind ``parse_reference``), on contract fields;
- ``refextract``: refextract from PyPI (GPL, rule-based) run **out of process** from a
  separate virtualenv (``--refextract-python``); never imported here.

Contract fields are mapped back to the label fields for scoring: ``author``/``editor``
lists joined, ``volume`` and ``number`` joined (AnyStyle's volume segment holds the
issue), names compared as bags of words (``Family, Given`` reorders them), edition
words ("ed.", "edition") ignored, gold notes that are only a URL lead-in ("Retrieved
from") ignored (the contract drops them by design), and ``type`` not scored (the entry
type is not AnyStyle's ``genre``).

Usage::

    python benchmarks/refparse.py                      # test.jsonl, all parsers, speed
    python benchmarks/refparse.py --cv                 # also 5-fold CV on train.jsonl
    python benchmarks/refparse.py --refextract-python /tmp/refextract-venv/bin/python
    python benchmarks/refparse.py --confusion          # CRF label confusions
    python benchmarks/refparse.py --speed-only --runs 5   # only the speed figures
    python benchmarks/refparse.py --dump-output /tmp/before.json   # the CRF's output, train and test
    python benchmarks/refparse.py --compare-output /tmp/before.json  # ... unchanged? (exit 1 if not)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmgraph.references.crf.features import tokenize  # noqa: E402
from kmgraph.references.crf.model import CRFModel, default_model_path, load_model  # noqa: E402
from kmgraph.references.crf.normalise import segments  # noqa: E402
from kmgraph.references.crf.parser import parse_reference_crf  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "refparse"
PEER = Path(__file__).resolve().parent / "refextract_peer.py"

# ---------------------------------------------------------------------------------------
# Metric definitions (notes §6.4)
# ---------------------------------------------------------------------------------------

LABEL_TO_FIELD = {
    "author": "author",
    "editor": "editor",
    "translator": "translator",
    "director": "contributor",
    "producer": "contributor",
    "title": "title",
    "journal": "container",
    "container-title": "container",
    "collection-title": "series",
    "date": "year",
    "volume": "volume",
    "pages": "pages",
    "publisher": "publisher",
    "url": "url",
    "doi": "doi",
    "isbn": "isbn",
    "edition": "edition",
    "note": "note",
    "location": "address",
    "genre": "type",
    "medium": "type",
    "source": "note",
}
FIELDS = [
    "author",
    "editor",
    "translator",
    "contributor",
    "title",
    "container",
    "series",
    "year",
    "volume",
    "pages",
    "publisher",
    "address",
    "url",
    "doi",
    "isbn",
    "edition",
    "note",
    "type",
]
NAME_FIELDS = {"author", "editor", "translator", "contributor"}
ROLE_WORDS = {"ed", "eds", "edited", "by", "and", "et", "al", "trans", "hrsg", "in", "&"}


def base(v: str) -> str:
    """NFKC; casefold; every non-alphanumeric character to a space; whitespace collapsed."""
    v = unicodedata.normalize("NFKC", v).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", v).split())


def norm(fieldname: str, v: str, *, bag: bool = False) -> str:
    """Normalise one value of ``fieldname`` for comparison (notes §6.4, step 2).

    ``bag`` sorts the words of name fields (for contract fields in "Family, Given" order).
    """
    if fieldname == "year":
        m = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", v)
        return m.group(1) if m else base(v)
    if fieldname == "pages":
        return "-".join(re.findall(r"\d+", v)) or base(v)
    if fieldname == "volume":
        return " ".join(re.findall(r"\d+", v)) or base(v)
    if fieldname == "doi":
        i = v.find("10.")
        return (v[i:] if i >= 0 else v).casefold().rstrip(".,;:)]}>'\" ")
    if fieldname == "url":
        return v.strip().strip("<>").rstrip(".,;:)]}>'\" ").casefold()
    if fieldname == "isbn":
        return re.sub(r"[^0-9Xx]", "", v).upper()
    if fieldname in NAME_FIELDS:
        words = [w for w in base(v).split() if w not in ROLE_WORDS]
        return " ".join(sorted(words) if bag else words)
    if fieldname == "container":
        return re.sub(r"^(?:in|dans|en|im) ", "", base(v))
    if fieldname == "edition" and bag:
        return " ".join(w for w in base(v).split() if w not in {"ed", "edn", "edition"})
    return base(v)


_LEADIN_NOTE = re.compile(r"^(?:retrieved from|available at|available from|url|online|from)$")


def values_from_segments(segs: Iterable[tuple[str, str]], *, bag: bool = False) -> dict[str, Counter[str]]:
    """Normalised values per field from (label, text) segments."""
    out: dict[str, Counter[str]] = {}
    for label, text in segs:
        f = LABEL_TO_FIELD.get(label)
        if f is None:
            continue
        v = norm(f, text, bag=bag)
        if bag and f == "note" and _LEADIN_NOTE.match(v):
            continue  # contract fields drop "Retrieved from" by design
        out.setdefault(f, Counter())[v] += 1
    return out


def gold_segments(rec: dict) -> list[tuple[str, str]]:
    """Segments of an annotated reference, from its tokens."""
    toks = rec["tokens"]
    return segments([t for t, _ in toks], [lab for _, lab in toks])


_VOL_ISSUE_PAGES_TOKEN = re.compile(r"^\(?\d[^:\s]*:\s*[A-Za-z]?\d")


def _pages_in_volume_token(fields: dict[str, Any], text: str) -> bool:
    """Did the pages come out of one Vancouver token such as ``26(1):13-24.``?

    AnyStyle labels such a token ``volume`` as a whole (a label per token), so the gold
    volume holds the pages; the contract splits them. For scoring, the pages then go
    back into the volume, as the issue does.
    """
    if "pages" not in fields or "volume" not in fields:
        return False
    want = re.findall(r"\d+", f"{fields['volume']} {fields.get('number') or ''} {fields['pages']}")
    return any(_VOL_ISSUE_PAGES_TOKEN.match(tok) and re.findall(r"\d+", tok) == want for tok in text.split())


def values_from_fields(fields: dict[str, Any], text: str | None = None) -> dict[str, Counter[str]]:
    """Normalised values per field from contract fields (rules, crf-fields, refextract).

    ``text``, the reference string, lets pages split out of a ``26(1):13-24`` token be
    scored with the volume, the way AnyStyle's labels hold them.
    """
    out: dict[str, Counter[str]] = {}
    joined_pages = text is not None and _pages_in_volume_token(fields, text)
    for f in FIELDS:
        if f == "type" or f not in fields or (f == "pages" and joined_pages):
            continue
        v = fields[f]
        if f == "volume" and fields.get("number"):
            v = f"{v} {fields['number']}"
        if f == "volume" and joined_pages:
            v = f"{v} {fields['pages']}"
        vals = v if isinstance(v, list) and f not in NAME_FIELDS else [v]
        for x in vals:
            if f in NAME_FIELDS:
                x = " ".join(x) if isinstance(x, list) else x
            out.setdefault(f, Counter())[norm(f, str(x), bag=True)] += 1
    if "number" in fields and "volume" not in fields:
        out.setdefault("volume", Counter())[norm("volume", str(fields["number"]))] += 1
    return out


class Score:
    """Accumulates the counts of every metric."""

    def __init__(self) -> None:
        self.tok_ok = self.tok_all = self.misaligned = 0
        self.span_tp = self.span_pred = self.span_gold = 0
        self.tp: Counter[str] = Counter()
        self.pred: Counter[str] = Counter()
        self.gold: Counter[str] = Counter()
        self.exact = self.refs = 0
        self.confusion: Counter[tuple[str, str]] = Counter()

    def merge(self, other: Score) -> None:
        """Add another score's counts (pooling CV folds)."""
        for attr in ("tok_ok", "tok_all", "misaligned", "span_tp", "span_pred", "span_gold", "exact", "refs"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        for attr in ("tp", "pred", "gold", "confusion"):
            getattr(self, attr).update(getattr(other, attr))

    def add_tokens(
        self, gold: Sequence[tuple[str, str]], tokens: Sequence[str] | None, labels: Sequence[str] | None
    ) -> None:
        """Token accuracy and span F1 of one labelled prediction (None: not a tagger)."""
        self.tok_all += len(gold)
        gs = _spans([lab for _, lab in gold])
        self.span_gold += len(gs)
        if tokens is None or labels is None or list(tokens) != [t for t, _ in gold]:
            self.misaligned += tokens is not None
            return
        for (_, g), p in zip(gold, labels, strict=True):
            self.tok_ok += g == p
            if g != p:
                self.confusion[(g, p)] += 1
        ps = _spans(list(labels))
        self.span_pred += len(ps)
        self.span_tp += len(gs & ps)

    def add_fields(self, gold: dict[str, Counter[str]], pred: dict[str, Counter[str]]) -> bool:
        """Field counts of one reference; True when every field matches."""
        self.refs += 1
        ok = True
        for f in FIELDS:
            g = gold.get(f, Counter())
            p = pred.get(f, Counter())
            self.tp[f] += sum((g & p).values())
            self.pred[f] += sum(p.values())
            self.gold[f] += sum(g.values())
            ok = ok and g == p
        self.exact += ok
        return ok

    def prf(self, fields: Iterable[str] | None = None) -> tuple[float, float, float]:
        fs = list(fields) if fields is not None else FIELDS
        tp = sum(self.tp[f] for f in fs)
        np_ = sum(self.pred[f] for f in fs)
        ng = sum(self.gold[f] for f in fs)
        p = tp / np_ if np_ else 0.0
        r = tp / ng if ng else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def summary(self) -> dict[str, Any]:
        p, r, f1 = self.prf()
        supported = [f for f in FIELDS if self.gold[f]]
        macro = statistics.mean(self.prf([f])[2] for f in supported) if supported else 0.0
        sp = self.span_tp / self.span_pred if self.span_pred else 0.0
        sr = self.span_tp / self.span_gold if self.span_gold else 0.0
        return {
            "references": self.refs,
            "token_accuracy": self.tok_ok / self.tok_all if self.tok_all and self.span_pred else None,
            "misaligned": self.misaligned,
            "span_f1": (2 * sp * sr / (sp + sr) if sp + sr else 0.0) if self.span_pred else None,
            "field_p": p,
            "field_r": r,
            "field_f1_micro": f1,
            "field_f1_macro": macro,
            "whole_reference": self.exact / self.refs if self.refs else 0.0,
            "per_field": {f: (*self.prf([f]), self.gold[f]) for f in FIELDS if self.gold[f] or self.pred[f]},
        }


def _spans(labels: Sequence[str]) -> set[tuple[str, int, int]]:
    out = set()
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.add((labels[start], start, i))
            start = i
    return out


# ---------------------------------------------------------------------------------------
# Runners
# ---------------------------------------------------------------------------------------


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_crf(records: list[dict], model: CRFModel) -> tuple[Score, Score, Score]:
    """(segment score, contract-field score, ``crf+rules`` contract-field score) of the
    CRF on ``records``."""
    from kmgraph.references.parse import parse_reference_combined

    seg, con, comb = Score(), Score(), Score()
    for rec in records:
        gold_tok = [(t, lab) for t, lab in rec["tokens"]]
        gsegs = gold_segments(rec)
        tokens = tokenize(rec["text"])
        res = model.tag(tokens)
        seg.add_tokens(gold_tok, res.tokens, res.labels)
        seg.add_fields(values_from_segments(gsegs), values_from_segments(segments(res.tokens, res.labels)))
        con.add_tokens(gold_tok, None, None)
        parsed = parse_reference_crf(rec["text"], model=model)
        con.add_fields(values_from_segments(gsegs, bag=True), values_from_fields(parsed.fields, rec["text"]))
        comb.add_tokens(gold_tok, None, None)
        both = parse_reference_combined(rec["text"], model=model)
        comb.add_fields(values_from_segments(gsegs, bag=True), values_from_fields(both.fields, rec["text"]))
    return seg, con, comb


def score_fields(records: list[dict], parse: Callable[[str], dict[str, Any]]) -> Score:
    """Contract-field score of a parser that returns contract fields."""
    sc = Score()
    for rec in records:
        sc.add_tokens([(t, lab) for t, lab in rec["tokens"]], None, None)
        sc.add_fields(
            values_from_segments(gold_segments(rec), bag=True), values_from_fields(parse(rec["text"]), rec["text"])
        )
    return sc


def rules_parser() -> Callable[[str], dict[str, Any]]:
    from kmgraph.references import parse as rp

    fn = getattr(rp, "parse_reference_rules", rp.parse_reference)
    return lambda text: fn(text).fields


def refextract_fields(records: list[dict], python: str) -> list[dict[str, Any]] | None:
    """Run refextract in its own interpreter (GPL: never imported here)."""
    payload = "\n".join(json.dumps({"text": r["text"]}) for r in records) + "\n"
    try:
        proc = subprocess.run(
            [python, str(PEER)], input=payload, capture_output=True, text=True, timeout=3600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"refextract: not run ({exc})", file=sys.stderr)
        return None
    if proc.returncode != 0:
        print(f"refextract: failed ({proc.stderr.strip()[-300:]})", file=sys.stderr)
        return None
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _fold(args: tuple[list[dict], list[dict], dict[str, Any]]) -> tuple[Score, Score, Score]:
    from kmgraph.references.crf.train import train_model

    tr, te, params = args
    seqs = [[(t, lab) for t, lab in r["tokens"]] for r in tr]
    model = train_model(seqs, **params)
    return score_crf(te, model)


def cross_validate(
    records: list[dict], k: int = 5, seed: int = 13, jobs: int = 2, **params: Any
) -> tuple[Score, Score, Score]:
    """K-fold CV (seed 13, as in the notes); the pooled (segment, contract-field,
    ``crf+rules``) scores."""
    idx = list(range(len(records)))
    random.Random(seed).shuffle(idx)
    folds = []
    for i in range(k):
        test = set(idx[i::k])
        folds.append(
            (
                [r for j, r in enumerate(records) if j not in test],
                [r for j, r in enumerate(records) if j in test],
                params,
            )
        )
    pooled = (Score(), Score(), Score())
    with ProcessPoolExecutor(jobs) as ex:
        for scores in ex.map(_fold, folds):
            for into, sc in zip(pooled, scores, strict=True):
                into.merge(sc)
    return pooled


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _timed(fn: Callable[[str], Any], texts: Sequence[str]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of one pass of ``fn`` over ``texts``."""
    c0, w0 = _clock()
    for t in texts:
        fn(t)
    c1, w1 = _clock()
    return c1 - c0, w1 - w0


def speed(records: list[dict], model: CRFModel, runs: int = 5, warm_on: Sequence[dict] = ()) -> dict[str, Any]:
    """References/s and tokens/s of ``parse_reference_crf`` end to end, one core.

    Each run empties every per-token cache, then times one pass over ``records``:

    - ``warm``: after parsing ``warm_on`` (the training references, other strings than
      the ones timed), as a library that has already parsed part of its collection;
    - ``cold``: with every cache empty, as the first references of a new process;
    - ``same``: a second pass over the same ``records`` right after the warm one, every
      token already cached; this overstates real use and is reported for comparison
      with earlier figures only;
    - ``rules``: the rule parser, in the same loop, as a side-by-side reference.

    Figures are medians over ``runs`` of CPU time of this process
    (:func:`time.process_time`: one core, since the parser is single-threaded) and of
    wall time. The load average is read before and after.
    """
    import os

    from kmgraph.references import parse as rp

    texts = [r["text"] for r in records]
    other = [r["text"] for r in warm_on]
    ntok = sum(len(r["tokens"]) for r in records)
    rules = getattr(rp, "parse_reference_rules", rp.parse_reference)

    def crf(t: str) -> Any:
        return parse_reference_crf(t, model=model)

    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {"warm": [], "cold": [], "same": [], "rules": []}
    for _ in range(runs):
        model.features.clear_caches()
        times["cold"].append(_timed(crf, texts))
        model.features.clear_caches()
        for t in other:
            crf(t)
        times["warm"].append(_timed(crf, texts))
        times["same"].append(_timed(crf, texts))
        times["rules"].append(_timed(rules, texts))
    n = len(texts)
    out: dict[str, Any] = {
        "runs": runs,
        "references": n,
        "tokens": ntok,
        "warm_on_references": len(other),
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    for name, ts in times.items():
        cpu = statistics.median(c for c, _ in ts)
        wall = statistics.median(w for _, w in ts)
        out[name] = {
            "references_per_s_cpu": n / cpu,
            "references_per_s_wall": n / wall,
            "tokens_per_s_cpu": ntok / cpu,
            "all_references_per_s_cpu": [round(n / c) for c, _ in ts],
        }
    out["warm_over_rules_cpu"] = out["warm"]["references_per_s_cpu"] / out["rules"]["references_per_s_cpu"]
    return out


def print_speed(sp: dict[str, Any]) -> None:
    print(
        f"\nspeed: parse_reference_crf end to end (string to contract fields), one core; "
        f"{sp['references']} references, {sp['tokens']} tokens; median of {sp['runs']} runs"
    )
    lb, la = sp["load_before"], sp["load_after"]
    print(f"load average before {lb[0]:.2f} {lb[1]:.2f} {lb[2]:.2f}, after {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    print(f"{'':<58}{'refs/s CPU':>11}{'refs/s wall':>12}{'tokens/s CPU':>13}  runs (refs/s CPU)")
    rows = (
        ("warm", f"crf, warm on other references ({sp['warm_on_references']} train refs first)"),
        ("cold", "crf, cold (every cache empty)"),
        ("same", "crf, same references again (overstates real use)"),
        ("rules", "rules, same loop"),
    )
    for key, title in rows:
        r = sp[key]
        runs = " ".join(str(x) for x in r["all_references_per_s_cpu"])
        print(
            f"{title:<58}{r['references_per_s_cpu']:>11,.0f}{r['references_per_s_wall']:>12,.0f}"
            f"{r['tokens_per_s_cpu']:>13,.0f}  {runs}"
        )
    print(f"crf warm / rules (CPU): {sp['warm_over_rules_cpu']:.2f}")


def dump_outputs(paths: Sequence[Path], model: CRFModel) -> list[dict[str, Any]]:
    """The CRF parser's whole output for every reference of ``paths``: labels, sequence
    probability and marginals of the tagger, and the contract fields, confidence and
    reason of ``parse_reference_crf`` (to check that a speed change changes nothing)."""
    out = []
    for path in paths:
        for rec in read(path):
            text = rec["text"]
            res = model.tag(tokenize(text), marginals=True)
            parsed = parse_reference_crf(text, model=model)
            out.append(
                {
                    "text": text,
                    "labels": list(res.labels),
                    "probability": repr(res.probability),
                    "marginals": [repr(x) for x in res.marginals],
                    "fields": parsed.fields,
                    "confidence": parsed.confidence,
                    "reason": parsed.reason,
                }
            )
    return out


def compare_outputs(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """Where two :func:`dump_outputs` differ (empty: identical)."""
    if len(got) != len(want):
        return [f"{len(got)} references against {len(want)}"]
    diffs = []
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        for key in sorted(set(g) | set(w)):
            if g.get(key) != w.get(key):
                diffs.append(f"reference {i} ({w.get('text', '')[:40]!r}): {key} differs")
    return diffs


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "    -" if x is None else f"{100 * x:5.1f}" if x < 0.995 or x == 1 else f"{100 * x:5.2f}"


def print_table(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print()
    print(f"{'metric':<22}" + "".join(f"{n:>12}" for n in names))
    rows = [
        ("token accuracy", "token_accuracy", 2),
        ("span F1 (micro)", "span_f1", 2),
        ("field P", "field_p", 2),
        ("field R", "field_r", 2),
        ("field F1 micro", "field_f1_micro", 2),
        ("field F1 macro", "field_f1_macro", 2),
        ("whole reference", "whole_reference", 2),
    ]
    for title, key, dec in rows:
        cells = []
        for n in names:
            v = results[n].get(key)
            cells.append(f"{'-':>12}" if v is None else f"{100 * v:>12.{dec}f}")
        print(f"{title:<22}" + "".join(cells))
    print()
    print(f"{'field F1 (gold n)':<22}" + "".join(f"{n:>12}" for n in names))
    fields = [f for f in FIELDS if any(f in r["per_field"] for r in results.values())]
    for f in fields:
        gold_n = max((r["per_field"].get(f, (0, 0, 0, 0))[3] for r in results.values()), default=0)
        cells = []
        for n in names:
            pf = results[n]["per_field"].get(f)
            cells.append(f"{100 * pf[2]:>12.1f}" if pf else f"{'-':>12}")
        print(f"{f + f' ({gold_n})':<22}" + "".join(cells))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--test", default=str(DATA / "test.jsonl"))
    ap.add_argument("--train", default=str(DATA / "train.jsonl"))
    ap.add_argument("--model", default=None, help="model file (default: the shipped model)")
    ap.add_argument("--cv", action="store_true", help="5-fold cross-validation on the training file")
    ap.add_argument("--cv-only", action="store_true", help="only the cross-validation")
    ap.add_argument("--jobs", type=int, default=2, help="CV folds trained in parallel")
    ap.add_argument("--c1", type=float, default=None, help="CV: L1 regularisation (default: the shipped model's)")
    ap.add_argument("--c2", type=float, default=None, help="CV: L2 regularisation (default: the shipped model's)")
    ap.add_argument("--max-iterations", type=int, default=None, help="CV: L-BFGS iterations")
    ap.add_argument("--stack-folds", type=int, default=None, help="CV: folds of the stacked pass (0: one pass)")
    ap.add_argument("--folds", type=int, default=5, help="CV folds (5 for the reported figures)")
    ap.add_argument("--refextract-python", default="/tmp/refextract-venv/bin/python")
    ap.add_argument("--no-refextract", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--runs", type=int, default=5, help="speed passes (the median is reported)")
    ap.add_argument("--confusion", action="store_true", help="print the CRF's most frequent label confusions")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--speed-only", action="store_true", help="only the speed measurement (no scores)")
    ap.add_argument(
        "--dump-output", metavar="FILE", help="write the CRF parser's output for every train and test reference"
    )
    ap.add_argument(
        "--compare-output", metavar="FILE", help="check that the output equals a --dump-output file; exit 1 if not"
    )
    args = ap.parse_args(argv)

    out: dict[str, Any] = {}
    if args.cv or args.cv_only:
        t0 = time.perf_counter()
        from kmgraph.references.crf.train import DEFAULT_PARAMS, STACK_FOLDS

        params = dict(DEFAULT_PARAMS, stack_folds=STACK_FOLDS)
        for name in ("c1", "c2", "max_iterations", "stack_folds"):
            if getattr(args, name) is not None:
                params[name] = getattr(args, name)
        cv, cv_fields, cv_comb = cross_validate(read(Path(args.train)), k=args.folds, jobs=args.jobs, **params)
        out["cv_params"] = params
        s = cv.summary()
        out["cv"] = s
        out["cv_crf_fields"] = cv_fields.summary()
        out["cv_crf_rules"] = cv_comb.summary()
        print(f"{args.folds}-fold CV on {Path(args.train).name} (seed 13, {params}, {time.perf_counter() - t0:.0f} s)")
        print_table({"crf (CV)": s, "crf-fields": out["cv_crf_fields"], "crf+rules": out["cv_crf_rules"]})
        if args.confusion:
            _print_confusion(cv)
        if args.cv_only:
            _write_json(args.json, out)
            return 0

    records = read(Path(args.test))
    model_path = Path(args.model) if args.model else default_model_path()
    t0 = time.perf_counter()
    model = load_model(model_path)
    load_s = time.perf_counter() - t0
    print(f"{len(records)} references from {Path(args.test).name}; model {model_path.name} loaded in {load_s:.3f} s")
    if args.dump_output or args.compare_output:
        got = dump_outputs([Path(args.train), Path(args.test)], model)
        if args.dump_output:
            Path(args.dump_output).write_text(json.dumps(got, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
            print(f"output of {len(got)} references written to {args.dump_output}")
        if args.compare_output:
            diffs = compare_outputs(got, json.loads(Path(args.compare_output).read_text(encoding="utf-8")))
            for d in diffs[:20]:
                print(d)
            print(f"output of {len(got)} references: {'identical' if not diffs else f'{len(diffs)} differences'}")
            if diffs:
                return 1
        return 0
    if args.speed_only:
        sp = speed(records, model, runs=args.runs, warm_on=read(Path(args.train)))
        print_speed(sp)
        _write_json(args.json, {"speed": {**sp, "model_load_s": load_s}})
        return 0
    results: dict[str, dict[str, Any]] = {}
    seg, con, comb = score_crf(records, model)
    results["crf"] = seg.summary()
    results["crf-fields"] = con.summary()
    results["crf+rules"] = comb.summary()
    rules = rules_parser()
    results["rules"] = score_fields(records, rules).summary()
    if not args.no_refextract:
        if Path(args.refextract_python).is_file():
            got = refextract_fields(records, args.refextract_python)
            if got is not None and len(got) == len(records):
                it = iter(got)
                results["refextract"] = score_fields(records, lambda _t: next(it)).summary()
        else:
            print(f"refextract: no interpreter at {args.refextract_python}; skipped", file=sys.stderr)
    print_table(results)
    out["test"] = results
    if args.confusion:
        _print_confusion(seg)
    if not args.no_speed:
        sp = speed(records, model, runs=args.runs, warm_on=read(Path(args.train)))
        out["speed"] = {**sp, "model_load_s": load_s}
        print_speed(sp)
    _write_json(args.json, out)
    return 0


def _print_confusion(sc: Score, n: int = 15) -> None:
    print("\nmost frequent confusions (gold -> predicted: tokens)")
    for (g, p), c in sc.confusion.most_common(n):
        print(f"  {g:>16} -> {p:<16} {c}")


def _write_json(path: str | None, data: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
