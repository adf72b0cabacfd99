"""The GitHub composite action (action.yml) and the pre-commit hooks (.pre-commit-hooks.yaml).

Tested as far as they can be without GitHub and without the network:

- both files parse and follow their documented schema (GitHub's metadata syntax for
  actions; pre-commit's manifest schema, through pre-commit's own validator when the
  ``pre-commit`` package is installed);
- every ``${{ … }}`` expression names an input, an earlier step's output or
  ``github.action_path``, and no ``run`` script interpolates one (inputs go through ``env``);
- the action's ``run`` steps are executed with bash as the runner does
  (``bash --noprofile --norc -eo pipefail``), with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``
  and the step outputs wired between steps; ``actions/setup-python`` and the ``pip
  install`` step are the only steps not run (a ``kmgraph`` script on ``PATH`` stands in);
- each hook's entry and args are real kmgraph commands and options (click's CliRunner),
  and run as pre-commit runs them (``entry + args + filenames``, files filtered by the
  hook's ``files``/``types``) through the ``kmgraph`` console script in a subprocess;
- with ``pre-commit`` and ``git`` installed, ``pre-commit run`` itself drives the hooks as
  ``repo: local`` hooks with ``language: system`` (no hook environment to build, so no
  network). ``pre-commit try-repo`` is not run: it builds a fresh virtualenv for
  ``language: python`` and pip-installs kmgraph's dependencies from PyPI into it.

No test touches the internet: web links in the fixtures are under ``.invalid``, which the
checker fails without a DNS lookup.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kmgraph.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the kmgraph script


@pytest.fixture(scope="module")
def script_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose PATH has a ``kmgraph`` console script and this Python.

    The installed script next to this interpreter when kmgraph is installed; otherwise the
    wrapper pip would write for ``[project.scripts]`` (the entry point is read from
    pyproject.toml), importing kmgraph from this checkout.
    """
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "KMGRAPH_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    if not (bin_dir / "kmgraph").is_file():
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
        module, func = scripts["kmgraph"].split(":")
        shim_dir = tmp_path_factory.mktemp("bin")
        shim = shim_dir / "kmgraph"
        shim.write_text(
            f"#!{sys.executable}\nimport sys\nfrom {module} import {func}\nif __name__ == '__main__':\n    sys.exit({func}())\n",
            encoding="utf-8",
        )
        shim.chmod(0o755)
        bin_dir = shim_dir
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


GOOD_MD = "# Guide\n\n## Set-up\n\nSee [set-up](#set-up) and [notes](notes.md#usage).\n"
NOTES_MD = "# Notes\n\n## Usage\n\nA web page: <https://kmgraph.invalid/page>.\n"
BAD_MD = "# Bad\n\nSee [gone](missing.md) and [todo](#).\n"
GOOD_HTML = '<html><body><h2 id="top">T</h2><a href="#top">up</a><a href="guide.md">g</a></body></html>\n'
WORKS_BIB = """\
@article{smith2020knowledge,
  author = {Smith, Jane},
  title = {Knowledge brokers in practice},
  journal = {Journal of Examples},
  year = {2020},
  url = {https://kmgraph.invalid/smith}
}
"""
BAD_BIB = WORKS_BIB + "\n@misc{broken,\n  title = {unclosed\n"


def make_repo(root: Path, *, bad: bool) -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "references").mkdir(exist_ok=True)
    (root / "docs" / "guide.md").write_text(GOOD_MD, encoding="utf-8")
    (root / "docs" / "notes.md").write_text(NOTES_MD, encoding="utf-8")
    (root / "docs" / "page.html").write_text(GOOD_HTML, encoding="utf-8")
    (root / "docs" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "references" / "works.bib").write_text(BAD_BIB if bad else WORKS_BIB, encoding="utf-8")
    if bad:
        (root / "docs" / "bad.md").write_text(BAD_MD, encoding="utf-8")
    return root


# ---------------------------------------------------------------- action.yml: schema

_ACTION_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
_INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
_STEP_KEYS = {"id", "name", "if", "run", "shell", "uses", "with", "env", "working-directory", "continue-on-error"}
_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


def test_action_follows_the_metadata_syntax() -> None:
    action = load(ACTION)
    assert set(action) <= _ACTION_KEYS
    assert action["name"] and action["description"] and action["runs"]  # required
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name), name  # lower-case ids, as GitHub recommends
        assert set(spec) <= _INPUT_KEYS and spec["description"], name
        assert isinstance(spec.get("default", ""), str), f"{name}: defaults are strings"
    for name, spec in action["outputs"].items():
        assert spec["description"] and spec["value"], name  # composite outputs need a value
    assert action["branding"]["color"] in _COLORS
    runs = action["runs"]
    assert runs["using"] == "composite"
    ids = [s["id"] for s in runs["steps"] if "id" in s]
    assert len(ids) == len(set(ids))
    for step in runs["steps"]:
        assert set(step) <= _STEP_KEYS, step.get("name")
        assert ("run" in step) != ("uses" in step), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")  # shell is required for run steps
        else:
            assert "shell" not in step and re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"])


def test_action_expressions_name_real_inputs_and_steps() -> None:
    action = load(ACTION)
    inputs = set(action["inputs"])
    used: set[str] = set()
    seen_ids: list[str] = []

    def check(text: str, where: str, earlier: list[str]) -> None:
        for expr in _EXPR.findall(text):
            if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
                assert m.group(1) in inputs, f"{where}: unknown input {m.group(1)}"
                used.add(m.group(1))
            elif m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
                assert m.group(1) in earlier, f"{where}: step {m.group(1)} is not an earlier step"
            else:
                assert expr == "github.action_path", f"{where}: unexpected expression {expr}"

    for step in action["runs"]["steps"]:
        where = step.get("name", "?")
        assert "${{" not in step.get("run", ""), f"{where}: pass inputs through env, not into the script"
        for value in [*(step.get("env") or {}).values(), *(step.get("with") or {}).values()]:
            check(str(value), where, seen_ids)
        if "id" in step:
            seen_ids.append(step["id"])
    for name, spec in action["outputs"].items():
        check(spec["value"], f"output {name}", seen_ids)
    assert used == inputs, f"inputs never used: {inputs - used}"
    # Every output a step promises is written by that step.
    for name, spec in action["outputs"].items():
        step_id, key = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"]).groups()
        script = next(s["run"] for s in action["runs"]["steps"] if s.get("id") == step_id)
        assert f"{key}=" in script, f"output {name}: step {step_id} never writes {key}"


def test_action_installs_kmgraph_from_its_own_path_with_the_requested_python() -> None:
    steps = load(ACTION)["runs"]["steps"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    install = steps[1]
    assert install["env"]["KMGRAPH_ACTION_PATH"] == "${{ github.action_path }}"
    assert shlex.split(install["run"])[:4] == ["python", "-m", "pip", "install"]
    assert shlex.split(install["run"])[-1] == "$KMGRAPH_ACTION_PATH"
    assert (ROOT / "pyproject.toml").is_file()  # what `pip install <action path>` builds


# ---------------------------------------------------------------- action.yml: run it


def run_action(workspace: Path, env: dict[str, str], inputs: dict[str, str]) -> dict[str, Any]:
    """Run the action's run steps like the runner: outputs, summary, exit codes."""
    action = load(ACTION)
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    temp = workspace.parent / f"{workspace.name}-runner"
    temp.mkdir(exist_ok=True)
    summary = temp / "summary.md"
    outputs: dict[str, dict[str, str]] = {}
    logs: list[tuple[str, subprocess.CompletedProcess[str]]] = []

    def resolve(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr.startswith("inputs."):
                return values[expr[len("inputs."):]]
            if expr == "github.action_path":
                return str(ROOT)
            _, step_id, _, key = expr.split(".")
            return outputs.get(step_id, {}).get(key, "")

        return _EXPR.sub(one, text)

    for step in action["runs"]["steps"]:
        if "uses" in step or "pip install" in step["run"]:
            continue  # setup-python and the install: the kmgraph script on PATH stands in
        out_file = temp / f"output-{len(logs)}"
        out_file.write_text("", encoding="utf-8")
        step_env = {**env, "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp)}
        step_env.update({k: resolve(str(v)) for k, v in (step.get("env") or {}).items()})
        script = temp / f"step-{len(logs)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace, env=step_env, capture_output=True, text=True, timeout=120,
        )
        logs.append((step.get("id") or step["name"], proc))
        if "id" in step:
            outputs[step["id"]] = dict(
                line.split("=", 1) for line in out_file.read_text(encoding="utf-8").splitlines() if "=" in line
            )
        if proc.returncode != 0:
            break
    return {
        "outputs": {name: resolve(spec["value"]) for name, spec in action["outputs"].items()},
        "logs": logs,
        "exit": logs[-1][1].returncode,
        "summary": summary.read_text(encoding="utf-8") if summary.exists() else "",
    }


def test_action_run_fails_with_annotations_summary_and_report(tmp_path: Path, script_env: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "ws", bad=True)
    report = tmp_path / "ws" / "links.json"
    run = run_action(repo, script_env, {"paths": "docs/*.md docs", "json-report": str(report),
                                        "args": "--exclude '(?i)^https?://'"})
    assert run["exit"] == 1, run["logs"]
    assert run["outputs"]["exit-code"] == "1" and run["outputs"]["report"] == str(report)
    assert run["outputs"]["failing"] == "2"  # missing.md and the '#' placeholder
    rendered = dict(run["logs"])["render"].stdout
    assert "::error file=docs/bad.md,line=3,col=" in rendered
    assert "::group::kmgraph links check report" in rendered
    assert run["summary"].startswith("## kmgraph links check")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["summary"]["statuses"]["excluded"] == 1  # the web link, not requested
    assert data["fail_on"] == ["broken", "network-error", "placeholder"]


def test_action_run_passes_on_a_clean_tree_and_honours_inputs(tmp_path: Path, script_env: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "ws", bad=False)
    run = run_action(repo, script_env, {"paths": "docs", "store": "references", "fail-on": "broken",
                                        "args": "--exclude '(?i)^https?://'", "summary": "false"})
    assert run["exit"] == 0, run["logs"]
    assert run["outputs"]["exit-code"] == "0" and run["outputs"]["failing"] == "0"
    assert run["summary"] == ""  # summary: 'false'
    assert Path(run["outputs"]["report"]).parent == tmp_path / "ws-runner"  # RUNNER_TEMP


def test_action_run_reports_a_usage_error_without_rendering(tmp_path: Path, script_env: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "ws", bad=False)
    run = run_action(repo, script_env, {"paths": "no-such-folder"})
    assert run["exit"] == 3 and run["outputs"]["exit-code"] == "3"
    assert "exit code 3" in dict(run["logs"])["render"].stdout
    unbalanced = run_action(repo, script_env, {"paths": "docs", "args": "--exclude 'oops"})
    assert unbalanced["exit"] == 2 and "cannot be split" in unbalanced["logs"][-1][1].stdout


# ---------------------------------------------------------------- .pre-commit-hooks.yaml

_HOOK_KEYS = {
    "id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or", "exclude_types",
    "additional_dependencies", "args", "always_run", "fail_fast", "pass_filenames", "description",
    "language_version", "log_file", "minimum_pre_commit_version", "require_serial", "stages", "verbose",
}


def hooks() -> dict[str, dict[str, Any]]:
    return {h["id"]: h for h in load(HOOKS)}


def test_hooks_follow_the_manifest_schema() -> None:
    data = load(HOOKS)
    assert isinstance(data, list) and data
    for hook in data:
        assert {"id", "name", "entry", "language"} <= set(hook) <= _HOOK_KEYS, hook.get("id")
        assert hook["language"] == "python"  # pre-commit pip-installs this repository
        re.compile(hook["files"])
        assert shlex.split(hook["entry"])[0] == "kmgraph"
    assert set(hooks()) == {"kmgraph-links", "kmgraph-links-network", "kmgraph-refs-lint"}
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit not installed: own schema checks only")
    manifest = clientlib.load_manifest(str(HOOKS))  # raises on any schema violation
    assert [h["id"] for h in manifest] == [h["id"] for h in data]


def _selected(hook: dict[str, Any], repo: Path) -> list[str]:
    """The files pre-commit would pass: ``files`` searched in the path, ``types`` all present."""
    from identify import identify

    chosen = []
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if not path.is_file() or rel.startswith(".git/"):
            continue
        if not re.search(hook.get("files", ""), rel) or re.search(hook.get("exclude", "^$"), rel):
            continue
        if set(hook.get("types", ["file"])) <= identify.tags_from_path(str(path)):
            chosen.append(rel)
    return chosen


def _command(hook: dict[str, Any], repo: Path) -> list[str]:
    files = _selected(hook, repo) if hook.get("pass_filenames", True) else []
    return [*shlex.split(hook["entry"]), *hook.get("args", []), *files]


@pytest.mark.parametrize("hook_id", ["kmgraph-links", "kmgraph-links-network", "kmgraph-refs-lint"])
def test_hook_entry_and_args_are_real_commands(hook_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("identify", reason="identify (a pre-commit dependency) gives the file types")
    hook = hooks()[hook_id]
    repo = make_repo(tmp_path, bad=False)
    monkeypatch.chdir(repo)
    argv = _command(hook, repo)[1:]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output  # 2 would be an unknown option or command
    assert "Error: No such" not in result.output


def test_links_hook_checks_local_links_offline(tmp_path: Path, script_env: dict[str, str]) -> None:
    pytest.importorskip("identify", reason="identify (a pre-commit dependency) gives the file types")
    hook = hooks()["kmgraph-links"]
    clean = make_repo(tmp_path / "clean", bad=False)
    command = _command(hook, clean)
    assert command[-4:] == ["docs/guide.md", "docs/notes.md", "docs/page.html", "references/works.bib"]
    ok = subprocess.run(command, cwd=clean, env=script_env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "excluded" in ok.stdout and "failing" in ok.stdout  # the .invalid web links were not requested

    dirty = make_repo(tmp_path / "dirty", bad=True)
    bad = subprocess.run(_command(hook, dirty), cwd=dirty, env=script_env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "docs/bad.md:3:" in bad.stdout and "missing.md" in bad.stdout and "placeholder" in bad.stdout


def test_network_hook_requests_web_links(tmp_path: Path, script_env: dict[str, str]) -> None:
    pytest.importorskip("identify", reason="identify (a pre-commit dependency) gives the file types")
    repo = make_repo(tmp_path, bad=False)
    proc = subprocess.run(_command(hooks()["kmgraph-links-network"], repo), cwd=repo, env=script_env,
                          capture_output=True, text=True, timeout=120)
    # The same files fail here: the web links are checked (and .invalid never resolves).
    assert proc.returncode == 1 and "network-error" in proc.stdout and "kmgraph.invalid" in proc.stdout


def test_refs_lint_hook_lints_the_store(tmp_path: Path, script_env: dict[str, str]) -> None:
    hook = hooks()["kmgraph-refs-lint"]
    assert hook["pass_filenames"] is False and re.search(hook["files"], "references/works.bib")
    clean = make_repo(tmp_path / "clean", bad=False)
    ok = subprocess.run(_command(hook, clean), cwd=clean, env=script_env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    dirty = make_repo(tmp_path / "dirty", bad=True)
    bad = subprocess.run(_command(hook, dirty), cwd=dirty, env=script_env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "references/works.bib" in bad.stdout + bad.stderr


# ---------------------------------------------------------------- pre-commit itself


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_runs_the_hooks(tmp_path: Path, script_env: dict[str, str]) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")
    repo = make_repo(tmp_path / "repo", bad=True)
    local = []
    for hook in load(HOOKS):
        if hook["id"] == "kmgraph-links-network":
            continue
        local.append({**hook, "language": "system"})  # the kmgraph on PATH: no hook env, no network
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    env = {**script_env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1", "PRE_COMMIT_COLOR": "never"}
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    failing = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert re.search(r"kmgraph links \(local files and fragments\)\.+Failed", failing.stdout)
    assert re.search(r"kmgraph refs lint\.+Failed", failing.stdout)
    assert "docs/bad.md:3:" in failing.stdout

    (repo / "docs" / "bad.md").unlink()
    (repo / "references" / "works.bib").write_text(WORKS_BIB, encoding="utf-8")
    _git(repo, "add", "-A")
    passing = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"kmgraph links \(local files and fragments\)\.+Passed", passing.stdout)
    assert re.search(r"kmgraph refs lint\.+Passed", passing.stdout)
