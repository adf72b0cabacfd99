"""Link-check configuration: files found up to the repository root, ignore files, per-host
headers from the environment, durations, and the command line winning over files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.errors import DocumentNotFound, MalformedInput, UsageError
from kmgraph.linkcheck.config import (
    CheckConfig,
    HostConfig,
    find_config_file,
    load_config,
    parse_duration,
    parse_header,
    read_ignore_file,
)
from tests.linkcheck.server import LoopbackServer


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (a folder with .git) with a sub-folder docs/, the working directory."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "repo" / "docs")
    return tmp_path / "repo"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["links", "check", *args], input=input, catch_exceptions=False)


# durations, headers, hosts ---------------------------------------------------------------


def test_parse_duration() -> None:
    assert parse_duration("1d") == 86400 and parse_duration("12h") == 43200 and parse_duration("3600") == 3600
    assert parse_duration("1h30m") == 5400 and parse_duration("2w") == 14 * 86400 and parse_duration("500ms") == 0.5
    assert parse_duration(90) == 90.0 and parse_duration("1.5h") == 5400 and parse_duration("0") == 0
    for bad in ("", "d", "1x", "-1", "1d2", "one day", True, -5):
        with pytest.raises(UsageError):
            parse_duration(bad)  # type: ignore[arg-type]


def test_parse_header() -> None:
    assert parse_header("api.github.com=Authorization: Bearer $T") == ("api.github.com", "Authorization", "Bearer $T")
    assert parse_header("X-Check: a=b: c") == ("*", "X-Check", "a=b: c")
    assert parse_header("*.Example.org=Accept: */*") == ("*.example.org", "Accept", "*/*")
    for bad in ("no colon", "bad name: x", "=X: y"):
        with pytest.raises(UsageError):
            parse_header(bad)


def test_header_values_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KMG_TOKEN", "t0k3n")
    monkeypatch.delenv("KMG_UNSET", raising=False)
    host = HostConfig(
        headers={
            "A": "env:KMG_TOKEN",
            "B": "Bearer ${KMG_TOKEN}",
            "C": "token $KMG_TOKEN!",
            "D": "costs $$5",
            "E": "Bearer $KMG_UNSET",
            "F": "env:KMG_UNSET",
        }
    )
    assert host.resolved_headers() == {"A": "t0k3n", "B": "Bearer t0k3n", "C": "token t0k3n!", "D": "costs $5"}
    assert host.missing_variables() == [("E", "KMG_UNSET"), ("F", "KMG_UNSET")]


def test_hosts_merge_exact_then_globs() -> None:
    cfg = CheckConfig(
        hosts={
            "*": HostConfig(headers={"User-Token": "1", "Accept": "x"}),
            "*.example.org": HostConfig(concurrency=1, interval=2.0, headers={"User-Token": "2"}),
            "api.example.org": HostConfig(interval=5.0),
        }
    )
    api = cfg.host("API.example.org")
    assert (api.concurrency, api.interval) == (1, 5.0)
    assert dict(api.headers) == {"User-Token": "2", "Accept": "x"}
    assert dict(cfg.host("other.net").headers) == {"User-Token": "1", "Accept": "x"}
    assert cfg.concurrency_for("www.example.org") == 1 and cfg.interval_for("other.net") == cfg.host_interval
    assert cfg.host("api.example.org") is api  # memoised


def test_from_mapping_reads_durations_and_cache_settings() -> None:
    cfg = CheckConfig.from_mapping(
        {"cache": True, "max-age": "12h", "cache-failures": True, "host-interval": "250ms", "timeout": "5s",
         "hosts": {"api.github.com": {"interval": "1s", "concurrency": 1}}}
    )
    assert cfg.cache and cfg.cache_failures and cfg.max_age == 43200 and cfg.host_interval == 0.25
    assert cfg.timeout == 5 and cfg.host("api.github.com").interval == 1.0
    for bad in ({"max-age": "soon"}, {"cache": "yes"}, {"hosts": {"a": {"concurrency": 0}}},
                {"hosts": {"a": {"interval": "never"}}}, {"hosts": {"a": {"headers": {"X": 1}}}}):
        with pytest.raises(UsageError):
            CheckConfig.from_mapping(bad)


def test_excluded_reason() -> None:
    cfg = CheckConfig(include=("keep",), exclude=("example",))
    assert cfg.excluded_reason("https://example.org/keep") is None
    assert cfg.excluded_reason("https://example.org/x") == "matches --exclude 'example'"
    assert cfg.excluded_reason("https://other.org/") == "matches no --include pattern"


# files -------------------------------------------------------------------------------------


def test_kmgraph_toml_in_a_parent_folder_up_to_the_repository_root(repo: Path) -> None:
    (repo / "kmgraph.toml").write_text("[links]\nconcurrency = 4\nfail-on = ['broken', 'timeout']\n", encoding="utf-8")
    found = find_config_file()
    assert found is not None and found[0] == repo / "kmgraph.toml"
    loaded = load_config()
    assert loaded.config.concurrency == 4 and loaded.config_file == repo / "kmgraph.toml" and loaded.root == repo
    assert {s.value for s in loaded.config.fail_on} == {"broken", "timeout"}


def test_nothing_above_the_repository_root_is_read(repo: Path) -> None:
    (repo.parent / "kmgraph.toml").write_text("[links]\nconcurrency = 4\n", encoding="utf-8")
    assert find_config_file() is None
    assert load_config().config == CheckConfig()


def test_without_a_repository_only_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kmgraph.toml").write_text("[links]\nconcurrency = 4\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    if any((p / ".git").exists() for p in [tmp_path, *tmp_path.parents]):
        pytest.skip("the temporary folder is inside a git repository")
    assert find_config_file() is None
    monkeypatch.chdir(tmp_path)
    assert load_config().config.concurrency == 4


def test_pyproject_table_and_precedence(repo: Path) -> None:
    (repo / "docs" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")  # no table: passed over
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.kmgraph.links]\nretries = 5\ncache-file = "build/links.sqlite"\n\n'
        '[tool.kmgraph.links.hosts."api.github.com"]\ninterval = "1s"\nheaders = { Authorization = "env:GITHUB_TOKEN" }\n',
        encoding="utf-8",
    )
    cfg = load_config().config
    assert cfg.retries == 5 and cfg.host("api.github.com").interval == 1.0
    assert dict(cfg.host("api.github.com").headers) == {"Authorization": "env:GITHUB_TOKEN"}
    assert Path(cfg.cache_file or "").resolve() == (repo / "build" / "links.sqlite").resolve()  # relative to the file
    (repo / "kmgraph.toml").write_text("[links]\nretries = 1\n", encoding="utf-8")  # same folder: kmgraph.toml first
    assert load_config().config.retries == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[links]\nconcurrency = 4\nconcurency = 5\n", 3, "unknown link-check setting 'concurency'"),
        ("[links]\n\n'max-age' = 'soon'\n", 3, "'soon' is not a duration"),
        ("[links]\nretries = 2\n[links.hosts.'a.org']\nconcurrency = 0\n", 3, "concurrency of 'a.org'"),
        ("[links]\ntimeout = \n", 2, "invalid TOML"),
        ("links = 3\n", 1, "links must be a table"),
    ],
)
def test_config_errors_name_the_file_and_line(repo: Path, text: str, line: int, message: str) -> None:
    (repo / "kmgraph.toml").write_text(text, encoding="utf-8")
    with pytest.raises(MalformedInput) as info:
        load_config()
    assert info.value.path == str(repo / "kmgraph.toml") and info.value.line == line
    assert message in str(info.value) and info.value.exit_code == 3
    assert str(info.value).startswith(f"{repo / 'kmgraph.toml'}:{line}: ")


def test_dotted_keys_are_located_too(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.kmgraph]\nlinks.retries = 1\nlinks.nope = 2\n", encoding="utf-8")
    with pytest.raises(MalformedInput) as info:
        load_config()
    assert info.value.line == 3


def test_an_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci.toml").write_text("[links]\nmax-time = 120\n", encoding="utf-8")
    assert load_config("ci.toml").config.max_time == 120
    with pytest.raises(DocumentNotFound):
        load_config("missing.toml")


def test_ignore_files(repo: Path) -> None:
    (repo / ".kmgraphignore-links").write_text(
        "# bot walls we know\nlinkedin\\.com\n\n   \n  ^https://twitter\\.com/  \n", encoding="utf-8"
    )
    (repo / ".lycheeignore").write_text("example\\.invalid\n", encoding="utf-8")
    (repo / "kmgraph.toml").write_text("[links]\nexclude = ['nope']\n", encoding="utf-8")
    loaded = load_config()
    assert loaded.config.exclude == ("linkedin\\.com", "^https://twitter\\.com/", "example\\.invalid", "nope")
    assert loaded.ignore_files == (repo / ".kmgraphignore-links", repo / ".lycheeignore")
    assert load_config(ignore_files=False).config.exclude == ("nope",)
    (repo / ".lycheeignore").write_text("ok\n# c\n(unclosed\n", encoding="utf-8")
    with pytest.raises(MalformedInput) as info:
        load_config()
    assert info.value.line == 3 and info.value.path == str(repo / ".lycheeignore")
    assert read_ignore_file(repo / ".kmgraphignore-links") == ("linkedin\\.com", "^https://twitter\\.com/")


# the command line ------------------------------------------------------------------------


def test_cli_config_file_applies_and_flags_win(repo: Path) -> None:
    (repo / "docs" / "a.md").write_text("[x](#nowhere) [y](https://example.org/skip-me)\n", encoding="utf-8")
    (repo / ".kmgraphignore-links").write_text("skip-me\n", encoding="utf-8")
    (repo / "kmgraph.toml").write_text("[links]\nfail-on = ''\n", encoding="utf-8")
    result = invoke("a.md", "--format", "json")
    assert result.exit_code == 0, result.output  # the config's fail-on: nothing fails
    statuses = {r["url"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert statuses["https://example.org/skip-me"] == "excluded"  # the ignore file, no network
    assert invoke("a.md", "--fail-on", "broken").exit_code == 1  # the flag wins over the file
    assert invoke("a.md", "--no-config", "--fail-on", "broken", "--exclude", "skip").exit_code == 1


def test_cli_config_errors_exit_3_with_file_and_line(repo: Path) -> None:
    (repo / "docs" / "a.md").write_text("[x](a.md)\n", encoding="utf-8")
    (repo / "kmgraph.toml").write_text("[links]\nconcurrency = 'many'\n", encoding="utf-8")
    result = invoke("a.md")
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == [
        f"kmgraph: error: {repo / 'kmgraph.toml'}:2: link-check setting 'concurrency' must be an integer, not 'many'"
    ]
    assert invoke("a.md", "--no-config").exit_code == 0
    missing = invoke("a.md", "--config", "nope.toml")
    assert missing.exit_code == 3 and "nope.toml" in missing.stderr
    assert invoke("a.md", "--config", "x.toml", "--no-config").exit_code == 2
    assert invoke("a.md", "--no-config", "--header", "nocolon").exit_code == 2
    assert invoke("a.md", "--no-config", "--max-age", "soon").exit_code == 2


def test_cli_header_reaches_the_server_and_warns_on_unset_variables(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Needs loopback, hence --include-private."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KMG_TEST_TOKEN", "sekret-value-42")
    monkeypatch.delenv("KMG_TEST_UNSET", raising=False)
    result = invoke(
        "--stdin", "--no-config", "--include-private", "--host-interval", "0",
        "--header", "127.0.0.1=Authorization: Bearer ${KMG_TEST_TOKEN}",
        "--header", "X-Other: $KMG_TEST_UNSET",
        input=server.url("/ok") + "\n",
    )
    assert result.exit_code == 0, result.output
    sent = [h for h in server.state.headers if "Authorization" in h]
    assert sent and sent[0]["Authorization"] == "Bearer sekret-value-42"
    assert not any("X-Other" in h for h in server.state.headers)
    assert "$KMG_TEST_UNSET is not set: the X-Other header for every host is left out" in result.stderr
    assert "sekret-value-42" not in result.output + result.stderr
