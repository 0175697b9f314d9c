"""The committed Grafana JSON is what deploy/opsctl/dashboards.py builds, and the provisioning points
at it (the live PromQL check is tests/integration/test_dashboards.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))

from opsctl import dashboards  # noqa: E402


def test_committed_dashboards_match_the_code():
    assert dashboards.main(["check"]) == 0


def test_every_panel_queries_the_provisioned_datasource():
    ds = yaml.safe_load((REPO / "deploy/grafana/provisioning/datasources/cofre.yaml").read_text())
    uid = ds["datasources"][0]["uid"]
    for name in dashboards.DASHBOARDS:
        doc = json.loads((dashboards.OUT / f"cofre-{name}.json").read_text())
        assert doc["uid"] == f"cofre-{name}"
        exprs = dashboards.expressions(doc)
        assert exprs, name
        panels = [p for p in doc["panels"] if p.get("targets")]
        assert all(p["datasource"]["uid"] == uid for p in panels)
    fraud = json.loads((dashboards.OUT / "cofre-fraud.json").read_text())
    assert any("cofre_model_feature_psi" in e for _, e in dashboards.expressions(fraud))
