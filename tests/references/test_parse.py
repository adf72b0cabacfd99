"""Tests for the rule-based reference-string parser (kmgraph.references.parse)."""

from __future__ import annotations

import time

import pytest

from kmgraph.records import ParsedReference
from kmgraph.references.parse import parse_reference, split_label, split_names
from tests.conftest import load_gold

# ---------------------------------------------------------------------------------------
# Seed gold: every field of every reference, exactly.
# ---------------------------------------------------------------------------------------

GOLD_STEMS = ["001_5322bb78c76e8949", "003_6a8b321c37a272a5"]
# Gold keys that are annotation, not parser output.
NOT_PARSER_OUTPUT = {"raw", "label", "note"}


def _expected(gold_ref: dict) -> dict:
    exp = {k: v for k, v in gold_ref.items() if k not in NOT_PARSER_OUTPUT}
    if "year_raw" in exp:
        exp["year"] = exp.pop("year_raw")
    return exp


@pytest.mark.parametrize("stem", GOLD_STEMS)
def test_seed_gold_field_by_field(stem: str) -> None:
    gold = load_gold(stem)
    assert gold["references"], "gold has references"
    for ref in gold["references"]:
        parsed = parse_reference(ref["raw"])
        expected = _expected(ref)
        for key, value in expected.items():
            assert parsed.fields.get(key) == value, (ref["raw"], key)
        extra = set(parsed.fields) - set(expected)
        assert not extra, (ref["raw"], extra)


@pytest.mark.parametrize("stem", GOLD_STEMS)
def test_seed_gold_labels(stem: str) -> None:
    gold = load_gold(stem)
    for ref in gold["references"]:
        label, _ = split_label(ref["raw"])
        assert label == ref["label"]


# ---------------------------------------------------------------------------------------
# One fixture per citation style (written for this project, fields checked by hand).
# ---------------------------------------------------------------------------------------

STYLES: dict[str, tuple[str, dict]] = {
    "apa6": (
        ("Levin, B. (2011). Mobilising research knowledge in education. London Review of Education, 9(1), 15–26."),
        {
            "type": "article",
            "author": ["Levin, B."],
            "year": "2011",
            "title": "Mobilising research knowledge in education",
            "container": "London Review of Education",
            "volume": "9",
            "number": "1",
            "pages": "15--26",
        },
    ),
    "apa7": (
        (
            "Graham, I. D., Logan, J., Harrison, M. B., Straus, S. E., Tetroe, J., Caswell, W., "
            "& Robinson, N. (2006). Lost in knowledge translation: Time for a map? The Journal of "
            "Continuing Education in the Health Professions, 26(1), 13–24. "
            "https://doi.org/10.1002/chp.47"
        ),
        {
            "type": "article",
            "author": [
                "Graham, I. D.",
                "Logan, J.",
                "Harrison, M. B.",
                "Straus, S. E.",
                "Tetroe, J.",
                "Caswell, W.",
                "Robinson, N.",
            ],
            "year": "2006",
            "title": "Lost in knowledge translation: Time for a map?",
            "container": "The Journal of Continuing Education in the Health Professions",
            "volume": "26",
            "number": "1",
            "pages": "13--24",
            "doi": "10.1002/chp.47",
        },
    ),
    "apa7_elided": (
        (
            "Aaronson, A., Baker, B., Carter, C., Dixon, D., Evans, E., Fisher, F., Gray, G., "
            "Hill, H., Ives, I., Jones, J., Kerr, K., Lam, L., Moss, M., Nash, N., Owen, O., "
            "Park, P., Quinn, Q., Reid, R., Shaw, S., . . . Zimmer, Z. (2019). A very "
            "collaborative study of brokering. Evidence & Policy, 15(2), 1–20."
        ),
        {
            "type": "article",
            "year": "2019",
            "authors_elided": True,
            "title": "A very collaborative study of brokering",
            "container": "Evidence & Policy",
            "volume": "15",
            "number": "2",
            "pages": "1--20",
        },
    ),
    "vancouver": (
        (
            "[3] Graham ID, Logan J, Harrison MB, et al. Lost in knowledge translation: time for a "
            "map? J Contin Educ Health Prof. 2006;26(1):13-24."
        ),
        {
            "type": "article",
            "author": ["Graham, I. D.", "Logan, J.", "Harrison, M. B."],
            "authors_elided": True,
            "title": "Lost in knowledge translation: time for a map?",
            "container": "J Contin Educ Health Prof",
            "year": "2006",
            "volume": "26",
            "number": "1",
            "pages": "13--24",
        },
    ),
    "mla": (
        (
            'Ward, Vicky. "Why, Whose, What and How? A Framework for Knowledge Mobilisers." '
            "Evidence & Policy, vol. 13, no. 3, 2017, pp. 477–97."
        ),
        {
            "type": "article",
            "author": ["Ward, Vicky"],
            "title": "Why, Whose, What and How? A Framework for Knowledge Mobilisers",
            "container": "Evidence & Policy",
            "volume": "13",
            "number": "3",
            "year": "2017",
            "pages": "477--97",
        },
    ),
    "chicago_author_date": (
        (
            "Nutley, Sandra M., Isabel Walter, and Huw T. O. Davies. 2007. Using Evidence: How "
            "Research Can Inform Public Services. Bristol: Policy Press."
        ),
        {
            "type": "book",
            "author": ["Nutley, Sandra M.", "Walter, Isabel", "Davies, Huw T. O."],
            "year": "2007",
            "title": "Using Evidence: How Research Can Inform Public Services",
            "address": "Bristol",
            "publisher": "Policy Press",
        },
    ),
    "chicago_article": (
        (
            'Cooper, Amanda, and Ben Levin. "Some Canadian Contributions to Understanding '
            'Knowledge Mobilisation." Evidence & Policy 6, no. 3 (2010): 351–69.'
        ),
        {
            "type": "article",
            "author": ["Cooper, Amanda", "Levin, Ben"],
            "title": "Some Canadian Contributions to Understanding Knowledge Mobilisation",
            "container": "Evidence & Policy",
            "volume": "6",
            "number": "3",
            "year": "2010",
            "pages": "351--69",
        },
    ),
    "harvard": (
        ("Levin, B. (2011) 'Mobilising research knowledge in education', London Review of Education, 9(1), pp. 15–26."),
        {
            "type": "article",
            "author": ["Levin, B."],
            "year": "2011",
            "title": "Mobilising research knowledge in education",
            "container": "London Review of Education",
            "volume": "9",
            "number": "1",
            "pages": "15--26",
        },
    ),
    "ieee_book": (
        (
            "[4] S. Nutley, I. Walter, and H. T. O. Davies, Using Evidence: How Research Can "
            "Inform Public Services. Bristol, U.K.: Policy Press, 2007."
        ),
        {
            "type": "book",
            "author": ["Nutley, S.", "Walter, I.", "Davies, H. T. O."],
            "title": "Using Evidence: How Research Can Inform Public Services",
            "address": "Bristol, U.K",
            "publisher": "Policy Press",
            "year": "2007",
        },
    ),
    "ieee_article": (
        (
            '[2] V. Ward, "Why, whose, what and how? A framework for knowledge mobilisers," '
            "Evidence & Policy, vol. 13, no. 3, pp. 477–497, 2017."
        ),
        {
            "type": "article",
            "author": ["Ward, V."],
            "title": "Why, whose, what and how? A framework for knowledge mobilisers",
            "container": "Evidence & Policy",
            "volume": "13",
            "number": "3",
            "pages": "477--497",
            "year": "2017",
        },
    ),
    "apa_book": (
        ("Wenger, E. (1998). Communities of practice: Learning, meaning, and identity. Cambridge University Press."),
        {
            "type": "book",
            "author": ["Wenger, E."],
            "year": "1998",
            "title": "Communities of practice: Learning, meaning, and identity",
            "publisher": "Cambridge University Press",
        },
    ),
    "apa_chapter": (
        (
            "Nutley, S. (2010). Bridging the policy/research divide. In G. Bammer, A. Michaux, & "
            "A. Sanson (Eds.), Bridging the know-do gap: Knowledge brokering to improve child "
            "wellbeing (pp. 13–28). Canberra: ANU E Press."
        ),
        {
            "type": "incollection",
            "author": ["Nutley, S."],
            "editor": ["Bammer, G.", "Michaux, A.", "Sanson, A."],
            "year": "2010",
            "title": "Bridging the policy/research divide",
            "container": "Bridging the know-do gap: Knowledge brokering to improve child wellbeing",
            "pages": "13--28",
            "address": "Canberra",
            "publisher": "ANU E Press",
        },
    ),
    "corporate": (
        (
            "World Health Organization. (2005). Bridging the “know–do” gap: Meeting on knowledge "
            "translation in global health. Geneva: World Health Organization."
        ),
        {
            "type": "report",
            "author": ["World Health Organization"],
            "year": "2005",
            "title": "Bridging the “know–do” gap: Meeting on knowledge translation in global health",
            "address": "Geneva",
            "publisher": "World Health Organization",
        },
    ),
    "no_date_web_page": (
        ("Research Impact Canada. (n.d.). What is knowledge mobilization? Retrieved from https://researchimpact.ca/"),
        {
            "type": "online",
            "author": ["Research Impact Canada"],
            "year": "n.d.",
            "title": "What is knowledge mobilization?",
            "url": "https://researchimpact.ca/",
        },
    ),
    "thesis": (
        ("Smith, J. (2015). Knowledge brokers in Ontario schools (Doctoral dissertation, University of Toronto)."),
        {
            "type": "thesis",
            "author": ["Smith, J."],
            "year": "2015",
            "title": "Knowledge brokers in Ontario schools",
            "publisher": "University of Toronto",
        },
    ),
    "particles": (
        ("van der Meer, J., & de Vries, K. (2020a). Brokering evidence. Evidence & Policy, 16(2), 1–20."),
        {
            "type": "article",
            "author": ["van der Meer, J.", "de Vries, K."],
            "year": "2020a",
            "title": "Brokering evidence",
            "container": "Evidence & Policy",
            "volume": "16",
            "number": "2",
            "pages": "1--20",
        },
    ),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_style(style: str) -> None:
    text, expected = STYLES[style]
    parsed = parse_reference(text)
    for key, value in expected.items():
        assert parsed.fields.get(key) == value, (style, key, parsed.fields)
    assert parsed.confidence >= 0.8, (style, parsed.reason)


def test_field_order_starts_with_type() -> None:
    parsed = parse_reference(STYLES["apa6"][0])
    assert next(iter(parsed.fields)) == "type"


def test_apa7_elided_keeps_last_author() -> None:
    parsed = parse_reference(STYLES["apa7_elided"][0])
    authors = parsed.fields["author"]
    assert len(authors) == 20
    assert authors[0] == "Aaronson, A."
    assert authors[-1] == "Zimmer, Z."


# ---------------------------------------------------------------------------------------
# Locators: DOI and URL forms.
# ---------------------------------------------------------------------------------------

BASE = "Phipps, D. J., & Shapson, S. (2009). Knowledge mobilisation builds local research collaborations for social innovation. Evidence & Policy, 5(3), 211–227."


@pytest.mark.parametrize(
    "suffix",
    [
        " https://doi.org/10.1332/174426409X463767",
        " http://dx.doi.org/10.1332/174426409X463767",
        " doi:10.1332/174426409X463767",
        " DOI: 10.1332/174426409X463767.",
        " https://doi.org/10.1332/174426409x463767.",
    ],
)
def test_doi_forms(suffix: str) -> None:
    parsed = parse_reference(BASE + suffix)
    assert parsed.fields["doi"].lower() == "10.1332/174426409x463767"
    assert parsed.fields["doi"][-7:] in suffix  # the case as printed
    assert "url" not in parsed.fields
    assert parsed.fields["pages"] == "211--227"
    assert parsed.fields["container"] == "Evidence & Policy"


@pytest.mark.parametrize(
    "lead",
    ["Retrieved from", "Retrieved from:", "Available at:", "Available from", "Retrieved May 5, 2020, from"],
)
def test_url_lead_ins(lead: str) -> None:
    text = (
        "Reardon, R., Lavis, J., & Gibson, J. (2006). From research to practice: A knowledge "
        f"transfer planning guide. Toronto, Ontario: Institute for Work & Health. {lead} "
        "https://www.example.org/guide.pdf"
    )
    parsed = parse_reference(text)
    assert parsed.fields["url"] == "https://www.example.org/guide.pdf"
    assert parsed.fields["publisher"] == "Institute for Work & Health"
    assert parsed.fields["address"] == "Toronto, Ontario"
    assert parsed.fields["type"] == "report"


def test_accessed_date_goes_to_note() -> None:
    text = (
        "Research Impact Canada (2020) What is knowledge mobilization? Available at: "
        "https://www.example.org/kmb (Accessed: 3 May 2021)."
    )
    parsed = parse_reference(text)
    assert parsed.fields["url"] == "https://www.example.org/kmb"
    assert parsed.fields["note"] == "Accessed 3 May 2021"
    assert parsed.fields["title"] == "What is knowledge mobilization?"


def test_bare_url_footnote() -> None:
    parsed = parse_reference("[1] https://www.example.org/introduction-to-communities-of-practice/")
    assert parsed.fields == {
        "type": "online",
        "url": "https://www.example.org/introduction-to-communities-of-practice/",
    }
    assert parsed.reason


def test_url_in_parentheses_keeps_balanced_brackets() -> None:
    parsed = parse_reference(
        "Example Org. (2019). Knowledge brokering. Retrieved from https://en.example.org/wiki/Broker_(role)."
    )
    assert parsed.fields["url"] == "https://en.example.org/wiki/Broker_(role)"


# ---------------------------------------------------------------------------------------
# Years, pages, containers.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "year"),
    [
        ("(n.d.)", "n.d."),
        ("(2008, 2013)", "2008, 2013"),
        ("(2020a)", "2020a"),
        ("(2019, March 5)", "2019"),
        ("(in press)", "in press"),
    ],
)
def test_year_as_written(date: str, year: str) -> None:
    parsed = parse_reference(
        f"Barwick, M. {date}. Knowledge translation planning template. Toronto, Ontario: Example Press."
    )
    assert parsed.fields["year"] == year


@pytest.mark.parametrize("dash", ["–", "—", "-", "--", " – "])
def test_page_ranges(dash: str) -> None:
    parsed = parse_reference(
        f"Levin, B. (2011). Mobilising research knowledge in education. London Review of Education, 9(1), 15{dash}26."
    )
    assert parsed.fields["pages"] == "15--26"


def test_journal_volume_issue_without_pages() -> None:
    parsed = parse_reference(
        "Farkas, M., & Anthony, W. A. (2007). Bridging science to service. Journal of "
        "Rehabilitation Research & Development, 44(6)."
    )
    assert parsed.fields["container"] == "Journal of Rehabilitation Research & Development"
    assert (parsed.fields["volume"], parsed.fields["number"]) == ("44", "6")
    assert "pages" not in parsed.fields


def test_place_and_publisher() -> None:
    parsed = parse_reference(
        "Zarinpoush, F., Von Sychowski, S., & Sperling, J. (2007). Effective knowledge transfer "
        "& exchange for nonprofit organizations: A framework. Toronto, Ontario: Imagine Canada."
    )
    assert parsed.fields["address"] == "Toronto, Ontario"
    assert parsed.fields["publisher"] == "Imagine Canada"
    assert parsed.fields["author"] == ["Zarinpoush, F.", "Von Sychowski, S.", "Sperling, J."]


def test_edition() -> None:
    parsed = parse_reference(
        "Straus, S. E., Tetroe, J., & Graham, I. D. (Eds.). (2013). Knowledge translation in "
        "health care: Moving from evidence to practice (2nd ed.). Wiley."
    )
    assert parsed.fields["edition"] == "2nd"
    assert parsed.fields["editor"] == ["Straus, S. E.", "Tetroe, J.", "Graham, I. D."]
    assert "author" not in parsed.fields
    assert parsed.fields["title"] == "Knowledge translation in health care: Moving from evidence to practice"
    assert parsed.fields["type"] == "book"


# ---------------------------------------------------------------------------------------
# Names.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "elided"),
    [
        ("Farkas, M., & Anthony, W. A.", ["Farkas, M.", "Anthony, W. A."], False),
        ("Zarinpoush, Von Sychowski, & Sperling", ["Zarinpoush", "Von Sychowski", "Sperling"], False),
        ("Graham ID, Logan J, Harrison MB, et al", ["Graham, I. D.", "Logan, J.", "Harrison, M. B."], True),
        ("S. Nutley, I. Walter, and H. T. O. Davies", ["Nutley, S.", "Walter, I.", "Davies, H. T. O."], False),
        (
            "Nutley, Sandra M., Isabel Walter, and Huw T. O. Davies",
            ["Nutley, Sandra M.", "Walter, Isabel", "Davies, Huw T. O."],
            False,
        ),
        ("van der Meer, J., & de Vries, K.", ["van der Meer, J.", "de Vries, K."], False),
        ("Jan van der Meer", ["van der Meer, Jan"], False),
        ("Shaxson, L., Bielak, A., … Phipps, D.", ["Shaxson, L.", "Bielak, A.", "Phipps, D."], True),
        ("Social Sciences and Humanities Research Council", ["Social Sciences and Humanities Research Council"], False),
        ("Davies, H.T.O.", ["Davies, H. T. O."], False),
        ("Ward, Vicky", ["Ward, Vicky"], False),
    ],
)
def test_split_names(text: str, names: list[str], elided: bool) -> None:
    assert split_names(text) == (names, elided)


# ---------------------------------------------------------------------------------------
# Labels.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "rest"),
    [
        ("1. Shaxson, L. (2012).", "1", "Shaxson, L. (2012)."),
        ("[12] Graham ID.", "12", "Graham ID."),
        ("3) Levin, B.", "3", "Levin, B."),
        ("(4) Levin, B.", "4", "Levin, B."),
        ("• Levin, B.", None, "Levin, B."),
        ("- Levin, B.", None, "Levin, B."),
        ("* Levin, B.", None, "Levin, B."),
        ("• 7. Farkas, M.", "7", "Farkas, M."),
        ("Levin, B. (2008).", None, "Levin, B. (2008)."),
        ("[1]https://www.example.org/", "1", "https://www.example.org/"),
        ("2007. Title", None, "2007. Title"),
    ],
)
def test_split_label(text: str, label: str | None, rest: str) -> None:
    assert split_label(text) == (label, rest)


def test_parse_ignores_label() -> None:
    with_label = parse_reference("[7] " + STYLES["apa6"][0])
    without = parse_reference(STYLES["apa6"][0])
    assert with_label.fields == without.fields


# ---------------------------------------------------------------------------------------
# Bad input: never raises, weak results are flagged.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "1.", "[1]", "•", "...", "()"])
def test_empty_like(text: str) -> None:
    parsed = parse_reference(text)
    assert isinstance(parsed, ParsedReference)
    assert parsed.raw == text
    assert parsed.confidence <= 0.2
    assert parsed.reason


# The time bounds below guard against a hang (catastrophic regex backtracking); they are
# not speed targets, which benchmarks/ measures.
HANG = 10.0


def test_very_long_input_does_not_hang_and_is_flagged() -> None:
    text = ("Levin, B. (2011). Mobilising research knowledge in education. " * 2000)[:100_000]
    start = time.perf_counter()
    parsed = parse_reference(text)
    assert time.perf_counter() - start < HANG
    assert parsed.confidence <= 0.2
    assert "longer than" in (parsed.reason or "")


@pytest.mark.parametrize("text", ["a" * 100_000, "(" * 100_000, ", " * 50_000, "A. " * 33_000, "1" * 100_000])
def test_pathological_long_inputs(text: str) -> None:
    start = time.perf_counter()
    parsed = parse_reference(text)
    assert time.perf_counter() - start < HANG
    assert parsed.confidence <= 0.2


def test_control_characters() -> None:
    text = "Levin,\x00 B.\x07 (2011).\x1b Mobilising research\u200b knowledge in education.\x0c London Review of Education, 9(1), 15–26."
    parsed = parse_reference(text)
    assert parsed.fields["author"] == ["Levin, B."]
    assert parsed.fields["year"] == "2011"
    assert parsed.fields["volume"] == "9"


@pytest.mark.parametrize(
    "text",
    [
        "Иванов И. И. Мобилизация знаний в образовании. Москва: Наука, 2010.",
        "山田太郎『知識の移転と社会』東京：学術出版、二〇一〇年。",
        "知识动员研究。北京：科学出版社，2010。",
    ],
)
def test_non_latin_script_is_low_confidence(text: str) -> None:
    parsed = parse_reference(text)
    assert parsed.confidence <= 0.3
    assert "non-Latin" in (parsed.reason or "")


@pytest.mark.parametrize("text", ["Hello world", "12345", "!!!???", "((((", "http://", "doi:10.", "et al.", "&&&"])
def test_garbage_never_raises(text: str) -> None:
    parsed = parse_reference(text)
    assert isinstance(parsed.fields, dict)
    assert 0.0 <= parsed.confidence <= 1.0


def test_non_string_input_does_not_raise() -> None:
    parsed = parse_reference(None)  # type: ignore[arg-type]
    assert isinstance(parsed, ParsedReference)


@pytest.mark.parametrize(
    ("tail", "note"),
    [
        (" Accessed 3 May 2020 from https://www.example.org/a", "Accessed 3 May 2020"),
        (" Available at: <https://www.example.org/a> [Accessed 3 May 2020].", "Accessed 3 May 2020"),
        (" (accessed May 3, 2020) https://www.example.org/a", "Accessed May 3, 2020"),
        (" https://www.example.org/a. Accessed 2020-05-03.", "Accessed 2020-05-03"),
        (" URL: https://www.example.org/a", None),
    ],
)
def test_access_notes_and_url_forms(tail: str, note: str | None) -> None:
    parsed = parse_reference(
        "Research Impact Canada (2020) What is knowledge mobilization? Toronto: York University." + tail
    )
    assert parsed.fields["url"] == "https://www.example.org/a"
    assert parsed.fields.get("note") == note
    assert parsed.fields["publisher"] == "York University"
    assert parsed.confidence == 1.0
