"""The tagger on hand-written sentences: variants, longest match, acronyms, candidates."""

from __future__ import annotations

import time

import pytest

from kmgraph.ontology import (
    Concept,
    Tagger,
    Vocabulary,
    load_vocabulary,
    text_lines,
)
from kmgraph.ontology.text import stem, tokenize
from kmgraph.records import Line


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_vocabulary())


def concepts(tagger: Tagger, text: str) -> dict[str, int]:
    return {hit.label: hit.count for hit in tagger.concepts(text_lines(text))}


def organisations(tagger: Tagger, text: str) -> dict[str, tuple[str, ...]]:
    return {hit.name: hit.surface for hit in tagger.organisations(text_lines(text))}


# -- normalisation -------------------------------------------------------------------


def test_tokens_fold_apostrophes_and_strip_possessives() -> None:
    tokens = tokenize("Watch CAPE\u2019s video on co\u2013production, U.S. style.")
    assert [t.text for t in tokens] == [
        "Watch",
        "CAPE",
        "video",
        "on",
        "co",
        "production",
        "U.S.",
        "style",
    ]
    assert tokens[5].joined and tokens[5].brk == 0
    assert tokens[6].brk == 1


def test_urls_are_skipped() -> None:
    assert [t.text for t in tokenize("see https://example.org/kmb-toolkit now")] == [
        "see",
        "now",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mobilisation", "mobilization"),
        ("mobilisers", "mobilization"),
        ("mobilizing", "mobilize"),
        ("brokers", "brokering"),
        ("communities", "community"),
        ("centre", "center"),
        ("practices", "practice"),
        ("organisational", "organizational"),
    ],
)
def test_stem_puts_inflections_together(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize(("a", "b"), [("user", "use"), ("users", "used"), ("translation", "transfer")])
def test_stem_keeps_distinct_words_apart(a: str, b: str) -> None:
    assert stem(a) != stem(b)


# -- concepts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Knowledge Mobilisation matters.",
        "knowledge mobilization matters.",
        "KNOWLEDGE MOBILIZATION MATTERS",
        "We talk about mobilising knowledge.",
        "A network of knowledge mobilizers.",
        "Our KMb work.",
        "Our Kmb work.",
    ],
)
def test_spelling_case_and_inflection_variants(tagger: Tagger, text: str) -> None:
    assert concepts(tagger, text) == {"knowledge mobilization": 1}


@pytest.mark.parametrize("text", ["co-production", "coproduction", "co production", "Co\u2010Production"])
def test_hyphen_space_and_closed_up_variants(tagger: Tagger, text: str) -> None:
    assert concepts(tagger, f"On {text} of research.") == {"co-production": 1}


@pytest.mark.parametrize(
    "text",
    [
        "knowledge broker",
        "knowledge brokers",
        "knowledge brokering",
        "Knowledge Brokerage",
    ],
)
def test_agent_nouns_and_plurals_tag_the_activity(tagger: Tagger, text: str) -> None:
    assert concepts(tagger, f"About {text}.") == {"knowledge brokering": 1}


def test_longest_match_wins(tagger: Tagger) -> None:
    assert concepts(
        tagger,
        "Integrated knowledge translation is not the only knowledge translation.",
    ) == {
        "integrated knowledge translation": 1,
        "knowledge translation": 1,
    }


def test_matches_do_not_cross_punctuation(tagger: Tagger) -> None:
    assert concepts(tagger, "We share knowledge. Translation follows.") == {"knowledge sharing": 1}
    assert "knowledge translation" not in concepts(tagger, "knowledge, translation")


def test_hidden_label_wildcard_spans_up_to_three_words(tagger: Tagger) -> None:
    assert concepts(tagger, "the divide between school research and practice") == {"research-practice gap": 1}
    assert concepts(tagger, "the gap between research and practice") == {"research-practice gap": 1}
    assert concepts(tagger, "the divide between a b c research and practice") == {"research-practice gap": 1}
    assert concepts(tagger, "the divide between a b c d research and practice") == {}
    assert concepts(tagger, "the divide between us. Research and practice") == {}


def test_knowledge_to_action_spelled_three_ways(tagger: Tagger) -> None:
    text = "From knowledge to action; knowledge-to-action cycles; the Knowledge-to-Action framework."
    assert concepts(tagger, text) == {"knowledge-to-action": 3}


def test_hits_are_sorted_by_count_then_label(tagger: Tagger) -> None:
    hits = tagger.concepts(text_lines("knowledge exchange\nknowledge transfer\nknowledge exchange"))
    assert [(h.label, h.count, h.lines) for h in hits] == [
        ("knowledge exchange", 2, (1, 3)),
        ("knowledge transfer", 1, (2,)),
    ]
    assert hits[0].id == "knowledge-exchange"


def test_acronyms_are_case_sensitive(tagger: Tagger) -> None:
    assert concepts(tagger, "Some km of road and a kmb file.") == {}
    assert concepts(tagger, "A CoP met; two CoPs met.") == {"community of practice": 2}


def test_names_wrapped_over_two_lines_still_match(tagger: Tagger) -> None:
    lines = [
        Line("a plan for integrated knowledge", 1),
        Line("translation in the clinic.", 2),
    ]
    assert [h.label for h in tagger.concepts(lines)] == ["integrated knowledge translation"]
    lines = [Line("A heading about knowledge.", 1), Line("Translation follows.", 2)]
    assert tagger.concepts(lines) == []


# -- ambiguous acronyms ----------------------------------------------------------------


def test_km_defined_as_knowledge_mobilization(tagger: Tagger) -> None:
    text = "Knowledge Mobilization (KM) is useful.\nKM helps. Knowledge management is also a thing."
    assert concepts(tagger, text) == {
        "knowledge mobilization": 3,
        "knowledge management": 1,
    }


def test_km_defined_as_knowledge_management(tagger: Tagger) -> None:
    text = "KM (knowledge management) is useful.\nKM helps. Knowledge mobilization is also a thing."
    assert concepts(tagger, text) == {
        "knowledge management": 3,
        "knowledge mobilization": 1,
    }


def test_km_resolved_from_context_without_definition(tagger: Tagger) -> None:
    assert concepts(tagger, "Knowledge management systems. KM tools.") == {"knowledge management": 2}
    assert concepts(tagger, "Knowledge mobilisation works. KM works.") == {"knowledge mobilization": 2}


def test_km_untagged_without_evidence_or_on_a_tie(tagger: Tagger) -> None:
    assert concepts(tagger, "KM is everywhere.") == {}
    text = "Knowledge management and knowledge mobilization. KM again."
    assert concepts(tagger, text) == {
        "knowledge management": 1,
        "knowledge mobilization": 1,
    }


def test_ambiguity_on_a_small_hand_built_vocabulary() -> None:
    vocabulary = Vocabulary(
        concepts=(
            Concept("a", "urn:a", "alpha beta", alt_labels=("AB",), ambiguous_labels=("AB",)),
            Concept(
                "b",
                "urn:b",
                "apple banana",
                alt_labels=("AB",),
                ambiguous_labels=("AB",),
            ),
        ),
        organisations=(),
    )
    tagger = Tagger(vocabulary)
    assert tagger.collisions == []
    assert concepts(tagger, "AB (apple banana) and AB.") == {"apple banana": 3}
    assert concepts(tagger, "Alpha Beta (AB).") == {"alpha beta": 2}
    assert concepts(tagger, "AB.") == {}


# -- organisations ---------------------------------------------------------------------


def test_acronyms_and_names(tagger: Tagger) -> None:
    found = organisations(tagger, "Funded by Research England, UKRI and ESRC.")
    assert found == {
        "Research England": ("Research England",),
        "UK Research and Innovation": ("UKRI",),
        "Economic and Social Research Council": ("ESRC",),
    }


def test_cape_only_in_capitals(tagger: Tagger) -> None:
    assert organisations(tagger, "Watch CAPE\u2019s video.") == {
        "Capabilities in Academic Policy Engagement": ("CAPE",)
    }
    assert organisations(tagger, "A cape and a Cape in Cape Town.") == {}
    assert organisations(tagger, "CAPES funding") == {}


def test_the_ampersand_hyphen_and_case_variants(tagger: Tagger) -> None:
    found = organisations(tagger, "Hospital for Sick Children; the institute for work and health.")
    assert set(found) == {
        "The Hospital for Sick Children",
        "Institute for Work & Health",
    }
    found = organisations(
        tagger,
        "The Hospital for Sick Children and the Capabilities in Academic Policy-Engagement project",
    )
    assert found["The Hospital for Sick Children"] == ("The Hospital for Sick Children",)
    assert found["Capabilities in Academic Policy Engagement"] == (
        "Capabilities in Academic Policy-Engagement project",
    )


def test_longest_organisation_name_wins(tagger: Tagger) -> None:
    found = organisations(
        tagger,
        "Wilfrid Laurier University Office of Research Services. Wilfrid Laurier University.",
    )
    assert found == {
        "Wilfrid Laurier University Office of Research Services": (
            "Wilfrid Laurier University Office of Research Services",
        ),
        "Wilfrid Laurier University": ("Wilfrid Laurier University",),
    }


def test_organisation_hits_count_and_lines(tagger: Tagger) -> None:
    hits = tagger.organisations(text_lines("UPEN news\n\nUPEN again, and SSHRC"))
    assert [(h.id, h.count, h.lines) for h in hits] == [
        ("upen", 2, (1, 3)),
        ("sshrc", 1, (3,)),
    ]


def test_comma_in_a_registered_name(tagger: Tagger) -> None:
    found = organisations(tagger, "as U.S. National Academies of Science, Engineering, and Medicine said")
    assert found == {
        "National Academies of Sciences, Engineering, and Medicine": (
            "U.S. National Academies of Science, Engineering, and Medicine",
        )
    }


# -- candidates ------------------------------------------------------------------------


def test_candidates_look_like_organisations(tagger: Tagger) -> None:
    text = (
        "Supported by the Hamilton Literacy Council and the Institute of Rural Studies.\n"
        "Using Ontario Harbour Research Center tools with York University staff.\n"
        "The Ministry of Coastal Affairs and the Harbour Foundation met the Quiet Valley Network."
    )
    lines = text_lines(text)
    names = [c.name for c in tagger.organisation_candidates(lines, tagger.organisations(lines))]
    assert names == [
        "Hamilton Literacy Council",
        "Institute of Rural Studies",
        "Ontario Harbour Research Center",
        "Ministry of Coastal Affairs",
        "Harbour Foundation",
        "Quiet Valley Network",
    ]


def test_candidates_skip_register_names_paths_and_plain_words(tagger: Tagger) -> None:
    text = (
        "Wales Centre for Public Policy and York University.\n"
        "Error in C:\\Program Files\\Example Software Foundation\\bin\\run.php (line 3).\n"
        "The council met; a foundation was laid. Why Knowledge Matters."
    )
    lines = text_lines(text)
    assert tagger.organisation_candidates(lines, tagger.organisations(lines)) == []


def test_candidate_counts_repeats(tagger: Tagger) -> None:
    lines = text_lines("Harbour Foundation.\nHarbour Foundation again.")
    candidates = tagger.organisation_candidates(lines)
    assert [(c.name, c.line, c.count) for c in candidates] == [("Harbour Foundation", 1, 2)]


# -- speed -----------------------------------------------------------------------------


def test_a_5000_line_document_does_not_hang(tagger: Tagger) -> None:
    """A guard against a matcher that grows with the vocabulary times the text; the
    tagger's speed itself (about 0.4 s for these 5,000 lines) is a benchmark matter."""
    sample = [
        "Knowledge mobilisation (KMb) links research and practice through knowledge brokers,",
        "communities of practice and co-production with the ESRC, UKRI and SSHRC; the gap",
        "between education research and practice narrows when knowledge users take part.",
        "",
        "The Harbour Foundation and York University host a Community of Practice on KT.",
    ]
    lines = [Line(sample[i % len(sample)], i + 1) for i in range(5000)]
    start = time.perf_counter()
    concept_hits = tagger.concepts(lines)
    organisation_hits = tagger.organisations(lines)
    elapsed = time.perf_counter() - start
    assert concept_hits and organisation_hits
    assert elapsed < 10.0, f"{elapsed:.2f} s"


def test_a_participle_is_not_an_agent_noun() -> None:
    """'knowledge produced' is not a knowledge producer; 'knowledge producers' is."""
    from kmgraph.ontology.tagger import Tagger
    from kmgraph.records import Line

    tagger = Tagger()
    assert "knowledge producer" not in {c.label for c in tagger.concepts([Line("The knowledge produced by youth groups.", 1)])}
    assert "knowledge producer" in {c.label for c in tagger.concepts([Line("Researchers are knowledge producers.", 1)])}
