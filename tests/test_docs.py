"""The docs say what the code does."""

from __future__ import annotations

import re

from kmgraph.pipeline import extract
from tests.conftest import FIXTURES, ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_opens_with_two_commands_and_ci_runs_the_second() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_blocks = text.split("\n## ")[0]
    assert first_blocks.count("```sh") == 2, "the README opens with exactly two commands"
    install_and_run, test = readme_commands()
    assert "pip install ." in install_and_run and "kmgraph ingest examples" in install_and_run
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_key_of_the_extract_json_is_documented() -> None:
    doc = (ROOT / "docs" / "extract-json.md").read_text(encoding="utf-8")
    data = extract(FIXTURES / "documents" / "apa7-blog-post.md").to_dict()
    funded = extract(FIXTURES / "ingest" / "funded_article.html").to_dict()
    assert funded["funders"] and funded["affiliations"]
    data.update(funders=funded["funders"], affiliations=funded["affiliations"])

    def keys(value, prefix=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if prefix.endswith("front_matter") or prefix.endswith("fields"):
                    continue
                yield k
                yield from keys(v, f"{prefix}.{k}")
        elif isinstance(value, list):
            for v in value:
                yield from keys(v, prefix)

    missing = sorted({k for k in keys(data) if f"`{k}`" not in doc and f'"{k}"' not in doc})
    assert missing == []


def test_exit_codes_agree_between_help_and_readme() -> None:
    from kmgraph.cli import EXIT_CODES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in re.findall(r"^\s+(\d)\s", EXIT_CODES, flags=re.M):
        assert re.search(rf"^\| {code} \|", readme, flags=re.M), f"exit code {code} missing from README"
