"""The ontology: namespaces, the shipped Turtle data, and the concept/organisation tagger.

The Turtle files in the top-level ``ontology/`` folder (copied into the wheel as
``kmgraph/ontology/data``) are the source of truth:

* ``kmgraph.ttl``: the few terms of the project's own namespace (``kmg:``);
* ``concepts.ttl``: the SKOS concept scheme of knowledge-mobilization terms;
* ``organisations.ttl``: the register of organisations active in the field.

Example:
    >>> from kmgraph.ontology import load_vocabulary, Tagger
    >>> vocabulary = load_vocabulary()
    >>> vocabulary.concept("knowledge-mobilization").pref_label
    'knowledge mobilization'
    >>> vocabulary.organisation("esrc").parent
    'ukri'
"""

from __future__ import annotations

from kmgraph.ontology.tagger import Tagger, text_lines
from kmgraph.ontology.vocabulary import (
    CONCEPT,
    COUNTRY,
    FRAPO,
    KMG,
    ORGID,
    Concept,
    Organisation,
    Vocabulary,
    data_dir,
    load_graph,
    load_vocabulary,
    vocabulary_from_graph,
)

__all__ = [
    "CONCEPT",
    "COUNTRY",
    "FRAPO",
    "KMG",
    "ORGID",
    "Concept",
    "Organisation",
    "Tagger",
    "Vocabulary",
    "data_dir",
    "load_graph",
    "load_vocabulary",
    "text_lines",
    "vocabulary_from_graph",
]
