"""Find the KM concepts and the registered organisations a document mentions.

:class:`Tagger` compiles every label of a :class:`~kmgraph.ontology.vocabulary.Vocabulary`
once into token patterns, indexed by their first token, and scans a document's tokens
left to right, taking the longest pattern that matches at each position ("integrated
knowledge translation" is one mention, not also one of "knowledge translation").

Concept labels match on word stems (:func:`~kmgraph.ontology.text.stem`), so case,
UK/US spelling, plurals, ``-ing``/``-ed`` forms and agent nouns do not matter
("knowledge brokers" is a mention of *knowledge brokering*). Hyphenated labels also match
written with a space or run together ("co-production", "co production", "coproduction").
A hidden label may contain ``…``, which stands for 0 to 3 arbitrary words: "divide
between … research and practice" matches "divide between education research and
practice". Such a pattern may run over commas and dashes but not over a sentence end.

Organisation names match case-insensitively, word for word, with "The" optional, "&"
read as "and", hyphens as spaces and a possessive "'s" ignored.

Acronyms and camel-case names (any label without spaces that has two capitals or a
capital after its first letter: KMb, UKRI, CAPE, iKT, YouthREX) match case-sensitively,
as whole words; one that ends in lower case also matches title case and capitals
("Kmb", "KMB"). The same goes for an organisation name of one word ("Mitacs"). Acronyms
are not matched on lines written all in capitals.

Ambiguous acronyms (``kmg:ambiguousLabel``, e.g. KM for knowledge mobilization and
knowledge management) are resolved per document: a definition "Long Form (ACR)" or
"ACR (Long Form)" anywhere in the document decides; failing that, the candidate whose
other labels occur most often in the document wins; failing that (none or a tie), the
acronym is not tagged.

Example:
    >>> from kmgraph.ontology import Tagger, load_vocabulary
    >>> from kmgraph.records import Line
    >>> tagger = Tagger(load_vocabulary())
    >>> lines = [Line("Knowledge Mobilization (KM) at UKRI: KM and knowledge brokers.", 1)]
    >>> [(h.label, h.count) for h in tagger.concepts(lines)]
    [('knowledge mobilization', 3), ('knowledge brokering', 1)]
    >>> [h.name for h in tagger.organisations(lines)]
    ['UK Research and Innovation']
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kmgraph.ontology.text import (
    STRONG,
    Token,
    acronym_variants,
    fold,
    is_acronym,
    org_key,
    stem,
    tokenize,
    tokenize_lines,
)
from kmgraph.ontology.vocabulary import Vocabulary, load_vocabulary
from kmgraph.records import ConceptHit, Line, OrganisationCandidate, OrganisationHit

__all__ = ["WILDCARD_WORDS", "Tagger", "text_lines"]

WILDCARD_WORDS = 3
"""How many arbitrary words ``…`` in a hidden label stands for, at most."""

_ELLIPSIS = "…"
_EXACT, _STEM, _ORG = "a", "s", "o"
_WILD = ("*", "")
_PRIORITY = {"pref": 0, "alt": 1, "ambiguous": 1, "hidden": 2}

# Organisation-looking names for candidates.
_SUFFIX_WORDS = frozenset(
    {
        "University",
        "Foundation",
        "Council",
        "Agency",
        "Network",
        "Association",
        "Institute",
        "Centre",
        "Center",
        "Trust",
        "Commission",
        "Society",
        "Alliance",
        "Consortium",
    }
)
_PREFIX_WORDS = frozenset({"Institute", "Centre", "Center", "University", "Ministry", "Department", "Office"})
_PREFIX_LINKS = frozenset({"of", "for", "on"})
_CONNECTORS = frozenset({"of", "for", "and", "&", "on", "in", "the", "de", "du", "des", "la"})
_LEADING_NOISE = frozenset(
    {
        "The",
        "A",
        "An",
        "At",
        "In",
        "On",
        "By",
        "For",
        "From",
        "With",
        "Using",
        "Our",
        "We",
        "This",
        "That",
        "These",
        "Those",
        "Its",
        "Their",
        "Watch",
        "Join",
        "See",
        "About",
        "And",
        "Or",
        "But",
        "If",
        "When",
        "While",
        "As",
        "To",
        "Of",
        "Via",
        "Through",
        "Visit",
        "Contact",
        "Both",
        "Each",
        "Every",
        "All",
        "Some",
        "Many",
        "New",
        "Dear",
        "Funded",
        "Supported",
    }
)
_PATH_CHARS = ("\\", "/")


@dataclass(frozen=True)
class _Pattern:
    """One compiled label: a sequence of (mode, key) elements, ``_WILD`` for ``…``."""

    elements: tuple[tuple[str, str], ...]
    barriers: tuple[bool, ...]
    target: str | tuple[str, ...]
    kind: str
    label: str
    wild: bool = False

    @property
    def priority(self) -> int:
        return _PRIORITY[self.kind]


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    pattern: _Pattern


class _Node:
    """A node of the token trie: children by ``(mode, key, weak barrier allowed)``."""

    __slots__ = ("children", "pattern")

    def __init__(self) -> None:
        self.children: dict[tuple[str, str, bool], _Node] = {}
        self.pattern: _Pattern | None = None


def _better(new: _Pattern, old: _Pattern | None) -> bool:
    return old is None or (new.priority, str(new.target)) < (
        old.priority,
        str(old.target),
    )


@dataclass
class _Matcher:
    """Compiled patterns: a trie over tokens, plus the few ``…`` patterns by first key.

    At each position the longest match wins; between equally long ones, the better label
    kind (preferred, then alternative, then hidden).
    """

    root: _Node = field(default_factory=_Node)
    wild: dict[tuple[str, str], list[_Pattern]] = field(default_factory=dict)
    collisions: list[tuple[str, str, str]] = field(default_factory=list)
    _seen: dict[tuple, _Pattern] = field(default_factory=dict)

    def add(self, pattern: _Pattern) -> None:
        signature = pattern.elements
        known = self._seen.get(signature)
        if known is not None and known.target != pattern.target:
            self.collisions.append((pattern.label, str(known.target), str(pattern.target)))
        if not _better(pattern, known):
            return
        self._seen[signature] = pattern
        if pattern.wild:
            bucket = self.wild.setdefault(signature[0], [])
            if known is not None:
                bucket.remove(known)
            bucket.append(pattern)
            return
        node = self.root
        for k, (mode, key) in enumerate(signature):
            edge = (mode, key, bool(k and pattern.barriers[k]))
            node = node.children.setdefault(edge, _Node())
        node.pattern = pattern

    def freeze(self) -> None:
        for patterns in self.wild.values():
            patterns.sort(key=lambda p: (-len(p.elements), p.priority, str(p.target)))

    def scan(self, stream: _Stream) -> list[_Match]:
        matches: list[_Match] = []
        n = len(stream)
        modes = stream.modes
        keys = [stream.key_of[mode] for mode in modes]
        brks = stream.brk
        shouting = stream.shouting
        root_children = self.root.children
        first_keys = {
            mode: {key for (m, key, _), _node in root_children.items() if m == mode}
            | {key for (m, key) in self.wild if m == mode}
            for mode in modes
        }
        columns = [(mode, column, first_keys[mode]) for mode, column in zip(modes, keys, strict=True)]
        i = 0
        while i < n:
            if not any(column[i] in firsts for _, column, firsts in columns):
                i += 1
                continue
            best_end, best = -1, None
            stack: list[tuple[_Node, int]] = []
            for mode, column in zip(modes, keys, strict=True):
                if mode == _EXACT and shouting[i]:
                    continue
                child = root_children.get((mode, column[i], False))
                if child is not None:
                    stack.append((child, i + 1))
            while stack:
                node, j = stack.pop()
                if node.pattern is not None and (j > best_end or (j == best_end and _better(node.pattern, best))):
                    best_end, best = j, node.pattern
                if j >= n or not node.children:
                    continue
                brk = brks[j]
                if brk >= STRONG:
                    continue
                children = node.children
                for mode, column in zip(modes, keys, strict=True):
                    if mode == _EXACT and shouting[j]:
                        continue
                    key = column[j]
                    child = children.get((mode, key, True))
                    if child is not None:
                        stack.append((child, j + 1))
                    if brk == 0:
                        child = children.get((mode, key, False))
                        if child is not None:
                            stack.append((child, j + 1))
            if self.wild:
                for mode, column in zip(modes, keys, strict=True):
                    for pattern in self.wild.get((mode, column[i]), ()):
                        end = _match_at(pattern, stream, i)
                        if end is not None and (end > best_end or (end == best_end and _better(pattern, best))):
                            best_end, best = end, pattern
            if best is None:
                i += 1
            else:
                matches.append(_Match(i, best_end, best))
                i = best_end
        return matches


class _Stream:
    """The tokens of a document with their matching keys, optionally without "the"."""

    def __init__(self, tokens: Sequence[Token], modes: tuple[str, ...], drop_the: bool = False):
        self.source: list[int] = []
        self.tokens: list[Token] = []
        self.brk: list[int] = []
        carry = 0
        for index, token in enumerate(tokens):
            if drop_the and token.lower == "the":
                carry = max(carry, token.brk)
                continue
            self.source.append(index)
            self.tokens.append(token)
            self.brk.append(max(carry, token.brk))
            carry = 0
        self.modes = modes
        self.shouting = [t.shouting for t in self.tokens]
        self.key_of = {
            _EXACT: [t.text for t in self.tokens],
            _STEM: [stem(t.text) for t in self.tokens] if _STEM in modes else [],
            _ORG: [org_key(t.text) for t in self.tokens] if _ORG in modes else [],
        }

    def __len__(self) -> int:
        return len(self.tokens)

    def keys(self, i: int) -> list[tuple[str, str]]:
        return [(mode, self.key_of[mode][i]) for mode in self.modes]

    def key(self, mode: str, i: int) -> str:
        return self.key_of[mode][i]


def _match_at(pattern: _Pattern, stream: _Stream, i: int) -> int | None:
    """End (exclusive) of ``pattern`` matched at stream position ``i``, or None."""
    elements = pattern.elements
    n = len(stream)

    def token_ok(k: int, j: int) -> bool:
        mode, key = elements[k]
        if stream.key(mode, j) != key:
            return False
        if mode == _EXACT and stream.tokens[j].shouting:
            return False
        if k == 0:
            return True
        brk = stream.brk[j]
        if brk >= STRONG:
            return False
        return brk == 0 or pattern.wild or pattern.barriers[k]

    def walk(k: int, j: int) -> int | None:
        while k < len(elements):
            if elements[k] == _WILD:
                for skip in range(WILDCARD_WORDS + 1):
                    if j + skip > n:
                        return None
                    if skip and stream.brk[j + skip - 1] >= STRONG:
                        return None
                    end = walk(k + 1, j + skip)
                    if end is not None:
                        return end
                return None
            if j >= n or not token_ok(k, j):
                return None
            k += 1
            j += 1
        return j

    return walk(0, i)


def _label_tokens(label: str) -> list[list[Token]]:
    """Tokens of each part of a label split at ``…`` (one part when there is none)."""
    return [tokenize(part.strip(), 0, first_brk=0) for part in label.split(_ELLIPSIS)]


def _compile(
    label: str,
    target: str | tuple[str, ...],
    kind: str,
    mode: str,
    drop_the: bool = False,
) -> list[_Pattern]:
    """The patterns of one label: its acronym forms, or its word forms with the joined
    variants of hyphenated words."""
    if is_acronym(label):
        patterns = []
        for form in acronym_variants(label):
            tokens = tokenize(form, 0, first_brk=0)
            if not tokens:
                continue
            elements = tuple((_EXACT, t.text) for t in tokens)
            patterns.append(_Pattern(elements, (False,) * len(elements), target, kind, label))
        return patterns
    parts = _label_tokens(label)
    if drop_the:
        parts = [[t for t in part if t.lower != "the"] for part in parts]
    if not any(parts) or not parts[0]:
        return []
    wild = len(parts) > 1
    if mode == _ORG and not wild and len(parts[0]) == 1:
        # A one-word organisation name is matched as written, like an acronym.
        return _compile_exact(parts[0][0].text, target, kind, label)
    keyfn = stem if mode == _STEM else org_key
    per_part_variants = []
    for part in parts:
        # Each hyphen join may be kept (two words) or closed up (one word).
        joins = [k for k, t in enumerate(part) if t.joined and k > 0]
        variants = []
        for closed in itertools.product((False, True), repeat=min(len(joins), 4)):
            merged: list[tuple[str, bool]] = []
            for k, token in enumerate(part):
                close = k in joins[:4] and closed[joins.index(k)]
                if close and merged:
                    merged[-1] = (merged[-1][0] + token.text, merged[-1][1])
                else:
                    merged.append((token.text, token.brk > 0))
            variants.append(merged)
        per_part_variants.append(variants)
    patterns = []
    for combo in itertools.product(*per_part_variants):
        elements: list[tuple[str, str]] = []
        barriers: list[bool] = []
        for p, part in enumerate(combo):
            if p:
                elements.append(_WILD)
                barriers.append(True)
            for text, brk in part:
                elements.append((mode, keyfn(text)))
                barriers.append(brk)
        patterns.append(_Pattern(tuple(elements), tuple(barriers), target, kind, label, wild))
    return patterns


def _split_run(run: list[Token]) -> list[list[Token]]:
    """Split a run of capitalised words into name-sized pieces.

    A run breaks at "and the" and at "and"/"&" right after a word that ends an
    organisation name ("... Council and the Institute of ...", "... Foundation and ...");
    each piece loses trailing connectors and leading sentence words ("Using", "The").
    """
    pieces: list[list[Token]] = [[]]
    for k, token in enumerate(run):
        following = run[k + 1].text if k + 1 < len(run) else ""
        if token.text in ("and", "&") and (
            following in ("the", "The") or (pieces[-1] and pieces[-1][-1].text in _SUFFIX_WORDS)
        ):
            pieces.append([])
            continue
        pieces[-1].append(token)
    cleaned = []
    for piece in pieces:
        while piece and piece[-1].text in _CONNECTORS:
            piece.pop()
        while piece and (piece[0].text in _LEADING_NOISE or piece[0].text in _CONNECTORS):
            piece.pop(0)
        if piece:
            cleaned.append(piece)
    return cleaned


def _compile_exact(word: str, target: str | tuple[str, ...], kind: str, label: str) -> list[_Pattern]:
    return [_Pattern(((_EXACT, word),), (False,), target, kind, label)]


@lru_cache(maxsize=8)
def _document_tokens(lines: tuple[Line, ...]) -> tuple[Token, ...]:
    """Tokens of a document, cached so that concepts, organisations and candidates of
    the same lines tokenise them once."""
    return tuple(tokenize_lines(lines))


def text_lines(text: str, start: int = 1) -> list[Line]:
    """Split a text into :class:`~kmgraph.records.Line` records numbered from ``start``."""
    return [Line(line, number) for number, line in enumerate(text.splitlines(), start)]


class Tagger:
    """Tags documents with the concepts and organisations of a vocabulary.

    Build one per vocabulary and reuse it: construction compiles every label; tagging a
    document is a single left-to-right scan of its tokens.

    Args:
        vocabulary: The concepts and organisations to find; defaults to the shipped
            ontology (:func:`~kmgraph.ontology.load_vocabulary`).

    Attributes:
        vocabulary: The vocabulary used.
        collisions: Labels of different concepts or organisations that normalise to the
            same pattern, as ``(label, kept target, dropped target)``; empty for a clean
            vocabulary.
    """

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self._concepts = _Matcher()
        self._organisations = _Matcher()
        self._build_concepts()
        self._build_organisations()
        self.collisions = [*self._concepts.collisions, *self._organisations.collisions]

    # -- building -----------------------------------------------------------------------

    def _build_concepts(self) -> None:
        ambiguous: dict[str, set[str]] = defaultdict(set)
        for concept in self.vocabulary.concepts:
            for label in concept.ambiguous_labels:
                ambiguous[label].add(concept.id)
        for concept in self.vocabulary.concepts:
            for label in concept.alt_labels:
                if label in ambiguous:
                    ambiguous[label].add(concept.id)
        for label, ids in sorted(ambiguous.items()):
            for pattern in _compile(label, tuple(sorted(ids)), "ambiguous", _STEM):
                self._concepts.add(pattern)
        for concept in self.vocabulary.concepts:
            labelled = [("pref", concept.pref_label)]
            labelled += [("alt", label) for label in concept.alt_labels]
            labelled += [("hidden", label) for label in concept.hidden_labels]
            for kind, label in labelled:
                if label in ambiguous:
                    continue
                for pattern in _compile(label, concept.id, kind, _STEM):
                    self._concepts.add(pattern)
        self._concepts.freeze()

    def _build_organisations(self) -> None:
        for organisation in self.vocabulary.organisations:
            labelled = [("pref", organisation.name)]
            labelled += [("alt", label) for label in (*organisation.acronyms, *organisation.aliases)]
            for kind, label in labelled:
                for pattern in _compile(label, organisation.id, kind, _ORG, drop_the=True):
                    self._organisations.add(pattern)
        self._organisations.freeze()

    # -- concepts -----------------------------------------------------------------------

    def concepts(self, lines: Iterable[Line]) -> list[ConceptHit]:
        """The concepts a document mentions.

        Args:
            lines: The document's readable lines.

        Returns:
            One hit per concept, sorted by count (descending), then label.
        """
        lines = tuple(lines)
        texts = {line.number: fold(line.text) for line in lines}
        stream = _Stream(_document_tokens(lines), (_STEM, _EXACT))
        matches = self._concepts.scan(stream)
        counts: dict[str, list[int]] = defaultdict(list)
        for match in matches:
            if isinstance(match.pattern.target, str):
                counts[match.pattern.target].append(stream.tokens[match.start].line)
        bindings = self._definitions(matches, stream, texts)
        for match in matches:
            target = match.pattern.target
            if isinstance(target, str):
                continue
            chosen = bindings.get(match.pattern.label) or self._by_context(target, counts)
            if chosen is not None:
                counts.setdefault(chosen, []).append(stream.tokens[match.start].line)
        hits = []
        for cid, found in counts.items():
            if not found:
                continue
            concept = self.vocabulary.concept(cid)
            hits.append(ConceptHit(cid, concept.pref_label, len(found), tuple(sorted(set(found)))))
        return sorted(hits, key=lambda h: (-h.count, h.label))

    @staticmethod
    def _definitions(matches: list[_Match], stream: _Stream, texts: dict[int, str]) -> dict[str, str]:
        """Acronyms a document defines: "Long Form (ACR)" or "ACR (Long Form)"."""

        def opens(token: Token) -> bool:
            return texts[token.line][: token.start].rstrip().endswith("(")

        def closes(token: Token) -> bool:
            return texts[token.line][token.end :].lstrip().startswith(")")

        bindings: dict[str, str] = {}
        for k, match in enumerate(matches):
            target = match.pattern.target
            if isinstance(target, str) or match.pattern.label in bindings:
                continue
            first, last = stream.tokens[match.start], stream.tokens[match.end - 1]
            before = matches[k - 1] if k else None
            after = matches[k + 1] if k + 1 < len(matches) else None
            if (
                before is not None
                and before.end == match.start
                and before.pattern.target in target
                and opens(first)
                and closes(last)
            ):
                bindings[match.pattern.label] = str(before.pattern.target)
            elif (
                after is not None
                and after.start == match.end
                and after.pattern.target in target
                and opens(stream.tokens[after.start])
                and closes(stream.tokens[after.end - 1])
            ):
                bindings[match.pattern.label] = str(after.pattern.target)
        return bindings

    @staticmethod
    def _by_context(candidates: tuple[str, ...], counts: dict[str, list[int]]) -> str | None:
        """The candidate whose other labels occur most in the document, if unique."""
        scored = sorted(((len(counts.get(c, ())), c) for c in candidates), reverse=True)
        if not scored or scored[0][0] == 0:
            return None
        if len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None
        return scored[0][1]

    # -- organisations ------------------------------------------------------------------

    def _organisation_matches(self, lines: tuple[Line, ...]) -> tuple[Sequence[Token], _Stream, list[_Match]]:
        tokens = _document_tokens(lines)
        stream = _Stream(tokens, (_ORG, _EXACT), drop_the=True)
        return tokens, stream, self._organisations.scan(stream)

    @staticmethod
    def _span(tokens: Sequence[Token], stream: _Stream, match: _Match) -> tuple[int, int]:
        """Indices (into ``tokens``) of a match's first and last token.

        A capitalised "The" just before the match is part of the name ("The Hospital for
        Sick Children"); a lower-case "the" is an article and is left out.
        """
        first = stream.source[match.start]
        last = stream.source[match.end - 1]
        if first > 0:
            previous = tokens[first - 1]
            if previous.text == "The" and previous.line == tokens[first].line and tokens[first].brk == 0:
                first -= 1
        return first, last

    def organisations(self, lines: Iterable[Line]) -> list[OrganisationHit]:
        """The registered organisations a document mentions.

        Args:
            lines: The document's readable lines.

        Returns:
            One hit per organisation, sorted by count (descending), then name; ``surface``
            lists the forms as written, in order of first appearance.
        """
        lines = tuple(lines)
        texts = {line.number: line.text for line in lines}
        tokens, stream, matches = self._organisation_matches(lines)
        found: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for match in matches:
            first, last = self._span(tokens, stream, match)
            start, end = tokens[first], tokens[last]
            if start.line == end.line:
                surface = texts[start.line][start.start : end.end]
            else:
                surface = f"{texts[start.line][start.start :].strip()} {texts[end.line][: end.end].strip()}"
            found[str(match.pattern.target)].append((start.line, surface))
        hits = []
        for oid, mentions in found.items():
            organisation = self.vocabulary.organisation(oid)
            hits.append(
                OrganisationHit(
                    id=oid,
                    name=organisation.name,
                    count=len(mentions),
                    lines=tuple(sorted({line for line, _ in mentions})),
                    surface=tuple(dict.fromkeys(surface for _, surface in mentions)),
                )
            )
        return sorted(hits, key=lambda h: (-h.count, h.name))

    def organisation_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where one text names registered organisations, for readers of phrases
        (:mod:`kmgraph.ontology.funding`): the same matching as :meth:`organisations`.

        Args:
            text: One line or paragraph.

        Returns:
            ``(start, end, register id)`` per name, character offsets into ``text``, in order.

        >>> Tagger().organisation_spans("funded by SSHRC, Mitacs and CIHR")
        [(10, 15, 'sshrc'), (17, 23, 'mitacs'), (28, 32, 'cihr')]
        """
        lines = (Line(text, 1),)
        tokens, stream, matches = self._organisation_matches(lines)
        spans = []
        for match in matches:
            first, last = self._span(tokens, stream, match)
            spans.append((tokens[first].start, tokens[last].end, str(match.pattern.target)))
        return spans

    def organisation_candidates(
        self, lines: Iterable[Line], hits: Iterable[OrganisationHit] = ()
    ) -> list[OrganisationCandidate]:
        """Names that look like organisations but are not in the register.

        A candidate is a run of capitalised words on one line (joined by "of", "for",
        "and", "&", "on", "in", "the") that ends in a word such as University, Foundation,
        Council, Agency, Network, Association, Institute or Centre, or contains "Institute
        for/of", "Centre for", "University of", "Ministry of", "Department of" or "Office
        of" followed by a capitalised word. Leading sentence words ("Using", "The") are
        dropped. Registered names (and the surfaces of ``hits``) are never candidates,
        nor is a name inside a file path (next to a slash or backslash).

        Args:
            lines: The document's readable lines.
            hits: Organisation hits already found; their surfaces are excluded as well.

        Returns:
            Candidates in order of first appearance, with the number of occurrences.
        """
        lines = tuple(lines)
        texts = {line.number: fold(line.text) for line in lines}
        tokens, stream, matches = self._organisation_matches(lines)
        masked: set[int] = set()
        for match in matches:
            first, last = self._span(tokens, stream, match)
            masked.update(range(first, last + 1))
        blocked: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for hit in hits:
            for line in hit.lines:
                text = texts.get(line, "")
                for surface in hit.surface:
                    for found in re.finditer(re.escape(fold(surface)), text):
                        blocked[line].append(found.span())
        for index, token in enumerate(tokens):
            if any(s < token.end and token.start < e for s, e in blocked.get(token.line, ())):
                masked.add(index)

        found: dict[str, OrganisationCandidate] = {}
        order: list[str] = []
        i = 0
        while i < len(tokens):
            if i in masked or not tokens[i].text[:1].isupper():
                i += 1
                continue
            j = i + 1
            while (
                j < len(tokens)
                and j not in masked
                and tokens[j].line == tokens[i].line
                and tokens[j].brk == 0
                and (tokens[j].text[:1].isupper() or tokens[j].text in _CONNECTORS)
            ):
                j += 1
            for run in _split_run(tokens[i:j]):
                name = self._candidate_name(run, texts)
                if name is None:
                    continue
                if name in found:
                    previous = found[name]
                    found[name] = OrganisationCandidate(name, previous.line, previous.count + 1)
                else:
                    found[name] = OrganisationCandidate(name, run[0].line, 1)
                    order.append(name)
            i = j
        return [found[name] for name in order]

    @staticmethod
    def _candidate_name(run: list[Token], texts: dict[int, str]) -> str | None:
        if len(run) < 2:
            return None
        words = [t.text for t in run]
        looks = words[-1] in _SUFFIX_WORDS or any(
            word in _PREFIX_WORDS
            and k + 2 < len(words)
            and words[k + 1] in _PREFIX_LINKS
            and words[k + 2][:1].isupper()
            for k, word in enumerate(words)
        )
        if not looks:
            return None
        text = texts[run[0].line]
        start, end = run[0].start, run[-1].end
        if text[max(0, start - 1) : start] in _PATH_CHARS or text[end : end + 1] in _PATH_CHARS:
            return None
        return text[start:end]
