"""Matching references against the store: identifiers first, then near-duplicates.

An incoming reference matches an existing entry, in this order:

1. ``document``: same ``kmgraph-document`` path (sources only);
2. ``doi``: same DOI, compared case-insensitively without ``https://doi.org/`` or ``doi:``;
3. ``url``: same URL, compared without scheme, ``www.``, default port, fragment and
   trailing slash, with the host in lower case;
4. ``exact``: the same raw reference string (case-folded, whitespace collapsed);
5. ``near``: a near-duplicate (:func:`near_score`): the normalised titles score at least
   :data:`NEAR_THRESHOLD` (rapidfuzz ``ratio``; ``token_set_ratio`` too when both titles
   have at least three words, so that "Thinking about knowledge mobilization" matches the
   same title with its subtitle), AND the years are compatible (a common year, or one
   side without a year; "n.d." counts as none), AND the first authors are compatible
   (same family name after folding accents, case, punctuation and initials, or both
   without authors), AND the DOIs do not differ.

Sources (``role="source"``) match sources only, and only by ``document``; works match
works only (an entry is a source when it has ``kmgraph-document``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from kmgraph.references.bibtex import (
    DOCUMENT,
    RAW,
    ROLE_SOURCE,
    ROLE_WORK,
    from_bibtex,
    latex_unescape,
)
from kmgraph.references.keys import ascii_fold

__all__ = [
    "NEAR_THRESHOLD",
    "Match",
    "MatchIndex",
    "MatchInfo",
    "bibtex_match_info",
    "first_author_key",
    "match_info",
    "near_score",
    "normalize_doi",
    "normalize_raw",
    "normalize_title",
    "normalize_url",
    "strip_doi",
    "title_score",
    "years_of",
]

#: Minimum title score (0..100) for a near-duplicate.
NEAR_THRESHOLD = 92.0

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(
    r"^(?:urn\s*:\s*)?doi\s*:\s*|^(?:https?://)?(?:dx\.|www\.)?doi\.org/\s*", re.IGNORECASE
)
_CLOSING = {")": "(", "]": "[", ">": "<", "}": "{"}


def strip_doi(text: str | None) -> str | None:
    """A bare DOI (``10.NNNN/...``) as written: resolver prefixes and trailing punctuation removed.

    Removes ``https://doi.org/``, ``http://dx.doi.org/``, ``doi.org/``, ``doi:`` and
    ``DOI:`` (with or without spaces) and ``urn:doi:``; then trailing ``. , ; :`` and
    closing brackets that have no opening one in the DOI (``(doi:10.1/x)``). The case
    stays as written (DOIs compare case-insensitively: see :func:`normalize_doi`).

    Args:
        text: A DOI as written in a reference or a field.

    Returns:
        The bare DOI, or None when what remains is not ``10.NNNN/...`` without spaces.

    Examples:
        >>> strip_doi("https://doi.org/10.1002/CHP.47.")
        '10.1002/CHP.47'
        >>> strip_doi("DOI: 10.1332/174426416X14634763278725")
        '10.1332/174426416X14634763278725'
        >>> strip_doi("chp.47") is None
        True
    """
    if not text:
        return None
    value = _DOI_PREFIX.sub("", text.strip(), count=1).strip()
    while value:
        last = value[-1]
        if last in ".,;:":
            value = value[:-1]
        elif last in _CLOSING and value.count(last) > value.count(_CLOSING[last]):
            value = value[:-1]
        else:
            break
    return value if _DOI.fullmatch(value) else None


def normalize_doi(value: str | None) -> str | None:
    """A DOI in comparable form: :func:`strip_doi`, then lower case.

    Args:
        value: A DOI as written (``10.1002/CHP.47``, ``https://doi.org/10.1002/chp.47``,
            ``doi:10.1002/chp.47``).

    Returns:
        ``10.1002/chp.47``, or None when the value holds no DOI.
    """
    bare = strip_doi(value)
    return bare.lower() if bare is not None else None


def normalize_url(value: str | None) -> str | None:
    """A URL in comparable form: no scheme, host lower case without ``www.`` and default port,
    no fragment, no trailing slash.

    Args:
        value: A URL as written.

    Returns:
        ``iwh.on.ca/tools-and-guides/x``, or None when the value is not an absolute URL.
    """
    if not value:
        return None
    text = value.strip().rstrip(".,;")
    if "://" not in text:
        if not text.lower().startswith("www."):
            return None
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    host = host.removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def normalize_title(value: str | None) -> str:
    """Lower-case ASCII words of a title (accents folded, punctuation dropped)."""
    return ascii_fold(value or "")


def normalize_raw(value: str | None) -> str:
    """A raw reference string in comparable form: NFKC, case-folded, whitespace collapsed,
    a leading list label (``1.``, ``[1]``) and trailing punctuation dropped."""
    if not value:
        return ""
    text = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    text = re.sub(r"^(?:\[\d+\]|\d+[.)])\s+", "", text)
    return text.rstrip(" .")


def first_author_key(names: Iterable[str] | None) -> str | None:
    """The first author's family name in comparable form, or None without authors.

    "Levin, B." and "Levin, Benjamin" give ``levin``; a name without a comma (corporate)
    gives all its words joined.
    """
    for name in names or ():
        name = str(name)
        family = name.split(",", 1)[0] if "," in name else name
        key = "".join(ascii_fold(family).split())
        if key:
            return key
    return None


def years_of(fields: Mapping[str, Any]) -> frozenset[str]:
    """The four-digit years in ``year`` and ``date`` ("2008, 2013" gives both)."""
    text = f"{fields.get('year') or ''} {fields.get('date') or ''}"
    return frozenset(re.findall(r"(?<!\d)(\d{4})(?!\d)", text))


def title_score(a: str, b: str) -> float:
    """Similarity (0..100) of two normalised titles.

    ``ratio`` (edits, punctuation, initials) and ``token_sort_ratio`` (the same words in
    another order); a title of three words or more that is the other one cut at a word
    boundary (its subtitle dropped) scores 95. A title whose words are merely a subset of
    another's does not count: "what is knowledge mobilization" is not "what is km:
    defining and putting knowledge mobilization into practice".
    """
    if not a or not b:
        return 0.0
    score = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))
    short, long_ = sorted((a, b), key=len)
    if len(short.split()) >= 3 and long_.startswith(short + " "):
        score = max(score, 95.0)
    return float(score)


@dataclass(frozen=True)
class MatchInfo:
    """What matching needs to know about one entry or reference.

    Attributes:
        key: The entry's key ("" for an incoming reference).
        role: ``"work"`` or ``"source"``.
        doi: Normalised DOI.
        url: Normalised URL.
        document: ``kmgraph-document`` path.
        raw: Normalised raw string.
        title: Normalised title.
        years: Four-digit years.
        author: First author key, or None without authors.
    """

    key: str
    role: str
    doi: str | None = None
    url: str | None = None
    document: str | None = None
    raw: str = ""
    title: str = ""
    years: frozenset[str] = frozenset()
    author: str | None = None


def match_info(
    key: str,
    fields: Mapping[str, Any],
    *,
    role: str | None = None,
    raw: str | None = None,
    document: str | None = None,
) -> MatchInfo:
    """Build :class:`MatchInfo` from JSON-contract fields.

    Args:
        key: The entry key ("" for an incoming reference).
        fields: JSON-contract fields.
        role: ``"work"`` or ``"source"``; by default a source when ``document`` is given.
        raw: The raw reference string.
        document: The ``kmgraph-document`` path.
    """
    if role is None:
        role = ROLE_SOURCE if document else ROLE_WORK
    return MatchInfo(
        key=key,
        role=role,
        doi=normalize_doi(fields.get("doi")),
        url=normalize_url(fields.get("url")),
        document=document or None,
        raw=normalize_raw(raw),
        title=normalize_title(fields.get("title")),
        years=years_of(fields),
        author=first_author_key(fields.get("author") or fields.get("editor")),
    )


def bibtex_match_info(key: str, entry_type: str, fields: Mapping[str, str]) -> MatchInfo:
    """Build :class:`MatchInfo` from BibTeX field values (lower-case names)."""
    plain = from_bibtex(entry_type, fields)
    raw = fields.get(RAW)
    document = fields.get(DOCUMENT)
    return match_info(
        key,
        plain,
        raw=latex_unescape(raw, verbatim=True) if raw else None,
        document=latex_unescape(document, verbatim=True).strip() if document else None,
    )


def near_score(a: MatchInfo, b: MatchInfo) -> float | None:
    """The title score when ``a`` and ``b`` are near-duplicates, else None."""
    if a.role != b.role or not a.title or not b.title:
        return None
    if a.author != b.author:
        return None
    if a.years and b.years and not (a.years & b.years):
        return None
    if a.doi and b.doi and a.doi != b.doi:
        return None
    score = title_score(a.title, b.title)
    return score if score >= NEAR_THRESHOLD else None


@dataclass(frozen=True)
class Match:
    """An entry an incoming reference matched, and how.

    Attributes:
        key: The matched key.
        matched_by: ``document``, ``doi``, ``url``, ``exact`` or ``near``.
        score: The title score for ``near``, else None.
    """

    key: str
    matched_by: str
    score: float | None = None


class MatchIndex:
    """Indexes of entries by document, DOI, URL, raw string and first author.

    Entries are added in order; on equal evidence the first one added wins, and among
    near-duplicates the best score, then the smallest key.
    """

    def __init__(self) -> None:
        self._by: dict[str, dict[str, str]] = {"document": {}, "doi": {}, "url": {}, "exact": {}}
        self._by_author: dict[tuple[str, str | None], list[MatchInfo]] = {}
        self._infos: dict[str, MatchInfo] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._infos

    def add(self, info: MatchInfo) -> None:
        """Index one entry (re-adding a key replaces its old index entries)."""
        if info.key in self._infos:
            self.remove(info.key)
        self._infos[info.key] = info
        for kind, value in self._values(info):
            self._by[kind].setdefault(f"{info.role}\0{value}", info.key)
        self._by_author.setdefault((info.role, info.author), []).append(info)

    def remove(self, key: str) -> None:
        """Forget one entry."""
        info = self._infos.pop(key, None)
        if info is None:
            return
        for kind, value in self._values(info):
            slot = f"{info.role}\0{value}"
            if self._by[kind].get(slot) == key:
                del self._by[kind][slot]
                for other in self._infos.values():  # another entry may hold the same value
                    if other.role == info.role and (kind, value) in self._values(other):
                        self._by[kind][slot] = other.key
                        break
        bucket = self._by_author.get((info.role, info.author), [])
        bucket[:] = [i for i in bucket if i.key != key]

    @staticmethod
    def _values(info: MatchInfo) -> list[tuple[str, str]]:
        values = []
        if info.role == ROLE_SOURCE:
            if info.document:
                values.append(("document", info.document))
            return values
        if info.doi:
            values.append(("doi", info.doi))
        if info.url:
            values.append(("url", info.url))
        if info.raw:
            values.append(("exact", info.raw))
        return values

    def find(self, info: MatchInfo) -> Match | None:
        """The best match for an incoming reference, or None."""
        for kind, value in self._values(info):
            key = self._by[kind].get(f"{info.role}\0{value}")
            if key is not None:
                return Match(key, kind)
        if info.role == ROLE_SOURCE:
            return None
        return self._near(info)

    def find_work(self, fields: Mapping[str, Any], raw: str | None = None) -> Match | None:
        """``find(match_info("", fields, role="work", raw=raw))``, normalising only as much
        as it takes: most references match by DOI, URL or raw string, and then their
        title, years and first author are never needed."""
        doi = normalize_doi(fields.get("doi"))
        url = normalize_url(fields.get("url"))
        text = normalize_raw(raw)
        for kind, value in (("doi", doi), ("url", url), ("exact", text)):
            if value:
                key = self._by[kind].get(f"{ROLE_WORK}\0{value}")
                if key is not None:
                    return Match(key, kind)
        info = MatchInfo(
            key="",
            role=ROLE_WORK,
            doi=doi,
            url=url,
            raw=text,
            title=normalize_title(fields.get("title")),
            years=years_of(fields),
            author=first_author_key(fields.get("author") or fields.get("editor")),
        )
        return self._near(info)

    def _near(self, info: MatchInfo) -> Match | None:
        best: tuple[float, str] | None = None
        for other in self._by_author.get((info.role, info.author), []):
            score = near_score(info, other)
            if score is not None and (best is None or (-score, other.key) < (-best[0], best[1])):
                best = (score, other.key)
        if best is None:
            return None
        return Match(best[1], "near", best[0])
