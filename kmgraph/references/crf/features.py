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
  reference-level style detectors (numbered label, author-date, quoted title, Vancouver)
  were tried and removed: they lowered 5-fold CV (docs/refparse.md);
- a window of two neighbours on each side (a subset of their features, prefixed with
  the offset).

Speed: the per-token parts are pure functions of the token string and are cached with
:func:`functools.lru_cache`, so a reference costs little more than list concatenation.
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


def lexicon_key(token: str) -> str:
    """The lower-cased, punctuation-stripped form used for dictionary lookups."""
    return token.strip(_PUNCT_STRIP).lower()


def _shape(token: str) -> str:
    out = []
    for c in token:
        if c.isupper():
            out.append("X")
        elif c.islower():
            out.append("x")
        elif c.isdigit():
            out.append("d")
        else:
            out.append(c)
    return "".join(out)


def _short_shape(shape: str) -> str:
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
    key = lexicon_key(token)
    shape = _short_shape(_shape(token))
    feats = [f"k={key}", f"ss={shape}", f"e={_char_class(token[-1])}"]
    if token[0] in _OPENERS:
        feats.append(f"o={token[0]}")
    if _RE_YEAR.search(token) and not _RE_PAGE_RANGE.match(token):
        feats.append("YEAR")
    if _RE_INITIAL.match(token):
        feats.append("INI")
    cls = _word_class(key)
    if cls:
        feats.append(f"c={cls}")
    if _RE_URL.search(token):
        feats.append("URL")
    if _RE_DOI.search(token) or key.startswith("doi"):
        feats.append("DOI")
    return tuple(feats)


def _word_class(key: str) -> str:
    base = key.rstrip(".")
    if base in _MONTHS:
        return "month"
    if base in _ROLE_EDITOR:
        return "role-ed"
    if base in _ROLE_TRANS:
        return "role-tr"
    if base in _VOLUME_WORDS:
        return "vol"
    if base in _PAGE_WORDS:
        return "page"
    if base in _LOCATOR_WORDS:
        return "loc"
    if base in _GENRE_WORDS:
        return "genre"
    if base in _CONTAINER_WORDS:
        return "cont"
    if base in _JOURNAL_CUES:
        return "jour"
    if base in _ORG_WORDS:
        return "org"
    if base in _PARTICLES:
        return "part"
    if base in _STOP:
        return "stop"
    return ""


@lru_cache(maxsize=200_000)
def token_features(token: str) -> tuple[str, ...]:
    """The features of one token that depend on the token string alone.

    Example:
        >>> "YEAR" in token_features("(2011).") and "paren" in token_features("(2011).")
        True
    """
    key = lexicon_key(token)
    low = token.lower()
    shape = _shape(token)
    feats = list(_core(token))
    feats.append(f"w={token}")
    feats.append(f"lw={low}")
    feats.append(f"sh={shape if len(shape) <= 8 else shape[:4] + '~' + shape[-4:]}")
    for n in (1, 2, 3, 4):
        if len(key) >= n:
            feats.append(f"p{n}={key[:n]}")
            feats.append(f"s{n}={key[-n:]}")
    if len(token) == 1:
        feats.append("single")
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
        if _RE_PAGE_RANGE.match(token):
            feats.append("PAGES")
        if _RE_VOL_ISSUE.match(token):
            feats.append("VOLISS")
        if _RE_VOL_ISSUE_PAGES.match(token):
            feats.append("VOLISSPG")
        if _RE_ORDINAL.match(token):
            feats.append("ORD")
        if _RE_ISBN.match(token.replace("ISBN", "")):
            feats.append("ISBN")
        if _RE_DATEISH.match(token):
            feats.append("DATEISH")
        if "(" in token and _RE_YEAR.search(token):
            feats.append("paren")
    elif _RE_ROMAN.match(key) and key:
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


@lru_cache(maxsize=400_000)
def _window(token: str, offset: int) -> tuple[str, ...]:
    p = f"{offset}:"
    return tuple(p + f for f in _core(token))


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
            makes tagging about twice as fast. None keeps every feature (training).
    """

    def __init__(self, lexicon: Lexicon, known: frozenset[str] | None = None) -> None:
        self.lexicon = lexicon
        self.known = known
        self._static: dict[str, tuple[str, ...]] = {}
        self._win: dict[tuple[str, int], tuple[str, ...]] = {}
        self._ctx: dict[tuple, tuple[str, ...]] = {}

    def _keep(self, feats: Iterable[str]) -> tuple[str, ...]:
        known = self.known
        return tuple(feats) if known is None else tuple(f for f in feats if f in known)

    def _lex_feats(self, lex: tuple[str, ...], prefix: str) -> list[str]:
        return [prefix + d for d in lex if d.startswith("dom=")]

    def _static_of(self, token: str, lex: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if lex is None:
            got = self._static.get(token)
            if got is not None:
                return got
            lx = self.lexicon.classes(lexicon_key(token))
        else:
            lx = lex
        out = self._keep(["bias", *token_features(token), *lx, *self._lex_feats(lx, "0:")])
        if lex is None and len(self._static) < 300_000:
            self._static[token] = out
        return out

    def _win_of(self, token: str, offset: int, lex: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if lex is None:
            got = self._win.get((token, offset))
            if got is not None:
                return got
            lx = self.lexicon.classes(lexicon_key(token))
        else:
            lx = lex
        feats = list(_window(token, offset))
        if offset in (-1, 1):
            feats.extend(self._lex_feats(lx, f"{offset}:"))
        out = self._keep(feats)
        if lex is None and len(self._win) < 600_000:
            self._win[(token, offset)] = out
        return out

    def _ctx_of(self, key: tuple) -> tuple[str, ...]:
        got = self._ctx.get(key)
        if got is not None:
            return got
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

    def sequence(self, tokens: Sequence[str], own: Sequence[tuple[str, str]] | None = None) -> list[list[str]]:
        """The feature lists of every token of one reference.

        Args:
            tokens: The reference's tokens (:func:`tokenize`).
            own: When training, the reference's own labelled tokens: their counts are
                taken out of the lexicon for this reference (leave-one-out), so that
                the model does not learn to trust dictionaries more than they deserve.
        """
        n = len(tokens)
        if n == 0:
            return []
        lex: list[tuple[str, ...] | None]
        if own is not None:
            mine = _lexicon_entries(own)
            ncat = len(_CATS)
            lex = []
            for t in tokens:
                key = lexicon_key(t)
                minus = [mine.get((key, c), 0) for c in range(ncat)]
                lex.append(self.lexicon.classes(key, minus))
        else:
            lex = [None] * n
        cores = [_core(t) for t in tokens]

        first_year = -1
        for i, c in enumerate(cores):
            if "YEAR" in c:
                first_year = i
                break
        lows = [t.lower() for t in tokens]

        # Look-ahead: is a volume(issue) or a "pp." page range still to come?
        vol_ahead = [False] * n
        pp_ahead = [False] * n
        v = p = False
        for i in range(n - 1, -1, -1):
            vol_ahead[i] = v
            pp_ahead[i] = p
            c = cores[i]
            low = lows[i]
            if "c=vol" in c or (tokens[i][:1].isdigit() and "(" in tokens[i]):
                v = True
            if "c=page" in c or low.startswith("pp"):
                p = True

        static = [self._static_of(t, lex[i]) for i, t in enumerate(tokens)]
        feats: list[list[str]] = []
        in_q = False
        depth = 0
        clause = 0
        after_in = after_eds = False
        prev_end = False
        for i, tok in enumerate(tokens):
            f = list(static[i])
            if i >= 1:
                f.extend(self._win_of(tokens[i - 1], -1, lex[i - 1]))
                if i >= 2:
                    f.extend(self._win_of(tokens[i - 2], -2, lex[i - 2]))
            else:
                f.append("BOS")
            if i + 1 < n:
                f.extend(self._win_of(tokens[i + 1], 1, lex[i + 1]))
                if i + 2 < n:
                    f.extend(self._win_of(tokens[i + 2], 2, lex[i + 2]))
            else:
                f.append("EOS")
            yr = "none" if first_year < 0 else ("before" if i < first_year else "at" if i == first_year else "after")
            f.extend(
                self._ctx_of(
                    (
                        i * _N_BINS // n,
                        in_q,
                        depth > 0,
                        min(clause, 6),
                        yr,
                        prev_end,
                        after_in,
                        after_eds,
                        vol_ahead[i],
                        pp_ahead[i],
                    )
                )
            )
            feats.append(f)
            # Update the state after the token.
            opens_q = tok[:1] in "“„«" or tok.startswith("``") or (tok[:1] == '"' and not in_q)
            if opens_q:
                in_q = True
            stripped = tok.rstrip(".,;:")
            if in_q and (stripped[-1:] in '”»"' or tok.endswith("''")) and not (opens_q and len(stripped) <= 1):
                in_q = False
            depth += tok.count("(") + tok.count("[") - tok.count(")") - tok.count("]")
            depth = max(depth, 0)
            prev_end = _clause_end(tok)
            if prev_end:
                clause += 1
            low = lows[i]
            if low in ("in", "in:", "dans", "im"):
                after_in = True
            if "c=role-ed" in cores[i]:
                after_eds = True
        return feats
