"""The HTML view of the graph (kmgraph.graph.page and `kmgraph graph view`), without a browser:
what the page holds, that it loads nothing, how it escapes, that it is deterministic, and
the command's options and exit codes. tests/graph/test_page_browser.py drives it in Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kmgraph.cli import cli
from kmgraph.errors import UsageError
from kmgraph.graph.errors import NameNotFound
from kmgraph.graph.page import DEFAULT_MAX_NODES, DEFAULT_TITLE, TYPE_STYLES, render_page, view_data
from kmgraph.graph.view import EDGE_LABELS, NODE_TYPES, to_networkx

CONCEPT = "https://w3id.org/kmgraph/concept/"
DATA_RE = re.compile(r'<script id="kmgraph-data" type="application/json">(.*?)</script>', re.S)
SCRIPT_RE = re.compile(r"<script>(.*?)</script>", re.S)
STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)


def embedded(page: str) -> dict[str, Any]:
    """The JSON data a page carries, read back."""
    match = DATA_RE.search(page)
    assert match, "the page embeds its data"
    return json.loads(match.group(1))


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def tiny(label: str = "plain", names: list[str] | None = None) -> dict[str, Any]:
    """A hand-made two-node data set (the shape view_data returns)."""
    return {
        "nodes": [
            {"id": CONCEPT + "a", "type": "concept", "label": label, "key": "a", "degree": 1, "names": names or [], "attrs": []},
            {"id": "https://w3id.org/kmgraph/work/b", "type": "work", "label": "B", "key": "b", "degree": 1, "names": [], "attrs": [["URL", "javascript:alert(1)", "javascript:alert(1)"]]},
        ],
        "edges": [[1, 0, "subject", 2]],
        "types": [{"id": t, "name": TYPE_STYLES[t][0], "colour": TYPE_STYLES[t][1]} for t in NODE_TYPES],
        "edge_labels": {k: list(v) for k, v in EDGE_LABELS.items()},
        "selection": {"total": 2, "shown": 2, "max_nodes": 0, "around": [], "depth": None},
    }


# --------------------------------------------------------------------------- data


def test_data_has_every_node_and_edge_of_the_view(examples_graph: Dataset) -> None:
    view = to_networkx(examples_graph)
    data = view_data(examples_graph, max_nodes=None)
    assert [n["id"] for n in data["nodes"]] == sorted(view.nodes)
    assert len(data["edges"]) == view.number_of_edges()
    assert data["selection"] == {"total": len(view), "shown": len(view), "max_nodes": 0, "around": [], "depth": None}
    ids = [n["id"] for n in data["nodes"]]
    for u, v, edge_type, weight in data["edges"]:
        assert view.has_edge(ids[u], ids[v], key=edge_type)
        assert weight == view.edges[ids[u], ids[v], edge_type]["weight"]
    for node in data["nodes"]:
        attrs = view.nodes[node["id"]]
        assert (node["type"], node["label"], node["key"], node.get("year")) == (attrs["type"], attrs["label"], attrs["key"], attrs.get("year"))
        neighbours = set(view.successors(node["id"])) | set(view.predecessors(node["id"]))
        assert node["degree"] == len(neighbours)
    assert {t["id"] for t in data["types"]} == set(NODE_TYPES)
    assert data["edge_labels"]["cites"] == ["cites", "is cited by"]


def test_nodes_carry_the_names_they_are_searched_by(examples_graph: Dataset) -> None:
    nodes = {n["id"]: n for n in view_data(examples_graph)["nodes"]}
    kmb = nodes[CONCEPT + "knowledge-mobilization"]
    assert kmb["label"] == "knowledge mobilization"
    assert "KMb" in kmb["names"] and "knowledge mobilisation" in kmb["names"]
    assert ["definition"] == [a[0] for a in kmb["attrs"] if a[0] == "definition"]
    assert "KMb" in dict((a[0], a[1]) for a in kmb["attrs"])["also called"]
    organisations = [n for n in nodes.values() if n["type"] == "organisation" and any(a[0] == "acronym" for a in n["attrs"])]
    assert organisations, "a registered organisation shows its acronym"
    for org in organisations:
        acronym = dict((a[0], a[1]) for a in org["attrs"])["acronym"]
        assert acronym.split("; ")[0] in org["names"]
    works = [n for n in nodes.values() if n["type"] in ("source", "work")]
    assert all(n["label"] not in n["names"] and n["key"] not in n["names"] for n in nodes.values())
    links = [a for n in works for a in n["attrs"] if len(a) == 3]
    assert links and all(a[2].startswith(("https://", "http://")) for a in links)


def test_max_nodes_keeps_the_highest_degree(examples_graph: Dataset) -> None:
    full = view_data(examples_graph, max_nodes=0)
    degree = {n["id"]: n["degree"] for n in full["nodes"]}
    cut = view_data(examples_graph, max_nodes=8)
    kept = {n["id"] for n in cut["nodes"]}
    assert len(kept) == 8
    assert cut["selection"] == {**full["selection"], "shown": 8, "max_nodes": 8}
    assert min(degree[n] for n in kept) >= max(degree[n] for n in degree if n not in kept)
    assert all(0 <= u < 8 and 0 <= v < 8 for u, v, _, _ in cut["edges"])
    assert len(cut["edges"]) == sum(1 for u, v, *_ in full["edges"] if {full["nodes"][u]["id"], full["nodes"][v]["id"]} <= kept)
    assert view_data(examples_graph, max_nodes=10_000)["selection"]["shown"] == len(degree)


def test_around_keeps_the_neighbourhood(examples_graph: Dataset) -> None:
    view = to_networkx(examples_graph).to_undirected()
    iri = CONCEPT + "knowledge-brokering"
    one = view_data(examples_graph, around=["knowledge brokering"], depth=1)
    assert {n["id"] for n in one["nodes"]} == {iri, *view.neighbors(iri)}
    assert [n["id"] for n in one["nodes"] if n.get("centre")] == [iri]
    assert one["selection"]["around"] == ["knowledge brokering"] and one["selection"]["depth"] == 1
    two = view_data(examples_graph, around=["knowledge brokering"], depth=2)
    assert len(two["nodes"]) > len(one["nodes"])
    only = view_data(examples_graph, around=["knowledge brokering"], depth=2, max_nodes=1)
    assert [n["id"] for n in only["nodes"]] == [iri], "the entity named is kept first"
    assert [n["id"] for n in view_data(examples_graph, around=["knowledge brokering"], depth=0)["nodes"]] == [iri]


def test_bad_selections_are_usage_errors(examples_graph: Dataset) -> None:
    with pytest.raises(NameNotFound):
        view_data(examples_graph, around=["no such thing at all"])
    with pytest.raises(UsageError, match="--depth"):
        view_data(examples_graph, depth=-1)
    with pytest.raises(UsageError, match="--max-nodes"):
        view_data(examples_graph, max_nodes=-3)


# --------------------------------------------------------------------------- page


def test_page_is_self_contained(examples_graph: Dataset) -> None:
    page = render_page(view_data(examples_graph))
    head = page.split("<body>")[0]
    assert not re.search(r"<(link|iframe|img|object|embed|base)\b", page, re.I), "no external resource elements"
    markup = DATA_RE.sub("", SCRIPT_RE.sub("", page))
    assert not re.search(r"\b(src|href|srcset|action|poster|background)\s*=", markup, re.I), "no attribute loads anything"
    assert not re.search(r"@import|url\(|@font-face", STYLE_RE.search(page).group(1), re.I)
    script = SCRIPT_RE.search(page).group(1)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|importScripts|sendBeacon)\b|import\(", script)
    assert set(re.findall(r"https?://[^\s\"']+", script)) == {"http://www.w3.org/2000/svg"}, "only the SVG namespace"
    # The browser enforces it too: nothing may be fetched, only the page's own script and style run.
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', head).group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy and "unsafe" not in policy
    for pattern, directive in ((SCRIPT_RE, "script-src"), (STYLE_RE, "style-src")):
        body = pattern.search(page).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert page.count("<script") == 2 and page.count("</script>") == 2


def test_page_embeds_the_data(examples_graph: Dataset) -> None:
    data = view_data(examples_graph)
    page = render_page(data, title="Examples")
    assert embedded(page) == data
    assert "<title>Examples</title>" in page and "<h1>Examples</h1>" in page
    assert f"<title>{DEFAULT_TITLE}</title>" in render_page(data)
    assert page.endswith("</html>\n")


def test_data_and_title_cannot_break_out_of_the_page() -> None:
    nasty = "</script><script>alert(1)</script><!-- & \u2028 </SCRIPT >"
    data = tiny(nasty, names=["<b>bold</b>"])
    page = render_page(data, title='<img src=x onerror="alert(1)"> & co')
    assert embedded(page) == data, "the data reads back exactly"
    raw = DATA_RE.search(page).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    assert page.count("</script>") == 2 and "</SCRIPT" not in page
    assert "<title>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co</title>" in page
    assert "<img" not in page


def test_assets_never_close_their_element() -> None:
    from importlib import resources

    assets = resources.files("kmgraph.graph").joinpath("assets")
    for name, tag in (("view.js", "script"), ("view.css", "style")):
        text = assets.joinpath(name).read_text(encoding="utf-8")
        assert len(text) > 1000
        assert not re.search(rf"</{tag}|<!--", text, re.I)


def test_page_is_deterministic(examples_graph: Dataset, examples_dir: Path) -> None:
    from kmgraph.graph.build import build

    first = render_page(view_data(examples_graph))
    again = build(examples_dir / "refs", root=examples_dir).dataset  # a new build of the same store
    assert render_page(view_data(again)) == first
    assert render_page(view_data(examples_graph, max_nodes=5)) == render_page(view_data(examples_graph, max_nodes=5))


def test_seed_page_finds_knowledge_brokering(seed_graph: Dataset) -> None:
    data = view_data(seed_graph)
    by_label = {n["label"]: n for n in data["nodes"]}
    assert "knowledge brokering" in by_label and by_label["knowledge brokering"]["type"] == "concept"
    assert {n["type"] for n in data["nodes"]} == set(NODE_TYPES)
    assert "KMb" in by_label["knowledge mobilization"]["names"]


# --------------------------------------------------------------------------- command


@pytest.fixture
def built(in_examples: Path) -> Path:
    run("graph", "build", "--store", "refs")
    return in_examples


def test_view_writes_the_page(built: Path) -> None:
    result = run("graph", "view")
    page = (built / "graph.html").read_text(encoding="utf-8")
    data = embedded(page)
    assert result.stderr.strip() == f"{len(data['nodes'])} nodes, {len(data['edges'])} edges -> graph.html"
    assert result.stdout == ""
    run("graph", "view", "-o", "again.html")
    assert (built / "again.html").read_text(encoding="utf-8") == page, "same graph, same bytes"
    out = run("graph", "view", "-o", "-", "--title", "Mine")
    assert "<title>Mine</title>" in out.stdout and embedded(out.stdout) == data


def test_view_options(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    total = len(embedded(run("graph", "view", "-o", "-").stdout)["nodes"])
    few = run("graph", "view", "--max-nodes", "3", "-o", "few.html")
    assert f"kmgraph: warning: {total} nodes; the page shows the 3 of highest degree" in few.stderr
    assert len(embedded((built / "few.html").read_text(encoding="utf-8"))["nodes"]) == 3
    around = run("graph", "view", "--around", "KMb", "--depth", "0", "-o", "kmb.html")
    assert around.stderr.strip() == "1 nodes, 0 edges -> kmb.html"
    assert embedded((built / "kmb.html").read_text(encoding="utf-8"))["nodes"][0]["id"] == CONCEPT + "knowledge-mobilization"
    assert "--depth has no effect" in run("graph", "view", "--depth", "2", "-o", "d.html").stderr
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    run("graph", "view", "-o", "open.html", "--open")
    assert opened == [(built / "open.html").resolve().as_uri()]


def test_view_errors(in_examples: Path) -> None:
    missing = run("graph", "view", code=5)
    assert ".kmgraph/graph.nq" in missing.stderr and "graph build" in missing.stderr
    assert not (in_examples / "graph.html").exists()
    run("graph", "build", "--store", "refs")
    unwritable = run("graph", "view", "-o", str(in_examples / "no-such-folder" / "g.html"), code=3)
    assert "no-such-folder" in unwritable.stderr and "Traceback" not in unwritable.output
    unknown = run("graph", "view", "--around", "no such entity anywhere", code=2)
    assert "no entity named" in unknown.stderr
    run("graph", "view", "--max-nodes", "-1", code=2)


def test_view_help_and_defaults() -> None:
    from kmgraph.cli import graph_view

    assert (graph_view.DEFAULT_MAX_NODES, graph_view.DEFAULT_TITLE) == (DEFAULT_MAX_NODES, DEFAULT_TITLE)
    text = run("graph", "view", "--help").output
    assert "Exit codes:" in text and "--max-nodes" in text and "--around" in text
