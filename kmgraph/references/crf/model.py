"""The trained CRF: loading a model file and tagging reference tokens.

A model file is a small zip archive holding three members:

- ``model.crfsuite``: the CRFsuite model (python-crfsuite);
- ``lexicon.json``: the dictionary classes the features need (:class:`Lexicon`),
  built from the same training data;
- ``meta.json``: the format version, label set, training parameters and data digest;
- ``attributes.txt``: the feature names the CRF kept (one per line), so that the
  feature extractor drops the others before they reach CRFsuite;
- optionally ``stage2.crfsuite`` and ``attributes2.txt``: the second pass of a stacked
  model (:func:`~kmgraph.references.crf.features.stack_features`), a CRF that sees the
  token features again plus the first pass's labelling; when present, its labels and
  probability are the model's answer.

Keeping them in one file means ``--model MODEL`` is one path, and a user-trained model
can never be paired with the wrong dictionaries. The shipped model lives in
``kmgraph/references/crf/data/refparse.crfmodel`` and is loaded once, lazily.
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pycrfsuite

from kmgraph.errors import DocumentNotFound, InputError, MalformedInput
from kmgraph.references.crf.features import FeatureExtractor, Lexicon, stack_features

__all__ = ["MODEL_FORMAT", "CRFModel", "default_model", "default_model_path", "load_model"]

#: Version of the model-file layout; bumped when features change incompatibly.
MODEL_FORMAT = 1
_DEFAULT_NAME = "refparse.crfmodel"


def default_model_path() -> Path:
    """Where the shipped model is inside the installed package."""
    return Path(str(resources.files("kmgraph.references.crf") / "data" / _DEFAULT_NAME))


@dataclass(frozen=True)
class TagResult:
    """Labels of one tokenised reference, with how sure the model is of them.

    Attributes:
        tokens: The tokens tagged.
        labels: One label per token (the Viterbi path).
        probability: The model's probability of the whole label sequence, P(labels | tokens).
        marginals: Per token, the marginal probability of its label; empty unless
            asked for (``marginals=True``), since they cost one call per token.
    """

    tokens: tuple[str, ...]
    labels: tuple[str, ...]
    probability: float = 0.0
    marginals: tuple[float, ...] = ()


class CRFModel:
    """A loaded reference-parsing CRF.

    Args:
        crf_bytes: The CRFsuite model.
        lexicon: The dictionary classes used by the features.
        meta: What ``meta.json`` says (training parameters, labels).

    Use :func:`load_model` to read a model file.
    """

    def __init__(
        self,
        crf_bytes: bytes,
        lexicon: Lexicon,
        meta: dict[str, Any] | None = None,
        attributes: frozenset[str] | None = None,
        stage2: bytes | None = None,
        attributes2: frozenset[str] | None = None,
    ) -> None:
        self._bytes = crf_bytes  # open_inmemory does not copy: keep the buffer alive
        self._bytes2 = stage2
        self.lexicon = lexicon
        self.meta = dict(meta or {})
        self._local = threading.local()
        self.labels = tuple(self._tagger().labels())
        if attributes is None:
            attributes = frozenset(a for a, _ in self._tagger().info().state_features)
        self.attributes = attributes
        self.attributes2: frozenset[str] = frozenset()
        if stage2 is not None:
            if attributes2 is None:
                attributes2 = frozenset(a for a, _ in self._tagger(2).info().state_features)
            self.attributes2 = attributes2
        # The token features serve both passes: keep what either pass knows.
        self.features = FeatureExtractor(lexicon, known=attributes | self.attributes2)

    @property
    def stacked(self) -> bool:
        """Does the model have a second, stacked pass?"""
        return self._bytes2 is not None

    def _tagger(self, stage: int = 1) -> pycrfsuite.Tagger:
        name = "tagger" if stage == 1 else "tagger2"
        tagger = getattr(self._local, name, None)
        if tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self._bytes if stage == 1 else self._bytes2)
            setattr(self._local, name, tagger)
        return tagger

    def first_pass(self, xseq: list[tuple[str, ...]]) -> tuple[list[str], list[float], list[str | None]]:
        """The first CRF's labels, each label's marginal and, below 0.95, the runner-up."""
        tagger = self._tagger()
        tagger.set(xseq)
        labels = tagger.tag()
        mfn = tagger.marginal
        conf = [mfn(lab, i) for i, lab in enumerate(labels)]
        second: list[str | None] = [None] * len(labels)
        for i, p in enumerate(conf):
            if p < 0.95:
                best, bp = None, -1.0
                for lab in self.labels:
                    if lab != labels[i]:
                        q = mfn(lab, i)
                        if q > bp:
                            best, bp = lab, q
                second[i] = best
        return labels, conf, second

    def stack(self, tokens: list[str], xseq: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """The second pass's features: the token features plus the first pass's labelling."""
        labels, conf, second = self.first_pass(xseq)
        # Not filtered: nearly every label feature is known, and CRFsuite skips the rest.
        return [x + st for x, st in zip(xseq, stack_features(tokens, labels, conf, second), strict=True)]

    def tag(self, tokens: list[str], *, marginals: bool = False, marginals_below: float = 0.0) -> TagResult:
        """Label each token; the sequence probability (and the marginals) come with it.

        Args:
            tokens: The tokens of one reference.
            marginals: Also compute every token's marginal.
            marginals_below: Compute them only when the sequence probability is below this.
        """
        if not tokens:
            return TagResult((), (), 0.0, ())
        xseq = self.features.sequence(tokens)
        if self._bytes2 is not None:
            xseq = self.stack(tokens, xseq)
            tagger = self._tagger(2)
        else:
            tagger = self._tagger()
        tagger.set(xseq)
        labels = tagger.tag()
        prob = tagger.probability(labels)
        marg: tuple[float, ...] = ()
        if marginals or prob < marginals_below:
            mfn = tagger.marginal
            marg = tuple(mfn(lab, i) for i, lab in enumerate(labels))
        return TagResult(tuple(tokens), tuple(labels), prob, marg)

    def save(self, path: str | Path) -> None:
        """Write the model file atomically (temporary file, then rename)."""
        self.save_as(path, self.meta)

    def save_as(self, path: str | Path, meta: dict[str, Any]) -> None:
        """Write the model file with ``meta`` as its metadata."""
        write_model_file(
            path, self._bytes, self.lexicon, meta, self.attributes, stage2=self._bytes2, attributes2=self.attributes2
        )


def write_model_file(
    path: str | Path,
    crf_bytes: bytes,
    lexicon: Lexicon,
    meta: dict[str, Any],
    attributes: Iterable[str],
    *,
    stage2: bytes | None = None,
    attributes2: Iterable[str] = (),
) -> None:
    """Write a model archive atomically, with fixed timestamps (reproducible bytes)."""
    import os
    import tempfile

    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; -o takes the model file to write", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write the model: {exc.strerror or exc}", path=str(path)) from None
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name, data in (
                ("meta.json", json.dumps({"format": MODEL_FORMAT, **meta}, indent=1, sort_keys=True).encode()),
                ("lexicon.json", json.dumps(lexicon.to_json(), separators=(",", ":"), ensure_ascii=False).encode()),
                ("attributes.txt", "\n".join(sorted(attributes)).encode()),
                ("model.crfsuite", crf_bytes),
                *(
                    ()
                    if stage2 is None
                    else (("attributes2.txt", "\n".join(sorted(attributes2)).encode()), ("stage2.crfsuite", stage2))
                ),
            ):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write the model: {exc.strerror or exc}", path=str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: str | Path) -> CRFModel:
    """Read a model file written by :func:`kmgraph.references.crf.train.train`.

    Raises:
        DocumentNotFound: When there is no file at ``path``.
        MalformedInput: When the file is not a model file of this version.
    """
    path = Path(path)
    if path.is_dir():
        raise MalformedInput("is a folder, not a model file", path=str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read("meta.json"))
            lexicon = Lexicon.from_json(json.loads(zf.read("lexicon.json")))
            crf = zf.read("model.crfsuite")
            attributes = frozenset(zf.read("attributes.txt").decode().split("\n"))
            names = set(zf.namelist())
            stage2 = zf.read("stage2.crfsuite") if "stage2.crfsuite" in names else None
            attributes2 = (
                frozenset(zf.read("attributes2.txt").decode().split("\n")) if "attributes2.txt" in names else None
            )
    except FileNotFoundError as exc:
        raise DocumentNotFound("model file not found", path=str(path)) from exc
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise MalformedInput(f"not a kmgraph reference-parser model ({exc})", path=str(path)) from exc
    except OSError as exc:
        raise MalformedInput(f"cannot read the model: {exc.strerror or exc}", path=str(path)) from exc
    if meta.get("format") != MODEL_FORMAT:
        raise MalformedInput(f"model format {meta.get('format')!r} is not {MODEL_FORMAT}; retrain it", path=str(path))
    return CRFModel(crf, lexicon, meta, attributes, stage2, attributes2)


@lru_cache(maxsize=8)
def _cached(path: str) -> CRFModel:
    return load_model(path)


def default_model(path: str | Path | None = None) -> CRFModel:
    """The shipped model (or the model at ``path``), loaded once and then reused."""
    return _cached(str(Path(path) if path is not None else default_model_path()))
