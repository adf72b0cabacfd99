"""Citation keys: readable, stable, unique.

A key is ``name + year + word``, lower-case ASCII (accents folded with NFKD):

- ``name``: the family name of the first author ("van der Meer, Jan" → ``vandermeer``,
  particles joined); for a name without a comma (a corporate author, or a family name
  given alone) its first significant word ("Canadian Council on Learning" → ``canadian``).
  Without authors, the first editor, then the publisher, the same way.
- ``year``: the first four-digit year of ``year`` or ``date``; "n.d." gives ``nd``; no
  year, nothing.
- ``word``: the first significant word of the title (stop words such as *a*, *the*, *on*,
  *what*, *how*, *why* are skipped); no title, nothing.

Without a name the key starts with ``anon``; with nothing at all it is ``anon`` plus six
hex digits of the SHA-1 of the raw reference string. Examples: ``levin2008thinking``,
``zarinpoush2007effective``, ``barwick2008knowledge``, ``reardon2006research``.

Collisions: the first entry takes the plain key, later ones get ``b``, ``c`` … ``z``, then
``ba``, ``bb`` … (``levin2008thinking``, ``levin2008thinkingb``). Keys compare
case-insensitively. A key, once in the store, never changes; the store passes every key it
has ever handed out (also of entries deleted since) as taken.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from bibtexparser.library import Library
from bibtexparser.middlewares import BlockMiddleware
from bibtexparser.model import Block, Entry

from kmgraph.references.bibtex import entry_fields, from_bibtex, latex_unescape

__all__ = [
    "NAME_PARTICLES",
    "STOP_WORDS",
    "KeyGenerationMiddleware",
    "ascii_fold",
    "family_name",
    "is_valid_key",
    "key_base",
    "unique_key",
]

#: Title words skipped when choosing the key's title word.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "and",
        "for",
        "to",
        "what",
        "how",
        "why",
        "is",
        "are",
        "from",
        "at",
        "by",
        "with",
        "about",
        "into",
        "as",
        "or",
        "its",
        "it",
        "this",
        "that",
        "be",
        "does",
        "we",
        "our",
        "your",
        "their",
        "le",
        "la",
        "les",
        "l",
        "de",
        "des",
        "du",
        "et",
        "un",
        "une",
    ]
)
_NO_DECOMPOSITION = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "ı": "i",
    }
)
#: Lower-case particles of family names ("van der Meer", "De la Cruz", "van't Hoff",
#: "ibn Sina"): one list for key generation and the reference-string parser. Forms with
#: an apostrophe are listed as written (``d'``, ``l'``, ``van't``).
NAME_PARTICLES: frozenset[str] = frozenset(
    [
        "al",
        "bin",
        "d'",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "des",
        "di",
        "dos",
        "du",
        "el",
        "ibn",
        "l'",
        "la",
        "le",
        "st",
        "ten",
        "ter",
        "van",
        "van't",
        "vander",
        "von",
        "y",
        "zu",
    ]
)
_KEY = re.compile(r"[^\s,{}()\"#%'=\\~]+")


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters, digits and spaces only (accents folded with NFKD)."""
    if text.isascii():  # nothing to fold (NFKD leaves ASCII as it is): most text, a hot path
        return _NOT_ALNUM.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_ALNUM.sub(" ", ascii_text).strip()


def _first_significant(text: str) -> str:
    for word in ascii_fold(text).split():
        if word not in STOP_WORDS:
            return word
    return ""


def family_name(name: str) -> str:
    """The key form of a name: family name with particles joined, or a corporate name's first word.

    Args:
        name: A JSON-contract name ("van der Meer, Jan" or "Canadian Council on Learning").

    Returns:
        Lower-case ASCII letters and digits ("vandermeer", "canadian"), maybe empty.
    """
    if "," in name:
        family = name.split(",", 1)[0]
        return "".join(ascii_fold(family).split())
    words = ascii_fold(name).split()
    if len(words) >= 2 and words[0] in NAME_PARTICLES:
        # "Von Sychowski" given alone: a family name with its particle.
        rest = list(itertools.dropwhile(lambda w: w in NAME_PARTICLES, words))
        if len(rest) == 1:
            return "".join(words)
    return _first_significant(name)


def is_valid_key(key: str | None) -> bool:
    """Whether a citation key can be written to BibTeX as is and used by LaTeX and biber.

    A valid key is printable ASCII without spaces and without ``, { } ( ) " # % ' = \\ ~``.

    Examples:
        >>> is_valid_key("phipps2009"), is_valid_key("Smith:2009-a"), is_valid_key("a b")
        (True, True, False)
    """
    return key is not None and key.isascii() and key.isprintable() and _KEY.fullmatch(key) is not None


def _year_part(fields: Mapping[str, Any]) -> str:
    year = str(fields.get("year") or fields.get("year_raw") or "").strip()
    found = re.search(r"(?<!\d)(\d{4})(?!\d)", year)
    if found:
        return found.group(1)
    if year and ascii_fold(year).replace(" ", "") == "nd":
        return "nd"
    date = str(fields.get("date") or "")
    found = re.match(r"\s*(\d{4})", date)
    return found.group(1) if found else ""


def key_base(fields: Mapping[str, Any], raw: str | None = None) -> str:
    """The key an entry would get before collisions are resolved.

    Args:
        fields: JSON-contract fields.
        raw: The raw reference string, used for the hash when nothing else is known.

    Returns:
        The key base, e.g. ``levin2008thinking``.

    Examples:
        >>> key_base({"author": ["Levin, Ben"], "year": "2008", "title": "Thinking about knowledge mobilization"})
        'levin2008thinking'
    """
    name = ""
    for names in (fields.get("author"), fields.get("editor")):
        if names:
            name = family_name(str(names[0]))
            if name:
                break
    if not name and fields.get("publisher"):
        name = _first_significant(str(fields["publisher"]))
    year = _year_part(fields)
    word = _first_significant(str(fields.get("title") or ""))
    if not name and word:
        # No person or body to name: the title's first two significant words
        # ("Closing the know-do gap" -> closing + knowdo).
        words = [w for w in ascii_fold(str(fields.get("title") or "")).split() if w not in STOP_WORDS]
        name, word = words[0], (words[1] if len(words) > 1 else "")
    if not (name or word) and fields.get("url"):
        # Only a URL: the site's name and the first significant word of its path.
        m = re.match(r"^[a-z][a-z0-9+.-]*://(?:www\d?\.)?([^/:?#]+)([^?#]*)", str(fields["url"]).strip(), re.I)
        if m:
            name = ascii_fold(m.group(1).split(".")[0]).replace(" ", "")
            word = _first_significant(re.sub(r"[/_.\-]+", " ", m.group(2)))
    if not (name or year or word):
        seed = raw if raw is not None else repr(sorted((k, str(v)) for k, v in fields.items()))
        return "anon" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:6]
    return (name or "anon") + year + word


def _suffixes() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters[1:]
    for length in itertools.count(2):
        for combo in itertools.product(letters, repeat=length):
            if combo[0] != "a":
                yield "".join(combo)


def unique_key(base: str, taken: Callable[[str], bool] | Collection[str]) -> str:
    """The first free key among ``base``, ``base + "b"``, ``base + "c"`` …

    Args:
        base: The key base.
        taken: The keys in use (compared in lower case), or a predicate on a lower-case key.

    Returns:
        A key not taken.
    """
    if callable(taken):
        is_taken = taken
    else:
        lowered = {k.lower() for k in taken}
        is_taken = lowered.__contains__
    if not is_taken(base.lower()):
        return base
    for suffix in _suffixes():
        candidate = base + suffix
        if not is_taken(candidate.lower()):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


class KeyGenerationMiddleware(BlockMiddleware):
    """Give every entry whose key is empty a key from its fields.

    The fields are read back with :func:`kmgraph.references.bibtex.from_bibtex`; keys
    already in the library and the ``taken`` keys are avoided, and each key handed out
    is added to ``taken``.

    Args:
        taken: Keys already in use (lower case); updated in place.
        raw_field: Field holding the raw reference string (for ``anon`` hashes).
    """

    def __init__(self, taken: set[str] | None = None, raw_field: str = "kmgraph-raw") -> None:
        super().__init__(allow_inplace_modification=True, allow_parallel_execution=False)
        self.taken: set[str] = taken if taken is not None else set()
        self._raw_field = raw_field

    def transform(self, library: Library) -> Library:
        self.taken.update(e.key.lower() for e in library.entries if e.key)
        return super().transform(library)

    def transform_entry(self, entry: Entry, library: Library) -> Block | Collection[Block] | None:
        if entry.key:
            return entry
        fields = entry_fields(entry)
        raw = fields.get(self._raw_field)
        base = key_base(
            from_bibtex(entry.entry_type, fields), latex_unescape(raw, verbatim=True) if raw else None
        )
        entry.key = unique_key(base, self.taken)
        self.taken.add(entry.key.lower())
        return entry
