"""The docstring examples of the ingest modules run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "kmgraph.ingest.urls",
    "kmgraph.ingest.detect",
    "kmgraph.ingest.dates",
    "kmgraph.ingest.noise",
    "kmgraph.ingest.text",
    "kmgraph.ingest.markdown",
    "kmgraph.ingest.bibtex",
    "kmgraph.ingest.pdf",
    "kmgraph.ingest.reader",
    "kmgraph.paths",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
