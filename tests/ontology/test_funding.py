"""Funders in funding statements, sections and metadata values; affiliations; seed 003."""

from __future__ import annotations

import pytest

from kmgraph.ingest import read_document
from kmgraph.ontology.funding import affiliations_in, find_funders, funders_in, organisations_in
from kmgraph.records import Line
from tests.conftest import seed_path


def funders(*texts: str, heading: int | None = None) -> list[tuple[str, str | None]]:
    lines = [Line(t, n, heading=n == heading) for n, t in enumerate(texts, 1)]
    return [(f.name, f.id) for f in find_funders(lines)]


def test_seed_003_names_exactly_its_three_funders() -> None:
    doc = read_document(seed_path("003_6a8b321c37a272a5"))
    found = find_funders(doc.lines)
    assert [(f.name, f.id) for f in found] == [("Research England", "research-england"), ("UKRI", "ukri"), ("ESRC", "esrc")]
    assert {(f.line, f.funded, f.funded_id, f.source) for f in found} == {(62, "UPEN Programmes", None, "text")}
    assert found[0].sentence.endswith("funded by Research England, UKRI and ESRC.")


def test_seed_001_funders_and_donors_is_not_a_funding_statement() -> None:
    doc = read_document(seed_path("001_5322bb78c76e8949"))
    assert any("funders and donors" in line.text for line in doc.lines)
    assert find_funders(doc.lines) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The hub is co-funded by SSHRC and Mitacs.", [("SSHRC", "sshrc"), ("Mitacs", "mitacs")]),
        ("We did this with funding from the Nuffield Foundation.", [("Nuffield Foundation", "nuffield-foundation")]),
        (
            "This work was supported by an Insight Grant from the Social Sciences and Humanities Research Council of Canada (SSHRC) and by Mitacs.",
            [("Social Sciences and Humanities Research Council of Canada", "sshrc"), ("Mitacs", "mitacs")],
        ),
        ("The project received funding from the Nuffield Foundation and Acme Trust to study brokering.", [("Nuffield Foundation", "nuffield-foundation"), ("Acme Trust", None)]),
        ("Funded by the Bill and Melinda Gates Foundation.", [("Bill and Melinda Gates Foundation", None)]),
        ("It was funded by the Wellcome Trust [grant 123/Z/45] and the NIHR.", [("Wellcome Trust", "wellcome"), ("NIHR", "nihr")]),
        ("Funding was provided by Acme Civic Trust; the rest came later.", [("Acme Civic Trust", None)]),
        ("The ESRC-funded Centre for Evidence Use runs workshops.", [("ESRC", "esrc")]),
        # No cue: nouns about funding are not funding statements.
        ("Researchers can apply for funding from SSHRC.", []),
        ("Talk to your funders and donors about support from ESRC.", []),
        ("Brokers are supported by their principals.", []),
    ],
)
def test_funding_statements(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert funders(text) == expected


def test_what_is_funded_and_when_it_is_a_registered_organisation() -> None:
    (upen,) = find_funders([Line("UPEN is funded by Research England.", 1)])
    assert (upen.funded, upen.funded_id) == ("UPEN", "upen")
    (centre,) = find_funders([Line("The ESRC-funded Wales Centre for Public Policy advises ministers.", 1)])
    assert (centre.name, centre.funded, centre.funded_id) == ("ESRC", "Wales Centre for Public Policy", "wcpp")
    (project,) = find_funders([Line("This project was funded by Mitacs.", 1)])
    assert (project.funded, project.funded_id) == ("This project", None)


def test_sections_widen_the_cues_until_the_next_heading() -> None:
    lines = ("Acknowledgements", "We are grateful for support from the Wellcome Trust.", "Findings", "Teams are supported by Mitacs staff.")
    assert funders(*lines[:2], heading=1) == [("Wellcome Trust", "wellcome")]
    doc = [Line(lines[0], 1, heading=True), Line(lines[1], 2), Line(lines[2], 3, heading=True), Line(lines[3], 4)]
    assert [f.name for f in find_funders(doc)] == ["Wellcome Trust"]
    # Outside a section "supported by" alone is no cue.
    assert funders(lines[1], lines[3]) == []


def test_a_funding_section_lists_names_without_a_cue() -> None:
    lines = ["Funding", "", "SSHRC Partnership Grant 895-2019-1001; Acme Foundation.", "References", "ESRC (2020). A report."]
    assert funders(*lines) == [("SSHRC", "sshrc"), ("Acme Foundation", None)]
    assert funders("Funding: Mitacs and the Harbour Light Foundation.") == [("Mitacs", "mitacs"), ("Harbour Light Foundation", None)]


def test_a_funder_statement_across_lines_reports_the_line_of_its_cue() -> None:
    lines = [Line("Councils draw on evidence. The network is funded by", 7), Line("the Nuffield Foundation and Acme Civic Trust.", 8)]
    assert [(f.name, f.line) for f in find_funders(lines)] == [("Nuffield Foundation", 7), ("Acme Civic Trust", 7)]


def test_metadata_values() -> None:
    assert [(f.name, f.id, f.source) for f in funders_in("SSHRC; Acme Trust and Mitacs", "bibtex")] == [
        ("SSHRC", "sshrc", "bibtex"),
        ("Acme Trust", None, "bibtex"),
        ("Mitacs", "mitacs", "bibtex"),
    ]
    assert [f.name for f in funders_in("Funded by the ESRC under grant ES/T001/1.", "metadata")] == ["ESRC"]
    assert funders_in("to be confirmed", "metadata") == []


def test_affiliations_name_registered_organisations_or_the_whole() -> None:
    assert organisations_in("Ontario Institute for Studies in Education, University of Toronto") == [
        ("Ontario Institute for Studies in Education", "oise"),
        ("University of Toronto", "university-of-toronto"),
    ]
    assert organisations_in("  Department of Education,\n Northfield College ") == [("Department of Education, Northfield College", None)]
    records = affiliations_in([("Lee, A.", ["ESRC", "ESRC, Swindon"])], "metadata")
    assert [(a.author, a.name, a.id, a.source) for a in records] == [("Lee, A.", "ESRC", "esrc", "metadata")]


@pytest.mark.parametrize("name", ["kmgraph.ontology.funding", "kmgraph.ontology.tagger"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
