"""Loose names and small command-line conveniences of the graph commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kmgraph.cli import cli
from kmgraph.graph.errors import AmbiguousName, NameNotFound
from kmgraph.graph.query import entity, path


def test_a_family_name_alone_finds_the_one_person(examples_graph: Dataset) -> None:
    found = entity(examples_graph, "Levin")
    assert (found.kind, found.id) == ("person", "levin-b")
    assert entity(examples_graph, "levin", ["person"]).id == "levin-b"  # case and accents do not matter


def test_exact_names_win_and_unknown_names_fail(examples_graph: Dataset) -> None:
    with pytest.raises(NameNotFound):
        entity(examples_graph, "Nobodyhere")
    # an exact name still wins over a family name: the key levin2008thinking is a work
    assert entity(examples_graph, "levin2008thinking").kind == "work"


def test_a_family_name_shared_by_two_people_lists_them(examples_graph: Dataset) -> None:
    from kmgraph.graph.query import _ids, _names

    names = _names(examples_graph)
    saved = dict(names.surnames)
    try:
        names.surnames["levin"] = {*_ids(saved["levin"]), entity(examples_graph, "Cooper, A.").iri}
        with pytest.raises(AmbiguousName, match="levin-b"):
            entity(examples_graph, "Levin")
    finally:
        names.surnames.clear()
        names.surnames.update(saved)


def test_path_from_an_entity_to_itself(examples_graph: Dataset, in_examples: Path) -> None:
    assert path(examples_graph, "levin2008thinking", "levin2008thinking").found
    runner = CliRunner()
    assert runner.invoke(cli, ["graph", "build", "--store", "refs"]).exit_code == 0
    result = runner.invoke(cli, ["path", "levin2008thinking", "levin2008thinking"])
    assert result.exit_code == 0
    assert "both ends are work" in result.stderr and "a path of length 0" in result.stderr


def test_sparql_reads_any_file_and_stdin(in_examples: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["graph", "build", "--store", "refs"]).exit_code == 0
    (in_examples / "count.query").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a skos:Concept }", encoding="utf-8")
    from_file = runner.invoke(cli, ["sparql", "count.query", "--format", "json"])
    assert from_file.exit_code == 0, from_file.output
    assert int(json.loads(from_file.stdout)[0]["n"]) >= 40
    from_stdin = runner.invoke(cli, ["sparql", "-", "--format", "json"], input="ASK { ?s a skos:Concept }")
    assert from_stdin.exit_code == 0 and json.loads(from_stdin.stdout) == {"boolean": True}
