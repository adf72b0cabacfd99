"""Graphs shared by the graph tests: the bundled store with the seeds, and examples/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Dataset

from kmgraph.graph.build import BuildResult, build
from kmgraph.pipeline import ingest
from tests.conftest import ROOT, SEEDS, SKIP_NO_SHARED


@pytest.fixture(scope="session")
def seed_build() -> BuildResult:
    """The graph of the bundled store, its documents (the seeds) read from ../shared."""
    if not SEEDS.is_dir():
        pytest.skip(SKIP_NO_SHARED)
    return build(ROOT / "references", root=ROOT)


@pytest.fixture(scope="session")
def seed_graph(seed_build: BuildResult) -> Dataset:
    return seed_build.dataset


@pytest.fixture(scope="session")
def examples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with a copy of examples/ ingested into refs/ (from that folder)."""
    work = tmp_path_factory.mktemp("examples-work")
    shutil.copytree(ROOT / "examples", work / "examples")
    here = Path.cwd()
    os.chdir(work)
    try:
        ingest(["examples"], "refs")
    finally:
        os.chdir(here)
    return work


@pytest.fixture(scope="session")
def examples_graph(examples_dir: Path) -> Dataset:
    return build(examples_dir / "refs", root=examples_dir).dataset


@pytest.fixture
def in_examples(examples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of the examples working folder, as the working directory."""
    work = tmp_path / "work"
    shutil.copytree(examples_dir, work)
    monkeypatch.chdir(work)
    yield work


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """rdflib's Dataset warns about its own deprecated attribute on every lookup."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"))
