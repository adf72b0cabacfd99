"""Tests for the CRF reference parser (kmgraph.references.crf): features, normaliser,
training on a tiny fixture, the shipped model, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmgraph.errors import DocumentNotFound, MalformedInput
from kmgraph.records import ParsedReference
from kmgraph.references.crf import normalise as nz
from kmgraph.references.crf.features import (
    FeatureExtractor,
    Lexicon,
    lexicon_key,
    stack_features,
    token_features,
    tokenize,
)
from kmgraph.references.crf.model import default_model, default_model_path, load_model
from kmgraph.references.crf.parser import parse_reference_crf
from kmgraph.references.crf.train import read_annotated, train, train_model
from tests.conftest import load_gold

# ---------------------------------------------------------------------------------------
# Tokens and features
# ---------------------------------------------------------------------------------------


def test_tokenize_is_whitespace_split_with_fullwidth_punctuation() -> None:
    assert tokenize("  Levin, B.\t(2011).\nTitle ") == ["Levin,", "B.", "(2011).", "Title"]
    assert tokenize("東京：出版社。") == ["東京", "：", "出版社", "。"]


def test_token_features_of_a_few_tokens() -> None:
    year = token_features("(2011).")
    assert "YEAR" in year and "paren" in year and "o=(" in year and "k=2011" in year
    pages = token_features("15–26.")
    assert "PAGES" in pages and "YEAR" not in pages
    assert "VOLISS" in token_features("10(2),")
    assert "ORD" in token_features("2nd")
    assert "INI" in token_features("B.")
    assert "c=month" in token_features("March")
    assert "c=role-ed" in token_features("(Eds.),")
    assert "URL" in token_features("https://www.example.org/a")
    assert "DOI" in token_features("doi:10.1002/chp.47")
    assert {"p1=m", "p4=mobi", "s1=g", "s4=sing", "cap=init"} <= set(token_features("Mobilising"))
    assert lexicon_key("“Title,”") == "title"


def test_lexicon_classes_and_leave_one_out() -> None:
    lex = Lexicon.build([[("Levin,", "author"), ("Review", "journal")], [("Levin,", "author")]])
    assert "d=name" in lex.classes("levin") and "dom=name" in lex.classes("levin")
    # Taking out a reference's own counts hides words only that reference has.
    assert lex.classes("review", [0, 0, 1, 0, 0, 0]) == ()
    again = Lexicon.from_json(json.loads(json.dumps(lex.to_json())))
    assert again.counts == lex.counts


def test_sequence_has_window_and_context_features() -> None:
    fx = FeatureExtractor(Lexicon())
    feats = fx.sequence(["Levin,", "B.", "(2011).", "Title."])
    assert len(feats) == 4
    assert "BOS" in feats[0] and "EOS" in feats[3]
    assert "1:k=b" in feats[0] and "-2:k=levin" in feats[2]
    assert "yr=at" in feats[2] and "yr=after" in feats[3]
    assert "after-clause" in feats[3]


# ---------------------------------------------------------------------------------------
# Normaliser, field by field
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "elided"),
    [
        ("van der Berg, J., & De Vries, A.", ["van der Berg, J.", "De Vries, A."], False),
        ("Ludwig van Beethoven and Maria de la Cruz.", ["van Beethoven, Ludwig", "de la Cruz, Maria"], False),
        ("World Health Organization.", ["World Health Organization"], False),
        ("Institute for Work & Health.", ["Institute for Work & Health"], False),
        ("Graham ID, Logan J, et al.", ["Graham, I. D.", "Logan, J."], True),
        ("Shaxson, L., Bielak, A., … Phipps, D.", ["Shaxson, L.", "Bielak, A.", "Phipps, D."], True),
        ("In D. S. Touretzky, editor,", ["Touretzky, D. S."], False),
        ("In G. Proctor & M. B. Napier (eds.)", ["Proctor, G.", "Napier, M. B."], False),
        ("Edited by Pat Easterling and Edith Hall,", ["Easterling, Pat", "Hall, Edith"], False),
        ("Trans. Richard Howard.", ["Howard, Richard"], False),
    ],
)
def test_names(text: str, names: list[str], elided: bool) -> None:
    assert nz.names(text) == (names, elided)


@pytest.mark.parametrize(
    ("text", "year"),
    [("(2012).", "2012"), ("(n.d.).", "n.d."), ("n.d.", "n.d."), ("(2008, 2013).", "2008, 2013"),
     ("(2011, March 3).", "2011"), ("1999a,", "1999a"), ("(In press).", "In press")],
)  # fmt: skip
def test_year(text: str, year: str) -> None:
    assert nz.year(text) == year


@pytest.mark.parametrize(
    ("text", "pages"),
    [("pp. 15–26.", "15--26"), ("13—24,", "13--24"), ("1761-1800).", "1761--1800"), ("p. 143", "143"),
     ("pp.124-232.", "124--232")],
)  # fmt: skip
def test_pages(text: str, pages: str) -> None:
    assert nz.pages(text) == pages


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10(2),", ("10", "2", None)), ("44(6).", ("44", "6", None)), ("vol. 2.", ("2", None, None)),
     ("Vol. 3, No. 4,", ("3", "4", None)), ("no. 36.", (None, "36", None)), ("220 (4598),", ("220", "4598", None)),
     ("2006;26(1):", ("26", "1", "2006"))],
)  # fmt: skip
def test_volume_and_number(text: str, expected: tuple) -> None:
    assert nz.volume_number(text) == expected


def test_edition_doi_url_and_type() -> None:
    toks = ("Smith, J. (2001). A book (2nd ed.). London: Routledge. "
            "Retrieved from https://doi.org/10.1000/ABC.1. ISBN 978-0-12-374857-7.").split()  # fmt: skip
    labs = (["author"] * 2 + ["date"] + ["title"] * 2 + ["edition"] * 2 + ["location", "publisher"]
            + ["note"] * 2 + ["url", "isbn", "isbn"])  # fmt: skip
    f = nz.normalise(toks, labs)
    assert f["edition"] == "2nd" and f["title"] == "A book"
    assert f["doi"] == "10.1000/ABC.1" and "url" not in f and "note" not in f
    assert f["isbn"] == "978-0-12-374857-7"
    assert f["address"] == "London" and f["publisher"] == "Routledge"
    assert f["type"] == "book"


@pytest.mark.parametrize(
    ("doi", "bare"),
    [("doi:10.1002/chp.47.", "10.1002/chp.47"), ("https://doi.org/10.1002/chp.47", "10.1002/chp.47"),
     ("DOI: 10.3868/s030-006-017-0010-8", "10.3868/s030-006-017-0010-8"),
     ("(doi:10.1017/aog.2016.20)", "10.1017/aog.2016.20"), ("http://dx.doi.org/10.1000/x", "10.1000/x")],
)  # fmt: skip
def test_doi_with_resolver_prefixes(doi: str, bare: str) -> None:
    labels = ["doi"] * len(doi.split())
    assert nz.normalise(doi.split(), labels)["doi"] == bare


def test_entry_types() -> None:
    def typ(parts: list[tuple[str, str]]) -> str:
        toks, labs = [], []
        for lab, text in parts:
            for t in text.split():
                toks.append(t)
                labs.append(lab)
        return nz.normalise(toks, labs)["type"]

    assert typ([("author", "A, B."), ("title", "T."), ("journal", "J. X,"), ("volume", "3(1),")]) == "article"
    assert (
        typ([("title", "T."), ("editor", "In C. D (Ed.),"), ("container-title", "Book"), ("publisher", "P.")])
        == "incollection"
    )
    assert typ([("title", "T."), ("container-title", "In Proceedings of the X Conference")]) == "inproceedings"
    assert typ([("title", "T."), ("genre", "Doctoral dissertation,"), ("publisher", "U.")]) == "thesis"
    assert typ([("title", "T."), ("genre", "Technical Report 12,"), ("publisher", "Lab.")]) == "report"
    assert typ([("title", "T."), ("url", "https://example.org/x")]) == "online"


# ---------------------------------------------------------------------------------------
# Training on a tiny fixture
# ---------------------------------------------------------------------------------------

_FIXTURE = [
    [("Ahn,", "author"), ("K.", "author"), ("(2001).", "date"), ("Quiet", "title"), ("rivers.", "title"),
     ("Water", "journal"), ("Review,", "journal"), ("4(2),", "volume"), ("1–9.", "pages")],
    [("Brody,", "author"), ("L.", "author"), ("(2003).", "date"), ("Small", "title"), ("towns.", "title"),
     ("Toronto:", "location"), ("Maple", "publisher"), ("Press.", "publisher")],
    [("Chu,", "author"), ("M.", "author"), ("(2005).", "date"), ("Open", "title"), ("data.", "title"),
     ("Data", "journal"), ("Quarterly,", "journal"), ("7(1),", "volume"), ("10–19.", "pages")],
    [("Diaz,", "author"), ("R.", "author"), ("(2007).", "date"), ("Old", "title"), ("maps.", "title"),
     ("London:", "location"), ("Atlas", "publisher"), ("Books.", "publisher")],
    [("Eng,", "author"), ("T.", "author"), ("(2009).", "date"), ("Bright", "title"), ("skies.", "title"),
     ("Sky", "journal"), ("Letters,", "journal"), ("2(3),", "volume"), ("5–8.", "pages")],
    [("Fox,", "author"), ("A.", "author"), ("(2010).", "date"), ("Long", "title"), ("roads.", "title"),
     ("Ottawa:", "location"), ("Birch", "publisher"), ("Press.", "publisher")],
    [("Gill,", "author"), ("S.", "author"), ("(2012).", "date"), ("Deep", "title"), ("seas.", "title"),
     ("Marine", "journal"), ("Studies,", "journal"), ("9(4),", "volume"), ("20–31.", "pages")],
    [("Hart,", "author"), ("J.", "author"), ("(2014).", "date"), ("Tall", "title"), ("trees.", "title"),
     ("Boston:", "location"), ("Elm", "publisher"), ("House.", "publisher")],
    [("Ito,", "author"), ("N.", "author"), ("(2016).", "date"), ("Warm", "title"), ("winds.", "title"),
     ("Climate", "journal"), ("Review,", "journal"), ("11(2),", "volume"), ("40–52.", "pages")],
    [("Jain,", "author"), ("P.", "author"), ("(2018).", "date"), ("New", "title"), ("paths.", "title"),
     ("Chicago:", "location"), ("Oak", "publisher"), ("Press.", "publisher")],
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crf") / "tiny.jsonl"
    lines = []
    for i, seq in enumerate(_FIXTURE):
        lines.append(json.dumps({"id": f"tiny-{i}", "text": " ".join(t for t, _ in seq), "tokens": seq}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_on_a_tiny_fixture_writes_a_model_that_loads_and_tags(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny.crfmodel"
    report = train(tiny_data, out, max_iterations=50)
    assert report.references == 10 and report.tokens == 85
    assert "journal" in report.labels and out.is_file() and report.size == out.stat().st_size
    model = load_model(out)
    parsed = parse_reference_crf("Kim, B. (2020). Blue lakes. Lake Review, 3(1), 2–4.", model=model)
    assert parsed.fields["author"] == ["Kim, B."]
    assert parsed.fields["year"] == "2020"
    assert parsed.fields["volume"] == "3" and parsed.fields["pages"] == "2--4"
    assert 0.0 < parsed.confidence <= 1.0
    # The same file through the path argument and the cache.
    assert parse_reference_crf("Kim, B. (2020). Blue lakes.", model=out).fields["year"] == "2020"


def test_train_model_in_memory_and_bad_training_files(tmp_path: Path) -> None:
    model = train_model(_FIXTURE, max_iterations=20)
    assert set(model.labels) >= {"author", "title", "date"}
    with pytest.raises(DocumentNotFound):
        read_annotated(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no tokens"}\n', encoding="utf-8")
    with pytest.raises(MalformedInput):
        read_annotated(bad)
    with pytest.raises(MalformedInput):
        load_model(bad)
    with pytest.raises(DocumentNotFound):
        load_model(tmp_path / "missing.crfmodel")


def test_stack_features_see_the_first_pass_labelling() -> None:
    toks = ["Ahn,", "K.", "(2001).", "Quiet", "rivers.", "Water", "Review,"]
    labs = ["author", "author", "date", "title", "title", "journal", "journal"]
    f = stack_features(toks, labs, [0.99] * 6 + [0.6], [None] * 6 + ["container-title"])
    assert len(f) == len(toks)
    assert {"y0=title", "y-1=date", "y-3=author", "y+2=journal", "y-1y0=date|title"} <= set(f[3])
    assert "y-3=BOS" in f[0] and "y+1=EOS" in f[6] and "y+3=EOS" in f[4]
    assert {"prun=date", "nrun=journal", "rpos=title|B", "rlen=2", "nsame=1"} <= set(f[3])
    assert "rpos=title|E" in f[4] and "rpos=date|S" in f[2]
    # Segments end at a token ending in punctuation: "Quiet rivers." is one, all title.
    assert {"sg0=title", "sg-1=date", "sg+1=journal"} <= set(f[3])
    assert "y0c=journal|b" in f[6] and "y2nd=container-title" in f[6] and not any(x.startswith("y2nd") for x in f[5])
    assert all("has=journal" in x and "has=pages" not in x and "ntitle=1" in x for x in f)
    assert stack_features([], [], [], []) == []


def test_stacked_training_adds_a_second_pass_that_round_trips(tmp_path: Path) -> None:
    data = [list(seq) for seq in _FIXTURE * 4]
    model = train_model(data, max_iterations=20, stack_folds=2)
    assert model.stacked and any(a.startswith("y0=") for a in model.attributes2)
    assert model.meta["params"]["stack_folds"] == 2
    path = tmp_path / "stacked.crfmodel"
    model.save(path)
    again = load_model(path)
    assert again.stacked and again.attributes2 == model.attributes2
    tokens = tokenize("Kim, B. (2020). Blue lakes. Lake Review, 3(1), 2–4.")
    first = model.tag(tokens, marginals=True)
    assert again.tag(tokens).labels == first.labels
    assert 0.0 < first.probability <= min(first.marginals) + 1e-9
    assert not train_model(_FIXTURE, max_iterations=20).stacked  # too few references to stack
    assert not train_model(data, max_iterations=20, stack_folds=0).stacked


# ---------------------------------------------------------------------------------------
# The shipped model
# ---------------------------------------------------------------------------------------


def test_shipped_model_is_small_and_loads() -> None:
    path = default_model_path()
    assert path.is_file() and path.stat().st_size < 5_000_000
    model = default_model()
    assert model is default_model()  # loaded once
    assert {"author", "title", "journal", "container-title", "date"} <= set(model.labels)


_SEEDS = ["001_5322bb78c76e8949", "003_6a8b321c37a272a5"]


def _expected(ref: dict) -> dict:
    exp = {k: v for k, v in ref.items() if k not in {"raw", "label", "note"}}
    if "year_raw" in exp:
        exp["year"] = exp.pop("year_raw")
    return exp


@pytest.mark.parametrize("stem", _SEEDS)
def test_shipped_model_on_the_seed_references(stem: str) -> None:
    """Fields the CRF path gets right on the seeds (the full gold runs through the rules)."""
    gold = load_gold(stem)
    for ref in gold["references"]:
        parsed = parse_reference_crf(ref["raw"])
        exp = _expected(ref)
        for key in ("author", "year", "url", "doi", "volume", "number", "container"):
            assert parsed.fields.get(key) == exp.get(key), (ref["raw"], key)


# ---------------------------------------------------------------------------------------
# Bad input: low confidence, never an exception
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Levin, B. (2011). " + "Mobilising research knowledge " * 3500,
        "Levin,\x00 B.\x07 (2011).\x1b[31m Title\x7f of\u200b work.\u202e",
        "Толстой, Л. Н. (1869). Война и мир. Москва: Русский вестник.",
        "!!!???",
        None,
    ],
    ids=["empty", "blank", "100k", "control", "cyrillic", "punct", "none"],
)
def test_bad_input_gives_low_confidence_not_an_exception(text: str) -> None:
    parsed = parse_reference_crf(text)  # type: ignore[arg-type]
    assert isinstance(parsed, ParsedReference)
    assert isinstance(parsed.fields, dict)
    assert 0.0 <= parsed.confidence <= 0.5
    assert parsed.reason


def test_control_characters_are_cleaned_before_tagging() -> None:
    parsed = parse_reference_crf("Levin,\x00 B. (2011).\x07 Mobilising knowledge. Review of Education, 9(1), 15–26.")
    assert parsed.fields["author"] == ["Levin, B."]
    assert parsed.fields["pages"] == "15--26"


# ---------------------------------------------------------------------------------------
# Review queue
# ---------------------------------------------------------------------------------------


def test_review_lists_least_confident_entries_first(tmp_path: Path) -> None:
    from kmgraph.references.crf.review import review
    from kmgraph.references.store import Reference, Store

    store = Store.open(tmp_path / "refs", create=True)
    good = "Levin, B. (2011). Mobilising research knowledge in education. London Review of Education, 9(1), 15–26."
    odd = "KMb 101 slides, York, n.p., something & other things: 3; 4"
    store.add(Reference({"type": "article", "title": "Mobilising research knowledge in education"}, raw=good))
    store.add(Reference({"type": "misc", "title": "KMb 101 slides"}, raw=odd))
    store.save()
    items = review(tmp_path / "refs", limit=None)
    assert [it.raw for it in items][:1] == [odd]
    assert items == sorted(items, key=lambda it: (it.confidence, it.key))
    assert items[0].fields["title"] == "KMb 101 slides" and items[0].parsed
    assert len(review(tmp_path / "refs", limit=1)) == 1
