"""Funders and author affiliations in HTML meta tags, JSON-LD and Markdown front matter."""

from __future__ import annotations

from kmgraph.ingest import read_document
from kmgraph.pipeline import extract
from tests.ingest.helpers import fixture


def test_highwire_institutions_follow_their_author() -> None:
    meta = read_document(fixture("funded_article.html")).metadata
    assert meta.authors == ("Okafor, Ada", "Lindqvist, Per", "Moreau, Claire")
    # Highwire tags win over the JSON-LD affiliation; an author without one has none.
    assert meta.affiliations == (
        ("Okafor, Ada", ("Ontario Institute for Studies in Education, University of Toronto", "Research Impact Canada")),
        ("Moreau, Claire", ("Department of Education, Northfield College",)),
    )


def test_citation_funder_and_json_ld_funder_and_funding() -> None:
    meta = read_document(fixture("funded_article.html")).metadata
    assert meta.funders == (
        "Social Sciences and Humanities Research Council",
        "Harbour Light Foundation",
        "Mitacs",
        "Canadian Institutes of Health Research",  # a Grant's funder, by @id
    )


def test_json_ld_affiliations_when_there_are_no_highwire_tags() -> None:
    meta = read_document(fixture("jsonld_affiliations.html")).metadata
    assert meta.affiliations == (("Sam Rivera", ("YouthREX", "Harbour Light Foundation")),)
    assert meta.funders == ("Ontario Trillium Foundation",)


def test_front_matter_funders_and_author_affiliations() -> None:
    meta = read_document(fixture("funded_note.md")).metadata
    assert meta.authors == ("Priya Natarajan", "Tom Evans", "Hannah Lowe")
    assert meta.funders == ("Nuffield Foundation", "Funded by the ESRC and the Harbour Light Foundation.")
    assert meta.affiliations == (
        ("Priya Natarajan", ("Wales Centre for Public Policy",)),
        ("Tom Evans", ("Cardiff University", "ESRC")),
    )


def test_extract_resolves_funders_and_affiliations_against_the_register() -> None:
    data = extract(fixture("funded_article.html")).to_dict()
    assert [(f["name"], f["id"], f["source"]) for f in data["funders"]] == [
        ("Harbour Light Foundation", None, "text"),  # the Acknowledgements section; named in the meta tags too
        ("Social Sciences and Humanities Research Council", "sshrc", "metadata"),
        ("Mitacs", "mitacs", "metadata"),
        ("Canadian Institutes of Health Research", "cihr", "metadata"),
    ]
    assert data["funders"][0]["sentence"] == "This study was supported by the Harbour Light Foundation."
    assert [(a["author"], a["name"], a["id"]) for a in data["affiliations"]] == [
        ("Okafor, Ada", "Ontario Institute for Studies in Education", "oise"),
        ("Okafor, Ada", "University of Toronto", "university-of-toronto"),
        ("Okafor, Ada", "Research Impact Canada", "research-impact-canada"),
        ("Moreau, Claire", "Department of Education, Northfield College", None),
    ]


def test_extract_reads_front_matter_funding_statements_and_the_text() -> None:
    data = extract(fixture("funded_note.md")).to_dict()
    assert [(f["name"], f["id"], f["source"], f["line"]) for f in data["funders"]] == [
        ("Nuffield Foundation", "nuffield-foundation", "text", 19),
        ("Acme Civic Trust", None, "text", 19),
        ("ESRC", "esrc", "metadata", None),
        ("Harbour Light Foundation", None, "metadata", None),
    ]
