"""The first implementation of :func:`kmgraph.graph.query.related` (every work scored),
kept out of the library as the reference the indexed one is tested against."""

from __future__ import annotations

import math
from collections import defaultdict

from rdflib import Graph

from kmgraph.graph.query import WEIGHTS, Related, _cosine, _plural, _some, _view


def related_scan(graph: Graph, seed: str, by: str, top: int) -> list[Related]:
    view = _view(graph)
    works = [n for n, d in view.nodes(data=True) if d["type"] in ("source", "work")]
    refs: dict[str, set[str]] = defaultdict(set)
    citers: dict[str, set[str]] = defaultdict(set)
    topics: dict[str, set[str]] = defaultdict(set)
    orgs: dict[str, set[str]] = defaultdict(set)
    for u, v, t in view.edges(keys=True):
        if t == "cites":
            refs[u].add(v)
            citers[v].add(u)
        elif t == "subject":
            topics[u].add(v)
        elif t in ("publisher", "creator", "mentions") and view.nodes[v]["type"] == "organisation":
            orgs[u].add(v)
    broader = defaultdict(set)
    for u, v, t in view.edges(keys=True):
        if t == "broader":
            broader[u].add(v)
    expanded = {w: topics[w] | {b for c in topics[w] for b in broader[c]} for w in works}
    concept_docs: dict[str, int] = defaultdict(int)
    org_docs: dict[str, int] = defaultdict(int)
    for w in works:
        for c in expanded[w]:
            concept_docs[c] += 1
        for o in orgs[w]:
            org_docs[o] += 1

    def adamic_adar(shared: set[str], docs: dict[str, int]) -> float:
        return sum(1 / math.log(max(docs[z], 2)) for z in shared)

    self_k = adamic_adar(expanded[seed], concept_docs)
    self_o = adamic_adar(orgs[seed], org_docs)
    label = lambda n: str(view.nodes[n]["label"])  # noqa: E731
    ident = lambda n: str(view.nodes[n]["key"])  # noqa: E731
    results = []
    for other in works:
        if other == seed:
            continue
        cocited = sorted(ident(n) for n in citers[seed] & citers[other])
        shared_refs = sorted(ident(n) for n in refs[seed] & refs[other])
        shared_k = expanded[seed] & expanded[other]
        shared_o = orgs[seed] & orgs[other]
        cc = _cosine(citers[seed], citers[other])
        bc = _cosine(refs[seed], refs[other])
        kc = adamic_adar(shared_k, concept_docs) / self_k if self_k else 0.0
        oc = adamic_adar(shared_o, org_docs) / self_o if self_o else 0.0
        direct = "cites" if other in refs[seed] else "cited by" if seed in refs[other] else ""
        score = {
            "all": WEIGHTS["coupling"] * bc
            + WEIGHTS["cocitation"] * cc
            + WEIGHTS["concepts"] * kc
            + WEIGHTS["organisations"] * oc
            + WEIGHTS["direct"] * (1.0 if direct else 0.0),
            "cocitation": cc,
            "coupling": bc,
            "concepts": kc,
            "organisations": oc,
        }[by]
        if score <= 0:
            continue
        direct_k = topics[seed] & topics[other]
        concept_labels = sorted(label(c) for c in direct_k) + sorted(label(c) for c in shared_k - direct_k)
        org_labels = sorted(label(o) for o in shared_o)
        parts = []
        if cocited:
            parts.append(f"cited together by {_plural(len(cocited), 'document')} ({_some(cocited)})")
        if shared_refs:
            parts.append(f"both cite {_plural(len(shared_refs), 'work')} ({_some(shared_refs)})")
        if concept_labels and by in ("all", "concepts"):
            parts.append(f"shares {_plural(len(concept_labels), 'concept')} ({_some(concept_labels)})")
        if org_labels and by in ("all", "organisations"):
            parts.append(f"shares {_plural(len(org_labels), 'organisation')} ({_some(org_labels)})")
        if direct == "cites":
            parts.append("cited by the seed")
        elif direct:
            parts.append("cites the seed")
        results.append(
            Related(
                key=ident(other),
                kind=str(view.nodes[other]["type"]),
                label=label(other),
                score=round(score, 4),
                coupling=round(bc, 4),
                cocitation=round(cc, 4),
                concepts=round(kc, 4),
                organisations=round(oc, 4),
                cocited_by=tuple(cocited),
                shared_references=tuple(shared_refs),
                shared_concepts=tuple(concept_labels),
                shared_organisations=tuple(org_labels),
                direct=direct,
                explanation="; ".join(parts),
            )
        )
    results.sort(key=lambda r: (-r.score, r.key))
    return results[: max(top, 0)]
