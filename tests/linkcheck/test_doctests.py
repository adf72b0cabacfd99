"""The docstring examples of the link-checker modules run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "kmgraph.linkcheck.status",
    "kmgraph.linkcheck.config",
    "kmgraph.linkcheck.collect",
    "kmgraph.linkcheck.local",
    "kmgraph.linkcheck.check",
    "kmgraph.linkcheck.report",
    "kmgraph.linkcheck.cache",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
