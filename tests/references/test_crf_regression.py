"""The CRF parser's output does not change when its speed does.

``tests/fixtures/crf_regression.json`` holds, for reference strings written for this
test (invented, in APA, MLA, Chicago, IEEE, Vancouver and French styles, plus two
degenerate inputs), the labels, sequence probability, contract fields, confidence and
reason that the shipped model gave before the speed work of issue 4. The whole
``train.jsonl`` and ``test.jsonl`` are checked the same way by
``benchmarks/refparse.py --compare-output`` (docs/refparse.md, "Speed").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmgraph.references.crf.features import FeatureExtractor, tokenize
from kmgraph.references.crf.model import default_model
from kmgraph.references.crf.parser import parse_reference_crf

CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "crf_regression.json").read_text("utf-8"))


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_output_is_what_it_was(cold: bool) -> None:
    model = default_model()
    if cold:
        model.features.clear_caches()
    for case in CASES:
        res = model.tag(tokenize(case["text"]))
        assert list(res.labels) == case["labels"], case["text"]
        assert round(res.probability, 9) == case["probability"], case["text"]
        got = parse_reference_crf(case["text"], model=model)
        assert (got.fields, got.confidence, got.reason) == (case["fields"], case["confidence"], case["reason"])


def test_tagging_features_are_the_training_features_the_model_knows() -> None:
    """The cached tagging path gives, in the same order, the features of the uncached
    training path that the model knows (CRFsuite sums weights in attribute order)."""
    model = default_model()
    full = FeatureExtractor(model.lexicon)  # known=None: every feature
    known = model.features.known
    assert known
    for case in CASES * 2:  # the second round comes from the caches
        tokens = tokenize(case["text"])
        want = [tuple(f for f in item if f in known) for item in full.sequence(tokens, own=())]
        got = [tuple(f.decode() for f in item) for item in model.features.sequence(tokens)]  # bytes when tagging
        assert got == want, case["text"]
