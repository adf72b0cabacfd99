"""Run refextract on reference strings, for benchmarks/refparse.py (out of process).

refextract is GPL-licensed: it is never imported by kmgraph. This script runs in its
own virtualenv::

    python -m venv /tmp/refextract-venv
    /tmp/refextract-venv/bin/pip install refextract
    /tmp/refextract-venv/bin/python benchmarks/refextract_peer.py < in.jsonl > out.jsonl

Input: one ``{"text": ...}`` per line. Output: one object of contract-like fields per
line (author list, title, container, year, volume, pages, publisher, url, doi, isbn),
in the same order; ``{}`` when refextract finds nothing or fails.
"""

from __future__ import annotations

import json
import sys


def convert(found: list[dict]) -> dict:
    """Merge refextract's reference dicts for one input string into one field dict."""
    out: dict = {}

    def first(key: str) -> str | None:
        for r in found:
            v = r.get(key)
            if v:
                return v[0] if isinstance(v, list) else v
        return None

    authors = [a for r in found for a in r.get("author", [])]
    if authors:
        out["author"] = [" ".join(authors)]
    mapping = {
        "title": "title",
        "journal_title": "container",
        "year": "year",
        "journal_volume": "volume",
        "journal_page": "pages",
        "publisher": "publisher",
        "url": "url",
        "doi": "doi",
        "isbn": "isbn",
    }
    for src, dst in mapping.items():
        v = first(src)
        if v:
            out[dst] = v
    if "year" not in out and first("journal_year"):
        out["year"] = first("journal_year")
    return out


def main() -> int:
    from refextract import extract_references_from_string

    for line in sys.stdin:
        if not line.strip():
            continue
        text = json.loads(line)["text"]
        try:
            found = extract_references_from_string(text, is_only_references=True)
            res = convert(found)
        except Exception:  # noqa: BLE001 - a peer failure on one string is a miss
            res = {}
        sys.stdout.write(json.dumps(res, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
