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
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycrfsuite

from kmgraph.errors import DocumentNotFound, MalformedInput
from kmgraph.references.crf.features import FeatureExtractor, Lexicon, tokenize
from kmgraph.references.crf.model import CRFModel, write_model_file

__all__ = ["DEFAULT_PARAMS", "TrainReport", "read_annotated", "train", "train_model"]

#: L-BFGS parameters of the shipped model (chosen by 5-fold CV on train.jsonl).
DEFAULT_PARAMS: dict[str, Any] = {"c1": 0.05, "c2": 0.01, "max_iterations": 200}


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


def train_model(
    sequences: Sequence[Sequence[tuple[str, str]]],
    *,
    c1: float = DEFAULT_PARAMS["c1"],
    c2: float = DEFAULT_PARAMS["c2"],
    max_iterations: int = DEFAULT_PARAMS["max_iterations"],
    extra_lexicon: Iterable[Sequence[tuple[str, str]]] = (),
) -> CRFModel:
    """Train a model in memory from labelled token sequences.

    The lexicon is built from ``sequences`` (and ``extra_lexicon``); each training
    reference sees the lexicon without its own words (leave-one-out).
    """
    lexicon = Lexicon.build([*sequences, *extra_lexicon])
    fx = FeatureExtractor(lexicon)
    trainer = pycrfsuite.Trainer(verbose=False)
    for seq in sequences:
        tokens = [t for t, _ in seq]
        trainer.append(fx.sequence(tokens, own=seq), [lab for _, lab in seq])
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
        }
    )
    fd, tmp = tempfile.mkstemp(suffix=".crfsuite")
    os.close(fd)
    try:
        trainer.train(tmp)
        crf = Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)
    meta = {"params": {"c1": c1, "c2": c2, "max_iterations": max_iterations}}
    return CRFModel(crf, lexicon, meta)


def train(
    data_path: str | Path,
    model_path: str | Path,
    *,
    c1: float = DEFAULT_PARAMS["c1"],
    c2: float = DEFAULT_PARAMS["c2"],
    max_iterations: int = DEFAULT_PARAMS["max_iterations"],
) -> TrainReport:
    """Train a reference-parsing model on a JSONL file and write the model file.

    Args:
        data_path: Annotated references in the ``refparse`` JSONL format.
        model_path: Where to write the model (written atomically).
        c1: L1 regularisation.
        c2: L2 regularisation.
        max_iterations: L-BFGS iterations.

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
    model = train_model(sequences, c1=c1, c2=c2, max_iterations=max_iterations)
    labels = tuple(sorted({lab for seq in sequences for _, lab in seq}))
    meta = {
        **model.meta,
        "labels": list(labels),
        "data": data_path.name,
        "data_sha256": digest,
        "references": len(sequences),
    }
    write_model_file(model_path, model._bytes, model.lexicon, meta, model.attributes)
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
