"""`kmgraph links fix`: permanent redirects rewritten in the store, nothing else touched.

Against the loopback server of tests/linkcheck/server.py (127.0.0.1 only), extended here
with a pure 301 chain, a 301 to a dead page and a redirect to a URL with characters
BibTeX needs escaped. Every byte-for-byte assertion compares a file with its old text
where only the rewritten URLs were replaced.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.errors import MalformedInput, StoreError
from kmgraph.linkcheck.fix import fix_store, load_report, rewrite_target
from kmgraph.linkcheck.report import LinkReport, render_json
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.references.store import STATE_FILE, Store
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import Handler, LoopbackServer, State


class FixHandler(Handler):
    """The shared endpoints plus the redirect shapes only the fixer cares about."""

    def _route(self, method: str, path: str, query: dict[str, str], nth: int) -> None:
        if path == "/hop1":  # 301 -> 301 -> 200
            return self._redirect(301, "/hop2")
        if path == "/hop2":
            return self._redirect(301, "/ok/landed")
        if path == "/dead301":  # 301 -> 404
            return self._redirect(301, "/404")
        if path == "/odd":  # a target with a space and braces
            return self._redirect(301, "/ok/a b{c}")
        return super()._route(method, path, query, nth)


class FixServer(LoopbackServer):
    def __init__(self) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), FixHandler)
        self.state = State()


@pytest.fixture
def server() -> Iterator[FixServer]:
    """The loopback server (127.0.0.1 only; the configs below pass exclude_private=False)."""
    srv = FixServer().start()
    try:
        yield srv
    finally:
        srv.stop()


LIBRARY = """\
% A librarian's own file: kmgraph only patches it.
@string{home = "{base}/moved301"}

@misc{chainwork,
    title   = "A pure chain",
    url     = "{base}/hop1",
    year    = 2021
}

@online{perm308, url={{base}/moved308}, title={Moved for good}}

@misc{fragment,
  url = {{base}/moved301#section-2},
  note = {See \\href{{base}/moved308}{the new page} and \\url{{base}/temp302}}
}

@misc{howpub,
  howpublished = {Online at \\url{{base}/hop1} (accessed 2024)},
  title = {Via howpublished}
}

@misc{broken block,
  title = {no comma after the key, so bibtexparser cannot read this block
}

@misc{temporary,
  url = {{base}/temp302},
  note = {and {base}/moved308?note in a note is not a link field}
}

@misc{temporary307, url = {{base}/temp307}}

@misc{looping, url = {{base}/loop-a}}
@misc{deadend, url = {{base}/dead301}}
@misc{mixed, url = {{base}/chain}}
@misc{macro, url = home}

@article{withdoi,
  doi = {10.1234/ok},
  url = {https://doi.org/10.1234/ok},
  title = {A DOI that resolves}
}
"""


def write_library(folder: Path, base: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "library.bib"
    path.write_bytes(LIBRARY.replace("{base}", base).encode("utf-8"))
    return path


def replaced(text: str, base: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        assert (base + old) in text, old
        text = text.replace(base + old, base + new)
    return text


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- the library function


def test_permanent_redirects_rewritten_in_place_everything_else_byte_for_byte(
    tmp_path: Path, server: FixServer
) -> None:
    store = tmp_path / "refs"
    lib = write_library(store, server.base)
    before = lib.read_text(encoding="utf-8")

    fix = fix_store(store, config=loopback_config(doi_resolver=server.base))

    expected = before
    for old, new in [
        ('"{b}/hop1"', '"{b}/ok/landed"'),  # 301 -> 301 -> 200: the end of the permanent run
        ("url={{b}/moved308}", "url={{b}/ok}"),
        ("{{b}/moved301#section-2}", "{{b}/ok#section-2}"),  # the fragment is kept
        ("\\href{{b}/moved308}", "\\href{{b}/ok}"),
        ("\\url{{b}/hop1}", "\\url{{b}/ok/landed}"),
        ("{{b}/chain}", "{{b}/chain2}"),  # 301 -> 302: the 301's target, not the temporary one
    ]:
        old, new = old.replace("{b}", server.base), new.replace("{b}", server.base)
        assert expected.count(old) == 1, old
        expected = expected.replace(old, new)
    assert lib.read_text(encoding="utf-8") == expected  # comments, @string, malformed block, layout: kept
    assert fix.written == ((store / "library.bib").as_posix(),)  # no state file: the fix is a hand edit
    assert not (store / STATE_FILE).exists()

    got = {(r.key, r.field, r.old.replace(server.base, ""), r.new.replace(server.base, ""), r.code) for r in fix.rewrites}
    assert got == {
        ("chainwork", "url", "/hop1", "/ok/landed", 301),
        ("perm308", "url", "/moved308", "/ok", 308),
        ("fragment", "url", "/moved301#section-2", "/ok#section-2", 301),
        ("fragment", "note", "/moved308", "/ok", 308),
        ("howpub", "howpublished", "/hop1", "/ok/landed", 301),
        ("mixed", "url", "/chain", "/chain2", 301),
    }
    left = {n.url.replace(server.base, ""): n for n in fix.not_rewritten}
    assert "temporary redirect (302)" in left["/temp302"].reason
    assert left["/temp302"].status is Status.OK
    assert "loop" in left["/loop-a"].reason and left["/loop-a"].status is Status.BROKEN
    assert "ends broken" in left["/dead301"].reason
    assert "temporary redirect (307)" in left["/temp307"].reason
    assert "/moved308?note" not in left  # a bare URL in a note is not a link of the store: never checked
    assert not any("doi" in url for url in left)  # a DOI that resolves is not even worth a word
    assert "https://doi.org/10.1234/ok" in lib.read_text(encoding="utf-8")
    # The redirect behind @string{home} is not in any entry's value: reported, not rewritten.
    assert "@string" in left["/moved301"].reason and left["/moved301"].places[0].startswith(lib.as_posix() + ":")
    assert Store.open(store).failed_blocks[0].raw.startswith("@misc{broken block")


def test_second_run_finds_nothing_to_do(tmp_path: Path, server: FixServer) -> None:
    store = tmp_path / "refs"
    write_library(store, server.base)
    cfg = loopback_config(doi_resolver=server.base)
    fix_store(store, config=cfg)
    after = snapshot(store)
    again = fix_store(store, config=cfg)
    assert again.rewrites == () and again.written == ()
    assert snapshot(store) == after


def test_target_with_braces_and_space_is_percent_encoded(tmp_path: Path, server: FixServer) -> None:
    store = tmp_path / "refs"
    store.mkdir()
    (store / "w.bib").write_text(f"@misc{{odd,\n  url = {{{server.base}/odd}}\n}}\n", encoding="utf-8")
    fix = fix_store(store, config=loopback_config())
    assert [r.new for r in fix.rewrites] == [f"{server.base}/ok/a%20b%7Bc%7D"]
    assert Store.open(store).get("odd").fields[0].value == f"{server.base}/ok/a%20b%7Bc%7D"


def test_rewrite_target_rules() -> None:
    moved = LinkResult("http://a.example/x", Status.REDIRECTED, 200, "http://b.example/y", ((308, "http://b.example/y"),))
    assert rewrite_target(moved) == "http://b.example/y"
    temporary = LinkResult("http://a.example/x", Status.OK, 200, "http://b.example/y", ((302, "http://b.example/y"),))
    assert rewrite_target(temporary) is None
    doi = LinkResult("https://doi.org/10.1/x", Status.REDIRECTED, 200, "https://pub.example/x",
                     ((301, "https://pub.example/x"),))
    assert rewrite_target(doi) is None  # a DOI is never replaced by a publisher URL
    to_ftp = LinkResult("http://a.example/x", Status.REDIRECTED, 200, "ftp://a.example/x", ((301, "ftp://a.example/x"),))
    assert rewrite_target(to_ftp) is None


# ---------------------------------------------------------------- the three-way merge


DOC = """\
# Evidence brief

Brokers matter (Smith, 2020; Jones, 2019).

## References

Smith, J. (2020). Knowledge brokers in practice. Example Press. {base}/moved301

Jones, A. (2019). Mobilizing research evidence. Journal of Things, 3(2), 1-10. https://doi.org/10.1234/ok
"""


def test_reingest_after_fix_keeps_the_new_url(tmp_path: Path, server: FixServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from kmgraph.pipeline import ingest

    monkeypatch.chdir(tmp_path)
    Path("brief.md").write_text(DOC.replace("{base}", server.base), encoding="utf-8")
    ingest(["brief.md"], "refs")
    works = Path("refs/works.bib")
    state_before = Path("refs", STATE_FILE).read_bytes()
    key = next(e.key for e in Store.open("refs").entries if e.key.startswith("smith"))

    # A librarian's comment and hand edit in the canonical works.bib, before the fix.
    text = works.read_text(encoding="utf-8")
    text = text.replace(f"@book{{{key},", f"% checked by the librarian\n@book{{{key},", 1)
    text = text.replace("title = {Knowledge brokers in practice}", "title = {Knowledge Brokers in Practice}")
    text = text.replace("  publisher = {Example Press},", "  publisher   =   {Example Press},")
    works.write_text(text, encoding="utf-8")

    fix = fix_store("refs", config=loopback_config(doi_resolver=server.base))
    old, new = f"{{{server.base}/moved301}}", f"{{{server.base}/ok}}"
    assert [(r.key, r.field) for r in fix.rewrites] == [(key, "url")]
    after_fix = works.read_text(encoding="utf-8")
    assert after_fix == text.replace("url = " + old, "url = " + new)  # kmgraph-raw keeps the old URL
    assert Path("refs", STATE_FILE).read_bytes() == state_before  # the base still says what kmgraph generated

    report = ingest(["brief.md"], "refs")  # the document still cites the old URL
    result = next(r for r in report.merge.results if r.key == key)
    assert result.action == "unchanged"
    assert result.kept_edits == ("title", "url")  # the fix counts as a librarian's edit, like the title
    assert report.merge.added == ()  # still matched (by its raw reference string): no duplicate
    assert works.read_text(encoding="utf-8") == after_fix  # not reverted, not even rewritten
    assert Store.open("refs").get(key).fields  # still readable
    assert Store.open("refs").fields_of(key)["url"] == f"{server.base}/ok"


# ---------------------------------------------------------------- edit_field (the store's API)


def test_edit_field_refuses_what_it_cannot_patch_in_place(tmp_path: Path) -> None:
    store_dir = tmp_path / "refs"
    store_dir.mkdir()
    (store_dir / "a.bib").write_text(
        '@string{h = "http://h.example"}\n'
        '@misc{m, url = h}\n'
        '@misc{c, url = h # "/x"}\n'
        '@misc{q, url = "http://a.example/q"}\n',
        encoding="utf-8",
    )
    store = Store.open(store_dir)
    with pytest.raises(StoreError, match="not a plain braced or quoted value"):
        store.edit_field("m", "url", "http://b.example/")
    with pytest.raises(StoreError, match="not a plain braced or quoted value"):
        store.edit_field("c", "url", "http://b.example/")
    with pytest.raises(StoreError, match="no field 'title'"):
        store.edit_field("q", "title", "x")
    with pytest.raises(StoreError, match="unbalanced"):
        store.edit_field("q", "url", "http://b.example/{")
    with pytest.raises(StoreError, match="inside a quoted value"):
        store.edit_field("q", "url", 'http://b.example/"')
    store.edit_field("q", "url", "http://b.example/q")
    store.save()
    assert (store_dir / "a.bib").read_text(encoding="utf-8").endswith('@misc{q, url = "http://b.example/q"}\n')


def test_edit_field_keeps_crlf(tmp_path: Path) -> None:
    store_dir = tmp_path / "refs"
    store_dir.mkdir()
    raw = b"% win\r\n@misc{k,\r\n  url = {http://a.example/}\r\n}\r\n"
    (store_dir / "works.bib").write_bytes(raw)
    store = Store.open(store_dir)
    store.edit_field("k", "URL", "http://b.example/")
    store.save()
    assert (store_dir / "works.bib").read_bytes() == raw.replace(b"a.example", b"b.example")


# ---------------------------------------------------------------- the command


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["links", "fix", *args], input=input, catch_exceptions=False)


def net(server: FixServer) -> list[str]:
    return ["--include-private", "--host-interval", "0", "--doi-resolver", server.base, "--retries", "0"]


def test_cli_dry_run_changes_nothing_and_prints_the_diff_of_the_real_run(tmp_path: Path, server: FixServer) -> None:
    store = tmp_path / "refs"
    lib = write_library(store, server.base)
    before_files = snapshot(store)

    dry = invoke("--store", str(store), "--dry-run", *net(server))
    assert dry.exit_code == 1, dry.output  # the loop and the dead end are broken (default --fail-on)
    assert snapshot(store) == before_files
    assert "would rewrite 6 URLs in 1 file" in dry.output

    real = invoke("--store", str(store), *net(server))
    assert real.exit_code == 1
    after = lib.read_text(encoding="utf-8")
    name = lib.as_posix()
    expected = "".join(
        difflib.unified_diff(
            before_files["library.bib"].decode().splitlines(True), after.splitlines(True), f"a/{name}", f"b/{name}"
        )
    )
    assert expected and expected in dry.output  # the dry run showed exactly what the real run did
    assert f"chainwork url: {server.base}/hop1 → {server.base}/ok/landed" in real.output
    assert f"not rewritten: {server.base}/temp302 → {server.base}/ok (temporary redirect (302)" in real.output
    assert "rewrote 6 URLs in 1 file" in real.output


def test_cli_exit_codes_follow_fail_on(tmp_path: Path, server: FixServer) -> None:
    store = tmp_path / "refs"
    store.mkdir()
    (store / "w.bib").write_text(f"@misc{{a, url = {{{server.base}/moved301}}}}\n", encoding="utf-8")
    pending = invoke("--store", str(store), "--dry-run", "--fail-on", "redirected", *net(server))
    assert pending.exit_code == 1  # a CI gate: something to rewrite
    assert "failing: redirected" in pending.output
    done = invoke("--store", str(store), "--fail-on", "redirected", *net(server))
    assert done.exit_code == 0, done.output  # rewritten, so no longer failing
    assert "rewrote 1 URL in 1 file; 0 redirects not rewritten; 0 failing" in done.output


def test_cli_from_report_makes_no_request_and_writes_json(tmp_path: Path, server: FixServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_library(Path("refs"), server.base)
    checked = CliRunner().invoke(
        cli, ["links", "check", "--store", "refs", "--format", "json", *net(server)], catch_exceptions=False
    )
    Path("report.json").write_text(checked.output, encoding="utf-8")
    server.state.reset()

    result = invoke("--store", "refs", "--from-report", "report.json", "--format", "json")
    assert sum(server.state.hits.values()) == 0  # checked once in CI, fixed later without the network
    assert result.exit_code == 1  # the report's fail_on: the loop and the dead end are broken
    data = json.loads(result.output)
    assert data["version"] == 1 and data["dry_run"] is False
    assert data["summary"] == {"rewrites": 6, "files": 1, "not_rewritten": len(data["not_rewritten"]), "failing": 2}
    assert {(r["key"], r["field"]) for r in data["rewrites"]} >= {("perm308", "url"), ("howpub", "howpublished")}
    assert data["written"] == ["refs/library.bib"]
    assert f"{server.base}/ok/landed" in Path("refs/library.bib").read_text(encoding="utf-8")

    from_stdin = invoke("--store", "refs", "--from-report", "-", "--fail-on", "", input=checked.output)
    assert from_stdin.exit_code == 0 and "rewrote 0 URLs" in from_stdin.output


def test_report_round_trip_keeps_what_the_fix_needs() -> None:
    results = [
        LinkResult("http://a.example/x#f", Status.REDIRECTED, 200, "http://b.example/y", ((301, "http://b.example/y"),)),
        LinkResult("http://a.example/t", Status.OK, 200, "http://b.example/t", ((307, "http://b.example/t"),)),
    ]
    report = LinkReport.build(results, fail_on={Status.BROKEN, Status.REDIRECTED})
    import io

    loaded = load_report(io.StringIO(render_json(report)))
    assert [(r.url, r.status, r.redirects, r.new_url) for r in loaded.results] == [
        (r.url, r.status, r.redirects, r.new_url) for r in report.results
    ]
    assert loaded.fail_on == report.fail_on


def test_cli_report_errors_name_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_library(Path("refs"), "http://127.0.0.1:9")
    Path("bad.json").write_text('{\n  "version": 1,\n  "results": [\n', encoding="utf-8")
    Path("v2.json").write_text('{"version": 2, "results": []}', encoding="utf-8")
    Path("short.json").write_text('{"version": 1, "results": [{"url": "http://a.example"}]}', encoding="utf-8")

    missing = invoke("--store", "refs", "--from-report", "nope.json")
    assert missing.exit_code == 3 and "nope.json: report not found" in missing.output
    bad = invoke("--store", "refs", "--from-report", "bad.json")
    assert bad.exit_code == 3 and "bad.json:4: not a `kmgraph links check --format json` report" in bad.output
    v2 = invoke("--store", "refs", "--from-report", "v2.json")
    assert v2.exit_code == 3 and "schema version 2" in v2.output
    with pytest.raises(MalformedInput, match="result 1 is incomplete"):
        load_report("short.json")
    mixed = invoke("--store", "refs", "--from-report", "short.json", "--timeout", "3")
    assert mixed.exit_code == 2 and "--timeout has no effect with --from-report" in mixed.output
    Path("empty.json").write_text('{"version": 1, "results": []}', encoding="utf-8")
    no_store = invoke("--store", "nowhere", "--from-report", "empty.json")
    assert no_store.exit_code == 4 and "nowhere" in no_store.output
    assert "Traceback" not in bad.output + v2.output + missing.output


_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no fcntl: the store lock is a no-op")
def test_cli_store_locked_by_another_process_writes_nothing(tmp_path: Path, server: FixServer) -> None:
    store = tmp_path / "refs"
    write_library(store, server.base)
    report = tmp_path / "report.json"
    checked = CliRunner().invoke(cli, ["links", "check", "--store", str(store), "--format", "json", *net(server)])
    report.write_text(checked.output, encoding="utf-8")
    before = snapshot(store)
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        result = invoke("--store", str(store), "--from-report", str(report), "--lock-timeout", "0.2")
        assert result.exit_code == 4
        assert result.output.strip() == (
            f"kmgraph: error: {store}: the store is locked by another kmgraph process; nothing was written"
        )
        assert snapshot(store) == before
        assert not list(store.glob(".*.tmp"))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    unlocked = invoke("--store", str(store), "--from-report", str(report), "--lock-timeout", "5")
    assert unlocked.exit_code == 1 and "rewrote 6 URLs" in unlocked.output


def test_cli_report_of_documents_and_store_names_what_is_left_outside(
    tmp_path: Path, server: FixServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("refs").mkdir()
    Path("refs/w.bib").write_text(f"@misc{{a,\n  url = {{{server.base}/moved301}}\n}}\n", encoding="utf-8")
    Path("guide.md").write_text(f"[a]({server.base}/moved301) and [b]({server.base}/moved308)\n", encoding="utf-8")
    checked = CliRunner().invoke(
        cli, ["links", "check", "guide.md", "--store", "refs", "--format", "json", *net(server)], catch_exceptions=False
    )
    result = invoke("--store", "refs", "--from-report", "-", "--fail-on", "redirected", input=checked.output)
    assert result.exit_code == 1  # the document still has both redirects
    assert f"refs/w.bib:2: a url: {server.base}/moved301 → {server.base}/ok" in result.output
    assert (
        f"not rewritten: {server.base}/moved301 → {server.base}/ok "
        "(rewritten in the store, but also written outside it: fix it there) [guide.md:1:5]"
    ) in result.output
    assert f"{server.base}/moved308 → {server.base}/ok (not written in the store (a document's link)" in result.output
    assert "guide.md" not in Path("refs/w.bib").read_text(encoding="utf-8")
    assert Path("guide.md").read_text(encoding="utf-8").count("/moved30") == 2  # documents are never touched


def test_doctests_of_the_fix_module() -> None:
    import doctest

    import kmgraph.linkcheck.fix as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 2


def apply_hunks(before: list[str], hunks: str) -> list[str]:
    """Apply unified-diff hunks, checking every context and removed line against ``before``."""
    out: list[str] = []
    pos = 0
    lines = hunks.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", lines[i])
        assert m, lines[i]
        start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
        out += before[pos:start]
        pos = start
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            tag, text = lines[i][0], lines[i][1:]
            if i + 1 < len(lines) and lines[i + 1].startswith("\\"):
                text = text.rstrip("\n")
                i += 1
            if tag in " -":
                assert before[pos] == text
                pos += 1
            if tag in " +":
                out.append(text)
            i += 1
    return out + before[pos:]


@pytest.mark.parametrize(
    "changed",
    [[0], [19], [3, 4], [3, 10], [3, 11], [0, 6, 13, 19], list(range(20))],
    ids=["first", "last", "adjacent", "merged", "split", "spread", "all"],
)
@pytest.mark.parametrize("final_newline", [True, False])
def test_linear_diff(changed: list[int], final_newline: bool) -> None:
    from kmgraph.linkcheck.fix import _hunks

    def text(repeated: bool) -> tuple[list[str], list[str]]:
        before = [f"  same = {{{i % 3 if repeated else i}}},\n" for i in range(20)]
        if not final_newline:
            before[-1] = before[-1].rstrip("\n")
        after = list(before)
        for i in changed:
            after[i] = before[i].replace("same", "new")
        return before, after

    before, after = text(repeated=False)  # distinct lines: exactly difflib's diff
    marked = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                     for line in _hunks(before, after))
    theirs = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                     for line in list(difflib.unified_diff(before, after))[2:])
    assert marked == theirs
    before, after = text(repeated=True)  # repeated lines (difflib may align them otherwise): still exact
    diff = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in _hunks(before, after))
    assert apply_hunks(before, diff) == after
    assert diff.count("\n-") + diff.startswith("-") == len(changed)


def test_edit_then_add_matches_by_the_new_url(tmp_path: Path) -> None:
    from kmgraph.references.bibtex import Reference

    store_dir = tmp_path / "refs"
    store_dir.mkdir()
    (store_dir / "works.bib").write_text(
        "@misc{page2020,\n  title = {A page},\n  year = {2020},\n  url = {http://old.example/p}\n}\n", encoding="utf-8"
    )
    store = Store.open(store_dir)
    store.edit_field("page2020", "url", "https://new.example/p")
    result = store.add(Reference({"type": "misc", "title": "Another wording entirely", "url": "https://new.example/p"}))
    assert (result.key, result.matched_by) == ("page2020", "url")  # the index saw the edit
    again = store.add(Reference({"type": "misc", "title": "Something else", "url": "http://old.example/p"}))
    assert again.action == "added"  # the old URL no longer names the entry
