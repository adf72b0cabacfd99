"""Training the CRF reference parser on annotated references (JSON Lines).

The input is the ``refparse`` format (``../shared/data/refparse/README.md``): one JSON
object per line with ``tokens``, a list of ``[token, label]`` pairs (``text`` is used
only when ``tokens`` is missing, and then every token must be labelled another way, so
``tokens`` is required in practice). Labels are AnyStyle's (author, title, journal,
container-title, date, ...); any other label a user adds is learnt as it is, and
:mod:`kmgraph.references.crf.normalise` passes unknown labels through to ``note``.

Example:
    >>> from kmgraph.references.crf.train import train
    >>> report = train("mine.jsonl", "mine.crfmodel")  # doctest: +SKIP
    >>> report.references, report.labels  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycrfsuite

from kmgraph.errors import DocumentNotFound, MalformedInput
from kmgraph.references.crf.features import FeatureExtractor, Lexicon, stack_features, tokenize
from kmgraph.references.crf.model import CRFModel

__all__ = ["DEFAULT_PARAMS", "STACK_FOLDS", "TrainReport", "read_annotated", "train", "train_model"]

#: L-BFGS parameters of the shipped model (chosen by 5-fold CV on train.jsonl).
DEFAULT_PARAMS: dict[str, Any] = {"c1": 0.05, "c2": 0.01, "max_iterations": 200}
#: Folds of the out-of-fold first pass that trains a second (stacked) pass; 0 trains a
#: single pass (the shipped model: stacking gains in cross-validation on the training
#: data but loses on knowledge-mobilisation references, docs/refparse.md). Fewer
#: references than :data:`MIN_STACK_REFERENCES` always train one pass.
STACK_FOLDS = 0
MIN_STACK_REFERENCES = 40
#: L1 and L2 regularisation of the second pass: stronger than the first pass's, so that
#: it does not simply trust the first labelling (5-fold CV, docs/refparse.md).
STACK_REGULARISATION: dict[str, float] = {"c1": 0.1, "c2": 0.05}


@dataclass(frozen=True)
class TrainReport:
    """What :func:`train` did.

    Attributes:
        model_path: The model file written.
        references: Annotated references trained on.
        tokens: Their tokens.
        labels: The label set, sorted.
        seconds: Training time.
        params: The CRF parameters used.
        data_sha256: Digest of the training file (stored in the model's metadata).
        size: Size of the model file in bytes.
    """

    model_path: str
    references: int
    tokens: int
    labels: tuple[str, ...]
    seconds: float
    params: dict[str, Any]
    data_sha256: str
    size: int


def read_annotated(path: str | Path) -> list[list[tuple[str, str]]]:
    """Read labelled token sequences from a JSONL file in the ``refparse`` format.

    Raises:
        DocumentNotFound: No file at ``path``.
        MalformedInput: A line that is not JSON or has no usable ``tokens``.
    """
    path = Path(path)
    if not path.is_file():
        raise DocumentNotFound("training data not found", path=str(path))
    out: list[list[tuple[str, str]]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"not UTF-8 JSON Lines of annotated references ({exc.reason})", path=str(path)) from None
    except OSError as exc:
        raise DocumentNotFound(f"cannot read the training data: {exc.strerror or exc}", path=str(path)) from None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            pairs = [(t, lab) for t, lab in rec["tokens"]]
            if not all(isinstance(t, str) and t and isinstance(lab, str) and lab for t, lab in pairs):
                raise ValueError("every token must be a [text, label] pair of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedInput(f"not an annotated reference ({exc})", path=str(path), line=lineno) from exc
        # Re-tokenise each token the way the parser will (fullwidth punctuation).
        seq: list[tuple[str, str]] = []
        for tok, lab in pairs:
            seq.extend((t, lab) for t in tokenize(tok))
        if seq:
            out.append(seq)
    if not out:
        raise MalformedInput("no annotated references", path=str(path))
    return out


def _fit(xseqs: Iterable[list[tuple[str, ...]]], yseqs: Iterable[list[str]], params: dict[str, Any]) -> bytes:
    """Train one CRFsuite model (L-BFGS) and return its bytes."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(xseqs, yseqs, strict=True):
        trainer.append(x, y)
    trainer.set_params({**params, "feature.possible_transitions": True})
    fd, tmp = tempfile.mkstemp(suffix=".crfsuite")
    os.close(fd)
    try:
        trainer.train(tmp)
        return Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)


def _single(sequences: Sequence[Sequence[tuple[str, str]]], params: dict[str, Any]) -> CRFModel:
    """A one-pass model: lexicon from ``sequences``, leave-one-out dictionary features."""
    lexicon = Lexicon.build(sequences)
    fx = FeatureExtractor(lexicon)
    crf = _fit(
        (fx.sequence([t for t, _ in seq], own=seq) for seq in sequences), ([lab for _, lab in seq] for seq in sequences), params
    )
    return CRFModel(crf, lexicon, {"params": dict(params)})


def stack_folds_of(n: int, folds: int, seed: int = 13) -> list[list[int]]:
    """The out-of-fold split of ``n`` references (seeded, so training is reproducible)."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [sorted(idx[k::folds]) for k in range(folds)]


def train_model(
    sequences: Sequence[Sequence[tuple[str, str]]],
    *,
    c1: float = DEFAULT_PARAMS["c1"],
    c2: float = DEFAULT_PARAMS["c2"],
    max_iterations: int = DEFAULT_PARAMS["max_iterations"],
    stack_folds: int = STACK_FOLDS,
) -> CRFModel:
    """Train a model in memory from labelled token sequences.

    The lexicon is built from ``sequences``; each training reference sees the lexicon
    without its own words (leave-one-out). With ``stack_folds`` ≥ 2 (and at least
    :data:`MIN_STACK_REFERENCES` references) a second pass is trained on top
    (stacking): the references are split into ``stack_folds`` folds, a first-pass CRF
    trained on the other folds labels each fold, and the second CRF learns from the
    token features plus those out-of-fold labellings
    (:func:`~kmgraph.references.crf.features.stack_features`), so it sees first-pass
    labels as good as on unseen references, never labels learnt from the reference
    itself. Costs ``stack_folds + 1`` extra trainings.
    """
    params = {"c1": c1, "c2": c2, "max_iterations": max_iterations}
    first = _single(sequences, params)
    if stack_folds < 2 or len(sequences) < max(MIN_STACK_REFERENCES, 2 * stack_folds):
        return first
    oof: list[tuple[list[str], list[float], list[str | None]] | None] = [None] * len(sequences)
    for fold in stack_folds_of(len(sequences), stack_folds):
        held = set(fold)
        sub = _single([s for j, s in enumerate(sequences) if j not in held], params)
        for j in fold:
            tokens = [t for t, _ in sequences[j]]
            oof[j] = sub.first_pass(sub.features.sequence(tokens))
    fx = FeatureExtractor(first.lexicon)

    def xseqs():
        for seq, got in zip(sequences, oof, strict=True):
            tokens = [t for t, _ in seq]
            base = fx.sequence(tokens, own=seq)
            yield [a + b for a, b in zip(base, stack_features(tokens, *got), strict=True)]

    params2 = {**params, **STACK_REGULARISATION}
    stage2 = _fit(xseqs(), ([lab for _, lab in seq] for seq in sequences), params2)
    meta = {"params": {**params, "stack_folds": stack_folds, "stage2": params2}}
    return CRFModel(first._bytes, first.lexicon, meta, first.attributes, stage2)


def train(
    data_path: str | Path,
    model_path: str | Path,
    *,
    c1: float = DEFAULT_PARAMS["c1"],
    c2: float = DEFAULT_PARAMS["c2"],
    max_iterations: int = DEFAULT_PARAMS["max_iterations"],
    stack_folds: int = STACK_FOLDS,
) -> TrainReport:
    """Train a reference-parsing model on a JSONL file and write the model file.

    Args:
        data_path: Annotated references in the ``refparse`` JSONL format.
        model_path: Where to write the model (written atomically).
        c1: L1 regularisation.
        c2: L2 regularisation.
        max_iterations: L-BFGS iterations.
        stack_folds: Folds of the stacked second pass (0: one pass; see :func:`train_model`).

    Returns:
        A :class:`TrainReport`.

    Raises:
        DocumentNotFound: No file at ``data_path``.
        MalformedInput: The file is not annotated references.
    """
    t0 = time.perf_counter()
    data_path = Path(data_path)
    sequences = read_annotated(data_path)
    digest = hashlib.sha256(data_path.read_bytes()).hexdigest()
    model = train_model(sequences, c1=c1, c2=c2, max_iterations=max_iterations, stack_folds=stack_folds)
    labels = tuple(sorted({lab for seq in sequences for _, lab in seq}))
    meta = {
        **model.meta,
        "labels": list(labels),
        "data": data_path.name,
        "data_sha256": digest,
        "references": len(sequences),
    }
    model.save_as(model_path, meta)
    return TrainReport(
        model_path=str(model_path),
        references=len(sequences),
        tokens=sum(len(s) for s in sequences),
        labels=labels,
        seconds=round(time.perf_counter() - t0, 2),
        params=dict(model.meta["params"]),
        data_sha256=digest,
        size=Path(model_path).stat().st_size,
    )
