"""The built wheel carries what the package needs at run time (the ontology data)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow


def test_wheel_installs_into_a_fresh_venv_and_finds_its_ontology(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("kmgraph-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "kmgraph/ontology/data/concepts.ttl" in names
    assert "kmgraph/py.typed" in names
    assert "kmgraph/references/crf/data/refparse.crfmodel" in names
    assert "kmgraph/graph/assets/view.js" in names and "kmgraph/graph/assets/view.css" in names
    assert all(n.startswith(("kmgraph/", "kmgraph-")) for n in names), "only the kmgraph package is installed"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=900)
    # Run from a folder outside the checkout, so the checkout's ontology/ cannot be used.
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [str(py), "-c", "import kmgraph.ontology as o; print(o.data_dir())"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert str(env_dir) in where
    kmgraph = env_dir / "bin" / "kmgraph"
    doc = FIXTURES / "documents" / "apa7-blog-post.md"
    out = subprocess.run([str(kmgraph), "extract", str(doc)], cwd=work, env=env, capture_output=True, text=True, check=True)
    import json

    data = json.loads(out.stdout)
    assert "knowledge brokering" in {c["label"] for c in data["concepts"]}
    # The reference-parser model loads from the installed wheel and parses with the CRF.
    ref = "Levin, B. (2011). Mobilising research knowledge in education. London Review of Education, 9(1), 15–26."
    out = subprocess.run(
        [str(kmgraph), "refs", "parse", "--parser", "crf", ref], cwd=work, env=env, capture_output=True, text=True, check=True
    )
    parsed = json.loads(out.stdout)
    assert parsed["fields"]["container"] == "London Review of Education" and parsed["fields"]["pages"] == "15--26"
