"""Page noise in text extracted from web pages: CMS error blocks and navigation chrome.

Two rules, both deliberately narrow so that prose is never dropped:

* **Diagnostics.** A PHP/CMS notice such as ``• Notice: Undefined index: und in f() (line
  170 of C:\\...\\template.php).`` is noise: the severity word (Notice, Warning,
  Deprecated, Fatal error, Parse error, Strict Standards, Catchable/Recoverable fatal
  error, User notice/warning/error) followed by a colon, and a source location (``on line
  N`` or ``(line N of …)``). Stack-trace lines (``Stack trace:``, ``#0 /path(12): f()``,
  ``thrown in … on line N``) are noise too. A header line "Error message(s)", "Warning
  message(s)" or "Status message" is noise when the next non-blank line is a diagnostic.
* **Chrome.** A line that is exactly a navigation label ("Skip to Content", "Back to news",
  "Back to top", "Share", "Menu", "Print this page", …; see :data:`CHROME_LINES`),
  ignoring case, surrounding whitespace, arrows and bullets.

Blank lines are never noise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["CHROME_LINES", "is_chrome", "is_diagnostic", "noise_indices"]

_SEVERITY = (
    r"(?:PHP\s+)?(?:Notice|Warning|Deprecated|Fatal error|Parse error|Strict Standards|"
    r"Catchable fatal error|Recoverable fatal error|User (?:notice|warning|deprecated|error))"
)
_DIAGNOSTIC = re.compile(
    rf"^\s*(?:[•*·▪◦‣-]\s*)?{_SEVERITY}\s*:\s*.*"
    r"(?:\bon line \d+|\(line \d+ of [^)]*\)|\(line \d+ of .*\)|\bat line \d+)\W*$",
    re.IGNORECASE,
)
_STACK = re.compile(
    r"^\s*(?:[•*·-]\s*)?(?:Stack trace:\s*$|#\d+\s+(?:\{main\}|\[internal function\]|\S.*\(\d+\):)|"
    r"thrown in .+ on line \d+)",
    re.IGNORECASE,
)
_HEADERS = {"error message", "error messages", "warning message", "warning messages", "status message"}

#: Navigation labels that make up a whole line of page chrome (compared case-folded).
CHROME_LINES = frozenset(
    {
        "skip to content",
        "skip to main content",
        "skip to navigation",
        "skip to main navigation",
        "skip navigation",
        "skip to footer",
        "skip to search",
        "back to news",
        "back to top",
        "back to home",
        "back to blog",
        "back to all news",
        "back to events",
        "back to search results",
        "back to publications",
        "share",
        "share this",
        "share this page",
        "share this article",
        "share this post",
        "share on facebook",
        "share on twitter",
        "share on linkedin",
        "share on x",
        "menu",
        "main menu",
        "open menu",
        "close menu",
        "toggle menu",
        "toggle navigation",
        "print",
        "print this page",
        "print page",
        "scroll to top",
        "go to top",
        "you are here",
    }
)


def is_diagnostic(line: str) -> bool:
    """True for a PHP/CMS error notice or a stack-trace line.

    >>> is_diagnostic("  • Notice: Undefined index: und in f() (line 170 of C:\\\\x\\\\t.php).")
    True
    >>> is_diagnostic("Warning: evidence use is patchy in most sectors.")
    False
    """
    return bool(_DIAGNOSTIC.match(line) or _STACK.match(line))


def is_chrome(line: str) -> bool:
    """True for a line that is only a navigation label such as "Skip to Content".

    >>> is_chrome("  Back to top ↑"), is_chrome("Share this evidence widely")
    (True, False)
    """
    core = line.strip().strip("←→↑↓«»›‹<>|•·*-–— \t").casefold()
    return core in CHROME_LINES


def noise_indices(lines: Sequence[str]) -> set[int]:
    """Indices (0-based) of the lines that are page noise.

    >>> noise_indices(["Error message", "", "• Warning: x in f() (line 1 of a.php).", "Hello"])
    {0, 2}
    """
    noise: set[int] = set()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if is_diagnostic(line) or is_chrome(line):
            noise.add(i)
        elif line.strip().casefold() in _HEADERS:
            nxt = next((x for x in lines[i + 1 : i + 6] if x.strip()), "")
            if is_diagnostic(nxt):
                noise.add(i)
    return noise
