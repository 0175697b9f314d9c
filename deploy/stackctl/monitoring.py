"""Monitoring of the local stack: Prometheus and Alertmanager (Debian packages ``prometheus`` and
``prometheus-alertmanager``, installed with apt-get when missing) and the alert webhook receiver
(deploy/opsctl/webhook.py), all on 127.0.0.1 with config and data under ``$COFRE_HOME/stack``.

Prometheus scrapes the gateway, the pipelines exporter, the sandboxes, Alertmanager and itself, and
loads the generated rule files of ``deploy/prometheus/rules``; Alertmanager sends every alert to the
webhook, which appends it to ``alertmanager/alerts.jsonl``. ``Timing.fast()`` is the tests' timing
(1 s scrapes and rule evaluation, 1 s alert grouping).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # nosec B404
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from .base import DetachedServer
from .proc import StackError

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
DEBIAN = {"prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager"}


def ensure_debian(program: str) -> str:
    """The path of ``program``, installing its Debian package with apt-get if it is missing."""
    found = shutil.which(program)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"{program} missing: install the Debian package {DEBIAN[program]}")
    print(f"  {program}: installing {DEBIAN[program]} with apt-get (binary missing)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", DEBIAN[program]]):
        if subprocess.run(argv, env=env).returncode != 0:  # nosec B603 # fixed argv
            raise StackError(f"{program}: `{' '.join(argv)}` failed")
    found = shutil.which(program)
    if not found:
        raise StackError(f"{program}: installed {DEBIAN[program]} but it is still not on PATH")
    return found


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # nosec B310 # loopback http URL we build
        if r.status != 200:
            raise ConnectionError(f"{url}: HTTP {r.status}")
        return r.read()


@dataclass(frozen=True)
class Timing:
    scrape: str = "15s"
    evaluation: str = "15s"
    group_wait: str = "10s"
    group_interval: str = "1m"
    repeat_interval: str = "4h"

    @classmethod
    def fast(cls) -> Timing:
        return cls("1s", "1s", "1s", "1s", "1m")


@dataclass(frozen=True)
class Targets:
    gateway: tuple[str, ...] = ("127.0.0.1:8000",)
    exporter: tuple[str, ...] = ("127.0.0.1:9464",)
    sandboxes: tuple[str, ...] = ()


class AlertWebhook(DetachedServer):
    name = "webhook"
    program = "webhook.py"

    def __init__(self, stack_dir: Path, port: int):
        super().__init__(stack_dir / "run")
        self.port = port
        self.data = stack_dir / "alertmanager"
        self.out = self.data / "alerts.jsonl"
        self.log = stack_dir / "logs" / "webhook.log"

    def marker(self) -> str:
        return str(self.out)

    def argv(self) -> list[str]:
        script = REPO / "deploy" / "opsctl" / "webhook.py"
        return [sys.executable, str(script), "--port", str(self.port), "--out", str(self.out)]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check(self) -> None:
        _get(self.url() + "/health")

    def alerts(self) -> list[dict]:
        return json.loads(_get(self.url() + "/alerts"))


class Alertmanager(DetachedServer):
    name = "alertmanager"
    program = "alertmanager"

    def __init__(self, stack_dir: Path, port: int, webhook_url: str, timing: Timing = Timing()):
        super().__init__(stack_dir / "run")
        self.port = port
        self.data = stack_dir / "alertmanager" / "data"
        self.config = stack_dir / "alertmanager" / "alertmanager.yml"
        self.log = stack_dir / "logs" / "alertmanager.log"
        self.webhook_url = webhook_url
        self.timing = timing

    def marker(self) -> str:
        return f"--storage.path={self.data}"

    def prepare(self) -> None:
        self.exe = ensure_debian("prometheus-alertmanager")
        t = self.timing
        config = {
            "route": {
                "receiver": "webhook",
                "group_by": ["alertname", "slo_service", "slo", "severity"],
                "group_wait": t.group_wait,
                "group_interval": t.group_interval,
                "repeat_interval": t.repeat_interval,
            },
            "receivers": [
                {"name": "webhook", "webhook_configs": [{"url": self.webhook_url, "send_resolved": True}]}
            ],
        }
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(yaml.safe_dump(config, sort_keys=False))

    def argv(self) -> list[str]:
        return [
            getattr(self, "exe", None) or ensure_debian("prometheus-alertmanager"),
            f"--config.file={self.config}",
            f"--storage.path={self.data}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check(self) -> None:
        _get(self.url() + "/-/ready")


class Prometheus(DetachedServer):
    name = "prometheus"
    program = "prometheus"

    def __init__(
        self,
        stack_dir: Path,
        port: int,
        alertmanager: str,
        targets: Targets = Targets(),
        rule_files: tuple[Path, ...] | None = None,
        timing: Timing = Timing(),
    ):
        super().__init__(stack_dir / "run")
        self.port = port
        self.base = stack_dir / "prometheus"
        self.data = self.base / "data"
        self.config = self.base / "prometheus.yml"
        self.log = stack_dir / "logs" / "prometheus.log"
        self.alertmanager = alertmanager
        self.targets = targets
        self.rule_files = rule_files if rule_files is not None else tuple(sorted(RULES_DIR.glob("*.yml")))
        self.timing = timing

    def marker(self) -> str:
        return f"--storage.tsdb.path={self.data}"

    def config_dict(self) -> dict:
        t = self.targets

        def job(name: str, targets: tuple[str, ...]) -> dict:
            return {"job_name": name, "static_configs": [{"targets": list(targets)}]}

        jobs = [job("prometheus", (f"127.0.0.1:{self.port}",)), job("alertmanager", (self.alertmanager,))]
        jobs += [
            job(n, ts)
            for n, ts in (("gateway", t.gateway), ("exporter", t.exporter), ("sandboxes", t.sandboxes))
            if ts
        ]
        return {
            "global": {"scrape_interval": self.timing.scrape, "evaluation_interval": self.timing.evaluation},
            "rule_files": [str(p) for p in self.rule_files],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [self.alertmanager]}]}]},
            "scrape_configs": jobs,
        }

    def prepare(self) -> None:
        self.exe = ensure_debian("prometheus")
        self.base.mkdir(parents=True, exist_ok=True)
        self.config.write_text(yaml.safe_dump(self.config_dict(), sort_keys=False))
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run(
                [promtool, "check", "config", str(self.config)], capture_output=True, text=True
            )  # nosec B603
            if r.returncode != 0:
                raise StackError(f"prometheus: invalid config {self.config}:\n{r.stdout}{r.stderr}")

    def argv(self) -> list[str]:
        return [
            getattr(self, "exe", None) or ensure_debian("prometheus"),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=15d",
        ]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check(self) -> None:
        _get(self.url() + "/-/ready")
        if self.rule_files:
            groups = json.loads(_get(self.url() + "/api/v1/rules"))["data"]["groups"]
            if not groups:
                raise ConnectionError("rules not loaded yet")

    def query(self, promql: str) -> list[dict]:
        import urllib.parse

        url = self.url() + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        body = json.loads(_get(url, timeout=10))
        if body.get("status") != "success":
            raise ValueError(f"{promql}: {body}")
        return body["data"]["result"]
