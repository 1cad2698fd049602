"""JSON forms of the values that flow between stages: stored findings, and the `compare --json` contract."""

from __future__ import annotations

from typing import Any

from watcher.models import Assessment, Finding, Severity


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "category": finding.category,
        "severity": finding.severity.label,
        "summary": finding.summary,
        "before": finding.before,
        "after": finding.after,
        "section": finding.section,
    }


def finding_from_json(data: dict[str, Any]) -> Finding:
    return Finding(
        category=data["category"],
        severity=Severity.parse(data["severity"]),
        summary=data["summary"],
        before=data.get("before", ""),
        after=data.get("after", ""),
        section=data.get("section", ""),
    )


def assessment_json(assessment: Assessment, *, changed: bool) -> dict[str, Any]:
    """The `watcher compare --json` contract."""
    return {
        "changed": changed,
        "severity": assessment.severity.label,
        "categories": list(assessment.categories),
        "findings": [
            {k: v for k, v in finding_to_json(f).items() if k in ("category", "severity", "before", "after", "summary")}
            for f in assessment.findings
        ],
    }
