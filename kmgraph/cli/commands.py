"""The commands of ``kmgraph``: option parsing and rendering only."""

from __future__ import annotations

import csv
import io
import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from kmgraph.cli import cli
from kmgraph.defaults import DEFAULT_STORE, STORE_ENV
from kmgraph.errors import InputError, StoreError

STORE_OPTION = click.option(
    "--store",
    "store_path",
    default=DEFAULT_STORE,
    envvar=STORE_ENV,
    show_default=True,
    help=f"The BibTeX store folder (or set {STORE_ENV}).",
)


MODEL_OPTION = click.option(
    "--model",
    "model_path",
    default=None,
    help=(
        "Parse references with this CRF model file (from `kmgraph refs train`); implies --parser crf "
        "unless --parser crf+rules is given."
    ),
)


def _remember_parser(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta["kmgraph.parser"] = value


def PARSER_OPTIONS(f: Any) -> Any:  # noqa: N802 - used like the other option constants
    """``--parser rules|crf|crf+rules`` and ``--model MODEL``: the options of every command that parses references."""
    from kmgraph.references.parse import DEFAULT_PARSER, PARSERS

    f = MODEL_OPTION(f)
    return click.option(
        "--parser",
        type=click.Choice(list(PARSERS)),
        default=None,
        expose_value=False,
        callback=_remember_parser,
        help=(
            "The reference-string parser: the rules, the CRF model, or the CRF with the rules when the model is "
            f"unsure (default: {DEFAULT_PARSER}; see docs/refparse.md)."
        ),
    )(f)


def _parser(model_path: str | None) -> Any:
    """The reference parser the user chose (--parser, --model); None: the library's default."""
    ctx = click.get_current_context(silent=True)
    name = ctx.meta.get("kmgraph.parser") if ctx is not None else None
    if model_path is None and name is None:
        return None
    import functools

    from kmgraph.references.parse import parse_reference_combined, parse_reference_rules

    if name == "rules":
        if model_path is not None:
            raise click.BadOptionUsage("model_path", "--model goes with the CRF parser, not --parser rules")
        return parse_reference_rules
    from kmgraph.references.crf.model import default_model, load_model
    from kmgraph.references.crf.parser import parse_reference_crf

    fn = parse_reference_combined if name == "crf+rules" else parse_reference_crf
    return functools.partial(fn, model=load_model(model_path) if model_path else default_model())


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str], widths: Sequence[int | None]) -> str:
    """Aligned columns; a column with a width is cut to it with an ellipsis."""
    cut = []
    for row in [headers, *rows]:
        cells = []
        for value, width in zip(row, widths, strict=True):
            value = str(value)
            if width and len(value) > width:
                value = value[: width - 1] + "…"
            cells.append(value)
        cut.append(cells)
    sizes = [max(len(r[i]) for r in cut) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(r)).rstrip() for r in cut]
    if sys.stdout.isatty():
        lines[0] = click.style(lines[0], bold=True)
    return "\n".join(lines)


def _progress(items: Sequence[Any], label: str) -> Iterable[Any]:
    """A progress bar on stderr when it is a terminal, else the items as they are."""
    if not sys.stderr.isatty() or len(items) < 2:
        return items

    def gen() -> Iterable[Any]:
        with click.progressbar(items, label=label, file=sys.stderr, item_show_func=lambda x: x.id if x else None) as bar:
            yield from bar

    return gen()


# extract ---------------------------------------------------------------------------


@cli.command()
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@PARSER_OPTIONS
def extract(file: str, fmt: str, model_path: str | None) -> None:
    """Everything found in one document: references, links, markers, concepts.

    The JSON output is a stable contract, documented in docs/extract-json.md.
    """
    from kmgraph.pipeline import extract as run

    ex = run(file, parser=_parser(model_path))
    if fmt == "json":
        click.echo(_json(ex.to_dict()))
        return
    d = ex.to_dict()
    doc = d["document"]
    click.echo(f"{doc['path']} ({doc['format']}, {doc['encoding']})")
    for label in ("title", "publisher", "date", "url"):
        if doc[label]:
            click.echo(f"  {label}: {doc[label]}")
    for w in doc["warnings"]:
        click.echo(f"  warning: {w}")
    click.echo(f"\nReferences ({len(d['references'])})")
    for r in d["references"]:
        f = r["fields"]
        who = "; ".join(f.get("author", [])[:3]) + (" …" if len(f.get("author", [])) > 3 else "")
        click.echo(f"  {doc['path']}:{r['line']}  [{r['key']}] {who} ({f.get('year', 'n.d.')}) {f.get('title', '')}")
    click.echo(f"\nLinks ({len(d['links'])})")
    for link in d["links"]:
        click.echo(f"  {doc['path']}:{link['line']}:{link['column']}  {link['kind']:<11} {link['url']}")
    if d["markers"]:
        click.echo(f"\nMarkers ({len(d['markers'])})")
        for m in d["markers"]:
            click.echo(f"  {doc['path']}:{m['line']}:{m['column']}  {m['text']} -> entry {m['label']} (line {m['reference_line']})")
    if d["mentions"]:
        click.echo(f"\nWorks mentioned ({len(d['mentions'])})")
        for m in d["mentions"]:
            by = f" by {', '.join(m['author'])}" if m["author"] else ""
            click.echo(f"  {doc['path']}:{m['line']}  {m['type']}: {m['title']}{by}")
    click.echo("\nConcepts: " + (", ".join(f"{c['label']} ({c['count']})" for c in d["concepts"]) or "none"))
    click.echo("Organisations: " + (", ".join(f"{o['name']} ({o['count']})" for o in d["organisations"]) or "none"))
    if d["organisation_candidates"]:
        click.echo("Not in the register: " + ", ".join(c["name"] for c in d["organisation_candidates"]))
    for f in d["funders"]:
        where = f"{doc['path']}:{f['line']}" if f["line"] else f["source"]
        what = f" (funds {f['funded']})" if f["funded"] else ""
        click.echo(f"Funder: {f['name']}{' [' + f['id'] + ']' if f['id'] else ''}{what}  {where}")
    for a in d["affiliations"]:
        click.echo(f"Affiliation: {a['author']}: {a['name']}{' [' + a['id'] + ']' if a['id'] else ''}")


# ingest ----------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@STORE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@PARSER_OPTIONS
def ingest(paths: tuple[str, ...], store_path: str, fmt: str, dry_run: bool, model_path: str | None) -> None:
    """Extract documents (files, folders, globs) and merge them into the store.

    Near-duplicates are merged and reported; edits made by hand in the store are kept.
    """
    from kmgraph.pipeline import ingest as run

    report = run(
        list(paths),
        store_path,
        parser=_parser(model_path),
        progress=lambda docs: _progress(docs, "Ingesting"),
        save=not dry_run,
    )
    if fmt == "json":
        click.echo(_json(report.to_dict()))
        return
    for path, reason in report.skipped:
        click.echo(f"kmgraph: skipped {path}: {reason}", err=True)
    for w in report.warnings:
        click.echo(f"kmgraph: warning: {w}", err=True)
    click.echo(report.merge.summary())
    click.echo(
        f"{len(report.documents)} documents, {report.references} references, "
        f"{len(report.skipped)} skipped -> {store_path}{' (dry run, nothing written)' if dry_run else ''}"
    )


# refs ------------------------------------------------------------------------------


@cli.group()
def refs() -> None:
    """Parse reference strings and work with the BibTeX store."""


@refs.command("parse")
@click.argument("text", nargs=-1)
@PARSER_OPTIONS
def refs_parse(text: tuple[str, ...], model_path: str | None) -> None:
    """Parse reference strings into fields: one JSON object per line.

    With no TEXT, reads one reference per line from standard input.
    """
    from kmgraph.references.parse import parse_reference, split_label

    parse = _parser(model_path) or parse_reference
    items = list(text) if text else [line for line in sys.stdin.read().splitlines() if line.strip()]
    for item in items:
        label, _rest = split_label(item)
        parsed = parse(item)
        out: dict[str, Any] = {"raw": item, "label": label, "confidence": round(parsed.confidence, 3), "fields": parsed.fields}
        if parsed.reason:
            out["reason"] = parsed.reason
        click.echo(json.dumps(out, ensure_ascii=False))


def _open_store(path: str) -> Any:
    from kmgraph.references.store import Store

    store = Store.open(path)
    for fb in store.failed_blocks:
        click.echo(f"kmgraph: warning: {fb.file}:{fb.line}: malformed block kept as it is: {fb.reason}", err=True)
    return store


def _rows(store: Any, entries: Sequence[Any]) -> list[dict[str, Any]]:
    """Entries as plain JSON-contract fields with their key, type and file (duplicates too)."""
    from kmgraph.references.bibtex import entry_fields, from_bibtex

    wanted = {id(e) for e in entries}
    out = []
    for path, entry in store.entries_by_file():
        if id(entry) not in wanted:
            continue
        raw = entry_fields(entry)
        fields = from_bibtex(entry.entry_type, raw)
        extra = {k: v for k, v in raw.items() if k.startswith("kmgraph-")}
        out.append({"key": entry.key, "entrytype": entry.entry_type, "file": path.name, **fields, **extra})
    out.sort(key=lambda r: r["key"])
    return out


def _render_entries(entries: Sequence[Any], store: Any, fmt: str) -> None:
    rows = _rows(store, entries)
    if fmt == "json":
        click.echo(_json(rows))
    elif fmt == "keys":
        for r in rows:
            click.echo(r["key"])
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["key", "type", "author", "year", "title", "cited_by"])
        for r in rows:
            w.writerow([r["key"], r["entrytype"], "; ".join(r.get("author", [])), r.get("year", ""), r.get("title", ""), r.get("kmgraph-cited-by", "")])
        click.echo(buf.getvalue(), nl=False)
    else:
        table = []
        for r in rows:
            names = r.get("author") or r.get("editor") or [r.get("publisher", "")]
            table.append([r["key"], r["entrytype"], r.get("year", ""), names[0], r.get("title", "")])
        click.echo(_table(table, ["key", "type", "year", "first author", "title"], [None, 8, 10, 24, 60]))


LIST_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "keys"]), default="table", show_default=True
)


@refs.command("list")
@STORE_OPTION
@LIST_FORMAT
@click.option("--sources/--works", "sources", default=None, help="Only ingested documents, or only cited works.")
def refs_list(store_path: str, fmt: str, sources: bool | None) -> None:
    """List the entries of the store."""
    store = _open_store(store_path)
    entries = sorted(store.entries, key=lambda e: e.key)
    if sources is not None:
        entries = [e for e in entries if ("kmgraph-document" in e.fields_dict) == sources]
    _render_entries(entries, store, fmt)


@refs.command("show")
@click.argument("key")
@STORE_OPTION
@click.option("--format", "fmt", type=click.Choice(["bibtex", "json"]), default="bibtex", show_default=True)
def refs_show(key: str, store_path: str, fmt: str) -> None:
    """Show one entry of the store (every definition, if the key is duplicated)."""
    from kmgraph.references.export import export

    store = _open_store(store_path)
    found = [entry for _path, entry in store.locate(key)]
    if fmt == "json":
        rows = _rows(store, found)
        click.echo(_json(rows[0] if len(rows) == 1 else rows))
    else:
        click.echo(export(found, "bibtex"), nl=False)


@refs.command("search")
@click.argument("text")
@STORE_OPTION
@LIST_FORMAT
def refs_search(text: str, store_path: str, fmt: str) -> None:
    """Find entries whose key, authors, title, year, container or publisher contain TEXT."""
    store = _open_store(store_path)
    _render_entries(store.search(text), store, fmt)


@refs.command("lint")
@STORE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Fail on warnings as well as errors.")
@click.option(
    "--links/--no-links",
    default=True,
    show_default=True,
    help="Report broken and moved URLs and DOIs found by the latest 'kmgraph links check'.",
)
def refs_lint(store_path: str, fmt: str, strict: bool, links: bool) -> None:
    """Check the store: required fields, DOIs, URLs, years, pages, duplicates, dead links.

    Dead and moved links come from the verdicts the latest 'kmgraph links check' recorded
    (.kmgraph/link-status.json); lint itself makes no request. Exits 1 when an error (or,
    with --strict, a warning) is found.
    """
    from kmgraph.references.lint import lint

    store = _open_store(store_path)
    records = None
    if links:
        from kmgraph.linkcheck.record import read_record

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            records = read_record()
        for w in caught:
            click.echo(f"kmgraph: warning: {w.message}", err=True)
    issues = lint(store, records)
    if fmt == "json":
        click.echo(_json([{**asdict(i), "file": str(i.file)} for i in issues]))
    else:
        for issue in issues:
            click.echo(f"{issue.file}:{issue.line}: {issue.severity}: {issue.code}: [{issue.key}] {issue.message}")
        errors = sum(1 for i in issues if i.severity == "error")
        click.echo(f"{len(store.entries)} entries, {errors} errors, {len(issues) - errors} warnings", err=True)
    failing = [i for i in issues if i.severity == "error" or strict]
    if failing:
        sys.exit(1)


@refs.command("export")
@STORE_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["bibtex", "csl-json", "ris"]), default="bibtex", show_default=True
)
@click.option("-o", "--output", help="Write to a file (default: stdout).")
def refs_export(store_path: str, fmt: str, output: str | None) -> None:
    """Export the store as BibTeX, CSL-JSON (Zotero, Pandoc) or RIS."""
    from kmgraph.references.export import export
    from kmgraph.references.store import atomic_write_text

    store = _open_store(store_path)
    text = export(sorted(store.entries, key=lambda e: e.key), fmt)
    if output:
        try:
            atomic_write_text(Path(output), text)
        except StoreError as exc:  # the output file, not the store
            raise InputError(exc.message, path=output) from None
        click.echo(f"{len(store.entries)} entries -> {output}", err=True)
    else:
        click.echo(text, nl=False)


@refs.command("train")
@click.argument("data")
@click.option("-o", "--output", required=True, help="The model file to write.")
@click.option("--c1", default=0.05, show_default=True, type=click.FloatRange(0), help="L1 regularisation.")
@click.option("--c2", default=0.01, show_default=True, type=click.FloatRange(0), help="L2 regularisation.")
@click.option("--max-iterations", default=200, show_default=True, type=click.IntRange(1))
def refs_train(data: str, output: str, c1: float, c2: float, max_iterations: int) -> None:
    """Train the reference parser on your own corrected references (JSON Lines).

    DATA has one annotated reference per line, in the format of the shared training data
    (see docs/refparse.md). Use the model with --model on extract, ingest and refs parse.
    """
    from kmgraph.references.crf.train import train

    report = train(data, output, c1=c1, c2=c2, max_iterations=max_iterations)
    click.echo(
        f"{report.references} references, {report.tokens} tokens, {len(report.labels)} labels "
        f"in {report.seconds:.1f} s -> {report.model_path} ({report.size / 1024:.0f} KB)"
    )


@refs.command("review")
@STORE_OPTION
@MODEL_OPTION
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many entries to list.")
@click.option("--below", default=1.0, show_default=True, type=click.FloatRange(0, 1), help="Only entries below this confidence.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def refs_review(store_path: str, model_path: str | None, limit: int, below: float, fmt: str) -> None:
    """The store's least certain references first, the raw string beside the fields."""
    from kmgraph.references.crf.review import review

    items = review(store_path, model=model_path, limit=limit, below=below)
    if fmt == "json":
        click.echo(_json([{**asdict(i)} for i in items]))
        return
    for item in items:
        click.echo(f"{item.confidence:.2f}  {item.key}")
        click.echo(f"      raw:    {item.raw}")
        stored = "; ".join(f"{k}={v}" for k, v in item.fields.items() if not k.startswith("kmgraph-"))
        click.echo(f"      stored: {stored}")
        if item.reason:
            click.echo(f"      why:    {item.reason}")


# links -----------------------------------------------------------------------------


@cli.group()
def links() -> None:
    """List the links of documents (checking them comes with `links check`)."""


@links.command("list")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["absolute", "relative", "fragment", "placeholder", "mailto"]),
    help="Only links of this kind (repeatable).",
)
def links_list(paths: tuple[str, ...], fmt: str, kinds: tuple[str, ...]) -> None:
    """Every link of the documents with file:line:col, its kind and text."""
    from kmgraph.links import find_links
    from kmgraph.records import LinkKind

    listing = find_links(list(paths), kinds=[LinkKind(k) for k in kinds] or None)
    for path, reason in listing.skipped:
        click.echo(f"kmgraph: skipped {path}: {reason}", err=True)
    if fmt == "json":
        click.echo(
            _json(
                [
                    {"file": ln.path, "line": ln.line, "column": ln.column, "url": ln.url, "kind": ln.kind.value, "text": ln.text, "element": ln.element}
                    for ln in listing.links
                ]
            )
        )
        return
    for ln in listing.links:
        text = f"  {ln.text}" if ln.text and ln.text != ln.url else ""
        click.echo(f"{ln.path}:{ln.line}:{ln.column}: {ln.kind.value}: {ln.url}{text}")
