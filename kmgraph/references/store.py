"""The BibTeX store: a folder of ``.bib`` files that people and kmgraph share.

Layout::

    references/
      works.bib            cited works kmgraph added (sorted by key)
      sources.bib          ingested documents kmgraph added (sorted by key)
      *.bib                any other file a librarian keeps here (read, never reordered)
      kmgraph-state.json   what kmgraph generated last time, per key (for hand edits)

Every ``*.bib`` in the folder is read (files in name order). New cited works go to
``works.bib``, new ingested documents to ``sources.bib``; an existing entry stays in the
file it is in (kmgraph never moves entries).

Writing (:meth:`Store.save`):

- Only files that changed are written, each atomically (a temporary file in the same
  folder, flushed and fsynced, then ``os.replace``); a crash leaves the old file. The
  ``.bib`` files are written before the state file: if the state file is lost, kmgraph
  treats the values it finds as hand edits and keeps them.
- ``works.bib`` and ``sources.bib`` are written in the canonical form: ``@string`` and
  ``@preamble`` blocks first (in their order), then the entries sorted by key, each with
  the comments that stood before it, then the trailing comments; fields in the canonical
  order (:data:`~kmgraph.references.bibtex.FIELD_ORDER`), 2-space indent, braces, one
  blank line between blocks, a final newline. The same inputs added in the same order give
  byte-identical files.
- Any other file is patched in place: only the text of the entries that changed is
  replaced; everything else (comments, ``@string``, ``@preamble``, formatting) stays byte
  for byte.
- A file with malformed blocks (see :attr:`Store.failed_blocks`) is also only patched in
  place, so the malformed text stays verbatim where it is; new entries that belong to
  such a ``works.bib``/``sources.bib`` are appended at its end. A file that is not valid
  UTF-8 (a failed block says so), or whose entries cannot be located in its text (listed
  in :attr:`Store.warnings`), is never written: merges into its entries are refused
  (``unchanged``).
- Files are written with the line endings they had (``\\n`` for new files).
- Any problem of the file system or a corrupt state file is a
  :class:`~kmgraph.errors.StoreError` naming the file (and the key of a bad state record).

Concurrency: :meth:`Store.locked` holds an exclusive lock on the store folder for a whole
read-modify-write (open, add, save); a second kmgraph process waits for it, then reads the
store again, so that no update is lost.

Hand edits (three-way merge): ``kmgraph-state.json`` keeps, per key, the entry type and the
field values kmgraph generated last time. When a reference merges into an entry, for each
generated field: a value equal to the state's (whitespace aside) is kmgraph's and takes the
new generated value; a value that differs is a hand edit and stays (listed in
``kept_edits``); a field in the state but no longer in the entry was deleted by hand and is
not added again; a field in neither is added. ``kmgraph-cited-by`` is always the union.
``kmgraph-raw`` keeps the first sighting. The new generated value never loses
information kmgraph had: a field missing from the new reference is not removed, a shorter
or "et al." author list does not replace a fuller one, a title without its subtitle does
not replace the title with it, and ``misc`` does not replace a more specific type.
Fields, entries, comments, ``@string`` and ``@preamble`` blocks added by hand are never
dropped.

Deleted entries: an entry whose key is in the state but in no file was deleted by hand.
A reference that matches it (by the same rules as live entries, against the values in the
state) is not added again: :meth:`Store.add` answers ``suppressed``. :meth:`Store.forget`
drops a key from the state, after which the work comes back on the next ingest (under the
same key if it is still free). Keys handed out once are never reused for other works.

Duplicate keys in two files are both kept; :meth:`Store.get` raises
:class:`~kmgraph.errors.StoreError` naming both files, and lint reports them.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bibtexparser.library import Library
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    Entry,
    Field,
    ParsingFailedBlock,
    Preamble,
    String,
)
from rapidfuzz import fuzz, process

from kmgraph.atomic import write_atomically
from kmgraph.errors import EntryNotFound, StoreError, StoreNotFound
from kmgraph.references.bibtex import (
    CITED_BY,
    RAW,
    ROLE_SOURCE,
    CanonicalFieldOrderMiddleware,
    NormalizeDoiMiddleware,
    Reference,
    entry_fields,
    from_bibtex,
    join_cited_by,
    latex_unescape,
    parse_bibtex,
    reference_to_bibtex,
    render_blocks,
    render_entry,
    split_cited_by,
)
from kmgraph.references.dedup import (
    MatchIndex,
    bibtex_match_info,
    match_info,
    normalize_raw,
    normalize_title,
)
from kmgraph.references.keys import KeyGenerationMiddleware, ascii_fold, is_valid_key

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, locked() is a no-op
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_TIMEOUT",
    "SOURCES_FILE",
    "STATE_FILE",
    "WORKS_FILE",
    "FailedBlock",
    "MergeReport",
    "MergeResult",
    "Store",
    "atomic_write_text",
]

WORKS_FILE = "works.bib"
SOURCES_FILE = "sources.bib"
STATE_FILE = "kmgraph-state.json"
STATE_VERSION = 1

#: Seconds :meth:`Store.locked` waits for another kmgraph process to release the store.
LOCK_TIMEOUT = 30.0
_LOCK_POLL = 0.05

Action = Literal["added", "merged", "unchanged", "suppressed"]


@dataclass(frozen=True)
class FailedBlock:
    """A block of a ``.bib`` file that could not be read.

    Attributes:
        file: The file.
        line: 1-based line where the block starts.
        reason: Why it failed, for people.
        raw: The block's text as written.
        code: ``malformed-block``, or ``duplicate-key`` for a key repeated in one file.
    """

    file: Path
    line: int
    reason: str
    raw: str
    code: str = "malformed-block"


@dataclass(frozen=True)
class MergeResult:
    """What :meth:`Store.add` did with one reference.

    Attributes:
        key: The key of the entry added, merged into, or (``suppressed``) deleted by hand.
        action: ``added``, ``merged`` (the entry changed), ``unchanged`` (it matched and
            nothing changed) or ``suppressed`` (it matches an entry deleted by hand).
        matched_by: ``document``, ``doi``, ``url``, ``exact`` or ``near``; None when added.
        score: Title score of a ``near`` match, else None.
        kept_edits: Fields whose hand edit (or hand deletion) was kept against a new value.
    """

    key: str
    action: Action
    matched_by: str | None = None
    score: float | None = None
    kept_edits: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeReport:
    """The results of adding many references, with counts for people."""

    results: tuple[MergeResult, ...] = ()

    def _keys(self, action: str) -> tuple[str, ...]:
        return tuple(r.key for r in self.results if r.action == action)

    @property
    def added(self) -> tuple[str, ...]:
        """Keys of the entries added."""
        return self._keys("added")

    @property
    def merged(self) -> tuple[str, ...]:
        """Keys of the entries that changed by a merge (a key may repeat)."""
        return self._keys("merged")

    @property
    def unchanged(self) -> tuple[str, ...]:
        """Keys of the entries matched without a change."""
        return self._keys("unchanged")

    @property
    def suppressed(self) -> tuple[str, ...]:
        """Keys of entries deleted by hand that a reference matched."""
        return self._keys("suppressed")

    @property
    def near_duplicates(self) -> tuple[MergeResult, ...]:
        """The merges that changed an entry on a near-duplicate match, with their scores.

        A near match that changed nothing (``unchanged``: typically a re-run over the same
        documents) is not listed, so a re-run does not report the same merges again.
        """
        return tuple(r for r in self.results if r.matched_by == "near" and r.action == "merged")

    @property
    def kept_edits(self) -> tuple[tuple[str, str], ...]:
        """``(key, field)`` of every hand edit kept."""
        return tuple((r.key, f) for r in self.results for f in r.kept_edits)

    def summary(self) -> str:
        """One line of counts, then one line per near-duplicate merge.

        Examples:
            >>> MergeReport((MergeResult("a2006x", "added"),)).summary()
            '1 added, 0 merged, 0 unchanged'
        """
        parts = [f"{len(self.added)} added", f"{len(self.merged)} merged", f"{len(self.unchanged)} unchanged"]
        if self.suppressed:
            parts.append(f"{len(self.suppressed)} suppressed (deleted by hand)")
        if self.kept_edits:
            parts.append(f"{len(self.kept_edits)} hand edits kept")
        lines = [", ".join(parts)]
        for r in self.near_duplicates:
            lines.append(f"  near-duplicate merged into {r.key} (title score {r.score:.1f})")
        return "\n".join(lines)


def atomic_write_text(path: Path, text: str, *, newline: str = "\n") -> None:
    """Write a text file atomically: temporary file in the same folder, fsync, ``os.replace``.

    The file keeps its permission bits; on any error the temporary file is removed and
    the old file is left as it was.

    Args:
        path: The file to write.
        text: The content (``\\n`` line endings).
        newline: Line ending to write.

    Raises:
        StoreError: The file cannot be written.
    """
    path = Path(path)
    data = text.replace("\n", newline).encode("utf-8") if newline != "\n" else text.encode("utf-8")
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise StoreError(f"cannot write: {_reason(exc)}", path=str(path)) from exc


def _reason(exc: OSError) -> str:
    """An OS error for people: its text without the errno and the path (the error names the file)."""
    return exc.strerror or str(exc) or type(exc).__name__


def _same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return " ".join(a.split()) == " ".join(b.split())


def _set_field(entry: Entry, name: str, value: str) -> None:
    for field in entry.fields:
        if field.key.lower() == name:
            field.value = value
            return
    entry.fields.append(Field(name, value))


def _remove_field(entry: Entry, name: str) -> None:
    entry.fields = [f for f in entry.fields if f.key.lower() != name]


_ALIASES = {"journal": ("journaltitle",), "address": ("location",), "year": ("date",)}


def _author_rank_plain(fields: dict[str, Any]) -> tuple[int, int]:
    names = fields.get("author") or []
    return (0 if fields.get("authors_elided") else 1, len(names))


class _BibFile:
    """One ``.bib`` file of the store (internal, mutable)."""

    def __init__(self, path: Path, text: str = "", newline: str = "\n", exists: bool = False) -> None:
        self.path = path
        self.text = text
        self.newline = newline
        self.exists = exists
        self.blocks: list[Block] = []
        self.spans: dict[int, tuple[int, int]] = {}
        self.failed: list[FailedBlock] = []
        self.unlocated: list[tuple[int, str]] = []  # (line, key) of entries not found in the text
        self.readonly = False
        self.dirty = False
        self.modified: set[int] = set()
        self.text_edits: dict[int, str] = {}  # id(entry) -> its text after Store.edit_field

    @property
    def owned(self) -> bool:
        return self.path.name in (WORKS_FILE, SOURCES_FILE)

    @property
    def canonical(self) -> bool:
        return self.owned and not self.failed and not self.readonly

    @property
    def entries(self) -> list[Entry]:
        return [b for b in self.blocks if isinstance(b, Entry)]

    def parse(self) -> None:
        library = parse_bibtex(self.text) if self.text.strip() else Library()
        self.blocks = list(library.blocks)
        starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                starts.append(i + 1)
        for block in self.blocks:
            line = (block.start_line or 0) + 1
            if isinstance(block, ParsingFailedBlock):
                code = "duplicate-key" if isinstance(block, DuplicateBlockKeyBlock) else "malformed-block"
                error = block.error
                reason = getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error)
                reason = " ".join(str(reason or type(error).__name__).split())
                self.failed.append(FailedBlock(self.path, line, reason, block.raw or "", code))
            if isinstance(block, Entry) and block.raw is not None:
                offset = starts[min(block.start_line or 0, len(starts) - 1)]
                begin = self.text.find(block.raw, offset)
                if begin < 0:
                    self.readonly = True
                    self.unlocated.append((line, block.key))
                else:
                    self.spans[id(block)] = (begin, begin + len(block.raw))

    def render(self) -> str:
        if self.canonical and not self.text_edits:
            return self._render_canonical()
        return self._render_patched()

    def _render_canonical(self) -> str:
        header: list[Block] = []
        units: list[tuple[str, list[Block]]] = []
        pending: list[Block] = []
        for block in self.blocks:
            if isinstance(block, Entry):
                units.append((block.key, pending + [block]))
                pending = []
            elif isinstance(block, (String, Preamble)):
                header.extend(pending + [block])
                pending = []
            else:
                pending.append(block)
        units.sort(key=lambda unit: (unit[0].lower(), unit[0]))
        ordered = header + [b for _, unit in units for b in unit] + pending
        return render_blocks(ordered)

    def _render_patched(self) -> str:
        text = self.text
        patches = sorted(
            (self.spans[id(b)], b)
            for b in self.blocks
            if (id(b) in self.modified or id(b) in self.text_edits) and id(b) in self.spans
        )
        for (begin, end), entry in reversed(patches):
            if id(entry) in self.modified:
                body = render_entry(entry, canonical_order=False)
            else:
                body = self.text_edits[id(entry)]
            text = text[:begin] + body + text[end:]
        new = sorted(
            (b for b in self.blocks if isinstance(b, Entry) and id(b) not in self.spans),
            key=lambda e: (e.key.lower(), e.key),
        )
        if new:
            body = "\n\n".join(render_entry(e) for e in new)
            text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + body + "\n"
        return text


def _balanced(text: str) -> bool:
    """Whether the braces of a BibTeX value balance (``\\{`` and ``\\}`` are escaped)."""
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
        i += 1
    return depth == 0


_FIELD_NAME = re.compile(r"\s*,?\s*([^\s=,{}()\"#]+)\s*=\s*")


def _value_span(text: str, name: str) -> tuple[int, int, str] | None:
    """Where the value of a field sits in an entry's text: ``(begin, end, delimiter)``.

    ``begin:end`` is the text between the braces or quotes. None when the field is
    missing, its value is bare (a number, a ``@string`` name) or a ``#`` concatenation, or
    the entry cannot be scanned.
    """
    opening = re.search(r"[{(]", text)
    comma = text.find(",", opening.end()) if opening else -1
    if comma < 0:
        return None
    i, n = comma + 1, len(text)
    while True:
        m = _FIELD_NAME.match(text, i)
        if not m:
            return None
        i = m.end()
        pieces: list[tuple[int, int, str]] = []
        while True:
            if i >= n:
                return None
            ch = text[i]
            if ch in "{\"":
                depth, j = 0, i
                while j < n:
                    c = text[j]
                    if c == "\\":
                        j += 2
                        continue
                    if c == "{":
                        depth += 1
                    elif c == "}":
                        depth -= 1
                    if (ch == "{" and depth == 0) or (ch == '"' and c == '"' and j > i and depth == 0):
                        break
                    j += 1
                if j >= n:
                    return None
                pieces.append((i + 1, j, ch))
                i = j + 1
            else:
                bare = re.compile(r"[^\s,#{}()\"]+").match(text, i)
                if not bare:
                    return None
                pieces.append((i, bare.end(), ""))
                i = bare.end()
            after = re.compile(r"\s*#\s*").match(text, i)
            if not after:
                break
            i = after.end()
        if m.group(1).lower() == name.lower():
            if len(pieces) != 1 or not pieces[0][2]:
                return None
            return pieces[0]


def _read_state(path: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """The entries of the state file and its text, checked record by record.

    Raises:
        StoreError: The file cannot be read, is not UTF-8 JSON of the expected shape, or a
            record is not ``{"type": str, "fields": {str: str}}`` (the message names its key).
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise StoreError(f"cannot read: {_reason(exc)}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise StoreError(f"cannot read the state file: not valid UTF-8 ({exc.reason})", path=str(path)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"cannot read the state file: {exc}", path=str(path)) from exc
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise StoreError("cannot read the state file: no \"entries\" object", path=str(path))
    for key, record in entries.items():
        problem = None
        if not isinstance(record, dict):
            problem = "not an object"
        elif not isinstance(record.get("type", ""), str):
            problem = "\"type\" is not a string"
        else:
            fields = record.get("fields", {})
            if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
                problem = "\"fields\" is not an object of strings"
        if problem:
            raise StoreError(f"corrupt state record for key '{key}': {problem}", path=str(path))
    return entries, text


class Store:
    """A folder of ``.bib`` files plus kmgraph's state file (see the module docstring).

    Open with :meth:`open`; add references with :meth:`add`; write with :meth:`save`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[str, _BibFile] = {}
        self._state: dict[str, dict[str, Any]] = {}
        self._state_text: str | None = None
        self._state_dirty = False
        self._live: dict[str, tuple[_BibFile, Entry]] = {}
        self._by_lower: dict[str, list[tuple[_BibFile, Entry]]] = {}
        self._index = MatchIndex()
        self._tombstones = MatchIndex()
        self._lock_depth = 0
        self._index_stale = False  # set by edit_field: rebuild the match index before matching

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False) -> Store:
        """Open the store in a folder.

        Args:
            path: The store folder (``references/``).
            create: Allow a folder that does not exist yet; it is created by :meth:`save`.

        Returns:
            The store, read from disk.

        Raises:
            StoreNotFound: The folder does not exist and ``create`` is false.
            StoreError: The path is a file, a file of the store cannot be read, or the state
                file is corrupt (the error names the file, and the key of a bad record).
        """
        folder = Path(path)
        try:
            exists, is_dir = folder.exists(), folder.is_dir()
        except OSError as exc:
            raise StoreError(f"cannot read: {_reason(exc)}", path=str(folder)) from exc
        if exists and not is_dir:
            raise StoreError("the store is a folder of .bib files, not a file", path=str(folder))
        if not exists and not create:
            raise StoreNotFound(
                "no store here; `kmgraph ingest DOCUMENTS --store PATH` creates one", path=str(folder)
            )
        store = cls(folder)
        store._load()
        return store

    def _load(self) -> None:
        self._files = {}
        try:
            names = sorted(p for p in self.path.glob("*.bib") if p.is_file()) if self.path.is_dir() else []
        except OSError as exc:
            raise StoreError(f"cannot read: {_reason(exc)}", path=str(self.path)) from exc
        for bib in names:
            self._files[bib.name] = self._read_file(bib)
        self._state = {}
        self._state_text = None
        state_path = self.path / STATE_FILE
        if state_path.exists():
            self._state, self._state_text = _read_state(state_path)
        self._state_dirty = False
        self._reindex()

    def _read_file(self, path: Path) -> _BibFile:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read: {_reason(exc)}", path=str(path)) from exc
        try:
            text = data.decode("utf-8-sig")
            bad_encoding = False
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", errors="replace")
            bad_encoding = True
            error = exc
        newline = "\r\n" if "\r\n" in text else "\n"
        bib = _BibFile(path, text.replace("\r\n", "\n"), newline, exists=True)
        bib.parse()
        if bad_encoding:
            bib.readonly = True
            line = data[: error.start].count(b"\n") + 1
            bib.failed.append(
                FailedBlock(path, line, f"not valid UTF-8 ({error.reason}); file is read-only", "")
            )
        return bib

    def _reindex(self) -> None:
        self._index_stale = False
        self._live = {}
        self._by_lower = {}
        self._index = MatchIndex()
        for bib in self._files.values():
            for entry in bib.entries:
                found = self._by_lower.setdefault(entry.key.lower(), [])
                found.append((bib, entry))
                if len(found) > 1:
                    continue
                self._live[entry.key] = (bib, entry)
                self._index.add(bibtex_match_info(entry.key, entry.entry_type, entry_fields(entry)))
        self._tombstones = MatchIndex()
        for key in sorted(self._state):
            if key.lower() not in self._by_lower:
                record = self._state[key]
                self._tombstones.add(
                    bibtex_match_info(key, record.get("type", "misc"), record.get("fields", {}))
                )

    # ------------------------------------------------------------------ locking

    @contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT) -> Iterator[Store]:
        """Hold the store against other kmgraph processes for a read-modify-write.

        Takes an exclusive advisory lock (``fcntl.flock``) on the store folder itself, so no
        lock file is left in the folder; the folder is created first when missing. On
        entry the store is read again from disk, so that what another process saved while
        this one waited is seen; add and save inside the block::

            store = Store.open("references", create=True)
            with store.locked():
                for ref in refs:
                    store.add(ref)
                store.save()

        Nested ``locked()`` blocks on the same :class:`Store` are allowed (only the outer one
        locks and reads). Two :class:`Store` objects on one folder in one process exclude
        each other like two processes. Where ``fcntl`` is missing (Windows), or the file
        system does not support locks, the block runs without a lock.

        Args:
            timeout: Seconds to wait for another process to release the store.

        Yields:
            This store.

        Raises:
            StoreError: The lock is still held by another process after ``timeout``
                seconds; the folder cannot be created or opened; or the store has unsaved
                changes made before the lock was taken (they would be read over).
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield self
            finally:
                self._lock_depth -= 1
            return
        if self._unsaved():
            raise StoreError(
                "the store has unsaved changes; take the lock (Store.locked) before adding", path=str(self.path)
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder: {_reason(exc)}", path=str(self.path)) from exc
        fd = self._acquire(timeout)
        self._lock_depth = 1
        try:
            self._load()
            yield self
        finally:
            self._lock_depth = 0
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)

    def _acquire(self, timeout: float) -> int | None:
        """Lock the store folder; the descriptor that holds the lock, or None without locks."""
        if fcntl is None:  # pragma: no cover - Windows
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise StoreError(f"cannot lock the store: {_reason(exc)}", path=str(self.path)) from exc
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    os.close(fd)
                    raise StoreError("the store is locked by another kmgraph process", path=str(self.path)) from None
                time.sleep(min(_LOCK_POLL, left))
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                    return None  # a file system without locks (some network mounts)
                raise StoreError(f"cannot lock the store: {_reason(exc)}", path=str(self.path)) from exc

    def _unsaved(self) -> bool:
        """Whether :meth:`save` would write something."""
        if any(bib.dirty and not bib.readonly and bib.render() != bib.text for bib in self._files.values()):
            return True
        return self._state_dirty and self.state_text() != self._state_text

    # ------------------------------------------------------------------ reading

    @property
    def entries(self) -> list[Entry]:
        """All entries of all files (files in name order, entries in file order)."""
        return [e for bib in self._files.values() for e in bib.entries]

    def entries_by_file(self) -> list[tuple[Path, Entry]]:
        """All entries with the file that holds each, in the order of :attr:`entries`.

        A key defined more than once appears once per definition (unlike :meth:`get`).
        """
        return [(bib.path, e) for bib in self._files.values() for e in bib.entries]

    def locate(self, key: str) -> list[tuple[Path, Entry]]:
        """Every definition of a key (compared case-insensitively), with its file.

        Unlike :meth:`get`, a key defined in two places is not an error: both come back,
        in the order of :attr:`entries`.

        Raises:
            EntryNotFound: No such key (the message suggests close keys).
        """
        found = self._by_lower.get(key.lower(), [])
        if not found:
            self._lookup(key)  # raises EntryNotFound with suggestions
        return [(bib.path, entry) for bib, entry in found]

    @property
    def warnings(self) -> list[str]:
        """Problems that are not malformed blocks, one line each (``file:line: message``).

        Today: entries whose text kmgraph cannot locate in their file. Such a file is never
        rewritten; references that match its entries are reported ``unchanged``.
        """
        return [
            f"{bib.path}:{line}: entry '{key}' cannot be located in the file's text; "
            "kmgraph will not rewrite this file (merges into its entries are skipped)"
            for bib in self._files.values()
            for line, key in bib.unlocated
        ]

    @property
    def files(self) -> list[Path]:
        """The ``.bib`` files of the store (including new ones not saved yet)."""
        return [bib.path for bib in self._files.values()]

    @property
    def failed_blocks(self) -> list[FailedBlock]:
        """Blocks that could not be read, by file and line."""
        return sorted(
            (f for bib in self._files.values() for f in bib.failed), key=lambda f: (f.file.name, f.line)
        )

    @property
    def state(self) -> dict[str, dict[str, Any]]:
        """A copy of the state: per key, the type and fields kmgraph generated last."""
        return json.loads(json.dumps(self._state))

    def duplicate_keys(self) -> dict[str, list[Path]]:
        """Keys (case-insensitively) found in more than one place, with their files."""
        return {
            found[0][1].key: [bib.path for bib, _ in found]
            for found in self._by_lower.values()
            if len(found) > 1
        }

    def _lookup(self, key: str) -> tuple[_BibFile, Entry]:
        found = self._by_lower.get(key.lower(), [])
        exact = [item for item in found if item[1].key == key] or found
        if not exact:
            keys = [e.key for e in self.entries]
            close = [m[0] for m in process.extract(key, keys, scorer=fuzz.ratio, limit=3, score_cutoff=60)]
            hint = f"; did you mean: {', '.join(close)}?" if close else ""
            raise EntryNotFound(f"no entry with key '{key}' in the store{hint}", path=str(self.path))
        if len(found) > 1:
            where = ", ".join(f"{bib.path.name}:{(e.start_line or 0) + 1}" for bib, e in found)
            raise StoreError(f"key '{key}' is defined more than once: {where}", path=str(self.path))
        return exact[0]

    def get(self, key: str) -> Entry:
        """The entry with this key.

        Raises:
            EntryNotFound: No such key (the message suggests close keys).
            StoreError: The key is defined in more than one place.
        """
        return self._lookup(key)[1]

    def file_of(self, key: str) -> Path:
        """The file that holds the entry with this key (raises like :meth:`get`)."""
        return self._lookup(key)[0].path

    def fields_of(self, key: str) -> dict[str, Any]:
        """The JSON-contract fields of an entry, for display and JSON output.

        See :func:`~kmgraph.references.bibtex.from_bibtex`: plain text, ``author`` and
        ``editor`` as lists of names (corporate names without their braces), ``year`` as
        written (``kmgraph-year``) while it still agrees with ``year``.

        Raises:
            EntryNotFound: No such key.
            StoreError: The key is defined in more than one place (see :meth:`locate`).
        """
        entry = self.get(key)
        return from_bibtex(entry.entry_type, entry_fields(entry))

    def search(self, text: str) -> list[Entry]:
        """Entries whose key, authors, editors, title, year, container or publisher contain
        every word of ``text`` (case and accents ignored), sorted by key."""
        terms = ascii_fold(text).split()
        hits = []
        for entry in self.entries:
            plain = from_bibtex(entry.entry_type, entry_fields(entry))
            hay = " ".join(
                [
                    entry.key,
                    " ".join(plain.get("author", [])),
                    " ".join(plain.get("editor", [])),
                    str(plain.get("title", "")),
                    str(plain.get("year", "")),
                    str(plain.get("container", "")),
                    str(plain.get("publisher", "")),
                ]
            )
            folded = " " + ascii_fold(hay) + " " + entry.key.lower()
            if all(term in folded for term in terms):
                hits.append(entry)
        return sorted(hits, key=lambda e: (e.key.lower(), e.key))

    # ------------------------------------------------------------------ adding

    def add_all(self, refs: Iterable[Reference]) -> MergeReport:
        """Add many references in order; see :meth:`add`."""
        return MergeReport(tuple(self.add(ref) for ref in refs))

    def add(self, ref: Reference) -> MergeResult:
        """Add one reference, or merge it into the entry it matches.

        Matching follows :mod:`kmgraph.references.dedup`; merging keeps hand edits (see the
        module docstring). A new entry takes ``ref.key`` when it is a valid key
        (:func:`~kmgraph.references.keys.is_valid_key`) not taken by any entry or any key
        handed out before (case-insensitively); otherwise a generated key. Nothing is
        written until :meth:`save`.

        Args:
            ref: The reference.

        Returns:
            What happened.

        Raises:
            StoreError: A new entry belongs to a ``works.bib``/``sources.bib`` that kmgraph
                cannot rewrite safely (not valid UTF-8).
        """
        if self._index_stale:
            self._reindex()
        doc = ref.document.replace("\\", "/") if ref.document else None
        info = match_info("", ref.fields, role=ref.role, raw=ref.raw, document=doc)
        found = self._index.find(info)
        if found is not None:
            return self._merge(found.key, ref, found.matched_by, found.score)
        gone = self._tombstones.find(info)
        if gone is not None:
            return MergeResult(gone.key, "suppressed", gone.matched_by, gone.score)
        return self._add_new(ref)

    def _taken(self) -> set[str]:
        return {k.lower() for k in self._by_lower} | {k.lower() for k in self._state}

    def _add_new(self, ref: Reference) -> MergeResult:
        entry_type, fields = reference_to_bibtex(ref)
        taken = self._taken()
        key = ref.key.strip() if ref.key else ""
        if not is_valid_key(key) or key.lower() in taken:
            key = ""  # generated by KeyGenerationMiddleware
        library = Library([Entry(entry_type, key, [Field(k, v) for k, v in fields.items()])])
        for middleware in (
            NormalizeDoiMiddleware(),
            KeyGenerationMiddleware(taken),
            CanonicalFieldOrderMiddleware(),
        ):
            library = middleware.transform(library)
        entry = library.entries[0]
        name = SOURCES_FILE if ref.role == ROLE_SOURCE else WORKS_FILE
        bib = self._files.get(name)
        if bib is not None and bib.readonly:
            raise StoreError("cannot add entries to a file kmgraph cannot rewrite safely", path=str(bib.path))
        if bib is None:
            bib = _BibFile(self.path / name)
            self._files = dict(sorted({**self._files, name: bib}.items()))
        bib.blocks.append(entry)
        bib.dirty = True
        self._live[entry.key] = (bib, entry)
        self._by_lower.setdefault(entry.key.lower(), []).append((bib, entry))
        self._index.add(bibtex_match_info(entry.key, entry.entry_type, entry_fields(entry)))
        self._state[entry.key] = {"type": entry.entry_type, "fields": entry_fields(entry)}
        self._state_dirty = True
        return MergeResult(entry.key, "added")

    def _merge(self, key: str, ref: Reference, matched_by: str, score: float | None) -> MergeResult:
        bib, entry = self._live[key]
        if bib.readonly:
            return MergeResult(key, "unchanged", matched_by, score)
        record = self._state.get(key)
        base_type: str | None = record.get("type") if record else None
        base: dict[str, str] = dict(record.get("fields", {})) if record else {}
        cur = entry_fields(entry)
        kept: list[str] = []
        changed = False

        # The entry type, decided at the level of the JSON types.
        cur_json = from_bibtex(entry.entry_type, cur)["type"]
        new_json = str(ref.fields.get("type") or "misc").strip().lower() or "misc"
        base_plain = from_bibtex(base_type, base) if base_type else {}
        base_json = base_plain.get("type")
        weak = ("misc", "online")
        proposed = base_json if (base_json and new_json in weak and base_json not in weak) else new_json
        hand_type = base_json is None or cur_json != base_json
        target = cur_json if hand_type else proposed
        if hand_type and cur_json != proposed:
            kept.append("entrytype")

        # The new generated values: what kmgraph knew, updated by the new reference, never
        # losing a field, a fuller author list or a subtitle.
        combined = {k: v for k, v in base_plain.items() if k != "type"}
        # Only a new sighting of the same reference (a re-ingest, perhaps with a better
        # parser) updates what kmgraph generated; another document's wording of the same
        # work only fills in what is missing, so the store does not flip with ingest order.
        first_raw = cur.get(RAW) or base.get(RAW)
        same_sighting = ref.role == ROLE_SOURCE or not first_raw or (
            ref.raw is not None and normalize_raw(ref.raw) == normalize_raw(latex_unescape(first_raw))
        )
        if same_sighting:
            if ref.fields.get("author"):
                combined.pop("authors_elided", None)  # the elision belongs to the author list
            combined.update(ref.fields)
        else:
            for name, value in ref.fields.items():
                combined.setdefault(name, value)
            if ref.fields.get("author") and _author_rank_plain(ref.fields) > _author_rank_plain(combined):
                combined["author"] = ref.fields["author"]  # a fuller author list
                combined.pop("authors_elided", None)
                if ref.fields.get("authors_elided"):
                    combined["authors_elided"] = True
            new_title, old_title = str(ref.fields.get("title") or ""), str(combined.get("title") or "")
            longer = normalize_title(new_title)
            if old_title and longer != normalize_title(old_title) and longer.startswith(normalize_title(old_title)):
                combined["title"] = new_title  # the title with its subtitle
        if "author" in base_plain and _author_rank_plain(base_plain) > _author_rank_plain(combined):
            combined["author"] = base_plain["author"]
            combined.pop("authors_elided", None)
            if base_plain.get("authors_elided"):
                combined["authors_elided"] = True
        if base_plain.get("title") and combined.get("title"):
            new_title, old_title = (
                normalize_title(str(combined["title"])),
                normalize_title(str(base_plain["title"])),
            )
            if new_title != old_title and old_title.startswith(new_title):
                combined["title"] = base_plain["title"]
        gen_type, gen = reference_to_bibtex(replace(ref, fields={**combined, "type": target}))
        prop_type, _ = reference_to_bibtex(replace(ref, fields={**combined, "type": proposed}))
        if not hand_type and entry.entry_type.lower() != gen_type:
            entry.entry_type = gen_type
            changed = True
        for name in base:
            gen.setdefault(name, "")  # generated before, not any more (a type change renames)

        new_state: dict[str, str] = dict(base)
        for name in sorted(set(gen) | set(base)):
            new, old, now = gen.get(name), base.get(name), cur.get(name)
            if now is None and old is None:  # a biblatex spelling written by hand counts
                now = next((cur[a] for a in _ALIASES.get(name, ()) if a in cur), None)
            if name == CITED_BY:
                union = join_cited_by(split_cited_by(now) + split_cited_by(new))
                if union and not _same(union, now):
                    _set_field(entry, name, union)
                    changed = True
                if union:
                    new_state[name] = union
                continue
            if name == RAW:
                if now is None and old is None and new:
                    _set_field(entry, name, new)
                    new_state[name] = new
                    changed = True
                continue
            if new == "":  # kmgraph no longer generates this field
                if now is not None and old is not None and _same(now, old):
                    _remove_field(entry, name)
                    changed = True
                new_state.pop(name, None)
                continue
            if now is None and old is None:
                _set_field(entry, name, new)
                changed = True
            elif now is None:
                kept.append(name)  # deleted by hand
            elif old is not None and _same(now, old):
                if not _same(now, new):
                    _set_field(entry, name, new)
                    changed = True
            elif not _same(now, new):
                kept.append(name)  # edited by hand (or added by hand)
            new_state[name] = new
        state_record = {"type": prop_type, "fields": dict(sorted(new_state.items()))}
        if self._state.get(key) != state_record:
            self._state[key] = state_record
            self._state_dirty = True
        if changed:
            bib.dirty = True
            bib.modified.add(id(entry))
            self._index.add(bibtex_match_info(key, entry.entry_type, entry_fields(entry)))
        return MergeResult(
            key, "merged" if changed else "unchanged", matched_by, score, tuple(sorted(set(kept)))
        )

    def edit_field(self, key: str, name: str, value: str) -> Path:
        """Change the value of one field of one entry as a librarian would in an editor.

        On :meth:`save` only the characters of that value change in the file: the rest of
        the entry (field order, layout, delimiters) and the rest of the file stay byte for
        byte, whatever the file (a canonical ``works.bib`` is patched in place too, and
        new entries added in the same session go at its end). The state file is not
        touched, so to the three-way merge the new value is a hand edit: later merges keep
        it (and list it in ``kept_edits`` while kmgraph would generate another value).

        Args:
            key: The entry's key.
            name: The field's name (case-insensitive); the field must exist.
            value: The new value as BibTeX text between the field's delimiters, on one line.

        Returns:
            The file that holds the entry.

        Raises:
            EntryNotFound: No such key.
            StoreError: The key is defined twice; the file cannot be rewritten safely; the
                entry has no such field; the value is not a plain braced or quoted value
                (a ``@string`` name, a ``#`` concatenation) or the new value would not be
                one (unbalanced braces, a ``"`` in a quoted value, a line break).
        """
        bib, entry = self._lookup(key)
        where = str(bib.path)
        if bib.readonly:
            raise StoreError(f"cannot edit entry '{key}': kmgraph cannot rewrite this file safely", path=where)
        field = next((f for f in entry.fields if f.key.lower() == name.lower()), None)
        if field is None:
            raise StoreError(f"entry '{key}' has no field '{name}'", path=where)
        if "\n" in value or "\r" in value or not _balanced(value):
            raise StoreError(f"cannot set {key}.{name}: a line break or unbalanced braces", path=where)
        if id(entry) in bib.spans:
            text = bib.text_edits.get(id(entry), entry.raw or "")
            found = _value_span(text, name)
            if found is None or text[found[0] : found[1]] != field.value:
                raise StoreError(
                    f"cannot edit {key}.{name} in place: not a plain braced or quoted value", path=where
                )
            begin, end, delimiter = found
            if delimiter == '"' and '"' in value:
                raise StoreError(f"cannot set {key}.{name}: a '\"' inside a quoted value", path=where)
            bib.text_edits[id(entry)] = text[:begin] + value + text[end:]
        field.value = value
        bib.dirty = True
        self._index_stale = True  # many edits in a row re-index once, at the next add()
        return bib.path

    def forget(self, key: str) -> bool:
        """Drop a key from the state, so that a work deleted by hand may come back.

        Returns:
            True when the key was in the state.
        """
        if key not in self._state:
            return False
        del self._state[key]
        self._state_dirty = True
        self._tombstones.remove(key)
        return True

    # ------------------------------------------------------------------ saving

    def render(self, name: str) -> str:
        """The text :meth:`save` would write for one file of the store (by file name)."""
        return self._files[name].render()

    def state_text(self) -> str:
        """The state file's text: sorted JSON, 2-space indent, final newline."""
        return (
            json.dumps(
                {"version": STATE_VERSION, "entries": self._state},
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
            + "\n"
        )

    def save(self) -> list[Path]:
        """Write the files that changed, atomically, then the state file.

        Returns:
            The paths written, in order.

        Raises:
            StoreError: A file cannot be written (the files not yet written keep their
                old content; nothing is left half-written).
        """
        written: list[Path] = []
        pending = [bib for bib in self._files.values() if bib.dirty and not bib.readonly]
        state = self.state_text() if self._state_dirty else None
        if state is not None and state == self._state_text:
            state = None
        if not pending and state is None:
            return written
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder: {exc}", path=str(self.path)) from exc
        for bib in pending:
            text = bib.render()
            if bib.exists and text == bib.text:
                bib.dirty = False
                continue
            atomic_write_text(bib.path, text, newline=bib.newline)
            written.append(bib.path)
        if state is not None:
            atomic_write_text(self.path / STATE_FILE, state)
            written.append(self.path / STATE_FILE)
        self._load()
        return written
