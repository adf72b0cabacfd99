"""Lint of the store: every code, stable order."""

from __future__ import annotations

import shutil
from pathlib import Path

from kmgraph.references.lint import lint
from kmgraph.references.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store"

BAD = """@article{graham2006lost,
  author = {Graham, Ian D. and Logan, Jo},
  title = {Lost in knowledge translation: Time for a map?},
  journal = {Journal of Continuing Education in the Health Professions},
  year = {2006},
  pages = {13-24},
  doi = {doi.org/chp.47}
}

@book{nutley2007using,
  author = {Nutley, Sandra M.},
  title = {Using evidence},
  year = {07}
}

@online{wenger_cop,
  title = {Introduction to communities of practice},
  url = {www.wenger-trayner.com/introduction to communities}
}

@report{levin2008thinking,
  author = {Levin, Ben},
  title = {Thinking about knowledge mobilization},
  year = {2008},
  institution = {SSHRC}
}

@misc{levin2008sshrc,
  author = {Levin, B.},
  title = {Thinking about knowledge mobilization: A discussion paper prepared at the request of CCL and SSHRC},
  year = {2008}
}

@article{ward2017whose,
  author = {Ward, Vicky},
  title = {Why, whose, what and how? A framework for knowledge mobilisers},
  journal = {Evidence \\& Policy},
  year = {2017},
  volume = {13},
  pages = {477--497},
  doi = {https://doi.org/10.1332/174426416X14634763278725}
}

@misc{ward2017copy,
  title = {A framework for knowledge mobilisers (slides)},
  year = {n.d.},
  doi = {10.1332/174426416x14634763278725}
}
"""


def codes(issues: list) -> set[tuple[str, str]]:
    return {(i.key, i.code) for i in issues}


def test_lint_codes(tmp_path: Path) -> None:
    (tmp_path / "works.bib").write_text(BAD, encoding="utf-8")
    issues = lint(Store.open(tmp_path))
    found = codes(issues)
    assert ("graham2006lost", "bad-pages") in found
    assert ("graham2006lost", "bad-doi") in found
    assert ("nutley2007using", "missing-field") in found  # publisher
    assert ("nutley2007using", "bad-year") in found
    assert ("wenger_cop", "bad-url") in found
    assert ("levin2008sshrc", "missing-field") not in found  # misc needs a title only
    near = [i for i in issues if i.code == "probable-duplicate" and "levin2008" in i.message]
    assert len(near) == 1 and "near-duplicate" in near[0].message
    assert near[0].key == "levin2008sshrc" and "levin2008thinking" in near[0].message  # first key of the pair
    same_doi = [i for i in issues if i.code == "probable-duplicate" and "DOI" in i.message]
    assert len(same_doi) == 1 and "ward2017copy" in same_doi[0].message
    assert ("ward2017whose", "bad-doi") not in found  # a resolver prefix is fine
    assert ("ward2017copy", "bad-year") not in found  # n.d. is allowed
    missing = [i for i in issues if i.key == "nutley2007using" and i.code == "missing-field"]
    assert missing[0].message == "@book needs publisher" and missing[0].line == 10
    assert all(i.severity in ("error", "warning") for i in issues)


def test_lint_order_is_stable(tmp_path: Path) -> None:
    (tmp_path / "works.bib").write_text(BAD, encoding="utf-8")
    first = lint(Store.open(tmp_path))
    second = lint(Store.open(tmp_path))
    assert first == second
    assert [(i.line or 0) for i in first] == sorted(i.line or 0 for i in first)


def test_lint_malformed_block_and_duplicate_keys(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "broken.bib", tmp_path)
    (tmp_path / "other.bib").write_text("@misc{cihr2016guide,\n  title = {Copy}\n}\n", encoding="utf-8")
    issues = lint(Store.open(tmp_path))
    malformed = [i for i in issues if i.code == "malformed-block"]
    assert [(i.key, i.file.name, i.line) for i in malformed] == [("straus2013kt", "broken.bib", 10)]
    dups = [i for i in issues if i.code == "duplicate-key"]
    assert sorted((i.file.name, i.line) for i in dups) == [("broken.bib", 2), ("other.bib", 1)]


def test_lint_clean_store(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "librarian.bib", tmp_path)
    assert lint(Store.open(tmp_path)) == []
