"""Every outbound link of a set of documents, with where it stands.

Checking the links over the network is the job of :mod:`kmgraph.linkcheck`; this module
only collects them, which needs no network at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from kmgraph.errors import InputError
from kmgraph.ingest import read_document
from kmgraph.records import LinkKind, RawLink

__all__ = ["LinkListing", "find_links"]


@dataclass
class LinkListing:
    """The links of some documents, and the documents that could not be read."""

    links: list[RawLink] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def find_links(
    paths: Sequence[str | os.PathLike[str]], *, kinds: Sequence[LinkKind] | None = None
) -> LinkListing:
    """List the links of every document under ``paths``.

    Args:
        paths: Files, folders and globs.
        kinds: Keep only these kinds (all by default).

    Returns:
        A :class:`LinkListing`, links in document order, documents sorted by path.
    """
    from kmgraph.paths import collect_paths

    listing = LinkListing()
    for item in collect_paths(paths):
        try:
            doc = read_document(item.path)
        except InputError as exc:
            listing.skipped.append((item.id, exc.message))
            continue
        for link in doc.links:
            if kinds is None or link.kind in kinds:
                listing.links.append(link)
    return listing
