"""Model cards: a short markdown document logged with every training run.

Sections: data (tables, versions, fingerprint, sizes), metrics, intended use, limits.
"""

from __future__ import annotations

from typing import Any


def model_card(
    name: str,
    *,
    summary: str,
    data: dict[str, Any],
    metrics: dict[str, float],
    intended_use: str,
    limits: list[str],
    metadata: dict[str, Any] | None = None,
) -> str:
    lines = [f"# Model card: {name}", "", summary, "", "## Data", ""]
    lines += [f"- **{k}**: {v}" for k, v in data.items()]
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items())]
    lines += ["", "## Intended use", "", intended_use, "", "## Limits", ""]
    lines += [f"- {x}" for x in limits]
    if metadata:
        lines += ["", "## Metadata", ""]
        lines += [f"- **{k}**: {v}" for k, v in metadata.items() if not isinstance(v, (list, dict))]
        feats = metadata.get("features")
        if feats:
            lines += [f"- **features** ({len(feats)}): " + ", ".join(map(str, feats))]
    return "\n".join(lines) + "\n"
