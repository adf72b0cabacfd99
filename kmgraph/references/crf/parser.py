"""The CRF reference parser: string in, :class:`~kmgraph.records.ParsedReference` out.

Steps: clean the string (the rule parser's cleaning: NFKC, control characters, soft
hyphens, whitespace), drop a list label or bullet (:func:`split_label`), tokenise
(:func:`~kmgraph.references.crf.features.tokenize`), tag with the CRF, and normalise the
labelled segments into the contract fields (:mod:`~kmgraph.references.crf.normalise`).

Confidence is the model's **probability of the whole labelling**, P(labels | tokens)
from CRFsuite's forward-backward pass: the chance, as the model sees it, that every
token of the reference is labelled right, so one unsure token makes the whole reference
unsure (it is never above the smallest token marginal): that is what a reviewer wants to
look at first. Below 0.5 the reason names the least sure token and its marginal.

It is then capped: 0.5 for input with control characters (removed before tagging), 0.2
for input cut to :data:`MAX_REFERENCE_LENGTH` characters or mostly in a non-Latin
script, 0.5 when no title was found; an empty string or one without letters or digits
gives 0.0. Rounded to 3 decimals.
"""

from __future__ import annotations

import re
from pathlib import Path

from kmgraph.records import ParsedReference
from kmgraph.references.crf.features import tokenize
from kmgraph.references.crf.model import CRFModel, default_model
from kmgraph.references.crf.normalise import normalise
from kmgraph.references.parse import prepare_reference

__all__ = ["MAX_TOKENS", "parse_reference_crf", "parse_tokens"]

#: At most this many tokens are tagged (a real reference has fewer than 150).
MAX_TOKENS = 400
_RE_WORD_CHAR = re.compile(r"[^\W_]")


def parse_tokens(tokens: list[str], model: CRFModel | None = None) -> tuple[list[str], list[float]]:
    """Labels and marginals of already tokenised text (used by the benchmark)."""
    m = model or default_model()
    res = m.tag(tokens, marginals=True)
    return list(res.labels), list(res.marginals)


def parse_reference_crf(text: str, *, model: CRFModel | str | Path | None = None) -> ParsedReference:
    """Parse one reference string with the CRF model.

    Never raises on bad input: empty, very long, control characters and scripts the
    model does not know come back with a low ``confidence`` and a ``reason``.

    Args:
        text: One reference-list entry (a leading "1." or "[1]" is ignored).
        model: A loaded model, the path of a model file, or None for the shipped model.

    Returns:
        The fields of the JSON contract (see :func:`kmgraph.references.parse.parse_reference`).

    Example:
        >>> r = parse_reference_crf("Levin, B. (2011). Mobilising research knowledge in "
        ...                         "education. London Review of Education, 9(1), 15–26.")
        >>> r.fields["author"], r.fields["container"], r.fields["pages"]
        (['Levin, B.'], 'London Review of Education', '15--26')
    """
    raw = text if isinstance(text, str) else str(text)
    if model is None or isinstance(model, (str, Path)):
        model = default_model(model)
    try:
        return _parse(raw, model)
    except Exception as exc:  # noqa: BLE001 - per-item failures are data
        return ParsedReference(raw=raw, fields={}, confidence=0.0, reason=f"parser error: {exc!r}")


def _parse(raw: str, model: CRFModel) -> ParsedReference:
    s, cap, reasons = prepare_reference(raw, parser="the model")
    if not s:
        return ParsedReference(raw=raw, fields={}, confidence=0.0, reason="empty reference")
    if not _RE_WORD_CHAR.search(s):
        return ParsedReference(raw=raw, fields={}, confidence=0.0, reason="no words in the reference")
    tokens = tokenize(s)
    if len(tokens) > MAX_TOKENS:
        tokens = tokens[:MAX_TOKENS]
        if cap > 0.2:
            reasons.append(f"more than {MAX_TOKENS} tokens; parsed the start only")
        cap = 0.2
    res = model.tag(tokens, marginals_below=0.5)  # marginals name the least sure token
    fields = normalise(res.tokens, res.labels)
    conf = res.probability
    if res.marginals:
        marg = res.marginals
        i = min(range(len(marg)), key=marg.__getitem__)
        reasons.append(f"unsure of {res.tokens[i]!r} as {res.labels[i]} (p={marg[i]:.2f})")
    if "title" not in fields:
        cap = min(cap, 0.5)
        reasons.append("no title found")
    conf = round(max(0.0, min(cap, conf)), 3)
    return ParsedReference(raw=raw, fields=fields, confidence=conf, reason="; ".join(reasons) or None)
