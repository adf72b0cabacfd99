"""The examples in the graph modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "kmgraph.ontology.namespaces",
        "kmgraph.graph.serialize",
        "kmgraph.graph.build",
        "kmgraph.graph.query",
        "kmgraph.graph.view",
        "kmgraph.graph.export",
        "kmgraph.graph.workspace",
        "kmgraph.graph.validate",
    ],
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
