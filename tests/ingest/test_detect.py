"""Decoding, format sniffing, size limits and misuse of read_document."""

from __future__ import annotations

import codecs
import importlib
import tracemalloc
from pathlib import Path

import pytest

from kmgraph.errors import (
    DocumentNotFound,
    InputError,
    MalformedInput,
    UnsupportedFormat,
)
from kmgraph.ingest import DEFAULT_MAX_BYTES, decode_bytes, read_document, sniff_format
from kmgraph.ingest.detect import declared_charset, looks_binary, split_lines

TEXT = "Knowledge mobilisation – “co-production” with café owners\n"


# --- decode_bytes -------------------------------------------------------------------------


def test_utf8_bom_is_stripped_and_named() -> None:
    text, enc, warnings = decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert (text, enc, warnings) == (TEXT, "utf-8-sig", [])


def test_utf16_le_with_bom() -> None:
    text, enc, warnings = decode_bytes(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"))
    assert (text, enc, warnings) == (TEXT, "utf-16-le", [])


def test_utf16_be_and_utf32_boms() -> None:
    assert decode_bytes(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"))[:2] == (TEXT, "utf-16-be")
    assert decode_bytes(codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"))[:2] == (TEXT, "utf-32-le")


def test_utf16_without_bom_is_recognised() -> None:
    assert decode_bytes(TEXT.encode("utf-16-le"))[:2] == (TEXT, "utf-16-le")
    assert decode_bytes(TEXT.encode("utf-16-be"))[:2] == (TEXT, "utf-16-be")


def test_public_api() -> None:
    # importlib, not "from kmgraph import ingest": kmgraph.__getattr__ also answers "ingest".
    ingest = importlib.import_module("kmgraph.ingest")

    for name in ("read_document", "decode_bytes", "sniff_format", "DEFAULT_MAX_BYTES"):
        assert name in ingest.__all__ and hasattr(ingest, name)


def test_plain_utf8_has_no_warning() -> None:
    assert decode_bytes(TEXT.encode("utf-8")) == (TEXT, "utf-8", [])


def test_cp1252_fallback_is_a_warning() -> None:
    text, enc, warnings = decode_bytes(TEXT.encode("cp1252"))
    assert text == TEXT
    assert enc == "cp1252"
    assert len(warnings) == 1 and "not valid UTF-8" in warnings[0] and "cp1252" in warnings[0]


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)),
        b"\x81\x8d\x8f\x90\x9d",  # undefined in cp1252
        b"\xff\xfe\x00",  # a UTF-16 BOM and half a character
        b"\xef\xbb\xbf\xff\xfe",  # a UTF-8 BOM before invalid bytes
        b"\xc3",  # a truncated UTF-8 sequence
    ],
)
def test_undecodable_bytes_never_raise(data: bytes) -> None:
    text, enc, warnings = decode_bytes(data)
    assert isinstance(text, str) and enc
    assert isinstance(warnings, list)


def test_declared_charset_used_when_bytes_are_not_utf8() -> None:
    data = "Évaluation des pratiques".encode("iso-8859-15")
    text, enc, warnings = decode_bytes(data, declared="iso-8859-15")
    assert text == "Évaluation des pratiques"
    assert enc == "iso8859-15"
    assert warnings == []


def test_declared_latin1_but_utf8_bytes_is_a_mismatch_warning() -> None:
    text, enc, warnings = decode_bytes(TEXT.encode("utf-8"), declared="iso-8859-1")
    assert (text, enc) == (TEXT, "utf-8")
    assert len(warnings) == 1 and "iso-8859-1" in warnings[0] and "does not match" in warnings[0]


def test_declared_utf8_but_cp1252_bytes_is_a_mismatch_warning() -> None:
    text, enc, warnings = decode_bytes(TEXT.encode("cp1252"), declared="utf-8")
    assert (text, enc) == (TEXT, "cp1252")
    assert len(warnings) == 1 and "utf-8" in warnings[0] and "does not match" in warnings[0]


def test_ascii_never_contradicts_a_declaration() -> None:
    assert decode_bytes(b"plain ascii", declared="iso-8859-1") == ("plain ascii", "utf-8", [])


def test_unknown_declared_charset_is_a_warning() -> None:
    text, enc, warnings = decode_bytes(b"abc", declared="x-no-such-charset")
    assert (text, enc) == ("abc", "utf-8")
    assert warnings and "x-no-such-charset" in warnings[0]


def test_declared_charset_prescan() -> None:
    assert declared_charset(b'<html><head><meta charset="iso-8859-1"></head>') == "iso-8859-1"
    assert declared_charset(b"<meta http-equiv='Content-Type' content='text/html; charset=Windows-1252'>") == (
        "Windows-1252"
    )
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-15"?><html>') == "ISO-8859-15"
    assert declared_charset(b"<html><p>charset talk</p>") is None


def test_split_lines_counts_like_an_editor() -> None:
    assert split_lines("a\r\nb\rc\x0cd\u2028e\n") == ["a", "b", "c\x0cd\u2028e"]
    assert split_lines("") == []
    assert split_lines("\n") == [""]


# --- sniff_format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("guide.md", b"# Title", "md"),
        ("guide.markdown", b"Title", "md"),
        ("report.qmd", b"Title", "md"),
        ("analysis.Rmd", b"Title", "md"),
        ("notes.txt", b"---\nlayout: default\ntitle: Intro \n---\n# Hello\n", "md"),
        ("notes", b"---\ntitle: KMb\n---\n", "md"),
        ("notes.txt", b"---\nJust a rule, not front matter\n---\n", "txt"),
        ("notes.txt", b"---\ntitle: never closed\nmore text\n", "txt"),
        ("page.html", b"hello", "html"),
        ("page.htm", b"hello", "html"),
        ("page.xhtml", b"hello", "html"),
        ("saved.txt", b"  <!DOCTYPE html>\n<html>", "html"),
        ("saved", b"<html lang='en'>", "html"),
        ("saved", b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', "html"),
        ("refs.bib", b"@article{x,}", "bib"),
        ("paper.pdf", b"garbage", "pdf"),
        ("download", b"%PDF-1.7\n", "pdf"),
        ("notes.txt", b"Plain words <html> later", "txt"),
        ("README", b"Knowledge mobilization", "txt"),
    ],
)
def test_sniff_format(name: str, head: bytes, expected: str) -> None:
    assert sniff_format(name, head) == expected


def test_sniff_front_matter_in_utf16() -> None:
    head = codecs.BOM_UTF16_LE + "---\ntitle: KMb\n---\nText\n".encode("utf-16-le")
    assert sniff_format("x.txt", head) == "md"


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert looks_binary(b"PK\x03\x04\x14\x00\x06\x00")
    assert not looks_binary("text".encode("utf-16-le"))
    assert not looks_binary(codecs.BOM_UTF16_LE + "text".encode("utf-16-le"))
    assert not looks_binary(b"plain text")


# --- read_document: misuse and fatal input ----------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound) as info:
        read_document(tmp_path / "nope.txt")
    assert info.value.exit_code == 3
    assert "nope.txt" in str(info.value)


def test_directory_is_not_a_document(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound, match="directory"):
        read_document(tmp_path)


def test_unknown_format_argument(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("x")
    with pytest.raises(UnsupportedFormat, match="docx"):
        read_document(p, format="docx")


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "report.docx"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormat, match=r"\.docx"):
        read_document(p)


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"],
)
def test_binary_renamed_txt(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "figure.txt"
    p.write_bytes(data * 10)
    with pytest.raises(MalformedInput, match="binary file, not a text document"):
        read_document(p)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    doc = read_document(p)
    assert doc.lines == () and doc.links == ()
    assert doc.warnings == ("empty file",)
    assert doc.format == "txt"


def test_path_is_recorded_as_given(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("Hello https://www.example.org/x\n")
    doc = read_document(str(p))
    assert doc.path == str(p)
    assert doc.links[0].path == str(p)


def test_format_override(tmp_path: Path) -> None:
    p = tmp_path / "page.txt"
    p.write_text("# Heading\n\nText with [a link](https://www.example.org/).\n")
    assert read_document(p).format == "txt"
    doc = read_document(p, format="md")
    assert doc.format == "md"
    assert doc.lines[0].heading and doc.lines[0].text == "Heading"


def test_cp1252_file_reads_with_warning(tmp_path: Path) -> None:
    p = tmp_path / "legacy.txt"
    p.write_bytes("Évaluation – “KMb” guide\n".encode("cp1252"))
    doc = read_document(p)
    assert doc.encoding == "cp1252"
    assert doc.lines[0].text == "Évaluation – “KMb” guide"
    assert any("cp1252" in w for w in doc.warnings)


def test_utf16_file_reads(tmp_path: Path) -> None:
    p = tmp_path / "wide.txt"
    p.write_bytes(codecs.BOM_UTF16_LE + "Line one\r\nSee https://www.example.org/a\r\n".encode("utf-16-le"))
    doc = read_document(p)
    assert doc.encoding == "utf-16-le"
    assert [ln.text for ln in doc.lines] == ["Line one", "See https://www.example.org/a"]
    assert doc.links[0].url == "https://www.example.org/a" and doc.links[0].line == 2


def test_over_the_limit_small(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"a" * 2048)
    with pytest.raises(MalformedInput, match=r"over the 0\.0 MB limit"):
        read_document(p, max_bytes=1024)
    assert read_document(p, max_bytes=4096).lines[0].text == "a" * 2048


@pytest.mark.slow
def test_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.txt"
    chunk = b"Knowledge mobilization moves research into practice. " * 1000 + b"\n"
    with open(p, "wb") as f:
        while f.tell() < 50 * 1024 * 1024:
            f.write(chunk)
        f.truncate(50 * 1024 * 1024)
    size = p.stat().st_size
    tracemalloc.start()
    try:
        with pytest.raises(MalformedInput) as info:
            read_document(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.message == "file is 50.0 MB, over the 16.0 MB limit"
    assert isinstance(info.value, InputError)
    assert peak < size / 50, f"peak {peak} bytes while refusing a {size}-byte file"
    assert DEFAULT_MAX_BYTES == 16 * 1024 * 1024
