"""The CRF normaliser's repairs and the fields they feed, one rule at a time."""

from __future__ import annotations

import pytest

from kmgraph.references.crf import normalise as nz
from kmgraph.references.crf.features import tokenize


def _fields(*segs: tuple[str, str]) -> dict:
    tokens: list[str] = []
    labels: list[str] = []
    for label, text in segs:
        for tok in tokenize(text):
            tokens.append(tok)
            labels.append(label)
    return nz.normalise(tokens, labels)


def test_a_bracket_opened_in_a_title_closes_in_the_title() -> None:
    f = _fields(
        ("author", "Shaxson, L. (2012)."),
        ("title", "Expanding our understanding of K*(KT,"),
        ("note", "KE, KTT, etc.): A concept paper."),
        ("location", "Hamilton, Ontario:"),
        ("publisher", "UNU-INWEH."),
    )
    assert f["title"] == "Expanding our understanding of K*(KT, KE, KTT, etc.): A concept paper"
    assert "note" not in f and f["publisher"] == "UNU-INWEH"


def test_a_note_without_the_closing_bracket_stays_a_note() -> None:
    f = _fields(("title", "Counting K*(KT,"), ("note", "unpublished draft."))
    assert f["title"] == "Counting K*(KT" and f["note"] == "unpublished draft"


def test_an_organisation_at_the_end_of_the_title_is_the_publisher() -> None:
    f = _fields(
        ("author", "Reibling, S."),
        ("date", "(2012)."),
        ("title", "Knowledge mobilization 101. Wilfrid Laurier University Office of Research Services."),
        ("url", "https://www.example.org/kmb-101"),
    )
    assert f["title"] == "Knowledge mobilization 101"
    assert f["publisher"] == "Wilfrid Laurier University Office of Research Services"


@pytest.mark.parametrize(
    "title",
    [
        "Knowledge mobilization 101. A primer for universities.",  # lower-case words: not a name
        "Knowledge mobilization 101. Lessons From Ontario.",  # no organisation word
    ],
)
def test_a_title_sentence_that_is_not_an_organisation_stays(title: str) -> None:
    f = _fields(("author", "Reibling, S."), ("date", "(2012)."), ("title", title))
    assert "publisher" not in f and f["title"] == title.rstrip(".")


def test_the_organisation_repair_needs_no_publisher_or_container() -> None:
    f = _fields(
        ("title", "Knowledge mobilization 101. Wilfrid Laurier University Office of Research Services."),
        ("journal", "KM Review,"),
        ("volume", "3(1)."),
    )
    assert "publisher" not in f and f["title"].endswith("Research Services")


def test_of_and_for_continue_the_segment_before() -> None:
    f = _fields(
        ("title", "Thinking about knowledge mobilization: A discussion paper for the Social Sciences and Humanities"),
        ("publisher", "Research Council."),
        ("location", "Toronto, Ontario:"),
        ("publisher", "Ontario Institute"),
        ("collection-title", "for Studies in Education."),
    )
    assert f["title"].endswith("Social Sciences and Humanities Research Council")
    assert f["publisher"] == "Ontario Institute for Studies in Education"
    assert f["address"] == "Toronto, Ontario" and "series" not in f


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26(1):13-24.", ("26(1)", "13--24")),
        ("12:e1003.", ("12", "e1003")),  # an article number goes to pages, as BibTeX does
        ("2006;26(1):", ("2006;26(1):", None)),
        ("10(2),", ("10(2),", None)),
        ("45: 101–9", ("45", "101--9")),
    ],
)
def test_volume_pages(text: str, expected: tuple) -> None:
    assert nz.volume_pages(text) == expected


def test_vancouver_volume_segment_gives_volume_number_and_pages() -> None:
    f = _fields(("author", "Graham ID, Logan J."), ("title", "Lost in translation."), ("journal", "J Contin Educ."),
                ("date", "2006;"), ("volume", "26(1):13-24."))  # fmt: skip
    assert (f["volume"], f["number"], f["pages"], f["year"]) == ("26", "1", "13--24", "2006")


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Accessed 3 May 2020 from", "Accessed 3 May 2020"),
        ("[Accessed 3 May 2020].", "Accessed 3 May 2020"),
        ("(Accessed: 3 May 2021).", "Accessed 3 May 2021"),
        ("(accessed May 3, 2020)", "Accessed May 3, 2020"),
        ("Viewed 2020-05-03.", "Viewed 2020-05-03"),
        ("Accessed online", None),
        ("Unpublished manuscript.", None),
    ],
)
def test_access_note(text: str, note: str | None) -> None:
    assert nz.access_note(text) == note


def test_access_note_field() -> None:
    f = _fields(("title", "What is KMb?"), ("url", "https://www.example.org/a"), ("note", "(Accessed: 3 May 2021)."))
    assert f["note"] == "Accessed 3 May 2021"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Toronto:", "Toronto"),
        ("University of Toronto).", "University of Toronto"),
        ("(Doctoral dissertation, University of Toronto).", "Doctoral dissertation, University of Toronto"),
        ("(Paris", "Paris"),
        ("Institute for Work & Health (IWH).", "Institute for Work & Health (IWH)"),
    ],
)
def test_place_and_publisher_brackets(text: str, place: str) -> None:
    assert nz._place(text) == place


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Smith, Alfred", ["Smith, Alfred"]),  # "ed" ends a given name, not a role word
        ("Hunter, Piotr", ["Hunter, Piotr"]),  # nor "tr"
        ("Doe, Fred.", ["Doe, Fred"]),
        ("Müller, K. (Hrsg.)", ["Müller, K."]),
        ("Jones, A., general editor.", ["Jones, A."]),
        ("J. Smith, Translators.", ["Smith, J."]),
    ],
)
def test_role_words_are_whole_words(text: str, names: list[str]) -> None:
    assert nz.names(text) == (names, False)
