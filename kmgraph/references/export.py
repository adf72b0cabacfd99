"""Export store entries as BibTeX, CSL-JSON or RIS.

All three read an entry through :func:`~kmgraph.references.bibtex.from_bibtex`, so
they agree with each other and with the store. Output is deterministic: entries in the
order given, keys and tags in a fixed order.

Type mapping:

=============== ================== ======
JSON type       CSL-JSON           RIS
=============== ================== ======
article         article-journal    JOUR
book            book               BOOK
incollection    chapter            CHAP
inproceedings   paper-conference   CPAPER
report          report             RPRT
thesis          thesis             THES
online          webpage            ELEC
video           motion_picture     VIDEO
anything else   document           GEN
=============== ================== ======

CSL-JSON names are ``{"family", "given"}`` or ``{"literal"}`` for a name without a comma;
``issued`` is ``{"date-parts": [[year]]}`` from the first four-digit year (or the full
ISO ``date``), plus ``"raw"`` with the year as written when it is not a plain year
("2008, 2013"). RIS records are ``TAG  - value`` lines ending with ``ER  - ``, one blank line apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from bibtexparser.model import Entry

from kmgraph.errors import UsageError
from kmgraph.references.bibtex import entry_fields, from_bibtex, render_blocks

__all__ = ["FORMATS", "export", "to_csl", "to_ris"]

#: The formats :func:`export` writes.
FORMATS = ("bibtex", "csl-json", "ris")

_CSL_TYPES = {
    "article": "article-journal",
    "book": "book",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "report": "report",
    "thesis": "thesis",
    "online": "webpage",
    "video": "motion_picture",
}
_RIS_TYPES = {
    "article": "JOUR",
    "book": "BOOK",
    "incollection": "CHAP",
    "inproceedings": "CPAPER",
    "report": "RPRT",
    "thesis": "THES",
    "online": "ELEC",
    "video": "VIDEO",
}


def export(entries: Iterable[Entry], format: str) -> str:
    """Write entries in one of :data:`FORMATS`.

    Args:
        entries: Entries (e.g. ``store.entries`` or ``store.search(...)``).
        format: ``bibtex``, ``csl-json`` or ``ris``.

    Returns:
        The text, ending with a newline (``[]`` plus newline for no CSL-JSON entries).

    Raises:
        UsageError: An unknown format.
    """
    entries = list(entries)
    if format == "bibtex":
        return render_blocks(entries)
    if format == "csl-json":
        return json.dumps([to_csl(e) for e in entries], indent=2, ensure_ascii=False) + "\n"
    if format == "ris":
        return "".join(to_ris(e) + "\n" for e in entries)
    raise UsageError(f"unknown export format '{format}' (choose from {', '.join(FORMATS)})")


def _csl_name(name: str) -> dict[str, str]:
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return {"family": family, "given": given} if given else {"family": family}
    return {"literal": name}


def _date_parts(fields: dict[str, Any]) -> dict[str, Any] | None:
    date = str(fields.get("date") or "")
    found = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date.strip())
    if found:
        return {"date-parts": [[int(p) for p in found.groups() if p]]}
    year = str(fields.get("year") or "")
    found_year = re.search(r"(?<!\d)(\d{4})(?!\d)", year)
    if not found_year:
        return None
    issued: dict[str, Any] = {"date-parts": [[int(found_year.group(1))]]}
    if year.strip() != found_year.group(1):
        issued["raw"] = year.strip()
    return issued


def to_csl(entry: Entry) -> dict[str, Any]:
    """One entry as a CSL-JSON item."""
    f = from_bibtex(entry.entry_type, entry_fields(entry))
    item: dict[str, Any] = {"id": entry.key, "type": _CSL_TYPES.get(f["type"], "document")}
    if f.get("author"):
        item["author"] = [_csl_name(n) for n in f["author"]]
    if f.get("editor"):
        item["editor"] = [_csl_name(n) for n in f["editor"]]
    issued = _date_parts(f)
    if issued:
        item["issued"] = issued
    for source, target in (
        ("title", "title"),
        ("container", "container-title"),
        ("volume", "volume"),
        ("number", "issue"),
        ("pages", "page"),
        ("edition", "edition"),
        ("publisher", "publisher"),
        ("address", "publisher-place"),
        ("url", "URL"),
        ("doi", "DOI"),
        ("isbn", "ISBN"),
        ("note", "note"),
    ):
        if f.get(source):
            item[target] = re.sub(r"-+", "-", f[source]) if target == "page" else f[source]
    return item


def to_ris(entry: Entry) -> str:
    """One entry as an RIS record (lines ``TAG  - value``, ending with ``ER  - ``)."""
    f = from_bibtex(entry.entry_type, entry_fields(entry))
    lines = [("TY", _RIS_TYPES.get(f["type"], "GEN")), ("ID", entry.key)]
    lines += [("AU", n) for n in f.get("author", [])]
    lines += [("A2", n) for n in f.get("editor", [])]
    if f.get("title"):
        lines.append(("TI", f["title"]))
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", str(f.get("year") or f.get("date") or ""))
    if year:
        lines.append(("PY", year.group(1)))
    if f.get("date"):
        lines.append(("DA", str(f["date"]).replace("-", "/")))
    if f.get("container"):
        lines.append(("JO" if f["type"] == "article" else "T2", f["container"]))
    for source, tag in (("volume", "VL"), ("number", "IS")):
        if f.get(source):
            lines.append((tag, f[source]))
    if f.get("pages"):
        start, _, end = re.sub(r"-+", "-", str(f["pages"])).partition("-")
        lines.append(("SP", start.strip()))
        if end.strip():
            lines.append(("EP", end.strip()))
    for source, tag in (
        ("edition", "ET"),
        ("publisher", "PB"),
        ("address", "CY"),
        ("url", "UR"),
        ("doi", "DO"),
        ("isbn", "SN"),
        ("note", "N1"),
    ):
        if f.get(source):
            lines.append((tag, f[source]))
    lines.append(("ER", ""))
    return "\n".join(f"{tag}  - {value}" for tag, value in lines) + "\n"
