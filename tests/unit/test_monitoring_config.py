"""The monitoring configs the stack writes are valid for the real tools (promtool, amtool)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))

from stackctl.monitoring import RULES_DIR, Alertmanager, Prometheus, Targets  # noqa: E402


def test_prometheus_config_scrapes_every_target_with_the_slo_rules(tmp_path):
    prom = Prometheus(
        tmp_path,
        19990,
        "127.0.0.1:19993",
        Targets(("127.0.0.1:8000",), ("127.0.0.1:9464",), ("127.0.0.1:8700",)),
    )
    prom.prepare()  # writes the config and runs `promtool check config` (rule files included)
    cfg = prom.config_dict()
    jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in cfg["scrape_configs"]}
    assert jobs["gateway"] == ["127.0.0.1:8000"] and jobs["exporter"] == ["127.0.0.1:9464"]
    assert {"prometheus", "alertmanager", "sandboxes"} <= set(jobs)
    assert str(RULES_DIR / "slo.rules.yml") in cfg["rule_files"]
    assert all(t.startswith("127.0.0.1:") for ts in jobs.values() for t in ts)
    assert "--web.listen-address=127.0.0.1:19990" in prom.argv()


def test_alertmanager_config_routes_to_the_webhook(tmp_path):
    am = Alertmanager(tmp_path, 19993, "http://127.0.0.1:19994/alerts")
    am.prepare()
    amtool = shutil.which("amtool")
    assert amtool, "amtool missing: the Debian package prometheus-alertmanager brings it"
    r = subprocess.run([amtool, "check-config", str(am.config)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "--web.listen-address=127.0.0.1:19993" in am.argv() and "--cluster.listen-address=" in am.argv()
