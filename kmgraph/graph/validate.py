"""Validate a graph against the SHACL shapes of ``ontology/shapes.ttl`` with pySHACL.

Example:
    >>> from kmgraph.graph.validate import validate
    >>> report = validate(dataset)  # doctest: +SKIP
    >>> report.conforms, [str(v) for v in report.violations]  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kmgraph.ontology.namespaces import PREFIXES
from kmgraph.ontology.vocabulary import data_dir

__all__ = ["SHAPES_FILE", "ValidationReport", "Violation", "load_shapes", "validate"]

SHAPES_FILE = "shapes.ttl"


@lru_cache(maxsize=1)
def _shapes_text() -> str:
    return (data_dir() / SHAPES_FILE).read_text(encoding="utf-8")


def load_shapes() -> Graph:
    """The shapes graph (a new graph each call)."""
    return Graph().parse(data=_shapes_text(), format="turtle")


def _short(term: object) -> str:
    if term is None:
        return ""
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and "/" not in text[len(ns) :]:
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    return text


@dataclass(frozen=True)
class Violation:
    """One result of a validation.

    Attributes:
        focus: The node that fails (shortened with the project prefixes).
        path: The property path, or "" for a node-level constraint.
        message: What the shape requires.
        severity: ``Violation``, ``Warning`` or ``Info``.
        shape: The shape that failed.
        value: The offending value, when there is one.
    """

    focus: str
    path: str
    message: str
    severity: str = "Violation"
    shape: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.focus}{where}: {self.message}{value}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome: ``conforms`` and the violations, sorted by focus node and path."""

    conforms: bool
    violations: tuple[Violation, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready (the ``graph validate --format json`` contract)."""
        return {
            "conforms": self.conforms,
            "violations": [
                {"focus": v.focus, "path": v.path, "message": v.message, "severity": v.severity, "shape": v.shape, "value": v.value}
                for v in self.violations
            ],
        }


def validate(graph: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Run pySHACL on a graph or dataset (validated as the union of its graphs).

    Args:
        graph: The data.
        shapes: The shapes (default :func:`load_shapes`).

    Returns:
        The :class:`ValidationReport`.
    """
    import pyshacl

    with warnings.catch_warnings():  # pySHACL and rdflib call rdflib's deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        conforms, results, _text = pyshacl.validate(
            graph, shacl_graph=shapes if shapes is not None else load_shapes(), advanced=True, allow_warnings=True
        )
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=_short(results.value(result, SH.focusNode)),
                path=_short(results.value(result, SH.resultPath)) if isinstance(results.value(result, SH.resultPath), URIRef) else "",
                message=str(results.value(result, SH.resultMessage) or "constraint not met"),
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
                shape=_short(results.value(result, SH.sourceShape)) if isinstance(results.value(result, SH.sourceShape), URIRef) else "",
                value=_short(results.value(result, SH.value)) if results.value(result, SH.value) is not None else "",
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path, v.message, v.value))
    return ValidationReport(conforms=bool(conforms), violations=tuple(violations))
