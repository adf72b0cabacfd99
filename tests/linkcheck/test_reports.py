"""JUnit XML, SARIF 2.1.0 and Markdown reports; files written atomically; cached results in
every report; and header values (tokens) never in any report."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from kmgraph.cli import cli
from kmgraph.errors import InputError
from kmgraph.linkcheck.report import (
    FORMATS,
    LinkReport,
    render,
    render_github,
    render_junit,
    render_markdown,
    render_sarif,
    render_text,
    sarif_to_dict,
    write_report,
)
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.records import LinkKind, RawLink
from tests.linkcheck.server import LoopbackServer


def place(path: str, line: int, col: int = 1) -> RawLink:
    return RawLink("", path, line, col, "text", LinkKind.ABSOLUTE)


def sample() -> LinkReport:
    results = [
        LinkResult("https://a.org/ok", Status.OK, 200, places=(place("b.md", 2),), elapsed=0.01),
        LinkResult(
            "https://a.org/gone", Status.BROKEN, 404, error="HTTP 404",
            places=(place("b.md", 9, 4), place("a.md", 1, 7)), elapsed=0.2,
        ),
        LinkResult(
            "http://a.org/old", Status.REDIRECTED, 200, "https://a.org/new", ((301, "https://a.org/new"),),
            places=(place("a.md", 3, 2),),
        ),
        LinkResult("https://x.org/", Status.EXCLUDED, error="matches --exclude 'x'", places=(place("a.md", 5),)),
        LinkResult("https://w.org/", Status.BLOCKED, 403, error="HTTP 403", places=(place("dir with space/c.md", 4, 2),)),
        LinkResult(
            "https://c.org/was", Status.CACHED, 410, error="HTTP 410", checked_at="2025-01-31T12:00:00Z",
            places=(place("a.md", 8, 3),), cached_status=Status.BROKEN,
        ),
        LinkResult("https://c.org/fine", Status.CACHED, 200, checked_at="2025-01-31T12:00:00Z",
                   places=(place("a.md", 9, 1),), cached_status=Status.OK),
        LinkResult("https://s.org/x", Status.OK, 200, places=(RawLink("", "<stdin>", 1, 1, "", LinkKind.ABSOLUTE),)),
        LinkResult("https://p.org/a|b_<c>", Status.BROKEN, 404, error="bad | pipe\nand newline",
                   places=(place("a.md", 12, 1),)),
    ]
    return LinkReport.build(results, skipped=[("c.pdf", "cannot read")], elapsed=0.5)


# JUnit -------------------------------------------------------------------------------------

# The shape Jenkins (xunit's junit-10 schema) and GitLab read, written for these tests:
# no attribute or element outside it is accepted.
JUNIT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="seconds">
    <xs:restriction base="xs:string"><xs:pattern value="[0-9]+(\\.[0-9]+)?"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="count">
    <xs:restriction base="xs:string"><xs:pattern value="[0-9]+"/></xs:restriction>
  </xs:simpleType>
  <xs:complexType name="outcome" mixed="true">
    <xs:attribute name="type" type="xs:string"/>
    <xs:attribute name="message" type="xs:string"/>
  </xs:complexType>
  <xs:element name="property">
    <xs:complexType>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="value" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="properties">
    <xs:complexType><xs:sequence><xs:element ref="property" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element name="skipped" type="outcome"/>
        <xs:element name="error" type="outcome"/>
        <xs:element name="failure" type="outcome"/>
        <xs:element name="system-out" type="xs:string"/>
        <xs:element name="system-err" type="xs:string"/>
      </xs:choice>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string"/>
      <xs:attribute name="time" type="seconds"/>
      <xs:attribute name="group" type="xs:string"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element ref="properties"/>
        <xs:element ref="testcase"/>
        <xs:element name="system-out" type="xs:string"/>
        <xs:element name="system-err" type="xs:string"/>
      </xs:choice>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="count" use="required"/>
      <xs:attribute name="failures" type="count" use="required"/>
      <xs:attribute name="errors" type="count" use="required"/>
      <xs:attribute name="skipped" type="count"/>
      <xs:attribute name="time" type="seconds"/>
      <xs:attribute name="timestamp" type="xs:string"/>
      <xs:attribute name="hostname" type="xs:string"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="count"/>
      <xs:attribute name="failures" type="count"/>
      <xs:attribute name="errors" type="count"/>
      <xs:attribute name="time" type="seconds"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(JUNIT_XSD))


def test_junit_is_valid_and_has_one_testcase_per_url() -> None:
    xml = render_junit(sample())
    doc = etree.fromstring(xml.encode("utf-8"))
    schema = junit_schema()
    assert schema.validate(doc), schema.error_log
    suite = doc.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(sample().results) + 1  # one per URL, and the document not read
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("10", "3", "0", "2")
    gone = next(c for c in cases if c.get("name") == "https://a.org/gone")
    failure = gone.find("failure")
    assert gone.get("classname") == "kmgraph.links.broken" and gone.get("time") == "0.200"
    assert failure.get("type") == "broken" and failure.get("message") == "broken 404 https://a.org/gone (HTTP 404)"
    assert failure.text.splitlines() == [
        "a.md:1:7: broken 404 https://a.org/gone (HTTP 404)",
        "b.md:9:4: broken 404 https://a.org/gone (HTTP 404)",
    ]
    was = next(c for c in cases if c.get("name") == "https://c.org/was")
    assert was.get("classname") == "kmgraph.links.cached" and was.find("failure").get("type") == "broken"
    assert "a.md:8:3" in was.find("failure").text and "2025-01-31T12:00:00Z" in was.find("failure").text
    assert next(c for c in cases if c.get("name") == "https://x.org/").find("skipped") is not None
    assert next(c for c in cases if c.get("name") == "https://a.org/ok").find("*") is None  # a plain pass
    assert "c.md:4:2" in next(c for c in cases if c.get("name") == "https://w.org/").find("system-out").text
    assert render_junit(sample()) == xml  # deterministic


def test_the_junit_schema_can_fail() -> None:
    """Negative control: the schema above rejects what Jenkins' junit-10 would."""
    schema = junit_schema()
    bad = [
        b'<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
        b'<testcase name="x" file="a.md"/></testsuite></testsuites>',
        b'<testsuites><testsuite name="s" tests="1" failures="0"><testcase name="x"/></testsuite></testsuites>',
        b'<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
        b'<testcase name="x" time="fast"/></testsuite></testsuites>',
    ]
    for doc in bad:
        assert not schema.validate(etree.fromstring(doc))


def test_junit_drops_characters_xml_cannot_carry() -> None:
    report = LinkReport.build([LinkResult("https://a.org/\x01x", Status.BROKEN, 404, error="bad\x0bbyte")])
    doc = etree.fromstring(render_junit(report).encode("utf-8"))
    assert doc.find("testsuite/testcase").get("name") == "https://a.org/x"


# SARIF -------------------------------------------------------------------------------------

LEVELS = {"none", "note", "warning", "error"}


def check_sarif(log: dict[str, Any]) -> None:
    """The SARIF 2.1.0 constraints this report relies on, checked by hand (§3 of the spec)."""
    assert log["version"] == "2.1.0" and isinstance(log["runs"], list) and log["runs"]
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver.get("rules", [])
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique"
        for rule in rules:
            assert isinstance(rule["shortDescription"]["text"], str)
            assert rule["defaultConfiguration"]["level"] in LEVELS
        for inv in run.get("invocations", []):
            assert isinstance(inv["executionSuccessful"], bool)
            for note in inv.get("toolExecutionNotifications", []):
                assert isinstance(note["message"]["text"], str) and note["level"] in LEVELS
        assert run.get("columnKind") in (None, "utf16CodeUnits", "unicodeCodePoints")
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in LEVELS
            assert ids[result["ruleIndex"]] == result["ruleId"]
            for loc in result.get("locations", []):
                phys = loc["physicalLocation"]
                uri = phys["artifactLocation"]["uri"]
                assert isinstance(uri, str) and " " not in uri
                region = phys["region"]
                assert isinstance(region["startLine"], int) and region["startLine"] >= 1
                assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
            for key, value in result.get("partialFingerprints", {}).items():
                assert isinstance(key, str) and isinstance(value, str)
            assert isinstance(result.get("properties", {}), dict)


def test_sarif_rules_per_status_and_results_with_regions() -> None:
    text = render_sarif(sample())
    log = json.loads(text)
    check_sarif(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [s.value for s in Status]
    by_rule = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert by_rule["broken"]["defaultConfiguration"]["level"] == "error"
    assert by_rule["blocked"]["defaultConfiguration"]["level"] == "warning"
    gone = [r for r in run["results"] if r["properties"]["url"] == "https://a.org/gone"]
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]) for r in gone] == [
        ("a.md", {"startLine": 1, "startColumn": 7}),
        ("b.md", {"startLine": 9, "startColumn": 4}),
    ]
    assert all(r["level"] == "error" and r["ruleId"] == "broken" for r in gone)
    blocked = next(r for r in run["results"] if r["ruleId"] == "blocked")
    assert blocked["level"] == "warning"
    assert blocked["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "dir%20with%20space/c.md", "uriBaseId": "%SRCROOT%"
    }
    cached = next(r for r in run["results"] if r["properties"]["url"] == "https://c.org/was")
    assert cached["ruleId"] == "broken" and cached["level"] == "error"
    assert cached["properties"]["status"] == "cached" and cached["properties"]["cachedStatus"] == "broken"
    moved = next(r for r in run["results"] if r["ruleId"] == "redirected")
    assert moved["properties"]["newUrl"] == "https://a.org/new"
    assert not any(r["properties"]["url"] in ("https://a.org/ok", "https://c.org/fine") for r in run["results"])
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == "not read: cannot read"
    prints = [r["partialFingerprints"]["kmgraphLink/v1"] for r in run["results"]]
    assert len(prints) == len(set(prints))
    assert render_sarif(sample()) == text


def test_sarif_fingerprints_survive_moved_lines_and_stdin_has_no_location() -> None:
    def log(line: int) -> dict[str, Any]:
        return sarif_to_dict(LinkReport.build([LinkResult("https://a/", Status.BROKEN, 404, places=(place("a.md", line),))]))

    assert log(3)["runs"][0]["results"][0]["partialFingerprints"] == log(30)["runs"][0]["results"][0]["partialFingerprints"]
    everything = sarif_to_dict(sample(), show_all=True)
    check_sarif(everything)
    stdin = next(r for r in everything["runs"][0]["results"] if r["properties"]["url"] == "https://s.org/x")
    assert "locations" not in stdin and stdin["level"] == "note"


def test_sarif_checker_can_fail() -> None:
    good = sarif_to_dict(sample())
    for breaker in (
        lambda d: d.update(version="2.0.0"),
        lambda d: d["runs"][0]["results"][0].update(level="fatal"),
        lambda d: d["runs"][0]["results"][0].update(ruleIndex=0),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startColumn=0),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
    ):
        broken = json.loads(json.dumps(good))
        breaker(broken)
        with pytest.raises((AssertionError, KeyError)):
            check_sarif(broken)


# Markdown ----------------------------------------------------------------------------------


def test_markdown_job_summary() -> None:
    text = render_markdown(sample())
    lines = text.splitlines()
    assert lines[0] == "## kmgraph links check"
    assert lines[2] == "**3 failing** of 9 URLs, checked in 0.5 s."
    assert "| broken (failing) | 2 |" in lines and "| cached | 2 |" in lines and "| ok | 2 |" in lines
    assert "### Failing links (4 places)" in lines
    assert "| a.md:1:7 | broken | 404 | <https://a.org/gone> | HTTP 404 |" in lines
    assert "| a.md:8:3 | broken (cached) | 410 | <https://c.org/was> | broken at 2025-01-31T12:00:00Z: HTTP 410 |" in lines
    odd = next(line for line in lines if line.startswith("| a.md:12:1 "))
    assert odd == "| a.md:12:1 | broken | 404 | https://p.org/a\\|b\\_&lt;c&gt; | bad \\| pipe and newline |"
    assert re.search(r"^<details><summary>Other findings \(2 places\)</summary>$", text, flags=re.M)
    assert "| dir with space/c.md:4:2 | blocked | 403 | <https://w.org/> | HTTP 403 |" in lines
    assert "- c.pdf: cannot read" in lines
    # every table row has the same number of unescaped cell separators
    for row in (line for line in lines if line.startswith("| ") and "|:--" not in line):
        assert len(re.findall(r"(?<!\\)\|", row)) in (3, 6), row


def test_markdown_without_failures() -> None:
    text = render_markdown(LinkReport.build([LinkResult("https://a/", Status.OK, 200)], elapsed=1.0))
    assert "**No failing links**: 1 URL checked in 1.0 s." in text and "###" not in text


# cached results in text and GitHub reports ----------------------------------------------


def test_cached_results_in_text_and_github() -> None:
    text = render_text(sample()).splitlines()
    assert "a.md:8:3: cached 410 https://c.org/was  (broken at 2025-01-31T12:00:00Z: HTTP 410)" in text
    assert not any("c.org/fine" in line for line in text)  # cached ok is quiet, like ok
    assert any("c.org/fine" in line for line in render_text(sample(), show_all=True).splitlines())
    github = render_github(sample()).splitlines()
    assert any(line.startswith("::error file=a.md,line=8,col=3,title=kmgraph links%3A cached::") for line in github)


# files and the command line ----------------------------------------------------------------


def test_write_report_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "r.sarif"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    write_report(target, "new")
    assert target.read_text(encoding="utf-8") == "new\n" and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sarif"]  # no temporary file left
    with pytest.raises(InputError) as info:
        write_report(tmp_path / "missing" / "r.json", "x")
    assert info.value.exit_code == 3 and "missing" in str(info.value)


def test_every_format_renders() -> None:
    assert set(FORMATS) == {"text", "json", "github", "junit", "sarif", "markdown"}
    for fmt in FORMATS:
        assert render(sample(), fmt)
    with pytest.raises(ValueError):
        render(sample(), "xml")


def test_cli_output_file_and_several_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text("[x](missing.md) [y](#)\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["links", "check", "a.md", "--no-config", "--format", "junit", "-o", "out/links.xml",
         "--report", "sarif:links.sarif", "--report", "markdown:summary.md"],
        catch_exceptions=False,
    )
    assert result.exit_code == 3 and "out/links.xml" in result.stderr  # the folder does not exist
    Path("out").mkdir()
    result = runner.invoke(
        cli,
        ["links", "check", "a.md", "--no-config", "--format", "junit", "-o", "out/links.xml",
         "--report", "sarif:links.sarif", "--report", "markdown:summary.md"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert re.match(r"2 URLs: .*2 failing", result.stderr.strip().splitlines()[-1])
    assert junit_schema().validate(etree.parse("out/links.xml"))
    check_sarif(json.loads(Path("links.sarif").read_text(encoding="utf-8")))
    assert "| a.md:1:5 | broken |" in Path("summary.md").read_text(encoding="utf-8")
    bad = runner.invoke(cli, ["links", "check", "a.md", "--report", "pdf:x.pdf"], catch_exceptions=False)
    assert bad.exit_code == 2 and "FORMAT:FILE" in bad.stderr
    stdout = runner.invoke(cli, ["links", "check", "a.md", "--no-config", "--format", "markdown", "-o", "-"])
    assert stdout.stdout.startswith("## kmgraph links check")


def test_a_token_never_reaches_a_report(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Needs loopback, hence --include-private. The token goes to the server and nowhere else."""
    token = "ghp_kmgraphTestToken0123456789"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KMG_REPORT_TOKEN", token)
    Path("kmgraph.toml").write_text(
        '[links]\nhost-interval = 0\n[links.hosts."127.0.0.1"]\nheaders = { Authorization = "env:KMG_REPORT_TOKEN" }\n',
        encoding="utf-8",
    )
    Path("a.md").write_text(
        f"[a]({server.url('/ok')}) [b]({server.url('/404')}) [c]({server.url('/moved301')}) [d]({server.url('/401')})\n",
        encoding="utf-8",
    )
    args = ["links", "check", "a.md", "--include-private", "--cache", "-v",
            "--header", "X-Literal: Bearer literal-secret-value-77"]
    for fmt in FORMATS:
        args += ["--report", f"{fmt}:report.{fmt}"]
    runner = CliRunner()
    outputs = []
    for fmt in FORMATS:
        result = runner.invoke(cli, [*args, "--format", fmt], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        outputs.append(result.stdout + result.stderr)
    sent = [h.get("Authorization") for h in server.state.headers]
    assert token in sent and "Bearer literal-secret-value-77" in [h.get("X-Literal") for h in server.state.headers]
    for fmt in FORMATS:
        outputs.append(Path(f"report.{fmt}").read_text(encoding="utf-8"))
    cache_files = list(Path(".kmgraph").iterdir())
    assert Path(".kmgraph/linkcheck.sqlite") in cache_files
    outputs += [f.read_bytes().decode("latin-1") for f in cache_files]
    for text in outputs:
        assert token not in text and "literal-secret-value-77" not in text


def test_progress_bar_on_a_terminal_goes_to_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text("[x](a.md) [y](missing.md) [z](#)\n", encoding="utf-8")
    monkeypatch.setattr("kmgraph.cli.linkcheck._stderr_is_terminal", lambda: True)
    args = ["links", "check", "a.md", "--no-config", "--format", "json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "Checking links" in result.stderr and "Checking links" not in result.stdout
    assert json.loads(result.stdout)["summary"]["urls"] == 3
    quiet = CliRunner().invoke(cli, [*args, "--no-progress"], catch_exceptions=False)
    assert "Checking links" not in quiet.stderr
    monkeypatch.setattr("kmgraph.cli.linkcheck._stderr_is_terminal", lambda: False)
    assert "Checking links" not in CliRunner().invoke(cli, args, catch_exceptions=False).stderr
