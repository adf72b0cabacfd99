"""A synthetic corpus for the knowledge-graph benchmark (``benchmarks/graph.py``).

The corpus has the two inputs :func:`kmgraph.graph.build.build` consumes:

* a **BibTeX store** on disk (``references/sources.bib`` with the ingested documents,
  ``references/works.bib`` with the cited works, each work's ``kmgraph-cited-by`` and
  ``kmgraph-raw``), read by :meth:`kmgraph.references.store.Store.open` with
  bibtexparser, as ``kmgraph graph build`` reads it;
* the **extraction results** of the documents (:class:`kmgraph.pipeline.Extraction`:
  the document's lines, its reference list parsed into fields, in-text markers, concept
  and organisation hits, works named in prose), handed to ``build(store, extractions)``.

The documents themselves are not written: running the extractor (reading, reference
parsing with the CRF, tagging) over 10,000 documents takes far longer than the graph
build and is benchmarked elsewhere (``benchmarks/refparse.py``). The extraction results
are what the extractor produces, so the build runs its own code path unchanged: the
reference-list sections of each document (``find_reference_entries`` over its lines),
matching every reference against the store's index (DOI, URL, exact raw string, or a
near-duplicate by first author and title), in-text pointers with their sentences,
occurrences, mentions, provenance.

Shape at ``scale=1`` (the issue's target corpus): 10,000 documents, 100,000 distinct
cited works, 300,000 citations (reference-list entries), 2,000 organisations (the
register's, plus synthetic publishers and corporate authors), the real concept scheme
(``ontology/concepts.ttl``). Skew:

* citations by preferential attachment (Price's model: a citation goes to a new work
  with probability ``works / citations``, else to an already cited work with
  probability proportional to its citations so far), so a few works are cited by
  hundreds of documents and most by one;
* reference-list lengths log-normal (many short grey-literature lists, a few long
  reviews), some documents with none;
* concepts, organisations, journals, publishers and family names Zipf-distributed;
* publication years skewed to recent.

Everything is drawn from one :class:`random.Random` seeded with ``seed`` (per-document
extractions from ``seed`` and the document number), so the same ``scale`` and ``seed``
give the same corpus, byte for byte.

Usage::

    python benchmarks/graph_synthetic.py --out /tmp/kmg-synth            # scale 1
    python benchmarks/graph_synthetic.py --out /tmp/kmg-small --scale 0.01 --seed 7

Library::

    corpus = generate(scale=0.01, seed=7)
    corpus.write("/tmp/kmg-small")          # references/*.bib
    result = build(corpus.store_path, corpus.extractions(), root=...)
"""

from __future__ import annotations

import argparse
import bisect
import functools
import itertools
import math
import random
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kmgraph.ontology.vocabulary import load_vocabulary
from kmgraph.pipeline import ExtractedReference, Extraction
from kmgraph.records import ConceptHit, Line, Marker, Mention, OrganisationHit, SourceDocument

__all__ = ["FULL", "Corpus", "Shape", "Work", "generate", "main"]


@dataclass(frozen=True)
class Shape:
    """How big the corpus is."""

    documents: int
    works: int
    citations: int
    organisations: int

    def scaled(self, factor: float) -> Shape:
        """The same proportions times ``factor`` (at least a handful of each)."""
        documents = max(5, round(self.documents * factor))
        works = max(10, round(self.works * factor))
        citations = max(works, round(self.citations * factor))
        organisations = max(70, round(self.organisations * factor))
        return Shape(documents, works, citations, organisations)


#: The issue's target corpus.
FULL = Shape(documents=10_000, works=100_000, citations=300_000, organisations=2_000)

# Words for titles, journals and organisation names (written for this generator).
_TOPIC_WORDS = """knowledge research evidence policy practice health education community
mobilization translation exchange transfer brokering impact engagement partnership
collaboration network learning innovation implementation dissemination synthesis
decision making public patient care services social science university government
organisation capacity outcomes systems design methods framework model approach
review study analysis evaluation assessment case program programme intervention
strategy planning training support youth children families mental wellbeing
development environment climate water food security agriculture economics labour
housing justice equity diversity inclusion indigenous rural urban regional national
international global local teachers schools nurses physicians clinicians managers
leaders researchers users producers stakeholders citizens communities practitioners
data information communication media digital technology tools toolkit guide
report brief summary lessons barriers facilitators context culture trust
relationships boundaries intermediaries networks coproduction participation
uptake use utilisation adoption diffusion scaling sustainability quality safety""".split()
_TITLE_LINKS = ["of", "in", "for", "and", "to", "from", "with", "across", "through", "on"]
_TITLE_OPENERS = [
    "Understanding",
    "Towards",
    "Rethinking",
    "Measuring",
    "Building",
    "Mapping",
    "Exploring",
    "Assessing",
    "Bridging",
    "Improving",
    "Supporting",
    "Evaluating",
]
_ORG_HEADS = [
    "Institute for",
    "Centre for",
    "Center for",
    "Foundation for",
    "Council on",
    "Network for",
    "Agency for",
    "Office of",
    "Association for",
    "Alliance for",
    "Department of",
    "School of",
]
_PLACES = """Northvale Eastbrook Westmere Southport Highfield Lakeside Riverton Stonebridge
Oakridge Fairhaven Kingsford Elmhurst Ashford Brightwater Clearwater Redcliff Greenwood
Silverton Marlow Hollins Larchmont Pinecrest Dunmore Glenrock""".split()
_SYLLABLES = """ba be bi bo bu da de di do ka ke ki ko la le li lo lu ma me mi mo na ne ni no
ra re ri ro ru sa se si so ta te ti to va ve vi vo za zo han ber ton son ley win mar
dal fen gar hol kin lam mer nor pel ros sel tam vor wel""".split()
_GIVEN = """Alex Amina Ben Carla Chen Dana Elena Farid Grace Hana Ivan Jonas Kavya Leila
Marco Nadia Omar Priya Quinn Rosa Sami Tara Uma Victor Wen Yara Zoe Aisha Bruno Clara
Diego Emma Felix Gita Hugo Ines Jae Kofi Lina Mateo Noor Olga Pablo Rania Sven Tomas""".split()
_WORK_TYPES = (
    ("article", 0.45),
    ("report", 0.14),
    ("book", 0.08),
    ("incollection", 0.08),
    ("inproceedings", 0.08),
    ("online", 0.13),
    ("misc", 0.04),
)
_SOURCE_TYPES = (("online", 0.5), ("report", 0.3), ("misc", 0.2))


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


@functools.lru_cache(maxsize=16)
def _zipf(n: int, s: float = 1.0) -> list[float]:
    return _cumulative([1.0 / (i + 1) ** s for i in range(n)])


def _pick(rng: random.Random, items: Sequence[str], cum: Sequence[float]) -> str:
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


@dataclass
class Work:
    """One entry of the store (a cited work or an ingested document)."""

    key: str
    type: str
    title: str
    year: int
    authors: list[str] = field(default_factory=list)
    publisher: str | None = None
    journal: str | None = None
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    url: str | None = None
    document: str | None = None
    cited_by: list[str] = field(default_factory=list)
    raw: str | None = None

    def reference(self) -> str:
        """An APA-like reference string for this work (the store's ``kmgraph-raw``)."""
        names = [_apa_name(a) for a in self.authors]
        who = (", ".join(names[:-1]) + ", & " + names[-1]) if len(names) > 1 else (names[0] if names else "")
        parts = [f"{who} ({self.year}). {self.title}." if who else f"{self.title} ({self.year})."]
        if self.journal:
            parts.append(f"{self.journal}, {self.volume}, {self.pages}." if self.volume else f"{self.journal}.")
        elif self.publisher:
            parts.append(f"{self.publisher}.")
        if self.doi:
            parts.append(f"https://doi.org/{self.doi}")
        elif self.url:
            parts.append(f"Retrieved from {self.url}")
        return " ".join(parts)

    def alternative_reference(self) -> str:
        """The same work written another way (title first, no identifiers), as another
        document's reference list might have it."""
        names = "; ".join(self.authors[:2]) + ("; et al." if len(self.authors) > 2 else "")
        venue = self.journal or self.publisher or ""
        return f"{names}. {self.title}. {venue} {self.year}.".replace(" .", ".").strip()

    def fields(self, *, alternative: bool = False) -> dict[str, object]:
        """What the reference parser returns for :meth:`reference` (the JSON contract)."""
        out: dict[str, object] = {"type": self.type, "title": self.title, "year": str(self.year)}
        if self.authors:
            out["author"] = list(self.authors)
        if self.journal:
            out["container"] = self.journal
        if self.publisher:
            out["publisher"] = self.publisher
        if not alternative:
            if self.volume:
                out["volume"] = self.volume
            if self.pages:
                out["pages"] = self.pages
            if self.doi:
                out["doi"] = self.doi
            if self.url:
                out["url"] = self.url
        return out

    def bibtex(self) -> str:
        """The entry in the store's canonical form."""
        fields: list[tuple[str, str]] = []
        if self.authors:
            fields.append(("author", " and ".join(a if "," in a else f"{{{a}}}" for a in self.authors)))
        fields.append(("title", self.title))
        fields.append(("year", str(self.year)))
        if self.journal:
            fields.append(("journal" if self.type == "article" else "booktitle", self.journal))
        if self.volume:
            fields.append(("volume", self.volume))
        if self.pages:
            fields.append(("pages", self.pages.replace("-", "--")))
        if self.publisher:
            fields.append(("institution" if self.type == "report" else "publisher", self.publisher))
        if self.url:
            fields.append(("url", self.url))
        if self.doi:
            fields.append(("doi", self.doi))
        if self.document:
            fields.append(("kmgraph-document", self.document))
        if self.cited_by:
            fields.append(("kmgraph-cited-by", ", ".join(sorted(set(self.cited_by)))))
        if self.raw:
            fields.append(("kmgraph-raw", self.raw))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@{self.type}{{{self.key},\n{body}\n}}\n"


def _apa_name(name: str) -> str:
    if "," not in name:
        return name
    family, given = (p.strip() for p in name.split(",", 1))
    return f"{family}, {given[:1]}." if given else family


@dataclass
class Corpus:
    """A generated corpus: the store entries and the citation plan of every document.

    Attributes:
        shape: The sizes asked for.
        seed: The seed.
        sources: The ingested documents, in order.
        works: The cited works, in order.
        plan: For each document (same order as ``sources``), the indices of the works its
            reference list cites, in list order.
        root: Where :meth:`write` put the store (the ``root`` for ``build``), or None.
    """

    shape: Shape
    seed: int
    sources: list[Work]
    works: list[Work]
    plan: list[list[int]]
    concepts: list[tuple[str, str]]
    registered: list[tuple[str, str]]
    root: Path | None = None

    @property
    def store_path(self) -> Path:
        """The store folder (``<root>/references``); :meth:`write` first."""
        if self.root is None:
            raise RuntimeError("write() the corpus first")
        return self.root / "references"

    def write(self, root: str | Path) -> Path:
        """Write ``references/sources.bib`` and ``references/works.bib`` under ``root``.

        Returns:
            The store folder.
        """
        self.root = Path(root)
        store = self.root / "references"
        store.mkdir(parents=True, exist_ok=True)
        for name, entries in (("sources.bib", self.sources), ("works.bib", self.works)):
            ordered = sorted(entries, key=lambda w: w.key)
            (store / name).write_text("\n".join(w.bibtex() for w in ordered), encoding="utf-8")
        return store

    def extractions(self) -> Extractions:
        """The extraction results of every document, made on demand (see :class:`Extractions`)."""
        return Extractions(self)

    def extraction(self, n: int) -> Extraction:
        """The extraction of document ``n`` (0-based), deterministic."""
        return _extraction(self, n)

    def stats(self) -> dict[str, int]:
        """Counts for the report."""
        people = {a for w in itertools.chain(self.sources, self.works) for a in w.authors if "," in a}
        return {
            "documents": len(self.sources),
            "works": len(self.works),
            "citations": sum(len(p) for p in self.plan),
            "people (names)": len(people),
            "concepts": len(self.concepts),
        }


class Extractions(Mapping[str, Extraction]):
    """The extractions keyed by document path, made when asked for.

    A mapping (what :func:`kmgraph.graph.build.build` accepts) that builds each
    :class:`~kmgraph.pipeline.Extraction` on access instead of holding 10,000 of them at
    once: ``kmgraph graph build`` extracts one document at a time too.
    """

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus
        self._index = {w.document: n for n, w in enumerate(corpus.sources) if w.document}
        #: Seconds spent making extractions (the benchmark reports the build without them).
        self.seconds = 0.0

    def __getitem__(self, path: str) -> Extraction:
        started = time.perf_counter()
        try:
            return self._corpus.extraction(self._index[path])
        finally:
            self.seconds += time.perf_counter() - started

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


# --------------------------------------------------------------------------- generation


def _names(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        parts = rng.randint(2, 3)
        name = "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _title(rng: random.Random, cum_words: Sequence[float]) -> str:
    n = rng.randint(3, 9)
    words = [_pick(rng, _TOPIC_WORDS, cum_words) for _ in range(n)]
    cut = rng.randint(1, n - 1)
    words.insert(cut, rng.choice(_TITLE_LINKS))
    if rng.random() < 0.3:
        words.insert(0, rng.choice(_TITLE_OPENERS).lower())
    if rng.random() < 0.25:
        words.insert(rng.randint(2, len(words)), ":")
    text = " ".join(words).replace(" :", ":")
    return text[0].upper() + text[1:]


def _year(rng: random.Random) -> int:
    return max(1960, min(2025, int(2025 - abs(rng.gauss(0, 11)))))


def _organisation_names(rng: random.Random, count: int, registered: Sequence[str]) -> list[str]:
    from kmgraph.graph.build import register_id

    names = list(registered)
    seen = {n.casefold() for n in names}
    while len(names) < count:
        roll = rng.random()
        if roll < 0.3:
            name = f"{rng.choice(_PLACES)} University"
            if rng.random() < 0.6:
                name = f"{name} {rng.choice(_ORG_HEADS)} {rng.choice(_TOPIC_WORDS).capitalize()} {rng.choice(_TOPIC_WORDS).capitalize()}"
        else:
            head = rng.choice(_ORG_HEADS)
            words = " ".join(w.capitalize() for w in rng.sample(_TOPIC_WORDS, rng.randint(1, 3)))
            name = f"{head} {words}"
            if rng.random() < 0.4:
                name = f"{rng.choice(_PLACES)} {name}"
        if name.casefold() in seen or register_id(name) is not None:
            continue
        seen.add(name.casefold())
        names.append(name)
    return names


def generate(scale: float = 1.0, seed: int = 0, *, shape: Shape = FULL) -> Corpus:
    """Generate the corpus (in memory; :meth:`Corpus.write` writes the store).

    Args:
        scale: Multiplies every size of ``shape`` (``0.01`` gives 100 documents).
        seed: The random seed.
        shape: The sizes at scale 1.

    Returns:
        The :class:`Corpus`.
    """
    rng = random.Random(seed)
    size = shape.scaled(scale) if scale != 1 else shape
    vocabulary = load_vocabulary()
    concepts = [(c.id, c.pref_label) for c in vocabulary.concepts]
    rng.shuffle(concepts)  # which concepts are frequent is part of the seed
    registered = [(o.id, o.name) for o in vocabulary.organisations]
    cum_words = _zipf(len(_TOPIC_WORDS), 0.8)

    families = _names(rng, max(200, size.works // 3))
    cum_family = _zipf(len(families), 0.6)
    organisations = _organisation_names(rng, size.organisations, [name for _, name in registered])
    cum_org = _zipf(len(organisations), 0.9)
    journals = [
        f"{rng.choice(['Journal of', 'Review of', 'Studies in', 'Annals of'])} {a.capitalize()} {b.capitalize()}"
        for a, b in (rng.sample(_TOPIC_WORDS, 2) for _ in range(max(20, size.works // 40)))
    ]
    journals = list(dict.fromkeys(journals))
    cum_journal = _zipf(len(journals), 0.9)
    work_types = [t for t, _ in _WORK_TYPES]
    cum_types = _cumulative([w for _, w in _WORK_TYPES])
    source_types = [t for t, _ in _SOURCE_TYPES]
    cum_source_types = _cumulative([w for _, w in _SOURCE_TYPES])

    keys: set[str] = set()

    def person() -> str:
        return f"{_pick(rng, families, cum_family)}, {rng.choice(_GIVEN)}"

    def key_for(authors: list[str], year: int, title: str, fallback: str) -> str:
        first = authors[0].split(",")[0] if authors else fallback
        stem = "".join(ch for ch in first.lower() if ch.isalpha())[:12] or "anon"
        word = next((w for w in title.lower().split() if len(w) > 3 and w.isalpha()), "work")
        base = f"{stem}{year}{word}"
        key, n = base, 1
        while key in keys:
            key = f"{base}{chr(ord('a') + n - 1)}" if n <= 26 else f"{base}{n}"
            n += 1
        keys.add(key)
        return key

    sources: list[Work] = []
    for n in range(size.documents):
        kind = _pick(rng, source_types, cum_source_types)
        title = _title(rng, cum_words)
        year = _year(rng)
        authors = [person() for _ in range(rng.randint(1, 3))] if rng.random() < 0.4 else []
        publisher = _pick(rng, organisations, cum_org)
        key = f"doc{n:05d}"
        keys.add(key)
        sources.append(
            Work(
                key=key,
                type=kind,
                title=title,
                year=year,
                authors=authors,
                publisher=publisher,
                url=f"https://example.org/{key}",
                document=f"corpus/{key}.md",
            )
        )

    works: list[Work] = []

    def new_work() -> Work:
        kind = _pick(rng, work_types, cum_types)
        title = _title(rng, cum_words)
        year = _year(rng)
        if rng.random() < 0.08:
            authors = [_pick(rng, organisations, cum_org)]  # corporate author
        else:
            count = min(8, max(1, int(rng.lognormvariate(0.7, 0.6))))
            authors = [person() for _ in range(count)]
        work = Work(key=key_for(authors, year, title, "anon"), type=kind, title=title, year=year, authors=authors)
        if kind in ("article", "inproceedings", "incollection"):
            work.journal = _pick(rng, journals, cum_journal)
            work.volume = str(rng.randint(1, 60))
            first = rng.randint(1, 900)
            work.pages = f"{first}-{first + rng.randint(5, 30)}"
        if kind in ("report", "book", "online", "misc"):
            work.publisher = _pick(rng, organisations, cum_org)
        if kind in ("article", "inproceedings", "book", "incollection") and rng.random() < 0.55:
            work.doi = f"10.{rng.randint(1000, 99999)}/{work.key}"
        if kind in ("online", "report", "misc") or rng.random() < 0.1:
            work.url = f"https://example.org/works/{work.key}"
        works.append(work)
        return work

    # Reference-list lengths: log-normal, scaled to the citation total.
    lengths = [rng.lognormvariate(2.9, 0.9) if rng.random() > 0.12 else 0.0 for _ in range(size.documents)]
    total = sum(lengths) or 1.0
    counts = [int(x * size.citations / total) for x in lengths]
    short = size.citations - sum(counts)
    for n in rng.sample(range(size.documents), size.documents)[: max(short, 0)]:
        counts[n] += 1
    # A list cannot cite more distinct works than there are: move the excess elsewhere.
    excess = sum(max(0, c - size.works) for c in counts)
    counts = [min(c, size.works) for c in counts]
    while excess:
        n = rng.randrange(size.documents)
        if counts[n] < size.works:
            counts[n] += 1
            excess -= 1
    # Price's model: a citation goes to a new work with probability (works still to
    # make) / (citations still to make), else to a cited work in proportion to its
    # citations so far; exactly ``size.works`` works come out.
    targets: list[int] = []  # one entry per citation made so far: preferential attachment
    plan: list[list[int]] = []
    slot = 0
    for n, count in enumerate(counts):
        cited: list[int] = []
        chosen: set[int] = set()
        for _ in range(count):
            to_make = size.works - len(works)
            all_cited_here = len(chosen) >= len(works)
            if not targets or all_cited_here or rng.random() * (size.citations - slot) < to_make:
                new_work()
                index = len(works) - 1
            else:
                index = targets[int(rng.random() * len(targets))]
                for _ in range(20):  # a list cites a work once
                    if index not in chosen:
                        break
                    index = targets[int(rng.random() * len(targets))]
                if index in chosen:  # a hot list: any work it does not cite yet
                    free = [i for i in range(len(works)) if i not in chosen]
                    index = free[int(rng.random() * len(free))]
            slot += 1
            chosen.add(index)
            cited.append(index)
            targets.append(index)
        plan.append(cited)
        for index in cited:
            work = works[index]
            if work.raw is None:
                work.raw = work.reference()
            work.cited_by.append(sources[n].key)
    # Every organisation of the register and of the synthetic list publishes something.
    used = {w.publisher for w in itertools.chain(sources, works)} | {a for w in works for a in w.authors if "," not in a}
    head = set(organisations[:20])
    with_publisher = [w for w in works if w.publisher in head]
    for name in organisations:
        if name not in used and with_publisher:
            rng.choice(with_publisher).publisher = name
    return Corpus(size, seed, sources, works, plan, concepts, registered)


# --------------------------------------------------------------------------- extraction


def _extraction(corpus: Corpus, n: int) -> Extraction:
    rng = random.Random(corpus.seed * 1_000_003 + n)
    source = corpus.sources[n]
    cited = [corpus.works[i] for i in corpus.plan[n]]
    concepts = corpus.concepts
    cum_concepts = _zipf(len(concepts), 1.1)
    registered = corpus.registered
    cum_registered = _zipf(len(registered), 1.0)

    lines: list[Line] = [Line(source.title, 1, heading=True), Line("", 2)]
    number = 3
    # Concepts and organisations the body talks about.
    topic_ids: dict[str, tuple[str, list[int]]] = {}
    for _ in range(min(len(concepts), max(1, int(rng.lognormvariate(1.0, 0.6))))):
        cid, label = concepts[bisect.bisect(cum_concepts, rng.random() * cum_concepts[-1])]
        topic_ids.setdefault(cid, (label, []))
    org_ids: dict[str, tuple[str, list[int]]] = {}
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        oid, name = registered[bisect.bisect(cum_registered, rng.random() * cum_registered[-1])]
        org_ids.setdefault(oid, (name, []))
    # Body: one sentence per cited work (half of them with a marker), plus topic sentences.
    markers: list[tuple[int, int, int]] = []  # (reference number, line, column)
    topics = list(topic_ids)
    for i, _work in enumerate(cited, 1):
        cid = topics[i % len(topics)]
        text = f"Work on {topic_ids[cid][0]} has grown over the last decade."
        if rng.random() < 0.5:
            column = len(text)
            text = text[:-1] + f" [{i}]."
            markers.append((i, number, column + 1))
        topic_ids[cid][1].append(number)
        lines.append(Line(text, number))
        number += 1
    for _oid, (name, at) in org_ids.items():
        lines.append(Line(f"The {name} funded part of this work.", number))
        at.append(number)
        number += 1
    mentions: list[Mention] = []
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        if corpus.works and rng.random() < 0.5:
            known = corpus.works[int(rng.random() * len(corpus.works))]
            title, authors = known.title, tuple(known.authors[:1])
        else:
            title, authors = f"{rng.choice(_TITLE_OPENERS)} {rng.choice(_TOPIC_WORDS)} {rng.choice(_TOPIC_WORDS)}", ()
        lines.append(Line(f"See also the report {title}.", number))
        mentions.append(Mention(raw=title, title=title, line=number, type="report", author=authors))
        number += 1
    # Reference list (a "Further reading" list closes one document in ten).
    references: list[ExtractedReference] = []
    further = len(cited) >= 6 and rng.random() < 0.1
    split = len(cited) - min(5, len(cited) // 3) if further else len(cited)
    ref_line: dict[int, int] = {}
    for i, work in enumerate(cited, 1):
        if i == 1 or (further and i == split + 1):
            lines.append(Line("", number))
            lines.append(Line("References" if i == 1 else "Further reading", number + 1, heading=True))
            lines.append(Line("", number + 2))
            number += 3
        alternative = rng.random() < 0.25
        raw = f"{i}. " + (work.alternative_reference() if alternative else (work.raw or work.reference()))
        lines.append(Line(raw, number))
        ref_line[i] = number
        references.append(
            ExtractedReference(
                raw=raw,
                line=number,
                label=str(i),
                key=work.key,
                fields=work.fields(alternative=alternative),
                confidence=0.9,
            )
        )
        number += 1
    marker_records = [Marker(text=f"[{i}]", label=str(i), line=line, column=col, target_line=ref_line[i]) for i, line, col in markers]
    concept_hits = tuple(
        ConceptHit(cid, label, max(1, len(at)) + rng.randint(0, 3), tuple(at) or (1,)) for cid, (label, at) in sorted(topic_ids.items())
    )
    org_hits = tuple(OrganisationHit(oid, name, len(at), tuple(at), (name,)) for oid, (name, at) in sorted(org_ids.items()))
    document = SourceDocument(path=source.document or "", format="md", encoding="utf-8", lines=tuple(lines))
    return Extraction(
        document=document,
        references=tuple(references),
        links=(),
        markers=tuple(marker_records),
        mentions=tuple(mentions),
        concepts=concept_hits,
        organisations=org_hits,
    )


# --------------------------------------------------------------------------- command


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/graph_synthetic.py --out DIR [--scale S] [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write references/ into")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1 = 10,000 documents)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    if not math.isfinite(args.scale) or args.scale <= 0:
        parser.error("--scale must be a positive number")
    started = time.perf_counter()
    corpus = generate(args.scale, args.seed)
    store = corpus.write(args.out)
    stats = ", ".join(f"{v:,} {k}" for k, v in corpus.stats().items())
    print(f"{store}: {stats} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
