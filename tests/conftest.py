"""Shared fixtures: where the acceptance data lives, and how tests skip without it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# ../shared beside the checkout; KMGRAPH_SHARED overrides (e.g. for a CI layout).
SHARED = Path(os.environ.get("KMGRAPH_SHARED", ROOT.parent / "shared")).resolve()
SEEDS = SHARED / "seeds"
GOLD = SHARED / "seeds-gold"
REFPARSE = SHARED / "data" / "refparse"

SKIP_NO_SHARED = f"acceptance data not found at {SEEDS} (set KMGRAPH_SHARED to the shared/ folder)"


def seed_names() -> list[str]:
    """Stems of the seed documents, or [] when the shared folder is absent."""
    if not SEEDS.is_dir():
        return []
    return sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.fixture
def seeds_dir() -> Path:
    """The seed documents folder; skips the test when it is absent."""
    if not SEEDS.is_dir():
        pytest.skip(SKIP_NO_SHARED)
    return SEEDS


def load_gold(stem: str) -> dict:
    """The gold annotation of one seed; skips the test when it is absent."""
    path = GOLD / f"{stem}.json"
    if not path.is_file():
        pytest.skip(SKIP_NO_SHARED)
    return json.loads(path.read_text(encoding="utf-8"))


def seed_path(stem: str) -> Path:
    """The path of one seed document; skips the test when it is absent."""
    path = SEEDS / f"{stem}.txt"
    if not path.is_file():
        pytest.skip(SKIP_NO_SHARED)
    return path


@pytest.fixture(autouse=True)
def _private_link_status(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test records link verdicts in a file of its own, never in the checkout's workspace.

    ``kmgraph links check`` records by default in ``.kmgraph/link-status.json`` under the
    working directory; tests that want that path delete the variable themselves.
    """
    monkeypatch.setenv("KMGRAPH_LINK_STATUS", str(tmp_path_factory.mktemp("link-status") / "link-status.json"))
