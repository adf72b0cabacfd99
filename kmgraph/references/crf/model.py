"""The trained CRF: loading a model file and tagging reference tokens.

A model file is a small zip archive holding three members:

- ``model.crfsuite``: the CRFsuite model (python-crfsuite);
- ``lexicon.json``: the dictionary classes the features need (:class:`Lexicon`),
  built from the same training data;
- ``meta.json``: the format version, label set, training parameters and data digest;
- ``attributes.txt``: the feature names the CRF kept (one per line), so that the
  feature extractor drops the others before they reach CRFsuite.

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
from kmgraph.references.crf.features import FeatureExtractor, Lexicon

__all__ = ["MODEL_FORMAT", "CRFModel", "default_model", "default_model_path", "load_model"]

#: Version of the model-file layout; bumped when features change incompatibly.
MODEL_FORMAT = 1
_DEFAULT_NAME = "refparse.crfmodel"


def default_model_path() -> Path:
    """Where the shipped model is inside the installed package."""
    return Path(str(resources.files("kmgraph.references.crf") / "data" / _DEFAULT_NAME))


@dataclass(frozen=True)
class TagResult:
    """Labels of one tokenised reference and their marginal probabilities."""

    tokens: tuple[str, ...]
    labels: tuple[str, ...]
    marginals: tuple[float, ...]


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
    ) -> None:
        self._bytes = crf_bytes  # open_inmemory does not copy: keep the buffer alive
        self.lexicon = lexicon
        self.meta = dict(meta or {})
        self._local = threading.local()
        self.labels = tuple(self._tagger().labels())
        if attributes is None:
            attributes = frozenset(a for a, _ in self._tagger().info().state_features)
        self.attributes = attributes
        self.features = FeatureExtractor(lexicon, known=attributes)

    def _tagger(self) -> pycrfsuite.Tagger:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self._bytes)
            self._local.tagger = tagger
        return tagger

    def tag(self, tokens: list[str]) -> TagResult:
        """Label each token; the marginal of each chosen label comes with it."""
        if not tokens:
            return TagResult((), (), ())
        tagger = self._tagger()
        labels = tagger.tag(self.features.sequence(tokens))
        marg = tagger.marginal
        marginals = tuple(marg(lab, i) for i, lab in enumerate(labels))
        return TagResult(tuple(tokens), tuple(labels), marginals)

    def save(self, path: str | Path) -> None:
        """Write the model file atomically (temporary file, then rename)."""
        write_model_file(path, self._bytes, self.lexicon, self.meta, self.attributes)


def write_model_file(
    path: str | Path, crf_bytes: bytes, lexicon: Lexicon, meta: dict[str, Any], attributes: Iterable[str]
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
    except FileNotFoundError as exc:
        raise DocumentNotFound("model file not found", path=str(path)) from exc
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise MalformedInput(f"not a kmgraph reference-parser model ({exc})", path=str(path)) from exc
    except OSError as exc:
        raise MalformedInput(f"cannot read the model: {exc.strerror or exc}", path=str(path)) from exc
    if meta.get("format") != MODEL_FORMAT:
        raise MalformedInput(f"model format {meta.get('format')!r} is not {MODEL_FORMAT}; retrain it", path=str(path))
    return CRFModel(crf, lexicon, meta, attributes)


@lru_cache(maxsize=8)
def _cached(path: str) -> CRFModel:
    return load_model(path)


def default_model(path: str | Path | None = None) -> CRFModel:
    """The shipped model (or the model at ``path``), loaded once and then reused."""
    return _cached(str(Path(path) if path is not None else default_model_path()))
