"""Review queue: the store's entries whose raw reference string parses least confidently.

The store keeps each entry's reference string as written (``kmgraph-raw``). Re-parsing
it with the CRF gives a confidence (the probability of the whole labelling, see
:mod:`kmgraph.references.crf.parser`); the least confident entries come first, with the
raw string beside the stored fields, so a librarian checks those first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmgraph.references.bibtex import RAW, entry_fields
from kmgraph.references.crf.model import CRFModel, default_model, load_model
from kmgraph.references.crf.parser import parse_reference_crf

__all__ = ["ReviewItem", "review"]


@dataclass(frozen=True)
class ReviewItem:
    """One entry to review.

    Attributes:
        key: The entry's key in the store.
        confidence: The CRF's confidence on the entry's raw string (0..1).
        raw: The reference string as written in the source document.
        fields: The fields stored for the entry (JSON contract).
        parsed: The fields the CRF reads from ``raw`` now (to compare with ``fields``).
        reason: Why the parse is unsure, when it is.
    """

    key: str
    confidence: float
    raw: str
    fields: dict[str, Any] = field(default_factory=dict)
    parsed: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


def review(
    store_path: str | os.PathLike[str],
    *,
    model: CRFModel | str | Path | None = None,
    limit: int | None = 20,
    below: float = 1.0,
) -> list[ReviewItem]:
    """The store's entries with a raw string, least confident first.

    Args:
        store_path: The BibTeX store folder.
        model: A model, a model file, or None for the shipped model.
        limit: At most this many items (None: all).
        below: Only entries whose confidence is below this value.

    Returns:
        Items sorted by confidence, then key (deterministic). Entries without a raw
        string (added from a ``.bib`` file) are not listed.

    Raises:
        StoreNotFound: No store at ``store_path``.
    """
    from kmgraph.references.store import Store

    m = model if isinstance(model, CRFModel) else (load_model(model) if model else default_model())
    store = Store.open(store_path)
    items: list[ReviewItem] = []
    for entry in store.entries:
        raw_fields = entry_fields(entry)
        raw = str(raw_fields.get(RAW) or "").strip()
        if not raw:
            continue
        parsed = parse_reference_crf(raw, model=m)
        if parsed.confidence >= below:
            continue
        try:
            stored = store.fields_of(entry.key)
        except Exception:  # noqa: BLE001 - a duplicate key still gets reviewed
            stored = {}
        items.append(ReviewItem(entry.key, parsed.confidence, raw, stored, parsed.fields, parsed.reason))
    items.sort(key=lambda it: (it.confidence, it.key))
    return items[:limit] if limit is not None else items
