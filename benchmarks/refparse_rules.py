"""Per-field agreement of the rule-based reference parser with annotated references.

Reads a JSONL file in the ``refparse`` format (AnyStyle labels as token spans, see
``../shared/data/refparse/README.md``), parses every ``text`` with
:func:`kmgraph.references.parse.parse_reference`, and reports, per field, precision,
recall and F1 of the *values* after the normalisation of the reference-parsing notes
(§6.4): labels mapped to fields (journal and container-title -> container, location ->
address, date -> year), values NFKC-casefolded with punctuation turned into spaces, years
cut to the first 4-digit year, pages and volumes to their digit runs, name fields
compared as sets of words with role words removed (our "Family, Given" reordering does
not count as an error).

This is a development aid for the rules, not a benchmark against other parsers. Use
``train.jsonl``; ``test.jsonl`` is for scoring a release once.

Usage::

    python benchmarks/refparse_rules.py [path/to/train.jsonl] [--show FIELD] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmgraph.references.parse import parse_reference  # noqa: E402  (after the sys.path line)

DEFAULT = ROOT.parent / "shared" / "data" / "refparse" / "train.jsonl"

LABEL_TO_FIELD = {
    "author": "author",
    "editor": "editor",
    "title": "title",
    "journal": "container",
    "container-title": "container",
    "date": "year",
    "volume": "volume",
    "pages": "pages",
    "publisher": "publisher",
    "location": "address",
    "url": "url",
    "doi": "doi",
    "edition": "edition",
}
FIELDS = [
    "author",
    "editor",
    "title",
    "year",
    "container",
    "volume",
    "pages",
    "publisher",
    "address",
    "url",
    "doi",
    "edition",
]
ROLE_WORDS = {
    "ed",
    "eds",
    "edited",
    "by",
    "and",
    "et",
    "al",
    "hrsg",
    "in",
    "editor",
    "editors",
    "trans",
    "u",
    "a",
    "others",
}


def base(v: str) -> str:
    """NFKC, casefold, non-alphanumerics to spaces, whitespace collapsed."""
    v = unicodedata.normalize("NFKC", v).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", v).split())


def norm(fieldname: str, v: str) -> str:
    """Normalise one value for comparison."""
    if fieldname == "year":
        m = re.search(r"(1[5-9]\d\d|20\d\d)", v)
        return m.group(1) if m else base(v)
    if fieldname in {"pages", "volume"}:
        return "-".join(re.findall(r"\d+", v)) or base(v)
    if fieldname == "doi":
        m = re.search(r"10\..*", v)
        return (m.group(0) if m else v).casefold().rstrip(".,;)")
    if fieldname == "url":
        return v.strip("<>").rstrip(".,;)").casefold()
    if fieldname in {"author", "editor"}:
        return " ".join(sorted(w for w in base(v).split() if w not in ROLE_WORDS))
    if fieldname == "edition":
        return " ".join(w for w in base(v).split() if w not in {"ed", "edn", "edition"})
    if fieldname == "container":
        b = base(v)
        return re.sub(r"^(?:in|dans|en|im) ", "", b)
    return base(v)


def gold_values(rec: dict) -> dict[str, list[str]]:
    """Gold values per field, from the AnyStyle label segments."""
    out: dict[str, list[str]] = {}
    for label, segs in rec["fields"].items():
        f = LABEL_TO_FIELD.get(label)
        if not f:
            continue
        if f == "year":
            segs = segs[:1]
        if f in {"author", "editor"}:
            segs = [" ".join(segs)]
        out.setdefault(f, []).extend(norm(f, s) for s in segs)
    return out


def predicted_values(fields: dict) -> dict[str, list[str]]:
    """Our values per field, normalised the same way."""
    out: dict[str, list[str]] = {}
    for f in FIELDS:
        if f not in fields:
            continue
        v = fields[f]
        if f in {"author", "editor"}:
            v = " ".join(v)
        if f == "volume" and "number" in fields:
            # The AnyStyle "volume" segment carries the issue too: "26(1)".
            v = f"{v} {fields['number']}"
        out[f] = [norm(f, str(v))]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a per-field table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--show", help="print disagreements for this field")
    ap.add_argument("--limit", type=int, default=25, help="how many disagreements to print")
    args = ap.parse_args(argv)
    path = Path(args.path)
    if not path.is_file():
        print(f"not found: {path}", file=sys.stderr)
        return 2
    tp: Counter[str] = Counter()
    npred: Counter[str] = Counter()
    ngold: Counter[str] = Counter()
    exact = 0
    total = 0
    shown = 0
    t0 = time.perf_counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        total += 1
        parsed = parse_reference(rec["text"])
        gold = gold_values(rec)
        pred = predicted_values(parsed.fields)
        ok_all = True
        for f in FIELDS:
            g = Counter(gold.get(f, []))
            p = Counter(pred.get(f, []))
            hit = sum((g & p).values())
            tp[f] += hit
            npred[f] += sum(p.values())
            ngold[f] += sum(g.values())
            if g != p:
                ok_all = False
                if args.show == f and shown < args.limit:
                    shown += 1
                    print(f"- {rec['text']}\n    gold: {list(g)}\n    ours: {list(p)}")
        exact += ok_all
    elapsed = time.perf_counter() - t0
    print(f"{total} references in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    print(f"{'field':<11} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
    sp = sg = st = 0
    for f in FIELDS:
        p = tp[f] / npred[f] if npred[f] else 0.0
        r = tp[f] / ngold[f] if ngold[f] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        sp += npred[f]
        sg += ngold[f]
        st += tp[f]
        print(f"{f:<11} {100 * p:6.1f} {100 * r:6.1f} {100 * f1:6.1f} {ngold[f]:6d}")
    p = st / sp if sp else 0.0
    r = st / sg if sg else 0.0
    print(f"{'micro':<11} {100 * p:6.1f} {100 * r:6.1f} {100 * (2 * p * r / (p + r) if p + r else 0):6.1f}")
    print(f"whole reference agrees on every field: {100 * exact / total:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
