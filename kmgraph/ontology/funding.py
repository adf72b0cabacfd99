"""Funders and author affiliations: who a document says funds it, and where its authors work.

Funders come from funding statements in the text, read paragraph by paragraph:

* a *cue* opens a list of funders: "funded by", "co-funded by", "jointly funded by",
  "financed by", "with funding from", "received funding from", "thanks to funding from",
  "supported by a grant from" (up to three words before *grant*, *award*, *funding*,
  *fellowship* or *contribution*: "supported by an Insight Grant from"), "made possible by
  a grant from", "funding was provided by"; and "X-funded" names X ("the ESRC-funded
  centre"). Nouns alone ("our funders and donors", "apply for funding") are no cue.
* under a heading *Funding* (or *Funding statement*, *Financial support*, *Sources of
  funding*) or *Acknowledgements*, and after an inline label "Funding:", "supported by"
  and "support from/of" are cues too; in a Funding section every registered organisation
  the paragraph names is a funder. The section ends at the next heading or reference list.
* the list after a cue is read name by name: a registered organisation where the
  :class:`~kmgraph.ontology.tagger.Tagger` finds one (name, alias or acronym: the same
  matching as for mentions), else a run of capitalised words ("Acme Trust"). Names are
  separated by commas, "and" or "&"; grant numbers in brackets are skipped; anything
  else ("to study ...", "grant ES/123") ends the list, and so does the sentence. "and"
  inside an unregistered name ("Bill and Melinda Gates Foundation") splits it only after
  an acronym or a word such as Council, Foundation or Trust, or before "the" or a
  registered name.
* what the statement says is funded is the run of capitalised words just before "funded
  by" ("... part of the Prairie Evidence Programme, funded by ...": *Prairie Evidence Programme*), or after
  "X-funded"; when that is exactly a registered organisation, its register id is kept
  (``funded_id``): the graph then says that organisation, not the document, is funded.

Metadata values (meta tags, JSON-LD, front matter, BibTeX ``funding`` fields) are read the
same way, as a Funding section: a statement with a cue, else a list of names (also
separated by ";"). Affiliations name registered organisations when they contain one
("Department of X, University of Toronto"), else the whole affiliation is the name.

Example:
    >>> from kmgraph.records import Line
    >>> lines = [Line("The network is part of the Prairie Evidence Programme, funded by SSHRC, Mitacs and CIHR.", 1)]
    >>> [(f.name, f.id, f.funded) for f in find_funders(lines)]
    [('SSHRC', 'sshrc', 'Prairie Evidence Programme'), ('Mitacs', 'mitacs', 'Prairie Evidence Programme'), ('CIHR', 'cihr', 'Prairie Evidence Programme')]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence

from kmgraph.ontology.tagger import _SUFFIX_WORDS, Tagger
from kmgraph.ontology.text import is_acronym
from kmgraph.records import Affiliation, Funder, Line

__all__ = ["affiliations_in", "find_funders", "funders_in", "organisations_in"]

_ADVERBS = r"(?:(?:jointly|partly|partially|generously|also|currently|mainly|largely|fully|primarily|principally|kindly)\s+)"
_GRANT_WORDS = r"(?:grants?|awards?|funding|fellowships?|contributions?|donations?)"
# Cues whose list of funders follows; group "by" marks the ones with a funded thing before.
_CUES = re.compile(
    rf"""\b(?:
        (?P<by>{_ADVERBS}*(?:co-?)?(?:funded|financed)\s+(?:in\s+part\s+|jointly\s+|partly\s+)?by)
      | (?:with|receiv\w*|thanks\s+to|through)\s+(?:\w+\s+){{0,2}}?(?:funding|grants?|financial\s+support)\s+from
      | supported\s+(?:in\s+part\s+)?by\s+(?:\w+\s+){{0,3}}?{_GRANT_WORDS}\s+(?:from|of|by)
      | made\s+possible\s+(?:by|through|with)\s+(?:\w+\s+){{0,3}}?{_GRANT_WORDS}\s+(?:from|of|by)
      | (?:funding|financial\s+support)\s+(?:was|is|has\s+been|were)\s+provided\s+by
    )\s+""",
    re.I | re.X,
)
# Extra cues in a Funding or Acknowledgements section.
_SECTION_CUES = re.compile(r"\b(?P<by>supported\s+(?:in\s+part\s+)?by)\s+|\bsupport\s+(?:from|of)\s+", re.I)
_ADJECTIVE = re.compile(r"(?<=\w)[-\u2010\u2011]funded\b", re.I)
_SECTION = re.compile(
    r"(?P<funding>funding(?:\s+(?:statement|information|sources?|details))?|sources?\s+of\s+funding|financial\s+support)"
    r"|(?P<ack>acknowledge?ments?)",
    re.I,
)
_INLINE_LABEL = re.compile(r"^\s*(?:funding(?:\s+statement)?|financial\s+support|acknowledge?ments?)\s*:\s*", re.I)
# Words a funder list may start with before the first name ("a grant from the ...").
_LEAD_IN = re.compile(rf"(?:(?:an?|the)\s+(?:\w+\s+){{0,3}}?{_GRANT_WORDS}\s+(?:from|of|by)\s+)?(?:the\s+)?", re.I)
_THE = re.compile(r"(?:the\s+)?", re.I)
_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\s+|&\s*)?|and\s+|&\s*)(?:by\s+)?")
_BRACKETED = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])")
_AUXILIARY = re.compile(rf"[\s,]*(?:\b(?:is|are|was|were|has\s+been|have\s+been|had\s+been|being|been|be)\s+)?{_ADVERBS}*$", re.I)
_CONNECTORS = frozenset({"of", "for", "and", "&", "on", "in", "the", "de", "du", "des", "la", "le", "et", "für", "und"})
_NOT_NAMES = frozenset({"This", "These", "That", "Those", "It", "Its", "We", "Our", "They", "Their", "He", "She", "His", "Her", "A", "An", "Each", "All", "Some"})
_SENTENCE_END = re.compile(r"[.!?;:](?=\s+[A-Z\"'(\[]|\s*$)")


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` (one that may match nothing) stops matching at ``pos``."""
    m = pattern.match(text, pos)
    return m.end() if m is not None else pos


def _tagger(tagger: Tagger | None) -> Tagger:
    if tagger is not None:
        return tagger
    from kmgraph.pipeline import _tagger as shared

    return shared()


def _is_word_of_name(word: str) -> bool:
    return word in _CONNECTORS or word[:1].isupper() or word[:1].isdigit() or is_acronym(word)


def _name_like(text: str) -> bool:
    """A run of capitalised words (connectors inside), 1 to 12 words, not a pronoun."""
    words = text.split()
    if not words or len(words) > 12 or words[0] in _NOT_NAMES:
        return False
    if not (words[0][:1].isupper() and (words[-1][:1].isupper() or is_acronym(words[-1]))):
        return False
    return all(_is_word_of_name(w) for w in words)


def _name_prefix(text: str) -> str:
    """The longest run of name words ``text`` starts with, without trailing connectors."""
    words = list(re.finditer(r"\S+", text))
    k = 0
    while k < len(words) and _is_word_of_name(words[k].group()):
        k += 1
    while k > 0 and words[k - 1].group() in _CONNECTORS:
        k -= 1
    return text[: words[k - 1].end()].rstrip(".,:;!?") if k else ""


def _strip_the(text: str) -> str:
    return re.sub(r"^the\s+", "", text.strip(), flags=re.I)


class _Reader:
    """One paragraph with the registered organisations it names."""

    def __init__(self, text: str, tagger: Tagger) -> None:
        self.text = text
        self.spans = tagger.organisation_spans(text)
        self._starts = {s: (s, e, oid) for s, e, oid in self.spans}

    def inside_span(self, pos: int) -> bool:
        return any(s < pos < e for s, e, _ in self.spans)

    def sentence(self, pos: int) -> tuple[int, int]:
        """Bounds of the sentence around ``pos`` (a period inside a registered name is not an end)."""
        start, end = 0, len(self.text)
        for m in _SENTENCE_END.finditer(self.text):
            if self.inside_span(m.start()):
                continue
            if m.end() <= pos:
                start = m.end()
            elif m.start() >= pos:
                end = m.start()
                break
        return start, end

    def span_at(self, pos: int) -> tuple[int, int, str] | None:
        found = self._starts.get(pos)
        if found is None and self.text[max(0, pos - 4) : pos].lower() == "the ":
            found = self._starts.get(pos - 4)  # the tagger takes "The" into a name
        return found

    def _unregistered_end(self, i: int, end: int) -> int:
        """Where an unregistered name starting at ``i`` ends."""
        text = self.text
        stop = end
        for m in re.finditer(r"[,;(\[]", text[i:end]):
            stop = i + m.start()
            break
        for m in re.finditer(r"\s+(?:and|&)\s+", text[i:stop]):
            left = text[i : i + m.start()].split()
            after = i + m.end()
            if (
                (left and (is_acronym(left[-1]) or left[-1] in _SUFFIX_WORDS))
                or text[after:].lower().startswith("the ")
                or self.span_at(after) is not None
            ):
                return i + m.start()
        for s, _e, _oid in self.spans:
            if i < s < stop:
                return s
        return stop

    def names_after(self, pos: int, end: int) -> list[tuple[str, str | None]]:
        """The funder names listed from ``pos`` to at most ``end``."""
        text = self.text
        names: list[tuple[str, str | None]] = []
        i = _end(_LEAD_IN, text, pos)
        while i < end:
            span = self.span_at(i)
            if span is not None:
                s, e, oid = span
                names.append((_strip_the(text[s:e]), oid))
                i = e
            else:
                piece = _name_prefix(text[i : self._unregistered_end(i, end)])
                if not _name_like(piece):
                    break
                names.append((piece, None))
                i += len(piece)
            while True:
                bracket = _BRACKETED.match(text, i, end)
                if bracket is None:
                    break
                i = bracket.end()
            separator = _SEPARATOR.match(text, i, end)
            if separator is None or separator.end() == i:
                break
            i = _end(_THE, text, separator.end())
        return names

    def funded_before(self, start: int, pos: int) -> tuple[str | None, str | None]:
        """What is funded, named just before ``pos`` (a "funded by" cue), and its register id."""
        before = _AUXILIARY.sub("", self.text[start:pos])
        words = list(re.finditer(r"\S+", before))
        k = len(words)
        while k > 0 and _is_word_of_name(words[k - 1].group().rstrip(",")) and not words[k - 1].group().endswith(","):
            k -= 1
        while k < len(words) and (words[k].group() in _CONNECTORS or words[k].group() in _NOT_NAMES or words[k].group() == "The"):
            k += 1
        if k < len(words) and any(w.group()[:1].isupper() for w in words[k:]):
            s, e = start + words[k].start(), start + words[-1].end()
            return self.text[s:e], self._exact(s, e)
        clause = re.split(r",\s*", before.strip())[-1]
        return (clause or None) if len(clause.split()) <= 10 else None, None

    def funded_after(self, pos: int) -> tuple[str | None, str | None]:
        """What is funded, named just after "X-funded"."""
        m = re.match(r"\s+((?:[A-Z][\w'’&-]*)(?:\s+(?:[A-Z][\w'’&-]*|of|for|and|on|in|the))*)", self.text[pos:])
        if m is None:
            return None, None
        name = re.sub(r"(?:\s+(?:of|for|and|on|in|the))+$", "", m.group(1))
        s = pos + m.start(1)
        return name, self._exact(s, s + len(name))

    def _exact(self, s: int, e: int) -> str | None:
        for ss, se, oid in self.spans:
            if (ss, se) == (s, e) or (ss == s - 4 and se == e and self.text[ss:s].lower() == "the "):
                return oid
        return None

    def funder_before_hyphen(self, pos: int) -> tuple[str, str | None] | None:
        """The funder named just before "-funded" at ``pos``."""
        for s, e, oid in self.spans:
            if e == pos:
                return _strip_the(self.text[s:e]), oid
        m = re.search(r"((?:[A-Z][\w&]*\s+){0,5}[A-Z][\w&]*)$", self.text[:pos])
        if m is None:
            return None
        name = m.group(1)
        words = name.split()
        while words and words[0] in _NOT_NAMES | {"The"}:
            words.pop(0)
        if not words or not (len(words) >= 2 or is_acronym(words[0])):
            return None
        return " ".join(words), None


def _statements(reader: _Reader, section: str | None) -> Iterator[tuple[str, str | None, int, str | None, str | None]]:
    """(name, id, offset of the statement, funded, funded id) per funder of one paragraph."""
    text = reader.text
    cues = list(_CUES.finditer(text))
    if section is not None:
        taken = [(m.start(), m.end()) for m in cues]
        cues += [m for m in _SECTION_CUES.finditer(text) if not any(s <= m.start() < e for s, e in taken)]
    named: set[str] = set()
    if section == "funding" and not cues and not _ADJECTIVE.search(text):
        # A Funding section or value without a statement: lists of names ("A; B and C").
        for m in re.finditer(r"[^;]+", text):
            for name, oid in reader.names_after(m.start() + len(m.group()) - len(m.group().lstrip()), m.end()):
                named.add(oid or name)
                yield name, oid, m.start(), None, None
    for cue in sorted(cues, key=lambda m: m.start()):
        start, end = reader.sentence(cue.start())
        funded, funded_id = reader.funded_before(start, cue.start()) if cue.group("by") else (None, None)
        for name, oid in reader.names_after(cue.end(), end):
            named.add(oid or name)
            yield name, oid, cue.start(), funded, funded_id
    for m in _ADJECTIVE.finditer(text):
        found = reader.funder_before_hyphen(m.start())
        if found is not None:
            funded, funded_id = reader.funded_after(m.end())
            named.add(found[1] or found[0])
            yield found[0], found[1], m.start(), funded, funded_id
    if section == "funding":
        for s, e, oid in reader.spans:
            if oid not in named:
                named.add(oid)
                yield _strip_the(text[s:e]), oid, s, None, None


def _paragraphs(lines: Sequence[Line]) -> Iterator[tuple[str, list[tuple[int, int]], str | None]]:
    """(text, [(offset, line number)], section) per paragraph: consecutive non-blank lines,
    a list item or a heading starting a new one."""
    from kmgraph.references.extract import REFERENCE_HEADINGS, _heading_name

    section: str | None = None
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    inline: str | None = None

    def flush() -> Iterator[tuple[str, list[tuple[int, int]], str | None]]:
        if parts:
            yield " ".join(parts), list(offsets), inline or section
        parts.clear()
        offsets.clear()

    for line in lines:
        text = line.text.strip()
        name = _heading_name(text)
        heading = _SECTION.fullmatch(name) if len(name) < 40 else None
        if not text or heading is not None or line.heading or name in REFERENCE_HEADINGS or re.match(r"^(?:[-*•]|\d+[.)])\s", text):
            yield from flush()
            inline = None
            if heading is not None:
                section = "funding" if heading.group("funding") else "ack"
                continue
            if line.heading or name in REFERENCE_HEADINGS:
                section = None
                continue
            if not text:
                continue
        label = _INLINE_LABEL.match(text)
        if label is not None:
            yield from flush()
            inline = "ack" if label.group().lower().startswith("ack") else "funding"
            text = text[label.end() :]
        offsets.append((sum(len(p) + 1 for p in parts), line.number))
        parts.append(text)
    yield from flush()


def find_funders(lines: Iterable[Line], tagger: Tagger | None = None) -> list[Funder]:
    """The funders a document's text names (rules in the module docstring).

    Args:
        lines: The document's readable lines.
        tagger: The tagger whose register resolves names (default: the shared one).

    Returns:
        One :class:`~kmgraph.records.Funder` per funder and funded thing, in document
        order, ``source="text"``.
    """
    tag = _tagger(tagger)
    out: list[Funder] = []
    seen: set[tuple[str, str | None]] = set()
    for text, offsets, section in _paragraphs(tuple(lines)):
        if section != "funding" and not (_CUES.search(text) or _ADJECTIVE.search(text) or (section and _SECTION_CUES.search(text))):
            continue  # no statement here: the register is not looked up
        reader = _Reader(text, tag)
        starts = [o for o, _ in offsets]
        for name, oid, at, funded, funded_id in _statements(reader, section):
            key = (oid or " ".join(name.lower().split()), funded_id)
            if key in seen:
                continue
            seen.add(key)
            s, e = reader.sentence(at)
            line = offsets[bisect.bisect_right(starts, at) - 1][1]
            e += text[e : e + 1] in (".", "!", "?")
            out.append(Funder(name, oid, "text", line, text[s:e].strip(), funded, funded_id))
    return out


def funders_in(value: str, source: str, tagger: Tagger | None = None) -> list[Funder]:
    """The funders one metadata value names: a funding statement, or a list of names.

    >>> [(f.name, f.id) for f in funders_in("SSHRC; Acme Trust and Mitacs", "metadata")]
    [('SSHRC', 'sshrc'), ('Acme Trust', None), ('Mitacs', 'mitacs')]
    """
    tag = _tagger(tagger)
    out: list[Funder] = []
    seen: set[str] = set()
    for part in re.split(r"\s*[;\n]\s*", value):
        part = " ".join(part.split())
        if not part:
            continue
        for name, oid, *_ in _statements(_Reader(part, tag), "funding"):
            key = oid or name.lower()
            if key not in seen:
                seen.add(key)
                out.append(Funder(name, oid, source))
    return out


def organisations_in(value: str, tagger: Tagger | None = None) -> list[tuple[str, str | None]]:
    """The organisations an affiliation names: the registered ones in it, else the whole.

    >>> organisations_in("Department of Policy Studies, Lancaster University")
    [('Department of Policy Studies, Lancaster University', None)]
    >>> organisations_in("ESRC, Swindon")
    [('ESRC', 'esrc')]
    """
    text = " ".join(value.split()).strip(" ,;")
    if not text:
        return []
    spans = _tagger(tagger).organisation_spans(text)
    if spans:
        return list(dict.fromkeys((_strip_the(text[s:e]), oid) for s, e, oid in spans))
    return [(text, None)]


def affiliations_in(
    pairs: Iterable[tuple[str, Iterable[str]]], source: str, tagger: Tagger | None = None
) -> list[Affiliation]:
    """:class:`~kmgraph.records.Affiliation` records for (author, affiliations as written) pairs."""
    out: list[Affiliation] = []
    for author, values in pairs:
        for value in values:
            for name, oid in organisations_in(value, tagger):
                record = Affiliation(author, name, oid, source)
                if record not in out:
                    out.append(record)
    return out
