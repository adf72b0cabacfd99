"""Choosing the parser behind parse_reference (CRF or rules), on the library and the CLI,
and the CRF's confidence and caches."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.references import parse as rp
from kmgraph.references.crf.features import tokenize
from kmgraph.references.crf.model import default_model, default_model_path
from kmgraph.references.crf.parser import parse_reference_crf

APA = "Levin, B. (2011). Mobilising research knowledge in education. London Review of Education, 9(1), 15–26."


def test_parser_argument_routes_to_the_chosen_parser() -> None:
    crf = rp.parse_reference(APA, parser="crf")
    rules = rp.parse_reference(APA, parser="rules")
    both = rp.parse_reference(APA, parser="crf+rules")
    assert crf == parse_reference_crf(APA)
    assert rules == rp.parse_reference_rules(APA)
    assert both == rp.parse_reference_combined(APA) == crf  # the CRF is sure here
    assert rp.parse_reference(APA) == {"crf": crf, "rules": rules, "crf+rules": both}[rp.DEFAULT_PARSER]
    for parsed in (crf, rules, both):
        assert parsed.fields["container"] == "London Review of Education"
        assert parsed.fields["volume"] == "9" and parsed.fields["number"] == "1"


def test_a_model_means_the_crf_and_bad_choices_raise() -> None:
    assert rp.parse_reference(APA, model=default_model_path()) == parse_reference_crf(APA)
    assert rp.parse_reference(APA, model=default_model()).fields["pages"] == "15--26"
    with pytest.raises(ValueError, match="unknown parser"):
        rp.parse_reference(APA, parser="neural")
    with pytest.raises(ValueError, match="CRF parser"):
        rp.parse_reference(APA, parser="rules", model=default_model_path())
    assert rp.DEFAULT_PARSER in rp.PARSERS


def test_confidence_is_the_sequence_probability_and_never_above_a_marginal() -> None:
    model = default_model()
    tokens = tokenize(APA)
    res = model.tag(tokens, marginals=True)
    assert len(res.marginals) == len(tokens)
    assert 0.0 < res.probability <= min(res.marginals) + 1e-9
    assert parse_reference_crf(APA).confidence == round(res.probability, 3)
    assert model.tag(tokens).marginals == ()  # not computed unless asked for


def test_unsure_parse_names_its_least_sure_token() -> None:
    sure = parse_reference_crf(APA)
    assert sure.confidence > 0.5 and sure.reason is None
    parsed = parse_reference_crf("Proceedings of something, 1999, Paris, London, Jones, Springer, vol 3")
    assert parsed.confidence < 0.5
    assert parsed.reason and "unsure of '" in parsed.reason and "(p=0." in parsed.reason


def test_cold_caches_give_the_same_result() -> None:
    model = default_model()
    warm = parse_reference_crf(APA, model=model)
    model.features.clear_caches()
    assert parse_reference_crf(APA, model=model) == warm


def _cli(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_cli_parser_option() -> None:
    crf = json.loads(_cli("refs", "parse", "--parser", "crf", APA).stdout)
    rules = json.loads(_cli("refs", "parse", "--parser", "rules", APA).stdout)
    assert crf["fields"] == parse_reference_crf(APA).fields
    assert rules["fields"] == rp.parse_reference_rules(APA).fields
    assert rules["confidence"] == 1.0
    result = _cli("refs", "parse", "--parser", "rules", "--model", str(default_model_path()), APA, code=2)
    assert "--model goes with the CRF parser" in result.stderr
    _cli("refs", "parse", "--parser", "neural", APA, code=2)


def test_cli_help_names_the_library_default() -> None:
    out = _cli("refs", "parse", "--help").stdout
    assert f"default: {rp.DEFAULT_PARSER}" in " ".join(out.split())


def test_combined_parser_takes_the_rules_only_when_the_model_is_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    from kmgraph.records import ParsedReference

    text = "Some reference"
    full = ParsedReference(text, {"type": "book", "author": ["A, B."], "title": "T", "year": "2000"}, 1.0)
    partial = ParsedReference(text, {"type": "misc", "title": "T"}, 0.4)
    crf_calls: list[str] = []

    def fake_crf(t: str, *, model=None) -> ParsedReference:  # noqa: ANN001
        crf_calls.append(t)
        return fake_crf.result

    monkeypatch.setattr("kmgraph.references.crf.parser.parse_reference_crf", fake_crf)
    monkeypatch.setattr(rp, "parse_reference_rules", lambda t: fake_rules.result)
    fake_rules = type("R", (), {})()

    # unsure CRF, complete rules with at least as many fields: the rules
    fake_crf.result, fake_rules.result = partial, full
    assert rp.parse_reference_combined(text) is full
    # sure CRF: the CRF, however complete the rules are
    sure = ParsedReference(text, partial.fields, rp.COMBINE_BELOW)
    fake_crf.result = sure
    assert rp.parse_reference_combined(text) is sure
    # unsure CRF, rules not fully confident: the CRF
    fake_crf.result, fake_rules.result = partial, ParsedReference(text, full.fields, 0.9)
    assert rp.parse_reference_combined(text) is partial
    # unsure CRF, complete rules with fewer fields: the CRF
    fake_crf.result = ParsedReference(text, {**full.fields, "pages": "1--2"}, 0.3)
    fake_rules.result = full
    assert rp.parse_reference_combined(text) is fake_crf.result
    assert len(crf_calls) == 4
