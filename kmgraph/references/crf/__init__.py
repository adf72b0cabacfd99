"""Statistical reference-string parsing: a linear-chain CRF plus rule-based normalisers.

Modules: :mod:`~.features` (tokens and features), :mod:`~.model` (model files, tagging),
:mod:`~.normalise` (labels to contract fields), :mod:`~.parser` (string to
:class:`~kmgraph.records.ParsedReference`), :mod:`~.train` (training on JSONL) and
:mod:`~.review` (the store's least confident entries). See ``docs/refparse.md``.
"""

from __future__ import annotations

__all__ = ["parse_reference_crf", "train", "review", "load_model"]


def __getattr__(name: str):  # lazy: importing the package does not load python-crfsuite
    if name == "parse_reference_crf":
        from kmgraph.references.crf.parser import parse_reference_crf

        return parse_reference_crf
    if name == "train":
        from kmgraph.references.crf.train import train

        return train
    if name == "review":
        from kmgraph.references.crf.review import review

        return review
    if name == "load_model":
        from kmgraph.references.crf.model import load_model

        return load_model
    raise AttributeError(name)
