"""Finding and classifying link targets in plain text.

Markup (Markdown, HTML) is parsed by real parsers in the readers; this module only handles
what is left: URLs written out in running text, and the classification of any target.
"""

from __future__ import annotations

import re

from kmgraph.records import LinkKind

__all__ = ["classify_link", "clean_url_end", "find_bare_urls"]

# A URL in running text: a scheme or "www.", then anything but whitespace and a few
# characters that never occur unescaped in a URL written in prose.
_BARE_URL = re.compile(r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'`{}|\\^]+""", re.IGNORECASE)
_TRAILING = ".,;:!?*'\"’”»…"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def classify_link(target: str) -> LinkKind:
    """Classify a link target from its text alone.

    Args:
        target: The target as written.

    Returns:
        The :class:`LinkKind`.

    >>> classify_link("#").value, classify_link("#intro").value, classify_link("a.html").value
    ('placeholder', 'fragment', 'relative')
    >>> classify_link("https://example.org").value, classify_link("mailto:a@b.org").value
    ('absolute', 'mailto')
    """
    t = target.strip()
    low = t.lower()
    if t in ("", "#") or low.startswith("javascript:") or low in ("about:blank", "#!", "#0"):
        return LinkKind.PLACEHOLDER
    if low.startswith("mailto:"):
        return LinkKind.MAILTO
    if t.startswith("#"):
        return LinkKind.FRAGMENT
    if re.match(r"^[a-z][a-z0-9+.-]*:", low) or low.startswith(("//", "www.")):
        return LinkKind.ABSOLUTE
    return LinkKind.RELATIVE


def clean_url_end(url: str) -> str:
    """Drop the punctuation that ends a sentence but not the URL written in it.

    Closing brackets are kept when the URL opened them (Wikipedia-style paths).

    >>> clean_url_end("https://example.org/a_(b).")
    'https://example.org/a_(b)'
    >>> clean_url_end("https://example.org/x),")
    'https://example.org/x'
    """
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
            continue
        if last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
            continue
        break
    return url


def find_bare_urls(text: str) -> list[tuple[int, str]]:
    """Find URLs written out in running text.

    Args:
        text: One line (or any string) of plain text.

    Returns:
        ``(offset, url)`` pairs, offset 0-based into ``text``.

    >>> find_bare_urls("Retrieved from: http://example.org/a.php. Next")
    [(16, 'http://example.org/a.php')]
    """
    found: list[tuple[int, str]] = []
    for m in _BARE_URL.finditer(text):
        url = clean_url_end(m.group(0))
        if len(url) > len("https://") and "." in url.split("//", 1)[-1]:
            found.append((m.start(), url))
    return found
