"""Find reference lists, their entries, in-text markers and works named in prose.

Works on the readable lines of a :class:`~kmgraph.records.SourceDocument`, so it is the
same for every input format. The rules, in the order they apply:

Reference lists
    1. *By heading*: a heading (from markup, or a short stand-alone line in plain text)
       such as References, Bibliography, Works cited, Notes, Sources or Further reading
       opens a section that runs to the next heading. Under "Notes"-like headings only
       entries that look like references are kept, so footnotes that explain are left out.
    2. *By form*: without a heading, a run of entries labelled 1, 2, 3… (``1.``, ``[1]``,
       ``1)``, optionally after a bullet) in which most entries look like references
       (a year, "n.d.", a URL or a DOI) is a reference list; so is a bracket-labelled
       footnote (``[1] https://…``) whose label is cited in the text.
    Link definitions (``[1]: http://…``) are never reference entries.

Entries
    A labelled line starts an entry; unlabelled lines continue it (a hyphen or a URL
    broken at the end of a line is joined without a space). In unlabelled sections,
    blank lines or bullets separate entries, and without either each line that starts
    like an author ("Family, I." or "Family I") starts one.

Markers
    Digits glued to a word or a sentence end (``change.1``, ``research3``), bracket
    numbers (``[1]``, ``[1, 3]``, ``[2–4]``), superscript digits, and author–year
    citations (``(Levin, 2008)``, ``Levin (2008)``, ``(Ward 2017; Levin 2008)``) are tied
    to the entry they name. Numeric markers count only when the list has that label.

Mentions
    A work named in prose: a work noun (report, paper, book, guide, video…) followed by a
    title in Title Case or in quotes, with its author taken from a possessive ("CAPE's
    video") or from the organisation named earlier in the sentence ("… project … their
    report").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kmgraph.records import Line, Marker, Mention, RawCitation
from kmgraph.references.keys import NAME_PARTICLES, ascii_fold

__all__ = [
    "REFERENCE_HEADINGS",
    "find_reference_entries",
    "find_markers",
    "find_mentions",
    "looks_like_reference",
    "AuthorYear",
]

# Headings that open a reference list. "Notes"-like ones only keep reference-like entries.
REFERENCE_HEADINGS = {
    "references": False,
    "reference list": False,
    "references and notes": False,
    "references cited": False,
    "bibliography": False,
    "select bibliography": False,
    "selected bibliography": False,
    "works cited": False,
    "literature cited": False,
    "literature": False,
    "cited works": False,
    "citations": False,
    "sources": False,
    "sources and further reading": False,
    "further reading": False,
    "recommended reading": False,
    "suggested reading": False,
    "additional reading": False,
    "additional resources": True,
    "resources": True,
    "useful resources": True,
    "notes": True,
    "endnotes": True,
    "end notes": True,
    "footnotes": True,
    "notes and references": False,
    "références": False,
    "bibliographie": False,
}

# Reading lists whose entries may be bare titles (with links): kept without a year.
TITLE_LISTS = {
    "further reading",
    "recommended reading",
    "suggested reading",
    "additional reading",
    "additional resources",
    "resources",
    "useful resources",
    "sources and further reading",
}
# Page furniture that ends a list: what follows it is the page, not the list.
_FURNITURE = re.compile(
    r"^\s*(?:©|\(c\)\s|copyright\b|all rights reserved|subscribe\b|sign up\b|follow us\b|share (?:this|on)\b"
    r"|privacy\b|terms (?:of|and)\b|contact us\b|back to top\b|related (?:posts|articles|content)\b"
    r"|leave a (?:comment|reply)\b|posted in\b|tags?:|categories:|previous post\b|next post\b)",
    re.I,
)
_LABEL = re.compile(
    r"""^\s*(?:[•·▪●◦‣∙*\-–—]\s*)?      # an optional bullet before the label
        (?P<lab>\[(?P<b>\d{1,3})\]       # [1]
          |\((?P<p>\d{1,3})\)            # (1)
          |(?P<n>\d{1,3})[.)](?!\d)      # 1.  1)
        )\s+(?=\S)""",
    re.VERBOSE,
)
_WORD_NOTE = re.compile(r"\[([A-Za-z0-9][\w\-]{0,29})\](?=[\s.,;:)]|$)")
_BULLET = re.compile(r"^\s*[•·▪●◦‣∙*\-–—]\s+(?=\S)")
_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S")
_YEAR = re.compile(r"(?<!\d)(?:1[6-9]\d\d|20\d\d)[a-z]?(?!\d)|\bn\.\s?d\.|\bin press\b|\bforthcoming\b", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\bdoi:\s*10\.|\b10\.\d{4,9}/", re.I)
_PARTICLE_ALT = "|".join(sorted((p for p in NAME_PARTICLES if p.isalpha()), key=len, reverse=True))
_AUTHOR_START = re.compile(
    rf"^(?:[A-Z][\w'’\-]+(?:\s(?:{_PARTICLE_ALT})\b[\w'’\-\s]*)?,\s*(?:[A-Z]\.|[A-Z][a-z]+)"  # Family, I.
    r"|[A-Z][\w'’\-]+\s[A-Z]{1,3}[,.]"  # Vancouver: Graham ID,
    r"|[A-Z][A-Za-z&\-’' ]{2,60}\.\s\(?(?:1[6-9]\d\d|20\d\d|n\.d\.))"  # Corporate. (2005)
)


@dataclass(frozen=True)
class AuthorYear:
    """What an author–year marker needs to know of a parsed entry."""

    families: tuple[str, ...]
    year: str


def _heading_name(text: str) -> str:
    t = re.sub(r"^[#\s]+|[\s:.]+$", "", text).strip().lower()
    t = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", t)  # "7. References"
    return t


def _starts_like_reference(text: str) -> bool:
    t = text.strip()
    return bool(_LABEL.match(t) or _AUTHOR_START.match(_strip_bullet(t)) or _URL.match(_strip_bullet(t)))


def _is_heading(line: Line, prev_blank: bool, next_blank: bool, next_text: str = "") -> bool:
    if line.heading:
        return True
    t = line.text.strip()
    if t and _heading_name(t) in REFERENCE_HEADINGS and t[:1].isupper() and (
        (prev_blank and next_blank) or _starts_like_reference(next_text)
    ):
        # "References" alone on a line: with blank lines around it, or (PDF text, which
        # has none) right above something written like a reference.
        return True
    if not t or len(t) > 80 or not prev_blank:
        return False
    if t.endswith((".", ",", ";")) and not re.match(r"^\d+(\.\d+)*\.?\s", t):
        return False
    # A short stand-alone line that is not an entry.
    return next_blank and not _LABEL.match(t) and not _BULLET.match(t) and len(t.split()) <= 8


def looks_like_reference(text: str) -> bool:
    """Whether an entry's text has what a reference has: a year, "n.d.", a URL or a DOI.

    >>> looks_like_reference("Levin, B. (2008). Thinking about knowledge mobilization.")
    True
    >>> looks_like_reference("To develop peer learning within the community")
    False
    >>> looks_like_reference("1. Research use is social (Levin, 2008; Cooper and Levin, 2010).")
    False
    """
    if _URL.search(text):
        return True
    # A parenthesised author-year citation ("(Levin, 2008; Ward, 2017)") is how prose cites
    # a work, never a reference's own date: key points that cite are not references.
    return bool(_YEAR.search(_PAREN_AY.sub(" ", text)))


def _label_of(text: str) -> tuple[str | None, str, int]:
    """(label, kind, end offset) of a list label at the start of ``text``."""
    m = _LABEL.match(text)
    if not m:
        return None, "", 0
    if m.group("b"):
        return m.group("b"), "bracket", m.end()
    if m.group("p"):
        return m.group("p"), "paren", m.end()
    return m.group("n"), "number", m.end()


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
            continue
        last = out.split()[-1]
        first = part.split()[0]
        if (
            re.match(r"^(?:https?://|www\.)", last, re.I)
            and re.match(r"^[a-z0-9\-_./~%?=&#]+$", first)
            and (last[-1] in "/-_.~?=&#" or "/" in first or "." in first)
        ):
            out += part  # a URL broken across lines
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and part[:1].islower():
            out += part  # a word hyphenated at the line end keeps its hyphen
        else:
            out += " " + part
    return out


def _strip_bullet(text: str) -> str:
    m = _BULLET.match(text)
    return text[m.end():] if m else text


def _entries_in(lines: Sequence[Line], path: str, section: str, *, filter_notes: bool) -> list[RawCitation]:
    """Split the lines of one section into entries."""
    entries: list[tuple[int, str | None, list[str]]] = []
    last_line: dict[int, int] = {}  # index of an entry -> its last line
    labelled = sum(1 for ln in lines if _label_of(ln.text)[0] and not _DEFINITION.match(ln.text))
    bulleted = sum(1 for ln in lines if _BULLET.match(ln.text))
    texts = [ln.text for ln in lines]
    while texts and not texts[0].strip():
        texts.pop(0)
    while texts and not texts[-1].strip():
        texts.pop()
    has_blank = any(not t.strip() for t in texts)  # blank lines between entries
    indented = [t for t in texts if t.strip()]
    hanging = len(indented) > 1 and not indented[0][:1].isspace() and any(t[:1].isspace() for t in indented)
    for ln in lines:
        text = ln.text
        if _DEFINITION.match(text):
            continue
        if _FURNITURE.match(_strip_bullet(text)):
            break  # the page goes on after the list
        if not text.strip():
            if not labelled and not bulleted and entries and entries[-1][2]:
                entries.append((0, None, []))  # a blank line ends an unlabelled entry
            continue
        label, _, end = _label_of(text)
        if labelled and label:
            shown = _LABEL.match(text).group("lab")  # the label as written, without a bullet
            entries.append((ln.number, label, [shown + " " + text[end:].strip()]))
        elif not labelled and bulleted and _BULLET.match(text):
            entries.append((ln.number, None, [_strip_bullet(text)]))
        elif (
            not labelled
            and not bulleted
            and not has_blank
            and entries
            and entries[-1][2]
            and (not text[:1].isspace() if hanging else bool(_AUTHOR_START.match(text.strip())))
        ):
            entries.append((ln.number, None, [text]))
        elif entries and (entries[-1][2] or entries[-1][0] == 0):
            if entries[-1][0] == 0:
                entries[-1] = (ln.number, None, [text])
            else:
                entries[-1][2].append(text)
        elif not labelled:
            entries.append((ln.number, None, [text]))
        else:
            continue
        last_line[len(entries) - 1] = ln.number
    out = []
    for i, (number, label, parts) in enumerate(entries):
        if not parts:
            continue
        raw = _join(parts)
        if filter_notes and not looks_like_reference(raw):
            continue
        end = last_line.get(i, number)
        out.append(RawCitation(raw=raw, path=path, line=number, label=label, section=section, end_line=end))
    if section.lower().strip(" :") not in TITLE_LISTS and not any(looks_like_reference(e.raw) for e in out):
        return []  # prose under a heading such as "Sources" is not a list of works
    if not labelled and len(out) >= 3:
        # Page text after an unnumbered list ("Subscribe to our newsletter", a copyright
        # line) is not an entry: where most entries look like references, the rest go.
        refs = [e for e in out if looks_like_reference(e.raw)]
        if len(refs) >= 0.6 * len(out):
            out = refs
    return out


def _sections(lines: Sequence[Line]) -> list[tuple[str, bool, list[Line]]]:
    """Reference sections found by heading: (heading, notes-like, lines)."""
    found: list[tuple[str, bool, list[Line]]] = []
    current: tuple[str, bool, list[Line]] | None = None
    n = len(lines)
    for i, ln in enumerate(lines):
        prev_blank = i == 0 or not lines[i - 1].text.strip()
        next_blank = i + 1 >= n or not lines[i + 1].text.strip()
        next_text = next((lines[j].text for j in range(i + 1, n) if lines[j].text.strip()), "")
        if _is_heading(ln, prev_blank, next_blank, next_text):
            name = _heading_name(ln.text)
            if current is not None:
                found.append(current)
                current = None
            if name in REFERENCE_HEADINGS:
                current = (ln.text.strip().strip("#").strip(), REFERENCE_HEADINGS[name], [])
            continue
        if current is not None:
            current[2].append(ln)
    if current is not None:
        found.append(current)
    return found


def _numbered_runs(lines: Sequence[Line]) -> list[list[Line]]:
    """Runs of lines labelled 1, 2, 3… (with continuation lines between them)."""
    runs: list[list[Line]] = []
    run: list[Line] = []
    expected = 1
    for ln in lines:
        label, kind, _ = _label_of(ln.text)
        if label and not _DEFINITION.match(ln.text):
            value = int(label)
            if value == expected:
                run.append(ln)
                expected += 1
                continue
            if run:
                runs.append(run)
            run, expected = ([ln], 2) if value == 1 else ([], 1)
            continue
        if run and ln.text.strip() and not ln.heading and run[-1].text.strip():
            # A continuation of the last entry (no blank line between) when it does not
            # look like prose of its own.
            last = run[-1].text.rstrip()
            if not last.endswith((".", "!", "?")) or re.match(r"^(?:https?://|www\.|doi|Retrieved)", ln.text.strip()):
                run.append(ln)
                continue
        if run and (not ln.text.strip()):
            run.append(ln)
            continue
        if run:
            runs.append(run)
            run, expected = [], 1
    if run:
        runs.append(run)
    return runs


def find_reference_entries(lines: Sequence[Line], path: str = "") -> list[RawCitation]:
    """Find every entry of every reference list in a document.

    Args:
        lines: The document's readable lines.
        path: The document's path, for provenance.

    Returns:
        The entries in document order.

    >>> from kmgraph.records import Line
    >>> doc = [Line("Text.", 1), Line("", 2), Line("References", 3), Line("", 4),
    ...        Line("Levin, B. (2011). Mobilising research knowledge in education.", 5)]
    >>> [(e.line, e.section) for e in find_reference_entries(doc)]
    [(5, 'References')]
    """
    entries: list[RawCitation] = []
    covered: set[int] = set()
    for heading, notes_like, body in _sections(lines):
        got = _entries_in(body, path, heading, filter_notes=notes_like)
        entries.extend(got)
        covered.update(ln.number for ln in body)
    rest = [ln for ln in lines if ln.number not in covered]
    cited_brackets = {m.group(1) for ln in rest for m in re.finditer(r"\[(\d{1,3})\]", ln.text) if m.start() > 0}
    # Footnotes with word labels ("[^sshrc]" in Markdown): cited in the text, written like a reference.
    words_cited = {m.group(1) for ln in rest for m in _WORD_NOTE.finditer(ln.text) if m.start() > 0}
    for ln in rest:
        m = _WORD_NOTE.match(ln.text)
        if m and not m.group(1).isdigit() and m.group(1) in words_cited and looks_like_reference(ln.text):
            entries.append(RawCitation(raw=ln.text.strip(), path=path, line=ln.number, label=m.group(1), section=""))
    for run in _numbered_runs(rest):
        got = _entries_in(run, path, "", filter_notes=False)
        if not got:
            continue
        kinds = {_label_of(ln.text)[1] for ln in run if _label_of(ln.text)[0]}
        refs = sum(1 for e in got if looks_like_reference(e.raw))
        if len(got) >= 2 and refs >= max(2, 0.6 * len(got)):
            entries.extend(got)
        elif kinds == {"bracket"}:
            # Footnotes: each one cited in the text and written like a reference.
            entries.extend(e for e in got if e.label in cited_brackets and looks_like_reference(e.raw))
    entries.sort(key=lambda e: e.line)
    return entries


# In-text markers ---------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_GLUED = re.compile(
    r"(?<=[a-z\.\)\]’”\"',;:])(?P<num>\d{1,3}(?:\s?[,–\-]\s?\d{1,3})*)(?=[\s.,;:)!?]|$)"
)
_SUPER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+(?:[,⁻–][⁰¹²³⁴⁵⁶⁷⁸⁹]+)*")
_BRACKETS = re.compile(r"\[(?P<num>\d{1,3}(?:\s?[,–\-]\s?\d{1,3})*)\]")
_NAME = rf"[A-Z][A-Za-z'’\-]+(?:\s(?:{_PARTICLE_ALT})\s[A-Z][A-Za-z'’\-]+)?"
_AUTHORS = rf"{_NAME}(?:(?:,\s|\s(?:and|&)\s|,\s(?:and|&)\s){_NAME})*(?:\set\sal\.?)?"
_PAREN_AY = re.compile(rf"\((?P<body>(?:see\s|e\.g\.,?\s|cf\.\s)?{_AUTHORS},?\s(?:1[6-9]|20)\d\d[a-z]?(?:[;,]\s?(?:{_AUTHORS},?\s)?(?:1[6-9]|20)\d\d[a-z]?)*)\)")
_NARRATIVE_AY = re.compile(rf"(?P<authors>{_AUTHORS})\s\((?P<year>(?:1[6-9]|20)\d\d[a-z]?)\)")
_AY_PART = re.compile(rf"(?P<authors>{_AUTHORS}),?\s(?P<year>(?:1[6-9]|20)\d\d[a-z]?)")


def _expand(spec: str) -> list[str]:
    """'1, 3–5' -> ['1', '3', '4', '5']."""
    out: list[str] = []
    for part in re.split(r"\s?,\s?", spec):
        m = re.match(r"^(\d+)\s?[–\-⁻]\s?(\d+)$", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if 0 < b - a < 50:
                out.extend(str(i) for i in range(a, b + 1))
                continue
        if part.isdigit():
            out.append(part)
    return out


def _fold(name: str) -> str:
    return ascii_fold(name).replace(" ", "")


def _paragraphs(lines: Sequence[Line], skip: set[int]) -> list[tuple[str, list[tuple[int, Line]]]]:
    """Join runs of non-blank lines into one text each, keeping where each line starts."""
    paras: list[tuple[str, list[tuple[int, Line]]]] = []
    text, starts = "", []  # type: ignore[var-annotated]
    for ln in lines:
        if not ln.text.strip() or ln.number in skip or ln.heading:
            if starts:
                paras.append((text, starts))
            text, starts = "", []
            continue
        if starts:
            text += " "
        starts.append((len(text), ln))
        text += ln.text
    if starts:
        paras.append((text, starts))
    return paras


def _place(starts: list[tuple[int, Line]], offset: int) -> tuple[int, int]:
    """(line number, 1-based column) of an offset into a joined paragraph."""
    line_start, line = starts[0]
    for s, ln in starts:
        if s > offset:
            break
        line_start, line = s, ln
    return line.number, offset - line_start + 1


def find_markers(
    lines: Sequence[Line],
    entries: Sequence[RawCitation],
    author_years: Sequence[AuthorYear | None] = (),
) -> list[Marker]:
    """Find in-text citation markers and tie each to its reference-list entry.

    Args:
        lines: The document's readable lines.
        entries: The reference-list entries found in them.
        author_years: For each entry (same order), its first authors' family names and
            year, used to resolve author–year markers; None where unknown.

    Returns:
        Markers in document order. A marker citing several entries (``[1, 3]``) gives one
        record per entry.
    """
    by_label: dict[str, RawCitation] = {}
    for e in entries:
        if e.label is not None:
            by_label.setdefault(e.label, e)
    skip = _entry_lines(lines, entries)
    bracket_labels = any(e.raw.startswith("[") for e in entries)
    markers: list[Marker] = []
    for text, starts in _paragraphs(lines, skip):
        found: list[tuple[int, str, list[str]]] = []
        for m in _BRACKETS.finditer(text):
            if text[m.end():m.end() + 1] in ("(", ":"):
                continue  # a Markdown link text or a link definition
            found.append((m.start(), m.group(0), _expand(m.group("num"))))
        for m in _WORD_NOTE.finditer(text):
            if not m.group(1).isdigit() and m.group(1) in by_label:
                found.append((m.start(), m.group(0), [m.group(1)]))
        if by_label and not bracket_labels:
            for m in _GLUED.finditer(text):
                if m.start() and text[m.start() - 1].isdigit():
                    continue
                found.append((m.start(), m.group("num"), _expand(m.group("num"))))
            for m in _SUPER.finditer(text):
                spec = m.group(0).translate(_SUPERSCRIPTS).replace("⁻", "-")
                found.append((m.start(), m.group(0), _expand(spec)))
        for pos, shown, labels in sorted(found):
            for label in labels:
                target = by_label.get(label)
                if target is None:
                    continue
                line, column = _place(starts, pos)
                markers.append(Marker(text=shown, label=label, line=line, column=column, target_line=target.line))
        if author_years:
            for pos, shown, i in _author_year_markers(text, author_years):
                line, column = _place(starts, pos)
                label = entries[i].label
                markers.append(Marker(text=shown, label=label, line=line, column=column, target_line=entries[i].line))
    markers.sort(key=lambda mk: (mk.line, mk.column))
    return markers


def _entry_lines(lines: Sequence[Line], entries: Sequence[RawCitation]) -> set[int]:
    """Line numbers taken by reference-list entries (an entry runs to the next blank line)."""
    starts = {e.line for e in entries}
    taken: set[int] = set()
    inside = False
    for ln in lines:
        if ln.number in starts:
            inside = True
        elif not ln.text.strip() or ln.heading:
            inside = False
        if inside:
            taken.add(ln.number)
    return taken


def _author_year_markers(text: str, author_years: Sequence[AuthorYear | None]) -> list[tuple[int, str, int]]:
    """(offset, marker as written, entry index) of the author–year citations in ``text``."""
    spans: list[tuple[int, str, str, str]] = []  # (offset, shown, authors, year)
    for m in _PAREN_AY.finditer(text):
        last_authors = ""
        offset = m.start()
        for part in re.split(r";\s?", m.group("body")):
            pm = _AY_PART.search(part)
            if pm:
                last_authors = pm.group("authors")
                spans.append((offset, m.group(0), last_authors, pm.group("year")))
            elif re.fullmatch(r"\s?(?:1[6-9]|20)\d\d[a-z]?", part) and last_authors:
                spans.append((offset, m.group(0), last_authors, part.strip()))
    for m in _NARRATIVE_AY.finditer(text):
        spans.append((m.start(), m.group(0), m.group("authors"), m.group("year")))
    out: list[tuple[int, str, int]] = []
    seen: set[tuple[int, int]] = set()
    for pos, shown, authors, year in spans:
        first = _fold(re.split(r",|\sand\s|\s&\s|\set\sal", authors)[0].split()[-1])
        for i, ay in enumerate(author_years):
            if ay is None or not ay.families:
                continue
            if _fold(ay.families[0]) == first and ay.year[:4] == year[:4] and (i, pos) not in seen:
                seen.add((i, pos))
                out.append((pos, shown, i))
                break
    return out


# Mentions of works in prose --------------------------------------------------------

_WORK_NOUNS = (
    "report|paper|discussion paper|white paper|working paper|briefing|brief|book|guide|toolkit|"
    "handbook|framework|study|review|article|video|podcast|webinar|film|documentary"
)
_TYPE_OF = {
    "video": "video",
    "podcast": "audio",
    "webinar": "video",
    "film": "video",
    "documentary": "video",
    "book": "book",
    "article": "article",
    "paper": "report",
}
_Q_OPEN = "‘“'\""
_Q_CLOSE = {"‘": "’", "“": "”", "'": "'", '"': '"'}
_IMPERATIVES = {"watch", "see", "read", "visit", "download", "view", "listen", "explore", "try", "the", "our"}
_SMALL = {"a", "an", "the", "of", "in", "on", "for", "and", "to", "with", "by", "at", "from", "or", "as", "into"}


def _title_case_span(text: str) -> str:
    """The longest Title Case run (small words allowed inside) at the start of ``text``."""
    words = re.findall(r"\S+", text)
    taken: list[str] = []
    for w in words:
        core = w.strip(",.;:!?()")
        if not core:
            break
        if core[0].isupper() or core[0].isdigit() or (core.lower() in _SMALL and taken):
            taken.append(w)
            if w.endswith((".", ";", "!", "?", ")")) and not w.endswith(":"):
                break
            continue
        break
    while taken and taken[-1].strip(",.;:").lower() in _SMALL:
        taken.pop()
    return " ".join(taken).rstrip(",.;")


def find_mentions(lines: Sequence[Line], entries: Sequence[RawCitation] = ()) -> list[Mention]:
    """Find works named in prose that are not in a reference list.

    Args:
        lines: The document's readable lines.
        entries: The reference-list entries (their lines are skipped, their titles excluded).

    Returns:
        Mentions in document order.
    """
    listed = " ".join(e.raw.lower() for e in entries)
    entry_lines = _entry_lines(lines, entries)
    noun = re.compile(rf"\b(?P<noun>{_WORK_NOUNS})\b(?P<sep>,\s|:\s|\s)", re.I)
    out: list[Mention] = []
    for ln in lines:
        if ln.number in entry_lines or ln.heading:
            continue
        text = ln.text
        for m in noun.finditer(text):
            rest = text[m.end():]
            title = ""
            raw_end = m.end()
            if rest[:1] in _Q_OPEN:
                close = _Q_CLOSE[rest[0]]
                j = rest.find(close, 1)
                if j > 1:
                    title = rest[1:j].strip().rstrip(",.")
                    raw_end = m.end() + j + 1
            elif m.group("sep").strip() in (",", ":"):
                title = _title_case_span(rest)
                raw_end = m.end() + len(title)
            if len(title.split()) < 2 and not (title and rest[:1] in _Q_OPEN):
                continue
            if title.lower() in listed:
                continue
            noun_word = m.group("noun").lower()
            before = text[: m.start()]
            author: tuple[str, ...] = ()
            raw_start = m.start()
            pm = re.search(r"(?P<owner>[A-Z][\w\-]*(?:\s[A-Z][\w\-]*)*)[’']s\s$", before)
            if pm:
                owner = pm.group("owner").split()
                raw_start = pm.start()
                while len(owner) > 1 and owner[0].lower() in _IMPERATIVES:
                    raw_start += len(owner[0]) + 1
                    owner = owner[1:]
                author = (" ".join(owner),)
            elif re.search(r"\b(?:their|its)\s$", before):
                sentence = re.split(r"(?<=[.!?])\s", before)[-1]
                orgs = re.findall(
                    r"\bthe\s((?:[A-Z][\w\-]*\s(?:(?:in|of|for|and|on)\s)?)+(?:project|programme|program|network|"
                    r"centre|center|institute|unit|council|foundation|initiative|partnership))\b",
                    sentence,
                )
                if orgs:
                    author = (orgs[-1],)
                raw_start = m.end()
            raw = text[raw_start:raw_end] if pm else title
            mtype = _TYPE_OF.get(noun_word.split()[-1], "report")
            out.append(Mention(raw=raw, title=title, line=ln.number, type=mtype, author=author))
    return out
