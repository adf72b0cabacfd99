"""Tokens and token features for the CRF reference parser.

Tokenisation follows the annotated data (``../shared/data/refparse``): a reference is
split on whitespace, and fullwidth punctuation (U+FF01-U+FF64) and the ideographic full
stop and comma are split off as tokens of their own. Joining the tokens with single
spaces gives back the (whitespace-normalised) text.

Every token gets a list of string features (python-crfsuite's attribute format):

- its own form: the token, lower-cased, punctuation-stripped; prefixes and suffixes of
  1-4 characters; shape (``Xxxx.``) and short shape (``Xx.``); capitalisation class;
- number classes: year-like, page-range, volume(issue), ordinal, digit count, Roman
  numeral; URL, DOI and ISBN shapes;
- punctuation: opening and closing brackets and quotes, the last character class;
- dictionary classes from a :class:`Lexicon` built from annotated data (names, title
  words, journal words, container words, publishers, places) plus fixed word lists
  (months, role words such as "Ed." and "Retrieved from", genre and KM grey-literature
  words, organisation words);
- context: relative position (12 bins), inside quotes and inside brackets, the clause
  index (how many clause-ending tokens come before) crossed with before/at/after the
  first year, after a clause end, after "In", after an editor role word, and look-ahead
  flags (a volume(issue) or a "pp." still to come: journal versus container-title);
- a window of two neighbours on each side (a subset of their features, prefixed with
  the offset).

:func:`stack_features` gives the features of an optional second, stacked CRF pass
(the first pass's labels around each token, its label runs and segments, boundary
cues); see :func:`kmgraph.references.crf.train.train_model`.

Tried and removed because they lowered 5-fold CV on the training data (figures in
docs/refparse.md): reference-level style detectors (numbered label, author-date, quoted
title, Vancouver); clause and phrase descriptors (lower-case words, initials, digits,
length and first word class of the token's own, previous and next clause); token
bigrams; an "after the closing quote" state; a ±3 window.

Speed: everything that depends on one token string alone (its own features, what it
shows each neighbour, and the facts the left-to-right state needs) is computed once and
cached per token (:meth:`FeatureExtractor._entry`), and features the model does not
know are dropped there; a reference then costs a few tuple concatenations per token.
Most tokens of a new reference are new to the cache (title words, names), so the first
computation is kept cheap too: the lexicon key, shape, dictionary classes and core
features are computed once per token and shared by its own features, its four window
views and its facts; the window views of the recurring core features (shape, class,
flags) are kept once per combination, and the token's own "k=" view only built when
the model knows it; the shape is one ``str.translate``; each regular expression is
only tried when a cheap test shows it can match. When tagging, the kept features are
UTF-8 bytes, which python-crfsuite passes to CRFsuite without encoding them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "LEXICON_CATEGORIES",
    "Lexicon",
    "FeatureExtractor",
    "tokenize",
    "token_features",
    "lexicon_key",
    "stack_features",
]

_FULLWIDTH = re.compile("([\uff01-\uff64\u3001\u3002])")


def tokenize(text: str) -> list[str]:
    """Split a reference string into tokens the way the annotated data does.

    Example:
        >>> tokenize("Levin, B. (2011).  Mobilising")
        ['Levin,', 'B.', '(2011).', 'Mobilising']
    """
    if _FULLWIDTH.search(text):
        text = _FULLWIDTH.sub(r" \1 ", text)
    return text.split()


# ---------------------------------------------------------------------------------------
# Word lists (fixed: language knowledge, not training data)
# ---------------------------------------------------------------------------------------

_MONTHS = {
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june",
    "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
    "november", "dec", "december", "spring", "summer", "fall", "autumn", "winter",
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "januar", "februar", "märz", "juni", "juli",
    "oktober", "dezember",
}  # fmt: skip
_ROLE_EDITOR = {"ed", "eds", "edd", "editor", "editors", "edited", "hrsg", "hg", "dir", "éd", "éds", "coord"}
_ROLE_TRANS = {"trans", "translated", "translator", "translators", "tr", "übers", "trad", "traduit"}
_ROLE_OTHER = {"by", "in", "and", "&", "et", "al", "und", "with"}
_LOCATOR_WORDS = {
    "retrieved", "available", "accessed", "from", "online", "url", "doi", "isbn", "issn",
    "viewed", "cited", "web", "pdf", "internet",
}  # fmt: skip
_VOLUME_WORDS = {
    "vol",
    "vols",
    "volume",
    "volumes",
    "no",
    "nos",
    "nr",
    "issue",
    "iss",
    "number",
    "bd",
    "heft",
    "t",
    "n",
}
_PAGE_WORDS = {"pp", "p", "pages", "page", "s", "ss", "pg", "pgs"}
_EDITION_WORDS = {"edn", "edition", "ed", "aufl", "auflage", "rev", "revised", "éd"}
_GENRE_WORDS = {
    "thesis", "dissertation", "phd", "ph.d", "master", "masters", "doctoral", "report",
    "technical", "tech", "rep", "manuscript", "unpublished", "working", "paper", "papers",
    "memo", "memorandum", "preprint", "draft", "patent", "abstract", "poster", "presented",
    "presentation", "lecture", "talk", "policy", "brief", "toolkit", "evaluation",
    "webinar", "fact", "sheet", "infographic", "guide", "guidelines", "framework",
    "dvd", "print", "video", "film", "podcast", "blog", "homepage",
}  # fmt: skip
_CONTAINER_WORDS = {
    "proceedings", "proc", "conference", "conf", "workshop", "symposium", "congress",
    "colloquium", "meeting", "handbook", "companion", "encyclopedia", "encyclopaedia",
    "annual", "international", "intl", "acm", "ieee", "actes", "tagung", "sympos",
}  # fmt: skip
_JOURNAL_CUES = {
    "journal", "j", "review", "rev", "quarterly", "bulletin", "magazine", "annals", "ann",
    "letters", "lett", "transactions", "trans", "newsletter", "gazette", "times", "zeitschrift",
    "revue", "rivista", "science", "nature", "research", "studies",
}  # fmt: skip
_ORG_WORDS = {
    "institute", "institut", "centre", "center", "ministry", "council", "network",
    "foundation", "university", "universität", "université", "college", "school",
    "department", "dept", "association", "society", "agency", "organization",
    "organisation", "office", "commission", "laboratory", "laboratories", "lab", "labs",
    "corporation", "inc", "ltd", "company", "co", "press", "verlag", "publishers",
    "publishing", "publications", "books", "group", "bureau", "academy", "library",
}  # fmt: skip
_PUBLISHER_CUES = {
    "press",
    "verlag",
    "publishers",
    "publishing",
    "publisher",
    "publications",
    "books",
    "éditions",
    "editions",
    "wiley",
    "springer",
    "elsevier",
}
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "du",
    "la",
    "le",
    "ten",
    "ter",
    "dos",
    "das",
}
_STOP = {
    "the",
    "a",
    "an",
    "of",
    "and",
    "in",
    "on",
    "for",
    "to",
    "with",
    "at",
    "from",
    "by",
    "la",
    "le",
    "les",
    "des",
    "der",
    "die",
    "das",
    "und",
    "et",
}

_OPENERS = set("([{\"'“‘«„<")
_CLOSERS = set(")]}\"'”’»>")
_PUNCT_STRIP = "\"'“”‘’«»„()[]{}<>.,;:!?*"

_RE_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_RE_PAGE_RANGE = re.compile(r"^\D{0,4}\d+[a-zA-Z]?\s*(?:-|--|–|—|‐|‑)\s*\D{0,2}\d+\D{0,3}$")
_RE_VOL_ISSUE = re.compile(r"^\D{0,2}\d+\s*\(\s*[\d\-–/ A-Za-z]+\)\D{0,3}$")
_RE_VOL_ISSUE_PAGES = re.compile(r"^\d+\s*\(\s*[\d\-–/]+\)\s*:\s*\d")
_RE_ORDINAL = re.compile(r"^\(?\d+(?:st|nd|rd|th|d|e|er|ème|\.)\W*$", re.IGNORECASE)
_RE_ROMAN = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(c[md]|d?c{0,3})(x[cl]|l?x{0,3})(i[xv]|v?i{0,3})$")
_RE_URL = re.compile(r"(?:https?://|ftp://|www\.)|\.(?:com|org|net|edu|gov|html?|pdf|php|asp)\b", re.IGNORECASE)
_RE_DOI = re.compile(r"10\.\d{3,9}/")
_RE_ISBN = re.compile(r"^(?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx]\W*$")
_RE_INITIAL = re.compile(r"^\(?(?:[A-ZÀ-ÖØ-Þ][a-z]?\.-?)+,?;?$|^[A-Z]{1,3},?$")
_RE_DATEISH = re.compile(r"^\(?\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


_DASHES = ("-", "–", "—", "‐", "‑")  # a page range has one of these (``_RE_PAGE_RANGE``)


def _has_dash(token: str) -> bool:
    return any(d in token for d in _DASHES)


def lexicon_key(token: str) -> str:
    """The lower-cased, punctuation-stripped form used for dictionary lookups."""
    return token.strip(_PUNCT_STRIP).lower()


class _ShapeTable(dict):
    """``str.translate`` table of :func:`_shape`, filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        v = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        self[code] = v
        return v


_SHAPE = _ShapeTable()


def _shape(token: str) -> str:
    """Upper-case letters to X, lower-case to x, digits to d, the rest kept."""
    return token.translate(_SHAPE)


@lru_cache(maxsize=100_000)
def _short_shape(shape: str) -> str:
    """The shape with runs of one character collapsed (shapes recur: cached)."""
    out: list[str] = []
    for c in shape:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _char_class(c: str) -> str:
    if c.isalpha():
        return "a"
    if c.isdigit():
        return "d"
    return c


@lru_cache(maxsize=200_000)
def _core(token: str) -> tuple[str, ...]:
    """The token's own features that neighbours also see (short, high-value)."""
    return _core_of(token, lexicon_key(token), _shape(token))


def _core_of(token: str, key: str, shape: str) -> tuple[str, ...]:
    # The guards before each pattern are exact: a year needs a digit ("d" in the shape),
    # an initial a capital, a URL "." or "://", a DOI "10.".
    feats = [f"k={key}", f"ss={_short_shape(shape)}", f"e={_char_class(token[-1])}"]
    if token[0] in _OPENERS:
        feats.append(f"o={token[0]}")
    if "d" in shape and _RE_YEAR.search(token) and not (_has_dash(token) and _RE_PAGE_RANGE.match(token)):
        feats.append("YEAR")
    if "X" in shape and _RE_INITIAL.match(token):
        feats.append("INI")
    cls = _WORD_CLASS.get(key.rstrip("."))
    if cls:
        feats.append(cls)
    if ("." in token or ":" in token) and _RE_URL.search(token):
        feats.append("URL")
    if ("10." in token and _RE_DOI.search(token)) or key.startswith("doi"):
        feats.append("DOI")
    return tuple(feats)


# Word class of a lexicon key (full stops stripped): the first list that has it wins.
_WORD_CLASS: dict[str, str] = {}
for _cls, _words in reversed(
    (
        ("month", _MONTHS),
        ("role-ed", _ROLE_EDITOR),
        ("role-tr", _ROLE_TRANS),
        ("vol", _VOLUME_WORDS),
        ("page", _PAGE_WORDS),
        ("loc", _LOCATOR_WORDS),
        ("genre", _GENRE_WORDS),
        ("cont", _CONTAINER_WORDS),
        ("jour", _JOURNAL_CUES),
        ("org", _ORG_WORDS),
        ("part", _PARTICLES),
        ("stop", _STOP),
    )
):
    _WORD_CLASS.update(dict.fromkeys(_words, f"c={_cls}"))


@lru_cache(maxsize=200_000)
def token_features(token: str) -> tuple[str, ...]:
    """The features of one token that depend on the token string alone.

    Example:
        >>> "YEAR" in token_features("(2011).") and "paren" in token_features("(2011).")
        True
    """
    key = lexicon_key(token)
    shape = _shape(token)
    return _token_features_of(token, key, shape, _core_of(token, key, shape))


def _token_features_of(token: str, key: str, shape: str, core: tuple[str, ...]) -> tuple[str, ...]:
    feats = [
        *core,
        f"w={token}",
        f"lw={token.lower()}",
        f"sh={shape if len(shape) <= 8 else shape[:4] + '~' + shape[-4:]}",
    ]
    n = len(key)
    if n:
        feats += (f"p1={key[:1]}", f"s1={key[-1:]}")
        if n > 1:
            feats += (f"p2={key[:2]}", f"s2={key[-2:]}")
            if n > 2:
                feats += (f"p3={key[:3]}", f"s3={key[-3:]}")
                if n > 3:
                    feats += (f"p4={key[:4]}", f"s4={key[-4:]}")
    if len(token) == 1:
        feats.append("single")
    if token.isascii():
        # ASCII letters are the X and x of the shape, digits its d.
        upper, lower = shape.count("X"), shape.count("x")
        if upper or lower:
            if not lower:
                feats.append("cap=all" if upper > 1 else "cap=one")
            elif upper and shape.find("X") < shape.find("x"):  # the first letter is a capital
                feats.append("cap=init")
            elif not upper:
                feats.append("cap=low")
            else:
                feats.append("cap=mixed")
        digits = shape.count("d")
    else:
        letters = [c for c in token if c.isalpha()]
        if letters:
            if all(c.isupper() for c in letters):
                feats.append("cap=all" if len(letters) > 1 else "cap=one")
            elif letters[0].isupper():
                feats.append("cap=init")
            elif all(c.islower() for c in letters):
                feats.append("cap=low")
            else:
                feats.append("cap=mixed")
            if any(ord(c) > 0x24F for c in letters):
                feats.append("nonlatin")
        digits = sum(c.isdigit() for c in token)
    if digits:
        feats.append(f"nd={min(digits, 5)}")
        if digits == len(key):
            feats.append("alldig")
        if _has_dash(token) and _RE_PAGE_RANGE.match(token):
            feats.append("PAGES")
        if "(" in token:
            if _RE_VOL_ISSUE.match(token):
                feats.append("VOLISS")
            if ":" in token and _RE_VOL_ISSUE_PAGES.match(token):
                feats.append("VOLISSPG")
        if _RE_ORDINAL.match(token):
            feats.append("ORD")
        if digits >= 9 and _RE_ISBN.match(token.replace("ISBN", "")):  # ten digits, or nine and an X
            feats.append("ISBN")
        if _RE_DATEISH.match(token):
            feats.append("DATEISH")
        if "(" in token and _RE_YEAR.search(token):
            feats.append("paren")
    elif key and not key.strip("ivxlcdm") and _RE_ROMAN.match(key):
        feats.append("ROMAN")
    first, last = token[0], token[-1]
    if first in _OPENERS:
        feats.append("open")
    if last in _CLOSERS or (len(token) > 1 and token[-2] in _CLOSERS and not token[-1].isalnum()):
        feats.append("close")
    if len(token) > 1 and not token[-1].isalnum():
        feats.append(f"end={token[-1]}")
        if len(token) > 2 and not token[-2].isalnum():
            feats.append(f"end2={token[-2:]}")
    if "." in token[:-1]:
        feats.append("innerdot")
    if ":" in token[:-1]:
        feats.append("innercolon")
    return tuple(feats)


# ---------------------------------------------------------------------------------------
# Lexicon: dictionary classes built from annotated data
# ---------------------------------------------------------------------------------------

#: Categories of the lexicon and the labels whose tokens feed them.
LEXICON_CATEGORIES: dict[str, tuple[str, ...]] = {
    "name": ("author", "editor", "translator", "director", "producer"),
    "title": ("title",),
    "journal": ("journal",),
    "container": ("container-title", "collection-title"),
    "publisher": ("publisher",),
    "place": ("location",),
}
_CATS = tuple(LEXICON_CATEGORIES)
_LABEL_CAT = {lab: i for i, cat in enumerate(_CATS) for lab in LEXICON_CATEGORIES[cat]}


def _lexicon_entries(tokens: Sequence[tuple[str, str]]) -> Counter[tuple[str, int]]:
    """(key, category index) counts of one annotated reference."""
    out: Counter[tuple[str, int]] = Counter()
    for tok, lab in tokens:
        cat = _LABEL_CAT.get(lab)
        if cat is None:
            continue
        key = lexicon_key(tok)
        if len(key) < 2 or not any(c.isalpha() for c in key):
            continue
        out[(key, cat)] += 1
    return out


@dataclass
class Lexicon:
    """Word counts per category (names, title words, journals, ...), from annotated data.

    Attributes:
        counts: ``key -> [count per category]`` in the order of
            :data:`LEXICON_CATEGORIES`; keys are :func:`lexicon_key` forms.
    """

    counts: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, references: Iterable[Sequence[tuple[str, str]]]) -> Lexicon:
        """Count the words of every labelled token sequence."""
        counts: dict[str, list[int]] = {}
        for tokens in references:
            for (key, cat), n in _lexicon_entries(tokens).items():
                row = counts.setdefault(key, [0] * len(_CATS))
                row[cat] += n
        return cls(counts)

    def to_json(self) -> dict:
        """A JSON-able form (sorted, so that the model file is reproducible)."""
        return {"categories": list(_CATS), "counts": {k: self.counts[k] for k in sorted(self.counts)}}

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        """Read the form written by :meth:`to_json`."""
        cats = data.get("categories", list(_CATS))
        index = [cats.index(c) if c in cats else None for c in _CATS]
        counts = {}
        for k, row in data.get("counts", {}).items():
            counts[k] = [row[i] if i is not None else 0 for i in index]
        return cls(counts)

    def classes(self, key: str, minus: Sequence[int] | None = None) -> tuple[str, ...]:
        """Dictionary features of one key; ``minus`` removes one reference's own counts."""
        row = self.counts.get(key)
        if row is None:
            return ()
        if minus is not None:
            row = [a - b for a, b in zip(row, minus, strict=True)]
        total = sum(row)
        if total <= 0:
            return ()
        out = []
        best = max(range(len(row)), key=row.__getitem__)
        for i, n in enumerate(row):
            if n > 0:
                out.append(f"d={_CATS[i]}")
        share = row[best] / total
        if share >= 0.6:
            out.append(f"dom={_CATS[best]}{'+' if total >= 3 else ''}")
        return tuple(out)


# ---------------------------------------------------------------------------------------
# Whole-reference features
# ---------------------------------------------------------------------------------------

_N_BINS = 12


def _clause_end(token: str) -> bool:
    """Does the token end a clause (``.``, ``:``, ``?``, a closing quote or bracket)?"""
    t = token.rstrip("\"”’'")
    if not t:
        return False
    last = t[-1]
    if last in ":?!":
        return True
    if last == ".":
        core = t.rstrip(".").lstrip('(["“')
        if len(core) <= 2 and core[:1].isupper():
            return False  # an initial: "B."
        if core.lower() in {"pp", "p", "ed", "eds", "vol", "no", "al", "dr", "st", "inc", "jr", "trans", "rev", "ch"}:
            return False
        return True
    return last == ")" and token.startswith("(")


class FeatureExtractor:
    """Features of a tokenised reference, for training and for tagging.

    Args:
        lexicon: The dictionary classes (build with :meth:`Lexicon.build`).
        known: When tagging, the attributes the model knows; every other feature is
            dropped before it reaches CRFsuite (it would be ignored there anyway), which
            makes tagging about twice as fast, and the kept ones are UTF-8 ``bytes``.
            None keeps every feature, as ``str`` (training).
    """

    def __init__(self, lexicon: Lexicon, known: frozenset[str] | None = None) -> None:
        self.lexicon = lexicon
        self.known = known
        # When tagging, a kept feature becomes UTF-8 bytes here, once: CRFsuite then
        # copies it as it is instead of encoding the string on every reference.
        self._known_bytes = None if known is None else {a: a.encode() for a in known}
        self._ctx: dict[tuple, tuple] = {}
        self._tok: dict[str, tuple] = {}
        self._views: dict[tuple[str, ...], tuple] = {}
        self._classes: dict[str, tuple[str, ...]] = {}  # lexicon key -> dictionary classes
        # The "k=..." features that some neighbour's view (e.g. "-1:k=...") keeps.
        self._window_keys = frozenset(
            f for off, _, f in (a.partition(":") for a in known or ()) if off in _OFFSET_PREFIXES and f[:2] == "k="
        )
        self._bos = self._keep(["BOS"])
        self._eos = self._keep(["EOS"])

    def clear_caches(self) -> None:
        """Forget every cached token (the benchmark's "cold" runs; memory)."""
        self._ctx.clear()
        self._tok.clear()
        self._views.clear()
        self._classes.clear()
        for fn in (_core, token_features, _info, _is_container_cue, _short_shape):
            fn.cache_clear()

    def _keep(self, feats: list[str]) -> tuple:
        """The features the model knows (as bytes), or all of them when training."""
        km = self._known_bytes
        return tuple(feats) if km is None else tuple(filter(None, map(km.get, feats)))

    def _entry(self, token: str, lex: tuple[str, ...] | None = None) -> tuple:
        """Everything the tagging pass needs of one token: its own features, what it
        shows its neighbours at -2, -1, +1 and +2, and its facts. Cached when ``lex``,
        the token's dictionary classes, is not given (it is when training: the
        classes then leave out the reference's own words)."""
        if lex is None:
            got = self._tok.get(token)
            if got is not None:
                return got
        key = lexicon_key(token)
        if lex is None:
            lx = self._classes.get(key)
            if lx is None:
                lx = self.lexicon.classes(key)
                if len(self._classes) < 300_000:
                    self._classes[key] = lx
        else:
            lx = lex
        shape = _shape(token)
        core = _core_of(token, key, shape)
        dom = [d for d in lx if d.startswith("dom=")]
        keep = self._keep
        out = (
            keep(["bias", *_token_features_of(token, key, shape, core), *lx, *["0:" + d for d in dom]]),
            *self._window_views(core, dom),
            _info_of(token, core),
        )
        if lex is None and len(self._tok) < 300_000:
            self._tok[token] = out
        return out

    def _window_views(self, core: tuple[str, ...], dom: list[str]) -> tuple[tuple, ...]:
        """What the neighbours at -2, -1, +1 and +2 see of a token: its core features
        (and at ±1 its dominant dictionary classes) prefixed with the offset, kept."""
        keep = self._keep
        if self._known_bytes is None or dom:
            return (
                keep(["-2:" + f for f in core]),
                keep(["-1:" + f for f in (*core, *dom)]),
                keep(["1:" + f for f in (*core, *dom)]),
                keep(["2:" + f for f in core]),
            )
        # core[0] is the token's "k=" feature; the rest (shape, class, flags) recurs, so
        # its views are kept once per combination.
        rest = core[1:]
        views = self._views.get(rest)
        if views is None:
            views = tuple(keep([p + f for f in rest]) for p in _OFFSET_PREFIXES_COLON)
            if len(self._views) < 100_000:
                self._views[rest] = views
        if core[0] in self._window_keys:
            views = tuple(keep([p + core[0]]) + v for p, v in zip(_OFFSET_PREFIXES_COLON, views, strict=True))
        return views

    def _ctx_of(self, key: tuple) -> tuple[str, ...]:
        """The context features of one state (cached by the caller's ``_ctx``)."""
        pos, in_q, in_p, clause, yr, after_clause, after_in, after_eds, vol_ahead, pp_ahead = key
        cl = f"cl={clause}"
        f = [f"pos={pos}", cl, f"yr={yr}", f"{cl}|yr={yr}"]
        if in_q:
            f.append("inq")
        if in_p:
            f.append("inp")
        if after_clause:
            f.append("after-clause")
            f.append(f"after-clause|yr={yr}")
        if after_in:
            f.append("after-in")
        if after_eds:
            f.append("after-eds")
        if vol_ahead:
            f.append("vol-ahead")
            if after_in:
                f.append("vol-ahead|after-in")
        if pp_ahead:
            f.append("pp-ahead")
        out = self._keep(f)
        self._ctx[key] = out
        return out

    def sequence(self, tokens: Sequence[str], own: Sequence[tuple[str, str]] | None = None) -> list[tuple]:
        """The feature lists of every token of one reference (``bytes`` when tagging,
        ``str`` when training; python-crfsuite takes both).

        Args:
            tokens: The reference's tokens (:func:`tokenize`).
            own: When training, the reference's own labelled tokens: their counts are
                taken out of the lexicon for this reference (leave-one-out), so that
                the model does not learn to trust dictionaries more than they deserve.
        """
        if not tokens:
            return []
        entry = self._entry
        if own is None:
            cached = self._tok.get
            return self._assemble(tokens, [cached(t) or entry(t) for t in tokens])
        mine = _lexicon_entries(own)
        ncat = len(_CATS)
        ents = []
        for t in tokens:
            key = lexicon_key(t)
            ents.append(entry(t, self.lexicon.classes(key, [mine.get((key, c), 0) for c in range(ncat)])))
        return self._assemble(tokens, ents)

    def _assemble(self, tokens: Sequence[str], ents: Sequence[tuple]) -> list[tuple[str, ...]]:
        """Each token's own features, its neighbours' window features and its context."""
        n = len(tokens)
        infos = [e[5] for e in ents]
        first_year = -1
        for i, inf in enumerate(infos):
            if inf[_I_YEAR]:
                first_year = i
                break
        # Look-ahead: is a volume(issue) or a "pp." page range still to come?
        vol_ahead = [False] * n
        pp_ahead = [False] * n
        v = p = False
        for i in range(n - 1, -1, -1):
            vol_ahead[i] = v
            pp_ahead[i] = p
            inf = infos[i]
            v = v or inf[_I_VOL]
            p = p or inf[_I_PAGE]
        ctx_cached = self._ctx.get
        bos, eos = self._bos, self._eos
        feats: list[tuple] = []
        in_q = False
        depth = clause = 0
        after_in = after_eds = prev_end = False
        last = n - 1
        for i in range(n):
            e = ents[i]
            before = (ents[i - 1][2] + ents[i - 2][1]) if i > 1 else ents[0][2] if i else bos
            after = (ents[i + 1][3] + ents[i + 2][4]) if i + 1 < last else ents[last][3] if i < last else eos
            yr = "none" if first_year < 0 else ("before" if i < first_year else "at" if i == first_year else "after")
            key = (
                i * _N_BINS // n,
                in_q,
                depth > 0,
                clause if clause < 6 else 6,
                yr,
                prev_end,
                after_in,
                after_eds,
                vol_ahead[i],
                pp_ahead[i],
            )
            ctx = ctx_cached(key)
            if ctx is None:
                ctx = self._ctx_of(key)
            feats.append(e[0] + before + after + ctx)
            # Update the state after the token.
            inf = e[5]
            opens_q = inf[_I_OPENQ] or (tokens[i][:1] == '"' and not in_q)
            if opens_q:
                in_q = True
            if in_q and inf[_I_CLOSEQ] and not (opens_q and inf[_I_SHORT]):
                in_q = False
            depth += inf[_I_DEPTH]
            if depth < 0:
                depth = 0
            prev_end = inf[_I_CEND]
            if prev_end:
                clause += 1
            if inf[_I_IN]:
                after_in = True
            if inf[_I_ED]:
                after_eds = True
        return feats


_OFFSET_PREFIXES = ("-2", "-1", "1", "2")
_OFFSET_PREFIXES_COLON = tuple(p + ":" for p in _OFFSET_PREFIXES)

# Per-token facts the sequence pass needs (cached: a pure function of the token string).
_I_YEAR, _I_VOL, _I_PAGE, _I_OPENQ, _I_CLOSEQ, _I_SHORT, _I_DEPTH, _I_CEND, _I_IN, _I_ED = range(10)


@lru_cache(maxsize=200_000)
def _info(tok: str) -> tuple[bool, bool, bool, bool, bool, bool, int, bool, bool, bool]:
    """Year, volume cue, page cue, opening quote, closing quote, one-character core,
    bracket depth change, clause end, "In", editor role word."""
    return _info_of(tok, _core(tok))


def _info_of(tok: str, core: tuple[str, ...]) -> tuple[bool, bool, bool, bool, bool, bool, int, bool, bool, bool]:
    low = tok.lower()
    stripped = tok.rstrip(".,;:")
    return (
        "YEAR" in core,
        "c=vol" in core or (tok[:1].isdigit() and "(" in tok),
        "c=page" in core or low.startswith("pp"),
        tok[:1] in "“„«" or tok.startswith("``"),
        stripped[-1:] in '”»"' or tok.endswith("''"),
        len(stripped) <= 1,
        tok.count("(") + tok.count("[") - tok.count(")") - tok.count("]"),
        _clause_end(tok),
        low in ("in", "in:", "dans", "im"),
        "c=role-ed" in core,
    )


# ---------------------------------------------------------------------------------------
# Second pass (stacking): features from the first pass's labels
# ---------------------------------------------------------------------------------------

#: Labels whose presence anywhere in the first pass's labelling is a feature of every token.
_STACK_PRESENT = ("journal", "container-title", "editor", "publisher", "volume", "pages", "location", "title")
_SEG_END = frozenset(",.;:)]")


def stack_features(
    tokens: Sequence[str],
    labels: Sequence[str],
    confidence: Sequence[float],
    second: Sequence[str | None],
) -> list[tuple[str, ...]]:
    """Features of the second CRF pass, from the first pass's labelling.

    A linear-chain CRF sees label context only through its transitions (one step); the
    second pass sees the whole first labelling, so it can use long-range label context
    ("a journal comes later", "this comma-delimited segment is mostly title").

    Args:
        tokens: The reference's tokens.
        labels: The first pass's label of each token.
        confidence: The first pass's marginal of each token's label.
        second: The runner-up label of each token whose marginal is below 0.95, else None.

    Returns:
        Per token: its first-pass label and a confidence bucket; the labels at -3..+3 and
        the two label bigrams around it; the runner-up label; the labels of the previous
        and next label run, the token's place in its run (begin, inside, end, single),
        the run's length, and how many runs have its label; the majority label of its
        punctuation-delimited segment (a token ending in ``, . ; : ) ]`` ends one) and of
        the segments before and after; boundary cues (distance to the nearest year and
        the next closing quote, clause ends before capitals, where the first year is,
        container or editor words near); which of a few labels occur anywhere; the
        number of title runs.
    """
    n = len(tokens)
    if not n:
        return []
    lab = list(labels)
    padded = ["BOS", "BOS", "BOS", *lab, "EOS", "EOS", "EOS"]
    # Label runs: what precedes and follows each, the token's place in its run.
    runs: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or lab[i] != lab[start]:
            runs.append((lab[start], start, i))
            start = i
    per_label: dict[str, int] = {}
    for y, _, _ in runs:
        per_label[y] = per_label.get(y, 0) + 1
    nruns = len(runs)
    run_feats: list[tuple[str, ...]] = [()] * n
    for k, (y, s0, e0) in enumerate(runs):
        common = (
            "prun=" + (runs[k - 1][0] if k else "BOS"),
            "nrun=" + (runs[k + 1][0] if k + 1 < nruns else "EOS"),
            _RLEN[min(e0 - s0, 6)],
            "nsame=" + str(per_label[y]),
        )
        if e0 - s0 == 1:
            run_feats[s0] = (*common, "rpos=" + y + "|S")
            continue
        run_feats[s0] = (*common, "rpos=" + y + "|B")
        inside = (*common, "rpos=" + y + "|I")
        for i in range(s0 + 1, e0 - 1):
            run_feats[i] = inside
        run_feats[e0 - 1] = (*common, "rpos=" + y + "|E")
    # Punctuation-delimited segments and their majority label (first seen wins ties).
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, t in enumerate(tokens):
        if t[-1] in _SEG_END or t.endswith(('."', ".”")):
            bounds.append((start, i + 1))
            start = i + 1
    if start < n:
        bounds.append((start, n))
    seg_lab = []
    for s0, e0 in bounds:
        counts: dict[str, int] = {}
        for i in range(s0, e0):
            counts[lab[i]] = counts.get(lab[i], 0) + 1
        seg_lab.append(max(counts, key=counts.__getitem__))
    nseg = len(bounds)
    seg_feats: list[tuple[str, ...]] = [()] * n
    for k, (s0, e0) in enumerate(bounds):
        f = ("sg0=" + seg_lab[k], "sg-1=" + (seg_lab[k - 1] if k else "BOS"), "sg+1=" + (seg_lab[k + 1] if k + 1 < nseg else "EOS"))
        for i in range(s0, e0):
            seg_feats[i] = f
    glob = [f"has={x}" for x in _STACK_PRESENT if x in per_label]
    glob.append(_NTITLE[min(per_label.get("title", 0), 3)])
    glob_t = tuple(glob)
    bnd = _boundary(tokens)
    out: list[tuple[str, ...]] = []
    for i in range(n):
        y = lab[i]
        j = i + 3
        p = confidence[i]
        f = (
            "y0=" + y,
            "y0c=" + y + ("|a" if p < 0.5 else "|b" if p < 0.8 else "|c" if p < 0.95 else "|d"),
            "y-1=" + padded[j - 1],
            "y+1=" + padded[j + 1],
            "y-2=" + padded[j - 2],
            "y+2=" + padded[j + 2],
            "y-3=" + padded[j - 3],
            "y+3=" + padded[j + 3],
            "y-1y0=" + padded[j - 1] + "|" + y,
            "y0y+1=" + y + "|" + padded[j + 1],
        )
        if second[i] is not None:
            f += ("y2nd=" + second[i],)
        out.append(f + run_feats[i] + seg_feats[i] + bnd[i] + glob_t)
    return out


_RLEN = tuple(f"rlen={k}" for k in range(7))
_NTITLE = tuple(f"ntitle={k}" for k in range(4))
_DYR = {d: f"dyr={d}" for d in range(-4, 5)}
_DQ = tuple(f"dq={k}" for k in range(5))
_FY = {(b, side): f"fy={b}|{side}" for b in ("none", "0", "1", "2", "3") for side in "ab"}
_PE_CAP = {(a, b): f"pe|cap={a}{b}" for a in (0, 1) for b in (0, 1)}
_E_NCAP = {(a, b): f"e|ncap={a}{b}" for a in (0, 1) for b in (0, 1)}


@lru_cache(maxsize=200_000)
def _is_container_cue(token: str) -> bool:
    core = _core(token)
    return "c=cont" in core or "c=role-ed" in core


def _boundary(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    """Boundary cues of the second pass: the signed distance to the nearest year token
    (-4..4), the distance to the next closing quote (0..4), previous token ends a clause
    × token capitalised, token ends a clause × next capitalised, where the first year is
    (token 0-1, 2-4, 5-8, later) × before or after it, and a container or editor word
    within 4 tokens or in the 8 before."""
    n = len(tokens)
    infos = [_info(t) for t in tokens]
    big = 1 << 30
    # Sweeps: the last year / container cue before each token, the next year / closing
    # quote / cue at or after it.
    prev_year = [-big] * n
    prev_cue = [-big] * n  # at or before i
    last_y = last_c = -big
    fy = -1
    for i in range(n):
        if infos[i][_I_YEAR]:
            last_y = i
            if fy < 0:
                fy = i
        if _is_container_cue(tokens[i]):
            last_c = i
        prev_year[i] = last_y
        prev_cue[i] = last_c
    next_year = [big] * n
    next_quote = [big] * n
    next_cue = [big] * n
    ny = nq = nc = big
    for i in range(n - 1, -1, -1):
        if infos[i][_I_YEAR]:
            ny = i
        if infos[i][_I_CLOSEQ]:
            nq = i
        if _is_container_cue(tokens[i]):
            nc = i
        next_year[i] = ny
        next_quote[i] = nq
        next_cue[i] = nc
    fb = "none" if fy < 0 else "0" if fy < 2 else "1" if fy < 5 else "2" if fy < 9 else "3"
    fy_b, fy_a = _FY[(fb, "b")], _FY[(fb, "a")]
    caps = [int(t[:1].isupper()) for t in tokens]
    out = []
    for i in range(n):
        if fy < 0:
            dyr = "dyr=none"
        else:
            back, ahead = i - prev_year[i], next_year[i] - i
            d = -back if back <= ahead else ahead  # the earlier year wins a tie
            dyr = _DYR[-4 if d < -4 else 4 if d > 4 else d]
        q = next_quote[i] - i
        f = [
            dyr,
            "dq=none" if q >= big // 2 else _DQ[min(q, 4)],
            _PE_CAP[(int(i > 0 and infos[i - 1][_I_CEND]), caps[i])],
        ]
        if i + 1 < n:
            f.append(_E_NCAP[(int(infos[i][_I_CEND]), caps[i + 1])])
        f.append(fy_b if i < fy else fy_a)
        if min(i - prev_cue[i], next_cue[i] - i) <= 4:
            f.append("cont-near")
        if i > 0 and i - 1 - prev_cue[i - 1] < 8:
            f.append("cont-before")
        out.append(tuple(f))
    return out
