"""Rule-based parsing of one reference string into bibliographic fields.

This is the first parser behind :func:`parse_reference` (:func:`parse_reference_rules`):
regular expressions and small heuristics over the string, no model. The statistical
parser (:mod:`kmgraph.references.crf`) sits behind the same function
(``parser="crf"``); the ``fields`` contract below is what callers rely on.

The parser recognises the styles people paste into knowledge-mobilization documents:
APA 6 and 7, Harvard, Chicago (author-date and notes-bibliography), MLA, Vancouver and
IEEE, plus bare URL footnotes. It works in four steps:

1. clean the string (control characters, whitespace) and drop a list label
   (:func:`split_label`);
2. take out the locators (DOI, URL, "Retrieved from", "Accessed ...");
3. find the author block and the date: a parenthesised date after the authors
   (APA, Harvard), a bare year after them (Chicago author-date), or, failing that, an
   author block recognised by its shape (quoted title, Vancouver ``Graham ID``,
   IEEE ``S. Nutley``, MLA ``Ward, Vicky.``) with the year found later;
4. split the title from the rest, and read the rest as a journal (volume, issue,
   pages), a chapter (``In`` editors, book), or a place and publisher.

Per-item failures are data: the function never raises, and a weak result comes back
with a low ``confidence`` and a ``reason``.

Example:
    >>> ref = parse_reference("Levin, B. (2011). Mobilising research knowledge in "
    ...                       "education. London Review of Education, 9(1), 15–26.")
    >>> ref.fields["author"], ref.fields["volume"], ref.fields["pages"]
    (['Levin, B.'], '9', '15--26')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kmgraph.records import ParsedReference
from kmgraph.references.dedup import strip_doi
from kmgraph.references.keys import NAME_PARTICLES

__all__ = [
    "DEFAULT_PARSER",
    "MAX_REFERENCE_LENGTH",
    "PARSERS",
    "COMBINE_BELOW",
    "parse_reference",
    "parse_reference_combined",
    "parse_reference_rules",
    "split_label",
    "split_names",
]

#: The parsers behind :func:`parse_reference`: the CRF model (``crf``,
#: :mod:`kmgraph.references.crf`), the rules of this module (``rules``), and the CRF
#: with the rules as a fallback when the model is unsure (``crf+rules``,
#: :func:`parse_reference_combined`).
PARSERS = ("rules", "crf", "crf+rules")
#: The parser :func:`parse_reference` uses unless told otherwise. Still the rules: with
#: the CRF (alone or as ``crf+rules``) some knowledge-mobilisation style fixtures of the
#: test suite come out wrong (docs/refparse.md, "Status").
DEFAULT_PARSER = "rules"
#: ``crf+rules`` takes the rules' parse when the CRF's confidence is below this (and the
#: rules' parse is complete and has at least as many fields); chosen by 5-fold CV on
#: the training data (docs/refparse.md).
COMBINE_BELOW = 0.5

#: Longer strings are cut to this many characters before parsing (and flagged):
#: no real reference is this long, and the cut keeps the parser fast on any input.
MAX_REFERENCE_LENGTH = 3000

# ---------------------------------------------------------------------------------------
# Character classes and shared patterns
# ---------------------------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-ÞĀ-ſ"  # Latin capitals (Latin Extended-A mixes cases; harmless here)
_LO = "a-zß-öø-ÿĀ-ſ"
_L = _UP + _LO
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
    r"|Spring|Summer|Fall|Autumn|Winter)\.?"
)
_DASH = r"(?:--|-|–|—|‐|‑|‒|−)"
_PAGE = r"(?:[A-Za-z]{0,2}\d+[A-Za-z]?)"
_PAGES = rf"(?:{_PAGE}(?:\s*{_DASH}\s*{_PAGE})?)"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]")
# Control characters worth telling the user about (tabs and line breaks are ordinary).
_STRAY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]")
_SOFT_HYPHEN = re.compile("\u00ad")

_BULLET = re.compile(r"^(?:[•·▪◦‣●○■□➢➤►✓✔]|[-*–—](?=\s))\s*")
_LABEL = re.compile(r"^(?:\[(?P<a>[^\]\s]{1,24})\]|\((?P<b>\d{1,4})\)|(?P<c>\d{1,3})[.)](?![\d.]))\s*")

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"“”]+", re.IGNORECASE)
_DOI_RESOLVER = re.compile(r"^(?:https?://)?(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)
_DOI = re.compile(
    r"(?:\b(?:doi|DOI)\s*(?:[:=]|\s)\s*|\bhttps?://(?:dx\.)?doi\.org/)?\b(10\.\d{4,9}/[^\s\"<>“”]+)",
)
_URL_LEADIN = re.compile(
    r"(?:[.,;]?\s*(?:"
    r"[Rr]etrieved(?:\s+(?:on\s+)?(?P<date>[^.]{0,40}?\d{4}),?)?\s+from"
    r"|[Aa]vailable\s+(?:online\s+)?(?:at|from|online)"
    r"|[Aa]ccessed\s+(?:on\s+)?(?P<adate>[^.]{0,40}?\d{4}),?\s+(?:from|at|via)"
    r"|[Aa]ccessed\s+(?:at|from|via)"
    r"|[Oo]nline|URL|[Ll]ink|[Ww]eb(?:site|page)?"
    r")\s*:?\s*[<\[(]?\s*|\s*[<\[(]\s*)$"
)
_ACCESSED = re.compile(
    r"[\[(]?\s*(?:[Ll]ast\s+)?(?:[Aa]ccessed|[Vv]iewed|[Cc]onsulted|[Cc]ited)(?:\s+on)?\s*:?\s*"
    r"(?P<date>[^\[\]()]{0,40}?\d{4}(?:-\d\d-\d\d)?)\s*[\])]?\.?"
)

_PAREN_DATE = re.compile(
    rf"\(\s*(?P<date>{_YEAR}[a-z]?(?:\s*[,/–-]\s*{_YEAR}[a-z]?)*"
    rf"(?:,\s*{_MONTH}(?:\s+\d{{1,2}}(?:\s*[–-]\s*\d{{1,2}})?)?)?"
    rf"|{_MONTH}\s+(?:\d{{1,2}},?\s+)?{_YEAR}"
    r"|n\.\s?d\.(?:-?[a-z])?|[Ii]n [Pp]ress|[Ff]orthcoming|s\.\s?d\.)\s*\)"
)
_BARE_DATE = re.compile(rf"(?<=\.)\s+(?P<date>{_YEAR}[a-z]?|n\.\s?d\.)\.(?:\s+|$)")
_YEAR_TOKEN = re.compile(rf"(?<![\d–\-/])(?P<y>{_YEAR})(?P<s>[a-z]?)(?![\d–\-])")

_EDITOR_MARK = re.compile(r"\s*[,(]?\s*\b(?:[Ee]ds?|[Ee]dn|[Hh]rsg|[Ee]ditors?|[Ee]dited)\b\.?\s*\)?\s*\.?\s*$")
_ETAL = re.compile(r"\s*,?\s*\bet\s*al\b\.?|\s*,?\s*\band\s+others\b", re.IGNORECASE)
_ELLIPSIS = re.compile(r"\s*(?:…|(?<![A-Za-z])\.\s?\.\s?\.)\s*")
_HARD_SEP = re.compile(r"\s*(?:[;,]?\s*(?:&|\band\b|\bund\b|\bet\b(?!\s*al\b))|;)\s+")

_PARTICLES = NAME_PARTICLES  # one list for keys and parsing
_CAP_PARTICLES = {"Van", "Von", "De", "Del", "Della", "Di", "Da", "Du", "La", "Le", "Ten", "Ter"}
_SUFFIXES = {"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"}
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "cf",
    "dr",
    "mr",
    "mrs",
    "ms",
    "st",
    "no",
    "nos",
    "vol",
    "vols",
    "pp",
    "p",
    "ed",
    "eds",
    "edn",
    "inc",
    "ltd",
    "co",
    "corp",
    "univ",
    "dept",
    "jr",
    "sr",
    "al",
    "approx",
    "fig",
    "ch",
    "chap",
    "sec",
    "rev",
    "ca",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "n.d",
    "op",
    "cit",
    "ibid",
    "assoc",
    "natl",
    "intl",
    "proc",
    "conf",
    "trans",
}
_CORPORATE = re.compile(
    r"\b(?:Organi[sz]ations?|Institutes?|Institut|Instituut|Universit\w*|College|School"
    r"|Council|Centre|Center|Associations?|Society|Agency|Department|Dept|Ministry"
    r"|Minist[èe]re|Foundation|Fondation|Network|Group|Committee|Board|Office|Government"
    r"|Commission|Trust|Bank|Canada|Corporation|Company|Inc|Ltd|LLC|Authority|Services?"
    r"|Programme|Program|Project|Partnership|Alliance|Coalition|Consortium"
    r"|Collaborat\w+|Federation|Forum|Unit|Team|Secretariat|Library|Museum|Hospital"
    r"|Clinic|Press|Bureau|Administration|Institution|Academy|Academies|Union|Nations"
    r"|Health|Research|Statistics|Initiative|Impact|Fund|Ontario|Europe\w*|National"
    r"|International|Federal|Provincial|Royal|Public|Policy|Sciences?)\b"
)
_BOOK_PUBLISHER = re.compile(
    r"\b(?:Press|Publish\w*|Books?|Verlag|Wiley|Sage|SAGE|Routledge|Springer|Elsevier"
    r"|Jossey|McGraw|Pearson|Macmillan|Palgrave|Earthscan|Norton|Penguin|Harper|Random"
    r"|Blackwell|Edward Elgar|Taylor|Francis|Academic|Addison|Prentice|Heinemann|Kluwer"
    r"|Butterworth|Guilford|Polity|Basic|Free Press|MQI|Bloomsbury|Continuum|Ashgate"
    r"|Earthscan|Zed|Pluto|Lexington|Praeger|Greenwood|Scribner|Knopf|Doubleday"
    r"|Houghton|Little, Brown|Viking|Vintage|Allen|Unwin|Hachette|HarperCollins|Dunod"
    r"|Gallimard|Seuil|Harmattan|Suhrkamp|Beck|Teubner|Vieweg|Hanser|Campus)\b"
)
_MISC_CUES = re.compile(
    r"\b(?:templates?|slides?|slide\s?deck|presentation|webinar|poster|infographic|video"
    r"|podcast|powerpoint|workshop materials?|keynote|lecture)\b",
    re.IGNORECASE,
)
_MISC_HOSTS = re.compile(r"(?:slideshare|youtube|youtu\.be|vimeo|prezi|speakerdeck|soundcloud)", re.IGNORECASE)
_REPORT_CUES = re.compile(
    r"\b(?:report|(?:discussion|concept|working|white|position|background|issues?|policy"
    r"|occasional|technical|briefing|green)\s+paper|brief|briefing|guide|guidance"
    r"|guidelines?|toolkit|tool\s?kit|framework|strategy|fact\s?sheet|evaluation"
    r"|summary|handbook for|primer|resource)\b",
    re.IGNORECASE,
)
_THESIS = re.compile(
    r"\b(?:(?:unpublished\s+)?(?:doctoral|ph\.?\s?d\.?|master'?s?|m\.?a\.?|m\.?sc\.?"
    r"|honou?rs|bachelor'?s?)\s+(?:dissertation|thesis)|dissertation|thesis|th[eè]se)\b",
    re.IGNORECASE,
)
_PROCEEDINGS = re.compile(
    r"\b(?:Proceedings|Proc\b\.?|Conference|Symposium|Workshop|Congress|Colloquium|Meeting"
    r"|Summit|Conférence|Tagung)\b",
    re.IGNORECASE,
)
_JOURNAL_WORDS = re.compile(
    r"\b(?:Journal|Review|Quarterly|Bulletin|Magazine|Annals|Letters|Transactions"
    r"|Gazette|Newsletter|Times|Post|News|Policy|Studies|Research|Science|Medicine)\b"
)
_PRESENTED = re.compile(
    r"^(?:(?:Paper|Poster|Presentation|Keynote|Talk)\s+)?(?:presented|delivered|given)"
    r"\s+(?:at|to)\s+(?:the\s+)?",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------
# Public helpers
# ---------------------------------------------------------------------------------------


def split_label(text: str) -> tuple[str | None, str]:
    """Split a list label ("1.", "[1]", "1)", "(1)", a bullet) off a reference string.

    Args:
        text: One reference-list entry as written.

    Returns:
        ``(label, rest)``: the label without its brackets or dot ("1" for ``[1]``), or
        None when the entry has no label (a bullet alone is not a label), and the text
        after it with surrounding whitespace removed.

    Example:
        >>> split_label("[3] Graham ID, Logan J.")
        ('3', 'Graham ID, Logan J.')
        >>> split_label("• 1. Shaxson, L. (2012).")
        ('1', 'Shaxson, L. (2012).')
    """
    s = text.strip()
    bullet = _BULLET.match(s)
    if bullet:
        s = s[bullet.end() :]
    m = _LABEL.match(s)
    if m and m.end() < len(s) + 1:
        label = m.group("a") or m.group("b") or m.group("c")
        return label, s[m.end() :].strip()
    return None, s.strip()


def split_names(text: str) -> tuple[list[str], bool]:
    """Split an author or editor list into "Family, Given" names.

    Handles inverted lists (APA, Harvard: ``Farkas, M., & Anthony, W. A.``), MLA and
    Chicago lists where only the first name is inverted, direct order (IEEE
    ``S. Nutley, I. Walter, and H. T. O. Davies``), Vancouver (``Graham ID``), family
    names alone (``Zarinpoush, Von Sychowski, & Sperling``), corporate authors (kept
    whole), particles (``van der Meer``), "et al." and an ellipsis before the last name.

    Args:
        text: The author block as written, role words ("(Eds.)") already removed.

    Returns:
        ``(names, elided)``; ``elided`` is True when the list was cut ("…", "et al.").

    Example:
        >>> split_names("Nutley, Sandra M., Isabel Walter, and Huw T. O. Davies")
        (['Nutley, Sandra M.', 'Walter, Isabel', 'Davies, Huw T. O.'], False)
    """
    names, elided, _ = _split_names(text)
    return names, elided


# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------

_RE_INITIALS = re.compile(rf"^(?:[{_UP}][a-z]?\.\s*(?:-\s*)?)+$|^[{_UP}]{{1,3}}$")
_PARTICLE_ALT = "|".join(sorted((p for p in _PARTICLES if p.isalpha()), key=len, reverse=True))
_RE_VANC = re.compile(
    rf"^(?P<fam>(?:(?:{_PARTICLE_ALT})\s+)*[{_UP}][{_L}'’\-]+(?:\s[{_UP}][{_L}'’\-]+)?)\s+(?P<ini>[{_UP}]{{1,4}})\.?$"
)
_RE_DIRECT_INI = re.compile(rf"^(?P<ini>(?:[{_UP}][a-z]?\.\s*(?:-\s*)?)+)\s*(?P<fam>[{_L}].*)$")
_RE_GIVEN = re.compile(
    rf"^[{_UP}][{_LO}]+(?:[-'’][{_UP}]?[{_LO}]+)?"
    rf"(?:\s+(?:[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?|[{_UP}]\.(?:\s*-?\s*[{_UP}]\.)*)){{0,3}}\.?$"
)
_RE_FAMILY_TOKEN = re.compile(rf"^(?:[{_UP}][{_L}'’]*(?:-[{_UP}]?[{_L}'’]+)*|[{_UP}]['’][{_UP}][{_L}]+)$")
_RE_CAP_WORD = re.compile(rf"^[{_UP}][{_L}'’\-]*\.?$")


def _is_initials(chunk: str) -> bool:
    return bool(_RE_INITIALS.match(chunk))


_RE_GLUED_INITIAL = re.compile(rf"\.(?=[{_UP}])")
_RE_INITIALS_BEFORE_PERIOD = re.compile(rf"(?:[{_UP}][a-z]?\.\s*(?:-\s*)?)*[{_UP}][a-z]?")
_RE_NOT_ASCII_LETTER = re.compile(r"[^A-Za-z]")
_RE_DIGIT = re.compile(r"\d")


def _space_initials(given: str) -> str:
    """``W.A.`` -> ``W. A.``; other forms as written."""
    return _RE_GLUED_INITIAL.sub(". ", given).strip() if "." in given else given.strip()


def _dot_initials(letters: str) -> str:
    """Vancouver ``ID`` -> ``I. D.``."""
    return " ".join(f"{c}." for c in letters)


def _is_family(chunk: str, strict: bool) -> bool:
    """A family name: one capitalised word, optionally after particles.

    ``strict`` allows only one word after the particles; otherwise up to three.
    """
    toks = chunk.split()
    if not toks or len(toks) > 4:
        return False
    core = [t for t in toks if t.lower() not in _PARTICLES and t not in _CAP_PARTICLES]
    if not core or (strict and len(core) > 1) or len(core) > 3:
        return False
    return all(_RE_FAMILY_TOKEN.match(t) for t in core)


def _strip_period(chunk: str) -> str:
    """Drop a sentence period after a name, but not after an initial or "Jr."."""
    if chunk.endswith(".") and not chunk.endswith(".."):
        if _RE_INITIALS_BEFORE_PERIOD.fullmatch(chunk[:-1]):
            return chunk  # initials: "H.T.O."
        last = chunk[:-1].split()[-1] if chunk[:-1].split() else ""
        if len(last) > 2 and last.rstrip(".").lower() not in {"inc", "ltd", "co", "corp", "jr", "sr"}:
            return chunk[:-1].rstrip()
    return chunk


def _direct_to_inverted(chunk: str) -> str | None:
    """``Huw T. O. Davies`` -> ``Davies, Huw T. O.``; None when it is not a name."""
    toks = chunk.split()
    suffix = ""
    if len(toks) > 2 and toks[-1] in _SUFFIXES:
        suffix = ", " + toks[-1]
        toks = toks[:-1]
    if not 2 <= len(toks) <= 5:
        return None
    i = len(toks) - 1
    if not _RE_FAMILY_TOKEN.match(toks[i]):
        return None
    while i - 1 > 0 and (toks[i - 1].lower() in _PARTICLES and toks[i - 1].islower()):
        i -= 1
    given, family = toks[:i], toks[i:]
    for t in given:
        if not (_RE_CAP_WORD.match(t) or _is_initials(t)):
            return None
    return f"{' '.join(family)}{suffix}, {_space_initials(' '.join(given))}"


def _is_corporate(chunk: str) -> bool:
    if _CORPORATE.search(chunk):
        return True
    letters = _RE_NOT_ASCII_LETTER.sub("", chunk)
    # An acronym such as WHO, OECD, UNU-INWEH.
    return len(letters) >= 2 and letters.isupper() and " " not in chunk.strip()


def _is_short_corporate(seg: str) -> bool:
    """A corporate author standing alone: "World Health Organization.", "UNU-INWEH"."""
    seg = seg.strip().rstrip(".")
    return (
        len(seg) < 120
        and seg.count(",") <= 1
        and not re.search(r"[\d:;\"“”‘’()]", seg)
        and _is_corporate(seg)
        and not _is_title_like(seg)
    )


def _split_names(text: str) -> tuple[list[str], bool, bool]:
    """Split an author list; the third value is True when every name looked like one."""
    s = text.strip().strip(",;:")
    if not s:
        return [], False, False
    elided = False
    if _ETAL.search(s):
        elided = True
        s = _ETAL.sub(", \x1e, ", s)
    if _ELLIPSIS.search(s):
        elided = True
        s = _ELLIPSIS.sub(", \x1e, ", s)
    # A corporate author with "and" or "&" in its name: keep it whole.
    if "," not in s and "\x1e" not in s and _is_corporate(s) and not _RE_DIRECT_INI.match(s):
        return [_strip_period(s)], elided, True
    groups: list[list[str]] = []
    for part in _HARD_SEP.split(s):
        chunks = [_strip_period(c.strip()) for c in part.split(",")]
        chunks = [c for c in chunks if c and c != "\x1e"]
        if chunks:
            groups.append(chunks)
    flat = [(c, gi > 0 and ci == 0) for gi, g in enumerate(groups) for ci, c in enumerate(g)]
    chunks_only = [c for c, _ in flat]
    if not chunks_only:
        return [], elided, False

    family_only = False
    if len(chunks_only) >= 2 and not any(
        _is_initials(c) or _RE_VANC.match(c) or _RE_DIRECT_INI.match(c) for c in chunks_only
    ):
        last_group = groups[-1]
        if (len(groups) > 1 and len(last_group) == 1 and _is_family(last_group[0], strict=True)) or (
            len(chunks_only) % 2 == 1 and all(_is_family(c, strict=True) for c in chunks_only)
        ):
            family_only = True

    names: list[str] = []
    good = True
    inverted_full = False
    i = 0
    n = len(flat)
    while i < n:
        c, _ = flat[i]
        nxt, nxt_hard = flat[i + 1] if i + 1 < n else ("", True)
        if family_only:
            names.append(c)
            good = good and (_is_family(c, strict=False) or _is_corporate(c))
            i += 1
            continue
        vanc = _RE_VANC.match(c)
        if vanc and not _is_corporate(c):
            names.append(f"{vanc.group('fam')}, {_dot_initials(vanc.group('ini'))}")
            i += 1
            continue
        direct_ini = _RE_DIRECT_INI.match(c)
        if direct_ini and _is_family(direct_ini.group("fam"), strict=False):
            names.append(f"{direct_ini.group('fam').strip()}, {_space_initials(direct_ini.group('ini'))}")
            i += 1
            continue
        if nxt and not nxt_hard and _is_family(c, strict=False) and not _is_corporate(c):
            if _is_initials(nxt):
                given = nxt if "." in nxt or len(nxt) > 3 else _dot_initials(nxt)
                names.append(f"{c}, {_space_initials(given)}")
                i += 2
                continue
            if _RE_GIVEN.match(nxt) and (i == 0 or inverted_full) and _is_family(c, strict=i > 0):
                names.append(f"{c}, {nxt}")
                inverted_full = True
                i += 2
                continue
        if c in _SUFFIXES and names:
            fam, _, given = names[-1].partition(", ")
            names[-1] = f"{fam}, {c}, {given}" if given else f"{fam}, {c}"
            i += 1
            continue
        if not _is_corporate(c):
            inverted = _direct_to_inverted(c)
            if inverted and (i > 0 or len(c.split()) <= 4):
                names.append(inverted)
                i += 1
                continue
        names.append(c)
        if not (_is_corporate(c) or _is_family(c, strict=True)):
            good = False
        i += 1
    if any(_RE_DIGIT.search(x) for x in names) or len(names) > 60:
        good = False
    return names, elided, good


def _looks_like_authors(block: str) -> bool:
    """True when ``block`` reads as a list of personal or corporate names."""
    block = _EDITOR_MARK.sub("", block.strip())
    if not block or len(block) > 600 or re.search(r"\d|[:?!\"“”()\[\]]", block):
        return False
    for piece in re.split(r"[,;&]|\band\b", block):
        words = piece.split()
        if words and words[0] in _TITLE_STARTS:
            return False
    names, _, good = _split_names(block)
    return good and bool(names)


_TITLE_STARTS = {
    "The",
    "A",
    "An",
    "On",
    "In",
    "Of",
    "Towards",
    "Toward",
    "Using",
    "Why",
    "How",
    "What",
    "When",
    "Where",
    "Is",
    "Are",
    "From",
    "Beyond",
    "Learning",
    "Knowledge",
    "Evidence",
    "Research",
    "Making",
    "Building",
    "Bridging",
    "Introduction",
    "Handbook",
    "Theory",
}
_TITLE_WORD_OK = {"and", "for", "the", "of", "on", "in", "at", "to", "et", "al.", "al", "und", "de", "du"}


def _is_title_like(block: str) -> bool:
    """Sentence-case prose (APA titles) rather than a name list."""
    words = re.findall(rf"[{_L}][{_L}'’\-]*", block)
    lower = [w for w in words if w[0].islower() and w not in _TITLE_WORD_OK and w not in _PARTICLES]
    return len(lower) >= 1 and len(words) >= 2 and any(len(w) >= 4 for w in lower)


# ---------------------------------------------------------------------------------------
# Sentence boundaries and titles
# ---------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"([.?!])([\"”’']?)\s+(?=\S)")
_OPEN_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "‘": "’", "'": "'", "‹": "›"}


def _boundaries(s: str) -> list[tuple[int, int, str]]:
    """Candidate sentence ends in ``s``: (end of the sentence, start of the next, mark)."""
    out: list[tuple[int, int, str]] = []
    depth = 0
    last = 0
    for m in _BOUNDARY.finditer(s):
        # Track brackets: no boundary inside "(...)" or "[...]".
        seg = s[last : m.start()]
        depth += seg.count("(") + seg.count("[") - seg.count(")") - seg.count("]")
        last = m.start()
        if depth > 0:
            continue
        punct = m.group(1)
        nxt = s[m.end()] if m.end() < len(s) else ""
        if nxt.islower():
            continue
        before = s[: m.start()]
        word = re.search(r"(\S+)$", before)
        w = word.group(1) if word else ""
        if punct == ".":
            core = w.lstrip("([\"“'‘").lower()
            if core in _ABBREVIATIONS:
                continue
            if re.fullmatch(rf"(?:[{_UP}]\.)*[{_UP}]", w.lstrip("([\"“'‘")):
                continue  # an initial or "U.S"
        end = m.start() + (1 if punct in "?!" else 0)
        if m.group(2):
            end = m.start() + 1 + len(m.group(2)) if punct in "?!" else m.start()
        out.append((end, m.end(), punct))
    return out


def _quoted(s: str) -> tuple[str, str] | None:
    """When ``s`` starts with a quoted title, return (title, text after it)."""
    if s.startswith("``"):
        end = s.find("''", 2)
        if end > 2:
            return s[2:end].strip().rstrip(",.;: ").strip(), s[end + 2 :].lstrip(" ,.;:")
        return None
    if not s or s[0] not in _OPEN_QUOTES:
        return None
    close = _OPEN_QUOTES[s[0]]
    closers = {close, "”", '"'} if s[0] in '"“„«' else {close, "’", "'"}
    for i in range(1, len(s)):
        if s[i] in closers:
            after = s[i + 1 :]
            if s[i] in "'’" and after and not re.match(r"\s*(?:[,.;:]|$|\s+[Ii]n\b|\s+[A-Z(])", after):
                continue
            title = s[1:i].strip().rstrip(",.;: ").strip()
            if title:
                return title, after.lstrip(" ,.;:")
    return None


def _title_and_tail(rest: str, known_year: bool) -> tuple[str, str]:
    """Split the text after the authors (and date) into title and the source part."""
    rest = rest.strip().lstrip(".,;: ")
    q = _quoted(rest)
    if q:
        return q
    cands = _boundaries(rest)
    if not cands:
        split = _comma_title(rest)
        if split:
            return split
    if not cands:
        return rest.rstrip(" .,;"), ""
    chosen = cands[0]
    for k, (end, start, punct) in enumerate(cands):
        tail = rest[start:]
        if punct == ".":
            # "Title. In ...", "Title. Journal, 2(3)": a period is a strong boundary,
            # unless what follows reads as a subtitle and the next piece is the source.
            chosen = (end, start, punct)
            break
        if k + 1 < len(cands):
            # "What Works Now? Evidence-Informed Policy and Practice. Bristol: Policy Press":
            # a question mark inside a title, followed by a subtitle and then the source.
            nxt_end, nxt_start, _ = cands[k + 1]
            subtitle = rest[start:nxt_end]
            after = rest[nxt_start:]
            if (
                not re.search(r"\d", subtitle)
                and len(subtitle.split()) >= 2
                and not re.match(r"\s*(?:\d|[Ii]n\b)", after)
                and _is_place(after.split(":")[0].strip()) if ":" in after else False
            ):
                continue
        if k == len(cands) - 1 or _parse_source(tail, known_year).recognised:
            chosen = (end, start, punct)
            break
        _nxt_end, nxt_start, _ = cands[k + 1]
        if _parse_source(rest[nxt_start:], known_year).recognised:
            continue
        chosen = (end, start, punct)
        break
    end, start, _ = chosen
    return rest[:end].strip().rstrip(" .,;"), rest[start:]


_SOURCE_START = re.compile(
    r"^(?:[Ii]n\b|Proc\b|Proc\.|Proceedings|(?:The\s+)?(?:Journal|J\.|Trans\.|Transactions|IEEE|ACM"
    r"|Ann\.|Annals|Bulletin|Review)|Tech(?:nical|\.)\s+Rep|Ph\.?\s?D|PhD|Master|[Vv]ol\.|pp\.|\d)"
    r"|\b[A-Z][a-z]*\.\s"
)


def _comma_title(rest: str) -> tuple[str, str] | None:
    """Title ended by a comma ("Authors, Title, Journal, 4(2), 1-10, 1990")."""
    for m in re.finditer(r",\s+", rest):
        title = rest[: m.start()]
        if len(title) < 8 or title.count("(") != title.count(")"):
            continue
        tail = rest[m.end() :]
        piece = tail.split(",")[0]
        nxt = tail.split(",")[1].strip() if "," in tail else ""
        if (
            _SOURCE_START.search(piece)
            or _BOOK_PUBLISHER.search(piece)
            or _PROCEEDINGS.search(piece)
            or (_JOURNAL_WORDS.search(piece) and piece[:1].isupper())
            or (piece[:1].isupper() and re.match(r"^(?:[Vv]ol|[Nn]o|pp|\d)", nxt))
        ):
            return title.strip().rstrip(" .,;"), tail
    return None


_DESCRIPTOR = re.compile(r"\s*[\[(](?P<d>[^\[\]()]{2,80})[\])]\s*$")


def _title_descriptors(title: str, hints: dict[str, Any]) -> str:
    """Remove trailing "[Report]", "(2nd ed.)", "(Doctoral dissertation, X)" from a title."""
    for _ in range(3):
        m = _DESCRIPTOR.search(title)
        if not m:
            break
        d = m.group("d").strip()
        used = False
        ed = re.match(
            r"^(?P<e>\d+(?:st|nd|rd|th)|[A-Z][a-z]+|Rev\.|Revised)\s+(?:ed\.?|edn\.?|edition)$", d, re.IGNORECASE
        )
        if ed:
            hints["edition"] = ed.group("e")
            used = True
        elif _THESIS.search(d):
            hints["type"] = "thesis"
            school = d.split(",", 1)[1].strip() if "," in d else ""
            if school:
                hints["publisher"] = school
            used = True
        elif re.match(r"^(?:Vol\.|Volume)\s*(\w+)$", d, re.IGNORECASE):
            hints["volume"] = re.match(r"^(?:Vol\.|Volume)\s*(\w+)$", d, re.IGNORECASE).group(1)  # type: ignore[union-attr]
            used = True
        elif re.search(r"\b(?:Report|Paper|Brief|No\.)\b", d, re.IGNORECASE):
            hints["type"] = "report"
            num = re.search(r"\bNo\.?\s*([\w./-]+)", d)
            if num:
                hints["number"] = num.group(1)
            used = True
        elif _MISC_CUES.search(d) or re.search(
            r"\b(?:Data set|Computer software|Blog post|Web page)\b", d, re.IGNORECASE
        ):
            hints.setdefault("type", "online" if re.search(r"Blog|Web", d, re.IGNORECASE) else "misc")
            used = True
        if not used:
            break
        title = title[: m.start()].rstrip(" .,")
    return title


# ---------------------------------------------------------------------------------------
# The source part: journal, chapter, publisher
# ---------------------------------------------------------------------------------------


@dataclass
class _Source:
    fields: dict[str, Any] = field(default_factory=dict)
    recognised: bool = False
    leftover: str = ""


def _norm_pages(p: str) -> str:
    return re.sub(rf"\s*{_DASH}\s*", "--", p.strip())


def _clean_piece(s: str) -> str:
    return s.strip().strip(" .,;:").strip()


def _pull_year(s: str, out: dict[str, Any]) -> str:
    """Move the last standalone year (with a month or day) of ``s`` into ``out``."""
    best = None
    for m in _YEAR_TOKEN.finditer(s):
        pre = s[: m.start()]
        if re.search(r"\b(?:vol|no|pp?)\.?\s*$", pre, re.IGNORECASE):
            continue
        best = m
    if not best:
        return s
    out.setdefault("year", best.group("y") + best.group("s"))
    start, end = best.start(), best.end()
    mm = re.search(
        rf"(?:\b{_MONTH}\s+(?:\d{{1,2}}(?:\s*{_DASH}\s*\d{{1,2}})?,?\s+)?|\b\d{{1,2}}\s+{_MONTH}\s+)$", s[:start]
    )
    if mm:
        start = mm.start()
    s = s[:start].rstrip(" ,(") + s[end:].lstrip(")")
    return s


def _parse_after_volume(after: str, out: dict[str, Any], known_year: bool) -> str:
    """Read issue, pages and year after a volume marker; return what is left."""
    m = re.search(r"\b(?:no|nr|issue|iss|num|n°|number)\.?\s*(?P<n>[\w/–-]+)", after, re.IGNORECASE)
    if m:
        out.setdefault("number", m.group("n").rstrip(".,"))
        after = after[: m.start()] + after[m.end() :]
    m = re.search(rf"\b(?:pp?|pages?|S|art)\.?\s*(?P<p>{_PAGES})", after)
    if m:
        out.setdefault("pages", _norm_pages(m.group("p")))
        after = after[: m.start()] + after[m.end() :]
    if "year" not in out and not known_year:
        after = _pull_year(after, out)
    m = re.match(rf"^\s*[,:.]?\s*(?P<p>{_PAGES})(?=\s*[.,;]?\s*$|\s*[.,;]\s)", after)
    if m and "pages" not in out:
        out["pages"] = _norm_pages(m.group("p"))
        after = after[m.end() :]
    return after


def _looks_like_container(c: str) -> bool:
    return bool(c) and not _boundaries(c) and len(c) < 250


def _parse_source(src: str, known_year: bool) -> _Source:
    """Read the part after the title."""
    src = src.strip().strip(" ,;:").strip()
    res = _Source()
    out = res.fields
    if not src.strip(" ."):
        return res

    # Edition anywhere: "2nd ed.", "(3rd edn)".
    m = re.search(
        r"\(?\b(?P<e>\d+(?:st|nd|rd|th)|[Ss]econd|[Tt]hird|[Ff]ourth|[Rr]ev\.?|[Rr]evised)\s+(?:ed\.|edn\.?|edition)\)?[.,]?",
        src,
    )
    if m:
        out["edition"] = m.group("e")
        src = (src[: m.start()] + " " + src[m.end() :]).strip().strip(" ,.")

    # Chapter in an edited book or a proceedings volume.
    if re.match(r"^[Ii]n\s*:?\s+", src):
        return _parse_chapter(re.sub(r"^[Ii]n\s*:?\s+", "", src), known_year, res)

    # "Paper presented at the ... Conference, Place."
    pm = _PRESENTED.match(src)
    if pm:
        body = src[pm.end() :]
        body = _pull_year(body, out) if not known_year else body
        parts = [p.strip() for p in body.split(",")]
        out["container"] = _clean_piece(parts[0])
        if len(parts) > 1:
            out["address"] = _clean_piece(", ".join(parts[1:]))
        out["_type"] = "inproceedings"
        res.recognised = True
        return res

    # Vancouver: "J Contin Educ Health Prof. 2006;26(1):13-24."
    m = re.match(
        rf"^(?P<c>.+?)[.,]?\s+(?P<y>{_YEAR})[a-z]?(?:\s+{_MONTH}(?:\s+\d{{1,2}})?)?\s*;\s*"
        rf"(?P<v>[\w]+)?\s*(?:\((?P<n>[^)]{{1,20}})\))?\s*(?::\s*(?P<p>{_PAGES}))?[.,]?\s*(?P<rest>.*)$",
        src,
    )
    if m and (m.group("v") or m.group("p")):
        out["container"] = _clean_piece(m.group("c"))
        out.setdefault("year", m.group("y"))
        if m.group("v"):
            out["volume"] = m.group("v")
        if m.group("n"):
            out["number"] = m.group("n")
        if m.group("p"):
            out["pages"] = _norm_pages(m.group("p"))
        res.recognised = _looks_like_container(out["container"])
        res.leftover = _clean_piece(m.group("rest"))
        out["_type"] = "article"
        return res

    # Journal article with a volume marker.
    markers = [
        re.compile(r"[,.]?\s*\b(?:[Vv]ol|[Vv]olume|[Bb]d|[Jj]g|[Tt])\.?\s*(?P<v>\d+[A-Za-z]?|[IVXLC]+)\b"),
        re.compile(r",\s*(?P<v>\d+[A-Za-z]?)\s*\((?P<n>[^()]{1,20})\)"),
        re.compile(r"[\s,]\s*(?P<v>\d+[A-Za-z]?)(?=,\s*(?:no|nr|issue)\.?\s*\w)", re.IGNORECASE),
        re.compile(r"\s(?P<v>\d+)\s*\((?P<n>[^()]{1,20})\)\s*:\s*(?=\d|[A-Za-z]\d)"),
        re.compile(rf"\s(?P<v>\d+)\s*:\s*(?={_PAGES}\s*[.,]?(?:\s|$))"),
        re.compile(rf",\s*(?P<v>\d{{1,4}}[A-Za-z]?)\s*,\s*(?=(?:pp?\.\s*)?{_PAGES}\s*[.,]?(?:\s|$))"),
        re.compile(r",\s*(?P<v>\d{1,4})\s*[.]?\s*$"),
        re.compile(rf"\s(?P<v>\d{{1,4}}[A-Za-z]?)\s*,\s*(?=(?:pp?\.\s*)?{_PAGES}\b|\(?{_YEAR}\)?)"),
    ]
    for rx in markers:
        m = rx.search(src)
        if not m:
            continue
        container = _clean_piece(src[: m.start()])
        if not container or re.fullmatch(r"[\d\s,.:;()–-]*", container):
            continue
        vol = m.group("v")
        if re.fullmatch(_YEAR, vol) and rx is not markers[0]:
            continue
        out_c: dict[str, Any] = {"container": container, "volume": vol}
        if "n" in m.groupdict() and m.group("n"):
            out_c["number"] = m.group("n")
        leftover = _parse_after_volume(src[m.end() :], out_c, known_year or "year" in out)
        if not known_year and "year" not in out_c:
            cont2: dict[str, Any] = {}
            newc = _pull_year(container, cont2)
            if cont2:
                out_c["year"] = cont2["year"]
                out_c["container"] = _clean_piece(newc)
        out.update(out_c)
        res.leftover = _clean_piece(leftover)
        res.recognised = _looks_like_container(out["container"])
        out["_type"] = "article"
        return res

    # Chicago/MLA chapter without "In": "Book, edited by A. Editor, 10-20. Place: Pub."
    m = re.search(r",\s*(?:ed\.|edited)\s+by\s+", src)
    if m:
        return _parse_chapter(src, known_year, res)

    # Everything else: place, publisher, year, pages.
    return _parse_publication(src, known_year, res)


def _parse_chapter(body: str, known_year: bool, res: _Source) -> _Source:
    """``A. Editor (Ed.), Book (pp. 1-20). Place: Publisher.`` and its variants."""
    out = res.fields
    book = ""
    after = ""
    m = re.match(
        r"^(?P<eds>.{2,400}?)\s*[(\[](?:[Ee]ds?|[Hh]rsg|[Dd]irs?|[Cc]oords?|[Ee]ditors?)\.?[)\]]\s*[.,:]?\s*(?P<rest>.*)$",
        body,
    )
    if not m:
        m = re.match(r"^(?P<eds>.{2,400}?),?\s*\b(?:[Ee]ditors?|[Ee]ds?\.)\s*,\s*(?P<rest>.*)$", body)
    if m and not re.search(r"[a-z]{2}[.?!]\s+[A-Z][a-z]+\s+(?!and\b)[a-z]{2,}", m.group("eds")):
        names, _, _ = _split_names(m.group("eds"))
        if names:
            out["editor"] = names
        rest = m.group("rest")
        mm = re.match(r"^(?P<book>.+?)\s*\((?P<inner>[^()]*)\)\s*[.,]?\s*(?P<after>.*)$", rest)
        if mm and re.search(r"\b(?:pp?\.|[Vv]ol\.|[Ee]d\.|edn|[Cc]hap)", mm.group("inner")):
            book, after = mm.group("book"), mm.group("after")
            _parse_after_volume(mm.group("inner"), out, True)
            vm = re.search(r"\b[Vv]ol(?:ume)?\.?\s*(\w+)", mm.group("inner"))
            if vm:
                out["volume"] = vm.group(1)
        else:
            q = _quoted(rest)
            book, after = q if q else _title_and_tail(rest, True)
    else:
        m = re.match(
            rf"^(?P<book>.+?),\s*(?:ed\.|edited)\s+by\s+(?P<eds>.+?)(?:,\s*(?:pp?\.\s*)?(?P<p>{_PAGES}))?(?:\.\s+|,\s+(?=[A-Z][^,]*:)|$)(?P<after>.*)$",
            body,
        )
        if m:
            book, after = m.group("book"), m.group("after")
            names, _, _ = _split_names(m.group("eds"))
            if names:
                out["editor"] = names
            if m.group("p"):
                out["pages"] = _norm_pages(m.group("p"))
        else:
            mm = re.match(r"^(?P<book>.+?)\s*\((?P<inner>[^()]*\bpp?\.[^()]*)\)\s*[.,]?\s*(?P<after>.*)$", body)
            if mm:
                book, after = mm.group("book"), mm.group("after")
                _parse_after_volume(mm.group("inner"), out, True)
            else:
                book, after = _title_and_tail(body, True)
                if not after:
                    # "In Proceedings of X, pp. 1-10, 2005"
                    parts = body.split(",")
                    book = parts[0]
                    after = ",".join(parts[1:])
    book = _clean_piece(book)
    cut = re.search(rf",\s*(?=(?:pp?\.|pages?\b|[Vv]ol(?:ume)?\b|\(?{_YEAR}\b|\d))", book)
    if not cut and not after and "," in book:
        cut = re.search(r",\s*", book)
    if cut:
        after = book[cut.end() :] + (". " + after if after else "")
        book = book[: cut.start()]
    out["container"] = _clean_piece(book)
    out["_type"] = "incollection"
    if _PROCEEDINGS.search(out["container"]):
        out["_type"] = "inproceedings"
    sub = _parse_publication(after, known_year, _Source())
    for k, v in sub.fields.items():
        if k == "_type":
            continue
        if k == "container":
            # A series or a second container: keep the first.
            out.setdefault("note", v)
            continue
        out.setdefault(k, v)
    res.recognised = bool(out["container"])
    res.leftover = sub.leftover
    return res


def _parse_publication(src: str, known_year: bool, res: _Source) -> _Source:
    """``Place: Publisher, 2007.``, ``Publisher.``, ``Journal name.`` and pages."""
    out = res.fields
    s = src.strip().strip(" ,;")
    m = re.search(rf"(?:,\s*|\b)(?:pp?\.|pages)\s*(?P<p>{_PAGES})\.?", s)
    if m:
        out["pages"] = _norm_pages(m.group("p"))
        s = (s[: m.start()] + s[m.end() :]).strip().strip(" ,;")
    if not known_year:
        s = _pull_year(s, out).strip().strip(" ,;")
    s = re.sub(r"\s*,\s*(?=[.,;]|$)", "", s).strip(" ,;")
    if not s.strip(" ."):
        res.recognised = bool(out)
        return res
    # Place: Publisher (first sentence only; "Bristol, U.K.: Policy Press").
    m = re.match(rf"^(?P<a>[{_UP}][^:;]{{1,80}}?)\s*:\s*(?P<p>[^:;]+?)\s*(?:[.;]\s+(?P<rest>.*)|[.;]?\s*$)", s)
    if m and not re.search(r"\d", m.group("a")) and m.group("a").count(",") <= 3:
        pub = m.group("p").strip().rstrip(".")
        sub_b = _boundaries(pub)
        if sub_b:
            extra = pub[sub_b[0][1] :]
            pub = pub[: sub_b[0][0]]
            res.leftover = _clean_piece(extra)
        out["address"] = _clean_piece(m.group("a"))
        out["publisher"] = _clean_piece(pub)
        if m.group("rest"):
            res.leftover = _clean_piece(((res.leftover + " ") if res.leftover else "") + m.group("rest"))
        res.recognised = True
        return res
    # The rest, sentence by sentence, comma piece by comma piece.
    bounds = _boundaries(s)
    sentences, last = [], 0
    for b_end, b_start, _ in bounds:
        sentences.append(s[last:b_end])
        last = b_start
    sentences.append(s[last:])
    leftovers: list[str] = []
    for sentence in (_clean_piece(x) for x in sentences):
        if not sentence:
            continue
        m = re.match(rf"^(?P<a>[{_UP}][^:;]{{1,80}}?)\s*:\s*(?P<p>[^:;]+)$", sentence)
        if m and not re.search(r"\d", m.group("a")) and "publisher" not in out:
            out.setdefault("address", _clean_piece(m.group("a")))
            out["publisher"] = _clean_piece(m.group("p"))
            continue
        rm = _REPORT_NO.match(sentence)
        if rm:
            out["_type"] = "report"
            if rm.group("n"):
                out.setdefault("number", rm.group("n").rstrip(".,"))
            sentence = _clean_piece(sentence[rm.end() :])
        if _THESIS.search(sentence):
            out["_type"] = "thesis"
            sentence = _clean_piece(
                re.sub(r"^.*?(?:dissertation|thesis|th[eè]se)\b\s*[,.:]?\s*", "", sentence, flags=re.IGNORECASE)
            )
        pieces = [p for p in (_clean_piece(x) for x in sentence.split(",")) if p]
        k = 0
        while k < len(pieces):
            piece = pieces[k]
            nxt = pieces[k + 1] if k + 1 < len(pieces) else ""
            if _is_place(piece) and (
                re.fullmatch(_REGION, nxt)
                or "publisher" in out
                or "container" in out
                or _KNOWN_PLACE.fullmatch(piece)
                or k > 0
            ):
                addr = piece + (f", {nxt}" if re.fullmatch(_REGION, nxt) else "")
                out.setdefault("address", addr)
                k += 2 if re.fullmatch(_REGION, nxt) else 1
                continue
            if re.fullmatch(_REGION, piece) and "address" not in out:
                out["address"] = piece
            elif _PROCEEDINGS.search(piece) and not _BOOK_PUBLISHER.search(piece) and "container" not in out:
                out["container"] = piece
                out.setdefault("_type", "inproceedings")
            elif (
                (
                    re.match(r"^(?:The\s+)?(?:Journal|Review|Annals|Bulletin)\b", piece)
                    or (
                        _JOURNAL_WORDS.search(piece)
                        and not _CORPORATE.search(piece)
                        and not _BOOK_PUBLISHER.search(piece)
                    )
                )
                and "container" not in out
                and "publisher" not in out
            ):
                out["container"] = piece
            elif "publisher" not in out and re.search(rf"[{_L}]{{2}}", piece):
                # A department before its institution: "Dept. of X, Rice University".
                if nxt and _CORPORATE.search(piece) and _CORPORATE.search(nxt) and not _is_place(nxt):
                    piece = f"{piece}, {nxt}"
                    k += 1
                out["publisher"] = piece
            else:
                leftovers.append(piece)
            k += 1
    res.recognised = bool(out)
    res.leftover = " ".join(leftovers)
    return res


_REPORT_NO = re.compile(
    r"^(?:(?:Technical|Tech\.|Research|Working|Discussion|Internal|Occasional|Policy)\s+)?"
    r"(?:Report|Rep\.|Paper|Memo(?:randum)?|Note|Brief)\b\.?\s*(?:(?:No|Nr|Number)\.?\s*)?"
    r"(?P<n>(?=[\w./-]*(?:\s[\w./-]*)?\d)[A-Za-z0-9][\w./:-]*(?:\s\d[\w./:-]*)?)?\s*[,.]?\s*",
    re.IGNORECASE,
)
_REGION = (
    r"(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKRN]|PA|RI|S[CDK]"
    r"|T[NX]|UT|V[TA]|W[AVIY]|QC|BC|AB|MB|NS|NB|NL|PE|U\.?\s?S\.?(?:\s?A\.?)?|U\.?\s?K\.?|D\.\s?C\.?"
    r"|USA|UK|Canada|Australia|Germany|France|Japan|Italy|Spain|(?:The\s+)?Netherlands|Switzerland"
    r"|Sweden|Norway|Denmark|Finland|Belgium|Austria|China|India|England|Scotland|Wales|Ireland"
    r"|New Zealand|Israel|Brazil|Mexico|South Africa|Singapore|Korea|Ontario|Quebec|Québec"
    r"|British Columbia|Alberta|Manitoba|Nova Scotia|California|Massachusetts|New York)\.?"
)
_KNOWN_PLACE = re.compile(
    r"(?:London|New York|Paris|Berlin|Toronto|Ottawa|Montreal|Montréal|Vancouver|Oxford|Cambridge"
    r"|Boston|Chicago|Amsterdam|Geneva|Tokyo|Bristol|Edinburgh|Glasgow|Manchester|Sydney|Melbourne"
    r"|Washington|Philadelphia|San Francisco|Los Angeles|Thousand Oaks|Newbury Park|Beverly Hills"
    r"|Hoboken|Abingdon|Basingstoke|Cheltenham|Heidelberg|Dordrecht|Leiden|Stuttgart|Munich|München"
    r"|Wien|Vienna|Zurich|Zürich|Brussels|Stockholm|Copenhagen|Oslo|Helsinki|Rome|Milan|Madrid"
    r"|Barcelona|Lisbon|Hamilton|Waterloo|Guelph|Kingston|Halifax|Winnipeg|Calgary|Edmonton|Victoria"
    r"|Canberra|Wellington|Auckland|Dublin|Cardiff|Belfast|Leeds|Birmingham|Frankfurt|Hamburg|Bonn"
    r"|Leipzig|Princeton|New Haven|Baltimore|Ann Arbor|Berkeley|Englewood Cliffs|Upper Saddle River"
    r"|Reading|Norwood|Hillsdale|Mahwah|Greenwich|Westport|Santa Monica|Menlo Park|Palo Alto"
    r"|San Mateo|Redwood City|Amherst|Ithaca|Durham|Chapel Hill|Singapore|Hong Kong|Beijing|Delhi)"
)


def _is_place(piece: str) -> bool:
    """A city or region name, as far as a small gazetteer and its shape tell."""
    return bool(_KNOWN_PLACE.fullmatch(piece) or re.fullmatch(_REGION, piece))


# ---------------------------------------------------------------------------------------
# Locators: URL, DOI, access dates
# ---------------------------------------------------------------------------------------


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if (
            last in ".,;:!?'\"’”>"
            or (last == ")" and url.count("(") < url.count(")"))
            or (last == "]" and url.count("[") < url.count("]"))
        ):
            url = url[:-1]
        else:
            break
    return url


def _cut(s: str, start: int, end: int) -> str:
    left = s[:start].rstrip()
    right = s[end:].lstrip()
    if right.startswith(">"):
        right = right[1:].lstrip()
    if not left or left[-1] in ".,;:":
        right = right.lstrip(".,;: ")
    elif right[:1] in {")", "]"}:
        right = right[1:].lstrip()
    return (left + " " + right).strip()


def _extract_locators(s: str, out: dict[str, Any]) -> str:
    """Take DOI, URL and access notes out of ``s`` into ``out``; return the rest."""
    notes: list[str] = []
    # URLs first (a doi.org URL is a DOI).
    while True:
        m = _URL.search(s)
        if not m:
            break
        url = _trim_url(m.group(0))
        start, end = m.start(), m.start() + len(url)
        lead = _URL_LEADIN.search(s[:start])
        if lead:
            if lead.group("date"):
                notes.append(f"Retrieved {lead.group('date').strip()}")
            if lead.group("adate"):
                notes.append(f"Accessed {lead.group('adate').strip()}")
            start = lead.start()
        if _DOI_RESOLVER.match(url):
            doi = _DOI_RESOLVER.sub("", url)
            if doi.startswith("10.") and "doi" not in out:
                out["doi"] = doi
        elif "url" not in out:
            out["url"] = url
        s = _cut(s, start, end)
    while True:
        m = _DOI.search(s)
        if not m:
            break
        doi = _trim_url(m.group(1))
        out.setdefault("doi", doi)
        s = _cut(s, m.start(), m.start(1) + len(doi))
    while True:
        m = _ACCESSED.search(s)
        if not m:
            break
        notes.append(f"Accessed {m.group('date').strip()}")
        s = _cut(s, m.start(), m.end())
    s = re.sub(r"\s*\b(?:Retrieved|Available)\s+(?:from|at|online)\s*:?\s*$", "", s).strip()
    s = re.sub(r"\s*[\[(<]\s*[\])>]\s*", " ", s).strip()
    if "doi" in out:
        out["doi"] = _normalise_doi(out["doi"])
    if notes:
        out["note"] = "; ".join(notes)
    return s


def _normalise_doi(doi: str) -> str:
    """Bare DOI, no resolver or "doi:" prefix, its case as printed (see :func:`strip_doi`)."""
    return strip_doi(_trim_url(doi)) or _trim_url(doi)


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


_NON_LATIN_LETTER = re.compile("[^\\W\\d_\u0000-\u024f]")


def _clean(text: str) -> str:
    s = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if not s.isascii():
        s = _SOFT_HYPHEN.sub("", s)
    s = _CONTROL.sub(" ", s)
    return " ".join(s.split())  # the whitespace of str.split() is the regular expressions' \s


_RE_ND_START = re.compile(r"^n\.\s?d\.")
_RE_YEAR_MONTH = re.compile(rf"^({_YEAR}[a-z]?),\s*{_MONTH}")
_RE_MONTH_YEAR = re.compile(rf"^{_MONTH}\s+(?:\d{{1,2}},?\s+)?({_YEAR})$")


def _year_value(date: str) -> str:
    date = date.strip()
    if _RE_ND_START.match(date):
        return "n.d." + date[date.index("d.") + 2 :].lstrip("-")
    m = _RE_YEAR_MONTH.match(date)
    if m:
        return m.group(1)
    m = _RE_MONTH_YEAR.match(date)
    if m:
        return m.group(1)
    return date


def _latin_share(s: str) -> float:
    if s.isascii():
        return 1.0 if any(c.isalpha() for c in s) else 0.0
    letters = sum(map(str.isalpha, s))
    if not letters:
        return 0.0
    return 1.0 - len(_NON_LATIN_LETTER.findall(s)) / letters


def _author_block(block: str, fields: dict[str, Any]) -> None:
    """Put an author block into ``fields`` (``author`` or, with "(Eds.)", ``editor``)."""
    block = block.strip().strip(",;:")
    role = "author"
    m = _EDITOR_MARK.search(block)
    if m and (m.group(0).strip().startswith("(") or "," in m.group(0) or "ed" in m.group(0).lower()):
        role = "editor"
        block = block[: m.start()]
    names, elided, _ = _split_names(block)
    if names:
        fields[role] = names
        if elided:
            fields["authors_elided"] = True


def _decide_type(f: dict[str, Any], hint: str | None) -> str:
    title = f.get("title", "")
    url = f.get("url", "")
    if hint == "thesis":
        return "thesis"
    if hint in {"incollection", "inproceedings"}:
        return hint
    if hint == "article" or (f.get("container") and (f.get("volume") or f.get("number"))):
        if f.get("container") and _PROCEEDINGS.search(f["container"]) and not f.get("volume"):
            return "inproceedings"
        return "article"
    if hint in {"report", "misc", "online"}:
        return hint
    if f.get("container"):
        if _PROCEEDINGS.search(f["container"]):
            return "inproceedings"
        return "article" if f.get("pages") or _JOURNAL_WORDS.search(f["container"]) else "misc"
    if _MISC_CUES.search(title) or (url and _MISC_HOSTS.search(url)):
        return "misc"
    if f.get("publisher"):
        if _REPORT_CUES.search(title):
            return "report"
        if _BOOK_PUBLISHER.search(f["publisher"]):
            return "book"
        if f.get("address"):
            return "report"
        return "online" if url else "report"
    if f.get("editor") and not f.get("author"):
        return "book"
    if url:
        return "online"
    return "misc"


def parse_reference(text: str, *, parser: str | None = None, model: Any = None) -> ParsedReference:
    """Parse one reference string into fields, with the CRF model or the rules.

    Args:
        text: One reference-list entry; a leading list label ("1.", "[1]", a bullet) is
            ignored.
        parser: ``"crf+rules"`` (:func:`parse_reference_combined`), ``"crf"`` or
            ``"rules"``; None uses :data:`DEFAULT_PARSER`.
        model: For the CRF: a loaded model or the path of a model file (from
            ``kmgraph refs train``); None uses the shipped model.

    Returns:
        The :class:`~kmgraph.records.ParsedReference` of the parser used; the fields
        follow the contract described in :func:`parse_reference_rules`.

    Raises:
        ValueError: An unknown ``parser``, or a ``model`` with the rule parser.

    Example:
        >>> parse_reference("Ward, V. (2017). Why, whose, what and how? A framework for "
        ...                 "knowledge mobilisers. Evidence & Policy, 13(3), 477–497.").fields["pages"]
        '477--497'
    """
    which = parser or (DEFAULT_PARSER if DEFAULT_PARSER != "rules" or model is None else "crf")
    if which == "rules":
        if model is not None:
            raise ValueError("a model file goes with the CRF parser, not the rules")
        return parse_reference_rules(text)
    if which == "crf":
        from kmgraph.references.crf.parser import parse_reference_crf

        return parse_reference_crf(text, model=model)
    if which == "crf+rules":
        return parse_reference_combined(text, model=model)
    raise ValueError(f"unknown parser {parser!r}; use one of {', '.join(PARSERS)}")


def parse_reference_combined(text: str, *, model: Any = None) -> ParsedReference:
    """The CRF's parse, or the rules' when the model is unsure and the rules are not.

    The rule: take the CRF's result unless its confidence (the probability of its whole
    labelling) is below :data:`COMBINE_BELOW`, the rule parser reports a complete parse
    (confidence 1.0: every part it looks for was found and agrees), and the rules'
    result has at least as many fields as the CRF's. Five-fold CV on the training data
    chose the threshold (docs/refparse.md): it lets the rules answer for about 4% of
    references, styles the model has seen too little of (long elided APA author lists,
    for one), and raises field F1 slightly over the CRF alone.

    Args:
        text: One reference-list entry.
        model: As for :func:`parse_reference`.
    """
    from kmgraph.references.crf.parser import parse_reference_crf

    crf = parse_reference_crf(text, model=model)
    if crf.confidence >= COMBINE_BELOW or not crf.fields:
        return crf
    rules = parse_reference_rules(text)
    if rules.confidence >= 1.0 and len(rules.fields) >= len(crf.fields):
        return rules
    return crf


def parse_reference_rules(text: str) -> ParsedReference:
    """Parse one reference string into fields with the rules of this module.

    Never raises: an empty, garbled or foreign-script string comes back with few fields,
    a low ``confidence`` and a ``reason``.

    Args:
        text: One reference-list entry; a leading list label ("1.", "[1]", a bullet) is
            ignored (use :func:`split_label` to get it).

    Returns:
        A :class:`~kmgraph.records.ParsedReference` whose ``fields`` follow the JSON
        contract: ``type`` (article, book, incollection, inproceedings, report, thesis,
        online, misc), ``author`` and ``editor`` (lists of "Family, Given"),
        ``authors_elided``, ``title``, ``year`` (as written when not one year: "n.d.",
        "2008, 2013", "2020a"), ``container``, ``volume``, ``number``, ``pages``
        ("13--24"), ``publisher``, ``address``, ``url``, ``doi`` (bare, lowercase),
        ``note``, ``edition``. Absent fields are left out.

    Example:
        >>> r = parse_reference_rules("[1] https://www.example.org/cop/")
        >>> r.fields
        {'type': 'online', 'url': 'https://www.example.org/cop/'}
    """
    raw = text if isinstance(text, str) else str(text)
    try:
        return _parse(raw)
    except Exception as exc:  # noqa: BLE001 - per-item failures are data
        return ParsedReference(raw=raw, fields={}, confidence=0.0, reason=f"parser error: {exc!r}")


def prepare_reference(raw: str, *, parser: str) -> tuple[str, float, list[str]]:
    """Guard a reference string before any parser sees it; shared by every parser.

    Cleans it (Unicode forms, soft hyphens, control characters), caps its length, drops a
    list label and notes a non-Latin script, each lowering the confidence ceiling.

    Args:
        raw: The string as given.
        parser: Who parses it, for the reasons ("the rule-based parser", "the model").

    Returns:
        ``(text, confidence ceiling, reasons)``; ``text`` is empty when nothing is left.
    """
    reasons: list[str] = []
    cap = 1.0
    s = raw[: MAX_REFERENCE_LENGTH * 4]
    if _STRAY_CONTROL.search(s):
        reasons.append("control characters removed; check the source text")
        cap = 0.5
    s = _clean(s)
    if len(s) > MAX_REFERENCE_LENGTH:
        s = s[:MAX_REFERENCE_LENGTH]
        reasons.append(f"longer than {MAX_REFERENCE_LENGTH} characters; parsed the start only")
        cap = 0.2
    _, s = split_label(s)
    if s and _latin_share(s) < 0.5:
        reasons.append(f"mostly non-Latin script; {parser} knows Latin-script references only")
        cap = min(cap, 0.2)
    return s, cap, reasons


def _parse(raw: str) -> ParsedReference:
    s, cap, reasons = prepare_reference(raw, parser="the rule-based parser")
    if not s:
        return ParsedReference(raw=raw, fields={}, confidence=0.0, reason="empty reference")

    fields: dict[str, Any] = {}
    loc: dict[str, Any] = {}
    body = _extract_locators(s, loc)
    body = body.strip().strip(",;:").strip()

    if not re.search(r"[^\W_]", body):
        if not loc:
            return ParsedReference(raw=raw, fields={}, confidence=0.0, reason="no words in the reference")
        fields["type"] = "online" if "url" in loc else "misc"
        fields.update(loc)
        reasons.append("only a locator (URL or DOI), no bibliographic description")
        return ParsedReference(raw=raw, fields=fields, confidence=min(cap, 0.5), reason="; ".join(reasons))

    hints: dict[str, Any] = {}
    known_year = False
    title = ""
    tail = ""
    authors_done = False

    # 1. A parenthesised date after the authors (APA, Harvard).
    m = _PAREN_DATE.search(body)
    if m and m.start() <= 800:
        pre = body[: m.start()].strip()
        first_b = [b for b in _boundaries(pre + " X") if b[1] <= len(pre)] if pre else []
        vanc_first = bool(first_b) and all(
            _RE_VANC.match(c.strip()) or _ETAL.fullmatch(c) or c.strip().lower().startswith("et al")
            for c in pre[: first_b[0][0]].split(",")
        )
        after_date = body[m.end() :]
        ok_pre = (
            not pre
            or (_looks_like_authors(pre) and not vanc_first)
            or (
                not first_b
                and not vanc_first
                and (_is_short_corporate(pre) or (_is_title_like(pre) and re.search(r"[^\W\d_]{3}", after_date)))
                and len(pre) < 300
            )
        )
        if ok_pre:
            fields["year"] = _year_value(m.group("date"))
            known_year = True
            rest = body[m.end() :]
            if pre:
                if _is_title_like(pre) and not re.search(r"\([Ee]ds?\.\)", pre):
                    title = _title_descriptors(pre.rstrip(" ."), hints)
                    tail = rest
                else:
                    _author_block(pre, fields)
            authors_done = True
            if not title:
                title, tail = _title_and_tail(rest, True)

    # 2. A bare year after the authors (Chicago author-date).
    if not authors_done:
        m2 = _BARE_DATE.search(body)
        if m2 and m2.start() <= 800 and _looks_like_authors(body[: m2.start()].rstrip(".")):
            _author_block(body[: m2.start()], fields)
            fields["year"] = _year_value(m2.group("date"))
            known_year = True
            authors_done = True
            title, tail = _title_and_tail(body[m2.end() :], True)

    # 3. An author block recognised by its shape; the year comes later.
    if not authors_done:
        block, rest = _find_author_block(body)
        if block:
            _author_block(block, fields)
        if not title:
            title, tail = _title_and_tail(rest, False)

    title = _title_descriptors(title, hints)
    src = _parse_source(tail, known_year)
    sf = src.fields
    type_hint = hints.pop("type", None) or sf.pop("_type", None)
    if type_hint == "article" and "container" not in sf:
        type_hint = None
    for k, v in list(hints.items()) + list(sf.items()):
        if k.startswith("_"):
            continue
        fields.setdefault(k, v)
    if title:
        fields["title"] = title
    for k, v in loc.items():
        if k == "note" and "note" in fields:
            fields["note"] = f"{fields['note']}; {v}"
        else:
            fields.setdefault(k, v)

    fields["type"] = _decide_type(fields, type_hint)

    # Confidence.
    conf = 1.0
    if not title:
        conf -= 0.5
        reasons.append("no title found")
    elif len(title) > 300:
        conf -= 0.35
        reasons.append("title is suspiciously long; the segmentation is probably wrong")
    if "year" not in fields:
        conf -= 0.15
        reasons.append("no year found")
    if "author" not in fields and "editor" not in fields:
        conf -= 0.1
        reasons.append("no author found")
    if src.leftover and re.search(r"[^\W_]{2,}", src.leftover):
        conf -= 0.15
        reasons.append(f"text left unparsed: {src.leftover[:60]!r}")
    if fields["type"] == "misc" and not fields.get("publisher") and not fields.get("url"):
        conf -= 0.1
    conf = round(max(0.0, min(cap, conf)), 2)
    out = {"type": fields.pop("type")}
    out.update(fields)
    return ParsedReference(raw=raw, fields=out, confidence=conf, reason="; ".join(reasons) or None)


_IEEE_NAME = rf"(?:[{_UP}][a-z]?\.[\s-]*){{1,4}}\s*(?:(?:{_PARTICLE_ALT})\s+)*[{_UP}][{_L}'’\-]+"
_IEEE_AUTHORS = re.compile(
    rf"^(?P<a>{_IEEE_NAME}(?:\s*,\s*(?:and\s+)?{_IEEE_NAME}|\s+and\s+{_IEEE_NAME})*(?:\s*,?\s*et\s*al\.?)?(?:\s*,?\s*\(?(?:[Ee]ds?|[Ee]ditors?)\.?\)?)?)\s*[,:.]\s*"
)


def _find_author_block(body: str) -> tuple[str, str]:
    """Find the author block of a reference with no date right after it."""
    # Quoted title (MLA, Chicago notes, IEEE articles): the authors stand before it.
    qm = re.search(r"(?:^|(?<=[\s,.:]))[\"“„«‘]", body)
    if qm and qm.start() < 600:
        pre = body[: qm.start()].strip().rstrip(",:; ")
        if not pre:
            return "", body
        if _looks_like_authors(pre) or _looks_like_authors(re.sub(r"\s*,?\s*\bet al\b\.?", "", pre)):
            return pre, body[qm.start() :]
    # Vancouver: "Graham ID, Logan J, Harrison MB, et al. Title."
    bs = _boundaries(body)
    first_dot = re.search(r"\.\s+", body)
    if first_dot:
        seg = body[: first_dot.start()]
        parts = [p.strip() for p in seg.split(",") if p.strip()]
        continues = len(parts) == 1 and re.match(
            r"^[A-Z][\w'’-]+(?:\.|,\s+[A-Z]|\s+and\s+[A-Z])", body[first_dot.end() :]
        )
        if (
            parts
            and not continues
            and all(_RE_VANC.match(p) or p.lower().startswith("et al") for p in parts)
            and _RE_VANC.match(parts[0])
        ):
            return seg, body[first_dot.end() :]
    # IEEE: "S. Nutley, I. Walter, and H. T. O. Davies, Title".
    im = _IEEE_AUTHORS.match(body)
    if im:
        return im.group("a"), body[im.end() :]
    # MLA, Chicago notes-bibliography: "Ward, Vicky. Title." / corporate "WHO. Title."
    if bs:
        end, start, punct = bs[0]
        seg = body[:end]
        if punct == "." and (_looks_like_authors(seg) or _is_short_corporate(seg)):
            return seg, body[start:]
    # "Shaxson, L. Title of work." / "Ancona, D., and Zucca, E. Title": initials hide the end.
    im2 = re.match(
        rf"^(?P<a>(?:[^,.]{{1,60}},\s*(?:[{_UP}]\.\s*(?:-\s*)?){{1,4}}(?:(?:,\s*)?(?:&|and)\s+|,\s*)?){{1,30}})\s*(?=[{_UP}\"“‘])",
        body[:800],
    )
    if im2 and _looks_like_authors(im2.group("a").rstrip(", ")):
        return im2.group("a").rstrip(", "), body[im2.end() :]
    # "Clark, K. L., Negation as Failure, in: ..." — names until a piece is not a name.
    pieces = re.split(r"(?<=,)", body[:600])
    for k in range(min(len(pieces) - 1, 30), 0, -1):
        prefix = "".join(pieces[:k]).rstrip(", ")
        if _looks_like_authors(prefix) and (len(_split_names(prefix)[0]) > 1 or "," in prefix or k == 1):
            names = _split_names(prefix)[0]
            if names and all(", " in n or _is_corporate(n) for n in names):
                return prefix, body[len("".join(pieces[:k])) :]
    return "", body
