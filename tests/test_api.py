"""The small public API of the top-level package."""

from __future__ import annotations

from pathlib import Path

import kmgraph
import kmgraph.ingest  # noqa: F401  the readers subpackage must not shadow the function
from tests.conftest import FIXTURES


def test_public_names_resolve() -> None:
    for name in kmgraph.__all__:
        assert getattr(kmgraph, name) is not None


def test_extract_and_ingest_documents_from_python(tmp_path: Path) -> None:
    ex = kmgraph.extract(FIXTURES / "documents" / "ieee-slides.txt")
    assert [r.label for r in ex.references] == ["1", "2"]
    report = kmgraph.ingest_documents([FIXTURES / "documents" / "ieee-slides.txt"], tmp_path / "refs")
    assert report.references == 2
    assert len(kmgraph.Store.open(tmp_path / "refs").entries) == 3
    assert kmgraph.parse_reference("Ward, V. (2017). Why, whose, what and how?").fields["year"] == "2017"
    assert kmgraph.find_links([FIXTURES / "documents" / "link-definitions.md"]).links
