"""The parser-training commands: refs train, --model, refs review."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kmgraph.cli import cli
from tests.conftest import FIXTURES
from tests.references.test_crf import _FIXTURE


def invoke(*args: str, code: int = 0, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_train_then_parse_with_the_model(tmp_path: Path) -> None:
    data = tmp_path / "mine.jsonl"
    data.write_text(
        "\n".join(json.dumps({"text": " ".join(t for t, _ in seq), "tokens": seq}) for seq in _FIXTURE) + "\n",
        encoding="utf-8",
    )
    model = tmp_path / "mine.crfmodel"
    out = invoke("refs", "train", str(data), "-o", str(model), "--max-iterations", "30").stdout
    assert "10 references" in out and model.is_file()
    parsed = json.loads(invoke("refs", "parse", "--model", str(model), "Kim, D. (2011). Slow rivers. Toronto: Pine Press.").stdout)
    assert parsed["fields"]["year"] == "2011"
    assert parsed["fields"]["author"] == ["Kim, D."]


def test_model_option_on_extract_and_a_missing_model_is_exit_3(tmp_path: Path) -> None:
    doc = FIXTURES / "documents" / "vancouver.txt"
    from kmgraph.references.crf.model import default_model_path

    out = json.loads(invoke("extract", str(doc), "--model", str(default_model_path())).stdout)
    assert [r["label"] for r in out["references"]] == ["1", "2", "3", "4"]
    result = CliRunner().invoke(cli, ["extract", str(doc), "--model", str(tmp_path / "none.crfmodel")])
    assert result.exit_code == 3 and "none.crfmodel" in result.stderr


def test_train_on_a_file_that_is_not_annotated_is_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not json\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["refs", "train", str(bad), "-o", str(tmp_path / "m.crfmodel")])
    assert result.exit_code == 3 and "bad.jsonl" in result.stderr


def test_review_lists_least_confident_first(tmp_path: Path) -> None:
    store = tmp_path / "refs"
    invoke("ingest", str(FIXTURES / "documents"), "--store", str(store))
    items = json.loads(invoke("refs", "review", "--store", str(store), "--format", "json", "--limit", "5").stdout)
    assert 0 < len(items) <= 5
    confidences = [i["confidence"] for i in items]
    assert confidences == sorted(confidences)
    assert all(i["raw"] and "fields" in i for i in items)
    text = invoke("refs", "review", "--store", str(store), "--limit", "2").stdout
    assert "raw:" in text and "stored:" in text
