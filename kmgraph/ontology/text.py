"""Text normalisation for the tagger: character folding, tokens, word stems, acronyms.

The tagger compares token sequences, never raw strings. This module turns lines of text
(and the labels of the vocabulary, through the same code) into :class:`Token` records:

* Unicode apostrophes, quotes and dashes are folded to ASCII one character for one, so
  offsets into the folded text are offsets into the original line.
* Words are runs of letters and digits, with inner apostrophes (``doesn't``); a possessive
  ``'s`` is stripped (``CAPE’s`` gives ``CAPE``). ``U.S.`` is one token, as is ``K*``.
  ``&`` is a token of its own, read as ``and``. URLs are skipped.
* A hyphen between two words joins them without a barrier (``co-production`` gives ``co``
  and ``production``, the second marked ``joined``). Other punctuation leaves a *barrier*
  before the next token: strong for ``. ! ? ;`` and ``\\``, weak for the rest (commas,
  brackets, quotes, colons, spaced dashes). The first token of a line gets a strong
  barrier unless the line continues the previous one (see :func:`tokenize_lines`).

:func:`stem` reduces a word to a matching key: lower case, UK to US spelling
(``-isation``/``-iser``/``-ise`` to ``-ization``/``-izer``/``-ize``, ``centre`` to
``center``...), the ``-ization``/``-izer``/``-ize`` family to one stem (``mobilization``,
``mobilizer``, ``mobilizing`` all give ``mobiliz``), then ``-ing``/``-ed``, plural ``-s``/
``-ies``/``-es`` and agent ``-er``/``-ers``, and a final ``-e``. It is deliberately crude:
the same function is applied to labels and text, so it only has to put inflections of one
word together without merging words the vocabulary distinguishes (the tests check the
shipped vocabulary for such collisions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from kmgraph.records import Line

__all__ = [
    "STRONG",
    "WEAK",
    "Token",
    "acronym_variants",
    "fold",
    "is_acronym",
    "org_key",
    "stem",
    "tokenize",
    "tokenize_lines",
]

WEAK = 1
"""Barrier strength of a comma, bracket, quote, colon or spaced dash before a token."""
STRONG = 2
"""Barrier strength of a sentence end (``. ! ? ;``), a backslash, a URL or a line break."""

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2212": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\u00ad": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)

# (gap, word) pairs: the punctuation and spaces before a word, and the word itself.
_PAIR_RE = re.compile(r"((?:[^\w&]|_)*)([^\W_]+(?:'[^\W_]+)*|&)")
_URL_RE = re.compile(r"""(?:https?://|www\.)[^\s<>"]+""")
_ABBR_RE = re.compile(r"(?:[^\W\d_]\.){2,}")


def _blank_urls(text: str) -> str:
    """Replace each URL by a backslash (a strong barrier) and spaces, keeping offsets."""
    return _URL_RE.sub(lambda m: "\\" + " " * (len(m.group()) - 1), text)


_STRONG_PUNCT = frozenset(".!?;\\")
_SENTENCE_END = (".", "!", "?", ":", ";")


class Token(NamedTuple):
    """One word of a line.

    Attributes:
        text: The word as written (characters folded, possessive ``'s`` stripped).
        start: Offset of the first character in the line's text.
        end: Offset after the last character in the line's text.
        line: The line number (:attr:`Line.number`).
        brk: Barrier before the token: 0 none, :data:`WEAK` or :data:`STRONG`.
        joined: True when a hyphen joins the token to the previous one (``co-production``).
        shouting: True when the token stands on a line written all in capitals.
    """

    text: str
    start: int
    end: int
    line: int
    brk: int = 0
    joined: bool = False
    shouting: bool = False

    @property
    def lower(self) -> str:
        """The word in lower case, ``&`` read as ``and`` and dots of ``U.S.`` removed."""
        return _lower(self.text)


@lru_cache(maxsize=65536)
def _lower(text: str) -> str:
    if text == "&":
        return "and"
    if "." in text:
        text = text.replace(".", "")
    return text.lower()


def fold(text: str) -> str:
    """Fold Unicode apostrophes, quotes, dashes and spaces to ASCII, keeping offsets."""
    return text.translate(_FOLD)


def _is_shouting(text: str) -> bool:
    """True for a line of three or more words without a lower-case letter."""
    if text.upper() != text:
        return False
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= 3


def tokenize(text: str, number: int = 1, *, first_brk: int = STRONG) -> list[Token]:
    """Split one line of text into tokens.

    Args:
        text: The line's text.
        number: The line number recorded on each token.
        first_brk: Barrier given to the first token (``STRONG`` for a new line, 0 when the
            line continues the previous one).

    Returns:
        The tokens in order.
    """
    folded = fold(text)
    if "http" in folded or "www." in folded:
        folded = _blank_urls(folded)
    shouting = _is_shouting(folded)
    tokens: list[Token] = []
    append = tokens.append
    brk = first_brk
    position = 0
    resume = -1  # end of an abbreviation whose letters are being skipped
    for gap, word in _PAIR_RE.findall(folded):
        start = position + len(gap)
        end = position = start + len(word)
        if start < resume:
            continue
        if resume >= 0:
            gap, resume = folded[resume:start], -1
        joined = False
        if gap and gap != " ":
            if gap == "-" and tokens:
                joined = True
            elif not gap.isspace():
                brk = max(brk, STRONG if _STRONG_PUNCT.intersection(gap) else WEAK)
        after = folded[end : end + 1]
        if after == "." and len(word) == 1:
            abbr = _ABBR_RE.match(folded, start)
            if abbr is not None and (start == 0 or not folded[start - 1].isalnum()):
                word, resume = abbr.group(), abbr.end()
        elif after == "*" and word == "K" and (start == 0 or not folded[start - 1].isalnum()):
            word, resume = "K*", end + 1
        elif len(word) > 2 and word[-2:] in ("'s", "'S"):
            word = word[:-2]
        append(Token(word, start, start + len(word), number, brk, joined, shouting))
        brk = 0
    return tokens


def _continues(previous: Line, line: Line) -> bool:
    """True when ``line`` is a soft-wrapped continuation of ``previous``."""
    before = previous.text.rstrip()
    return (
        line.number == previous.number + 1
        and bool(before)
        and bool(line.text.strip())
        and not previous.heading
        and not line.heading
        and not before.endswith(_SENTENCE_END)
    )


def tokenize_lines(lines: Iterable[Line]) -> list[Token]:
    """Tokens of a sequence of lines, as one stream.

    A line continues the previous one (no barrier between them) when it directly follows
    it, neither is blank or a heading, and the previous one does not end a sentence; this
    lets a name wrapped over two lines of a PDF still match. Otherwise a strong barrier
    separates lines.

    Args:
        lines: The lines, in document order.

    Returns:
        All tokens, in order.
    """
    tokens: list[Token] = []
    previous: Line | None = None
    for line in lines:
        first = 0 if previous is not None and _continues(previous, line) else STRONG
        tokens.extend(tokenize(line.text, line.number, first_brk=first))
        previous = line
    return tokens


_SPELLING = {
    "centre": "center",
    "centres": "centers",
    "behaviour": "behavior",
    "behaviours": "behaviors",
    "programme": "program",
    "programmes": "programs",
    "practise": "practice",
    "practised": "practiced",
    "practising": "practicing",
    "analyse": "analyze",
    "analysed": "analyzed",
    "analysing": "analyzing",
    "colour": "color",
    "favour": "favor",
    "labour": "labor",
    "licence": "license",
    "defence": "defense",
    "catalogue": "catalog",
    "enrol": "enroll",
    "fulfil": "fulfill",
    "coordinating": "coordinating",
}

_UK_ISE = re.compile(r"^(.{2,}?)is(ation|ations|ational|er|ers|ing|ed|es|e)$")
_IZE_FAMILY = re.compile(r"^(.{2,}iz)(ations?|ers?|ing|ed|es|e)$")
_DOUBLE = re.compile(r"([b-df-hj-km-np-rtv-xz])\1$")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The matching key of one word (see the module docstring).

    Examples:
        >>> stem("mobilisation") == stem("mobilizers") == stem("mobilizing")
        True
        >>> stem("brokers") == stem("broker") == stem("brokering")
        True
        >>> stem("communities") == stem("community")
        True
        >>> stem("users") == stem("use")
        False
    """
    w = _lower(word)
    w = _SPELLING.get(w, w)
    match = _UK_ISE.match(w)
    if match:
        w = f"{match.group(1)}iz{match.group(2)}"
    match = _IZE_FAMILY.match(w)
    if match:
        return match.group(1)
    # -ing / -ed
    if w.endswith("ing") and len(w) - 3 >= 4:
        w = w[:-3]
        if _DOUBLE.search(w):
            w = w[:-1]
    elif w.endswith("ed") and len(w) - 2 >= 4 and not w.endswith("eed"):
        # A participle keeps a stem of its own: "knowledge produced" is not a knowledge
        # producer ("produced" and "producer" would both give "produc").
        w = w[:-2]
        if _DOUBLE.search(w):
            w = w[:-1]
        return w + "+ed"
    # plurals and agent nouns
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ers") and len(w) - 3 >= 4:
        w = w[:-3]
    elif w.endswith("er") and len(w) - 2 >= 4:
        w = w[:-2]
    elif w.endswith(("sses", "xes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) - 1 >= 3:
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if _DOUBLE.search(w) and len(w) > 4:
        w = w[:-1]
    return w


def org_key(word: str) -> str:
    """The matching key of a word of an organisation name: lower case only."""
    return _lower(word)


_ACRONYM_SHAPE = re.compile(r"^[A-Z]{2,}[a-z]+$")


def is_acronym(label: str) -> bool:
    """True for a label matched case-sensitively: an acronym or a camel-case brand.

    A label is an acronym when it has no spaces and either two or more capitals
    (``KMb``, ``UKRI``, ``UNU-INWEH``, ``SickKids``) or a capital after the first character
    (``iKT``), or is ``K*``.
    """
    if not label or any(ch.isspace() for ch in label):
        return False
    if label == "K*":
        return True
    capitals = sum(1 for ch in label if ch.isupper())
    return capitals >= 2 or any(ch.isupper() for ch in label[1:])


def acronym_variants(label: str) -> tuple[str, ...]:
    """The forms an acronym is accepted in: as written, plus the title-case and all-caps
    forms of an acronym that ends in lower case (``KMb``: ``Kmb``, ``KMB``).

    An all-capitals acronym (``CAPE``, ``KM``) is accepted only as written, so that common
    words (``cape``, ``Cape``) never match it.
    """
    forms = [label]
    if _ACRONYM_SHAPE.match(label):
        forms += [label[0] + label[1:].lower(), label.upper()]
    return tuple(dict.fromkeys(forms))
