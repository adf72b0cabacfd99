"""The graph page in a real headless Chromium, driven by Selenium through ChromeDriver.

Loaded from file:// with the network of the page watched: it must fetch nothing, log no
error, draw one SVG circle per node, find a concept by its label or acronym and select
it, and show a clicked node's neighbours with the edge labels.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package
(``pip install -e '.[test]'``). The test skips when one is missing, or fails when
``KMGRAPH_REQUIRE_BROWSER`` is set (CI). ``KMGRAPH_CHROMIUM`` and ``KMGRAPH_CHROMEDRIVER``
name other binaries. Selenium Manager is never used (the driver path is given, and
``SE_OFFLINE`` is set), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset

from kmgraph.graph.page import TYPE_STYLES, render_page, view_data
from kmgraph.graph.view import EDGE_LABELS, NODE_TYPES

CHROMIUM = os.environ.get("KMGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KMGRAPH_CHROMEDRIVER", "/usr/bin/chromedriver")
HOW_TO_INSTALL = (
    "apt-get install -y --no-install-recommends chromium chromium-driver, "
    "and pip install -e '.[test]' (selenium)"
)
WAIT = 90  # seconds, for the layout of a page on a busy machine
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
)
# Installed before any script of the page runs: records errors, rejected promises and
# Content-Security-Policy violations (an attempt to load anything).
WATCH = """
window.__problems = [];
window.addEventListener('error', function (e) { window.__problems.push('error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) { window.__problems.push('rejection: ' + e.reason); });
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI);
});
window.alert = function (m) { window.__problems.push('alert: ' + m); };
"""


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} not found"
    return None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    missing = _missing()
    if missing:
        message = f"the browser test needs Chromium, ChromeDriver and selenium ({missing}): {HOW_TO_INSTALL}"
        if os.environ.get("KMGRAPH_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    offline = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"
    profile = tempfile.mkdtemp(prefix="kmgraph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        browser.set_page_load_timeout(60)
        browser.set_script_timeout(30)
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
        if offline is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = offline


def _wait(driver: Any, condition: Any, what: str, timeout: float = 15) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition, message=f"timed out waiting for {what}")


def _open(driver: Any, page: Path) -> None:
    """Load the page, wait for its layout, and check it logged and fetched nothing wrong."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(page.resolve().as_uri())
    _wait(driver, lambda d: d.find_element("id", "graph").get_attribute("data-layout") == "done", "the layout", WAIT)
    _check_clean(driver, loaded=True)


def _check_clean(driver: Any, *, loaded: bool = False) -> None:
    """No error logged or thrown, nothing requested but the page itself (``loaded``: the
    page was just loaded, so its own request must be among those seen)."""
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe
    assert driver.execute_script("return window.__problems") == []
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    assert all(url.startswith("file://") for url in requested), f"only the page itself: {requested}"
    if loaded:
        assert any(url.startswith("file://") for url in requested), "the network log works"


def _write(tmp_path: Path, data: dict[str, Any], name: str = "graph.html") -> Path:
    page = tmp_path / name
    page.write_text(render_page(data), encoding="utf-8")
    return page


def _selected(driver: Any) -> int | None:
    value = driver.find_element("id", "graph").get_attribute("data-selected")
    return None if value is None else int(value)


def _search(driver: Any, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("id", "search")
    box.send_keys(Keys.ESCAPE)
    box.clear()
    box.send_keys(text)


def _expected_neighbours(data: dict[str, Any], index: int) -> list[tuple[str, str]]:
    """(relation, neighbour label) of every edge of a node, as the page must list them."""
    out = []
    for u, v, edge_type, _weight in data["edges"]:
        if u == index:
            out.append((EDGE_LABELS[edge_type][0], data["nodes"][v]["label"]))
        if v == index:
            out.append((EDGE_LABELS[edge_type][1], data["nodes"][u]["label"]))
    return sorted(out)


def _shown_neighbours(driver: Any) -> list[tuple[str, str]]:
    rows = driver.find_elements("css selector", "#details ul.neighbours button.nb")
    out = []
    for row in rows:
        relation = row.find_element("css selector", ".relation").text
        relation = relation.split(" (")[0]  # "is the subject of (10×)"
        out.append((relation, row.find_element("css selector", ".name").text))
    return sorted(out)


@pytest.fixture(scope="module")
def seed_page(seed_graph: Dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data = view_data(seed_graph)
    return _write(tmp_path_factory.mktemp("page"), data), data


def test_seed_page_draws_every_node_and_fetches_nothing(driver: Any, seed_page: tuple[Path, dict[str, Any]]) -> None:
    page, data = seed_page
    _open(driver, page)
    circles = driver.find_elements("css selector", "#nodes circle.node")
    assert len(circles) == len(data["nodes"])
    pairs = {frozenset((u, v)) for u, v, _, _ in data["edges"] if u != v}
    assert len(driver.find_elements("css selector", "#edges line.edge")) == len(pairs)
    fills = {c.get_attribute("data-type"): c.get_attribute("fill") for c in circles}
    assert fills == {t: TYPE_STYLES[t][1] for t in NODE_TYPES}, "coloured by type"
    legend = [b.text.split("\n") for b in driver.find_elements("css selector", "#legend button")]
    counts = {t: sum(1 for n in data["nodes"] if n["type"] == t) for t in NODE_TYPES}
    assert legend == [[TYPE_STYLES[t][0], str(counts[t])] for t in NODE_TYPES]
    status = driver.find_element("id", "status").text
    assert status.startswith(f"{len(data['nodes'])} nodes · {len(data['edges'])} edges")
    positions = [(c.get_attribute("cx"), c.get_attribute("cy")) for c in circles]
    assert len(set(positions)) == len(positions), "no two nodes on the same spot"
    _open(driver, page)
    again = [(c.get_attribute("cx"), c.get_attribute("cy")) for c in driver.find_elements("css selector", "#nodes circle.node")]
    assert again == positions, "the same data gives the same layout"


@pytest.mark.parametrize(("typed", "label"), [("knowledge brokering", "knowledge brokering"), ("KMb", "knowledge mobilization")])
def test_search_selects_a_concept(driver: Any, seed_page: tuple[Path, dict[str, Any]], typed: str, label: str) -> None:
    page, data = seed_page
    _open(driver, page)
    index = next(i for i, n in enumerate(data["nodes"]) if n["label"] == label and n["type"] == "concept")
    _search(driver, typed)
    _wait(driver, lambda d: _selected(d) == index, f"{typed!r} to select {label!r}")
    node = driver.find_element("css selector", f'#nodes circle[data-index="{index}"]')
    assert "selected" in node.get_attribute("class").split() and "match" in node.get_attribute("class").split()
    details = driver.find_element("id", "details")
    assert details.find_element("tag name", "h2").text == label
    terms = [e.text for e in details.find_elements("css selector", "dt")]
    values = [e.text for e in details.find_elements("css selector", "dd")]
    shown = dict(zip(terms, values, strict=True))
    assert shown["type"] == "concept" and shown["IRI"] == data["nodes"][index]["id"] and shown["key"] == data["nodes"][index]["key"]
    assert "definition" in shown
    results = [r.text for r in driver.find_elements("css selector", "#results li[role=option] .name")]
    assert results[0] == label
    assert _shown_neighbours(driver) == _expected_neighbours(data, index)
    _check_clean(driver)


def test_clicking_nodes_shows_neighbours(driver: Any, seed_page: tuple[Path, dict[str, Any]]) -> None:
    from selenium.webdriver.common.keys import Keys

    page, data = seed_page
    _open(driver, page)
    # The best-connected source document whose centre nothing covers (a legend, a label).
    on_top = (
        "var c = document.querySelector('#nodes circle[data-index=\"' + arguments[0] + '\"]'), r = c.getBoundingClientRect();"
        "return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === c;"
    )
    sources = sorted(
        (i for i, n in enumerate(data["nodes"]) if n["type"] == "source"), key=lambda i: (-data["nodes"][i]["degree"], i)
    )
    index = next(i for i in sources if driver.execute_script(on_top, i))
    driver.find_element("css selector", f'#nodes circle[data-index="{index}"]').click()
    _wait(driver, lambda d: _selected(d) == index, "the click to select the node")
    expected = _expected_neighbours(data, index)
    assert len(expected) >= 3
    assert driver.find_element("css selector", "#details h3").text == f"Neighbours ({len(expected)})"
    assert _shown_neighbours(driver) == expected
    neighbour_classes = {
        int(c.get_attribute("data-index")) for c in driver.find_elements("css selector", "#nodes circle.neighbour")
    }
    assert neighbour_classes == {v if u == index else u for u, v, _, _ in data["edges"] if index in (u, v)}
    # A neighbour is a button: it selects that node.
    first = driver.find_elements("css selector", "#details ul.neighbours button.nb")[0]
    target = int(first.get_attribute("data-index"))
    name = first.find_element("css selector", ".name").text
    first.click()
    _wait(driver, lambda d: _selected(d) == target, "the neighbour to be selected")
    assert driver.find_element("css selector", "#details h2").text == name
    # The legend hides a type; Escape clears the selection.
    concepts = driver.find_element("css selector", '#legend button[data-type="concept"]')
    shown = "return Array.from(document.querySelectorAll(arguments[0])).filter(e => getComputedStyle(e).display !== 'none').length"
    count = sum(1 for n in data["nodes"] if n["type"] == "concept")
    assert driver.execute_script(shown, "#nodes circle.t-concept") == count
    concepts.click()
    assert driver.execute_script(shown, "#nodes circle.t-concept") == 0 and concepts.get_attribute("aria-pressed") == "false"
    assert driver.execute_script(shown, "#nodes circle") == len(data["nodes"]) - count
    concepts.click()
    assert driver.execute_script(shown, "#nodes circle.t-concept") == count
    driver.find_element("tag name", "body").send_keys(Keys.ESCAPE)
    _wait(driver, lambda d: _selected(d) is None, "Escape to clear the selection")
    _check_clean(driver)


def test_hostile_text_stays_text(driver: Any, tmp_path: Path) -> None:
    nasty = '</script><img src=x onerror="alert(1)"><!--'
    data = {
        "nodes": [
            {"id": "https://w3id.org/kmgraph/concept/x", "type": "concept", "label": nasty, "key": "x", "degree": 1, "names": ["<b>odd</b>"], "attrs": [["definition", "<i>not markup</i>"]]},
            {"id": "https://w3id.org/kmgraph/work/y", "type": "work", "label": "Y & Z", "key": "y", "degree": 1, "names": [], "attrs": [["URL", "javascript:alert(2)", "javascript:alert(2)"], ["DOI", "10.1/x", "https://doi.org/10.1/x"]]},
        ],
        "edges": [[1, 0, "subject", 3]],
        "types": [{"id": t, "name": TYPE_STYLES[t][0], "colour": TYPE_STYLES[t][1]} for t in NODE_TYPES],
        "edge_labels": {k: list(v) for k, v in EDGE_LABELS.items()},
        "selection": {"total": 2, "shown": 2, "max_nodes": 0, "around": [], "depth": None},
    }
    _open(driver, _write(tmp_path, data))
    _search(driver, "odd")
    _wait(driver, lambda d: _selected(d) == 0, "the alternative name to select the node")
    details = driver.find_element("id", "details")
    assert details.find_element("tag name", "h2").text == nasty
    assert details.find_elements("tag name", "img") == [] and details.find_elements("tag name", "i") == []
    driver.find_element("css selector", "#details ul.neighbours button.nb").click()
    _wait(driver, lambda d: _selected(d) == 1, "the neighbour")
    links = [a.get_attribute("href") for a in driver.find_elements("css selector", "#details a")]
    assert links == ["https://doi.org/10.1/x"], "a javascript: value is shown as text, not as a link"
    assert _shown_neighbours(driver) == [("is about", nasty)]
    _check_clean(driver)


def test_a_thousand_nodes_lay_out(driver: Any, tmp_path: Path) -> None:
    rng = random.Random(5)
    n = 1000
    nodes = [
        {"id": f"https://w3id.org/kmgraph/work/w{i:04d}", "type": NODE_TYPES[i % 5], "label": f"node {i}", "key": f"w{i:04d}", "degree": 0, "names": [], "attrs": []}
        for i in range(n)
    ]
    edges = sorted({(i, rng.randrange(i)) for i in range(1, n) for _ in range(2)} | {(7, 7)})  # a self-loop too
    for u, v in edges:
        nodes[u]["degree"] += 1
        nodes[v]["degree"] += u != v
    data = {
        "nodes": nodes,
        "edges": [[u, v, "cites", 1] for u, v in edges],
        "types": [{"id": t, "name": TYPE_STYLES[t][0], "colour": TYPE_STYLES[t][1]} for t in NODE_TYPES],
        "edge_labels": {k: list(v) for k, v in EDGE_LABELS.items()},
        "selection": {"total": 5000, "shown": n, "max_nodes": n, "around": [], "depth": None},
    }
    _open(driver, _write(tmp_path, data))
    assert len(driver.find_elements("css selector", "#nodes circle.node")) == n
    assert "(the 1000 of highest degree among 5000)" in driver.find_element("id", "status").text
    spread = driver.execute_script(
        "var c = document.querySelectorAll('#nodes circle'), xs = [], ys = [];"
        "for (var i = 0; i < c.length; i++) { xs.push(+c[i].getAttribute('cx')); ys.push(+c[i].getAttribute('cy')); }"
        "return [Math.min.apply(null, xs), Math.max.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, ys),"
        " xs.every(isFinite) && ys.every(isFinite)];"
    )
    assert spread[4], "every position is a number"
    assert 200 < spread[1] - spread[0] < 20000 and 200 < spread[3] - spread[2] < 20000
