"""Dates as documents write them, normalised to ISO 8601 (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``)."""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["find_date", "is_date_line", "iso_date"]

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[5-9]|20)\d\d)"

_PATTERNS = [
    re.compile(rf"(?<!\d){_YEAR}[-/.](?P<month>[01]?\d)[-/.](?P<day>[0-3]?\d)(?!\d)"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"(?<!\d){_YEAR}[-/](?P<month>[01]\d)(?![\d/-])"),
]
_TIME = r"(?:\d{1,2}[:.]\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?|utc|gmt|[A-Z]{2,4}|[+-]\d\d:?\d\d)?)"
_DATE_PREFIX = re.compile(
    r"^(?:(?:published|posted|updated|last updated|last modified|date|dated|released|issued)"
    r"(?:\s+on)?\s*:?\s*)",
    re.IGNORECASE,
)
_CHROME_WORDS = {"share", "print", "comments", "comment", "by", "at", "on", "utc", "gmt", "|", "-", "–", "—", "·"}


def _build(year: str, month: str | int | None, day: str | None) -> str | None:
    """Assemble and validate an ISO date string."""
    y = int(year)
    if month is None:
        return f"{y:04d}"
    m = month if isinstance(month, int) else (_MONTHS.get(month.lower().rstrip(".")) or int(month))
    if not 1 <= m <= 12:
        return None
    if day is None:
        return f"{y:04d}-{m:02d}"
    try:
        return _dt.date(y, m, int(day)).isoformat()
    except ValueError:
        return None


def find_date(text: str) -> tuple[str, int, int] | None:
    """Find the first full or month-precision date in a string.

    Returns:
        ``(iso, start, end)`` or ``None``.

    >>> find_date("4 March 2024, 09:15 GMT Share")[0]
    '2024-03-04'
    >>> find_date("Posted March 4, 2024")[0]
    '2024-03-04'
    """
    best: tuple[str, int, int] | None = None
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            month = m.group("month")
            month_val: str | int = month if not month.isdigit() else int(month)
            iso = _build(m.group("year"), month_val, m.groupdict().get("day"))
            if iso and (best is None or m.start() < best[1]):
                best = (iso, m.start(), m.end())
                break
        if best:
            # The patterns run from most to least precise; a precise match wins.
            return best
    return None


def is_date_line(line: str) -> str | None:
    """The ISO date when ``line`` is a date (and perhaps a time) and little else.

    Lines such as "4 March 2024, 09:15 GMT Share", "Published: 2019-03-15" or a
    year alone are date lines; a sentence that mentions a date is not.

    >>> is_date_line("4 March 2024, 09:15 GMT Share")
    '2024-03-04'
    >>> is_date_line("The meeting on 3 November 2025 will be online.") is None
    True
    """
    s = _DATE_PREFIX.sub("", line.strip())
    if re.fullmatch(r"(?:©\s*)?" + _YEAR, s):
        return s[-4:]
    found = find_date(s)
    if not found:
        return None
    iso, start, end = found
    rest = (s[:start] + " " + s[end:]).strip()
    rest = re.sub(_TIME, " ", rest, flags=re.IGNORECASE)
    rest = re.sub(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", " ", rest, flags=re.IGNORECASE)
    words = [w for w in re.split(r"[\s,;()]+", rest) if w]
    if all(w.lower() in _CHROME_WORDS for w in words):
        return iso
    return None


def iso_date(value: object) -> str | None:
    """Normalise a date value from metadata (a ``date``, ``datetime`` or string).

    >>> iso_date("2019-03-15T10:00:00Z"), iso_date("2019/3/5"), iso_date("2007")
    ('2019-03-15', '2019-03-05', '2007')
    >>> iso_date("D:20190315120000Z")
    '2019-03-15'
    """
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int) and 1000 <= value <= 2999:
        return str(value)
    if not isinstance(value, str):
        return None
    s = value.strip()
    pdf = re.match(r"^D:(\d{4})(\d{2})?(\d{2})?", s)
    if pdf:
        return _build(pdf.group(1), int(pdf.group(2)) if pdf.group(2) else None, pdf.group(3))
    if re.fullmatch(_YEAR, s):
        return s
    found = find_date(s)
    return found[0] if found else None
