"""SLOs as code: deploy/slo/slos.yaml -> Prometheus recording rules, multi-window multi-burn-rate
alerts (the Google SRE workbook, chapter 5, as Sloth generates them) and the README's SLA table.

For each objective (a gateway service's availability and latency, the pipelines' freshness):

* ``slo:sli_error:ratio_rate<W>`` for every window W the alerts use: the share of bad events
  (availability: 5xx answers; latency: non-5xx answers slower than the threshold; freshness: the
  slowest matching asset older than its limit);
* ``slo:error_budget_remaining:ratio`` over the budget window (1 = untouched, 0 = spent);
* alerts: page when the budget burns 14.4x over 1 h and 5 min, or 6x over 6 h and 30 min; ticket when
  it burns 3x over 1 d and 2 h, or 1x over 3 d and 6 h (both windows must exceed the rate: the long
  one for significance, the short one so the alert stops soon after the burn does).

``Windows.scaled`` gives the same rules with short windows for tests (the fault test runs them
against a live Prometheus that scrapes every second).

    python deploy/opsctl/slo.py rules [--out FILE]   # write the rule file (default deploy/prometheus/rules/slo.rules.yml)
    python deploy/opsctl/slo.py readme               # print the SLA table (Markdown)
    python deploy/opsctl/slo.py check                # fail when the committed rules or README drift
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SLO_FILE = REPO / "deploy" / "slo" / "slos.yaml"
RULES_FILE = REPO / "deploy" / "prometheus" / "rules" / "slo.rules.yml"
README = REPO / "README.md"
TABLE_BEGIN = "<!-- SLA table: generated from deploy/slo/slos.yaml by deploy/opsctl/slo.py; do not edit -->"
TABLE_END = "<!-- end of SLA table -->"
HTTP = "cofre_http_request_duration_seconds"
FRESHNESS = "cofre_dagster_asset_last_materialization_timestamp_seconds"


@dataclass(frozen=True)
class Objective:
    service: str
    slo: str  # availability | latency | freshness
    target: float  # percent
    description: str
    routes: str = ""
    threshold_s: float = 0.0
    assets: str = ""
    max_age_s: int = 0

    @property
    def budget(self) -> float:
        return round(1 - self.target / 100, 10)

    @property
    def labels(self) -> dict[str, str]:
        return {"slo_service": self.service, "slo": self.slo}

    def error_ratio(self, window: str) -> str:
        """PromQL: share of bad events over ``window``."""
        if self.slo == "freshness":
            return f'1 - avg_over_time(cofre:pipeline_fresh:bool{{slo_service="{self.service}"}}[{window}])'
        sel = f'route=~"{_quote(self.routes)}"'
        if self.slo == "availability":
            bad = f'sum(rate({HTTP}_count{{{sel},status_class="5xx"}}[{window}]))'
            total = f"sum(rate({HTTP}_count{{{sel}}}[{window}]))"
            return f"({bad} or vector(0)) / {total}"
        good = f'sum(rate({HTTP}_bucket{{{sel},status_class!="5xx",le="{_le(self.threshold_s)}"}}[{window}]))'
        total = f'sum(rate({HTTP}_count{{{sel},status_class!="5xx"}}[{window}]))'
        return f"1 - (({good} or vector(0)) / {total})"

    def summary(self) -> str:
        if self.slo == "availability":
            return f"{_pct(self.target)} of requests without a server error"
        if self.slo == "latency":
            return f"{_pct(self.target)} of requests answered within {_dur(self.threshold_s)}"
        return f"fresh {_pct(self.target)} of the time (every asset younger than {_dur(self.max_age_s)})"


def _quote(text: str) -> str:
    """Text inside a double-quoted PromQL string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _le(seconds: float) -> str:
    """The ``le`` label text prometheus_client writes for a bucket bound."""
    return repr(float(seconds))


def _pct(p: float) -> str:
    return f"{p:g} %"


def _dur(s: float) -> str:
    if s < 1:
        return f"{s * 1000:g} ms"
    if s < 3600:
        return f"{s:g} s"
    return f"{s / 3600:g} h"


@dataclass(frozen=True)
class Windows:
    """The alert windows (SRE workbook): page 1h/5m at 14.4x and 6h/30m at 6x, ticket 1d/2h at 3x
    and 3d/6h at 1x; ``budget`` is the error-budget window."""

    page_fast: tuple[str, str] = ("1h", "5m")
    page_slow: tuple[str, str] = ("6h", "30m")
    ticket_fast: tuple[str, str] = ("1d", "2h")
    ticket_slow: tuple[str, str] = ("3d", "6h")
    budget: str = "30d"
    interval: str = "30s"  # rule evaluation interval
    alert_for: str = "0s"

    @classmethod
    def scaled(cls) -> Windows:
        """Seconds-long windows for tests against a live Prometheus scraping every second."""
        return cls(("40s", "10s"), ("2m", "20s"), ("4m", "40s"), ("8m", "2m"), "10m", "1s", "0s")

    def all(self) -> list[str]:
        ws = [*self.page_fast, *self.page_slow, *self.ticket_fast, *self.ticket_slow]
        return sorted(set(ws), key=_seconds)

    def alerts(self) -> list[tuple[str, str, str, float]]:
        """(severity, long window, short window, burn rate)."""
        return [
            ("page", *self.page_fast, 14.4),
            ("page", *self.page_slow, 6.0),
            ("ticket", *self.ticket_fast, 3.0),
            ("ticket", *self.ticket_slow, 1.0),
        ]


def _seconds(w: str) -> int:
    m = re.fullmatch(r"(\d+)([smhdw])", w)
    if not m:
        raise ValueError(f"bad window {w!r}")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]


def load(path: Path = SLO_FILE) -> tuple[str, list[Objective]]:
    doc = yaml.safe_load(path.read_text())
    out = []
    for name, svc in doc["services"].items():
        out.append(
            Objective(name, "availability", float(svc["availability"]), svc["description"], svc["routes"])
        )
        lat = svc.get("latency")
        if lat:
            out.append(
                Objective(
                    name,
                    "latency",
                    float(lat["percent"]),
                    svc["description"],
                    svc["routes"],
                    threshold_s=float(lat["threshold_s"]),
                )
            )
    for name, p in (doc.get("pipelines") or {}).items():
        out.append(
            Objective(
                f"pipelines_{name}",
                "freshness",
                float(p["target"]),
                p["description"],
                assets=p["assets"],
                max_age_s=int(p["max_age_s"]),
            )
        )
    for o in out:
        if not 0 < o.target < 100:
            raise ValueError(f"{o.service}/{o.slo}: target {o.target} must be a percentage in (0, 100)")
    return doc.get("window", "30d"), out


def _rule_name(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def rules(objectives: list[Objective], windows: Windows | None = None) -> dict:
    """The Prometheus rule file (as a dict; yaml.safe_dump writes it)."""
    w = windows or Windows()
    groups = []
    fresh = [o for o in objectives if o.slo == "freshness"]
    if fresh:
        groups.append(
            {
                "name": "slo-pipelines-freshness",
                "interval": w.interval,
                "rules": [
                    {
                        "record": "cofre:pipeline_fresh:bool",
                        # 1 while the oldest matching asset is within its limit; 0 when it is
                        # older, or when no asset reports at all (a pipeline that never ran)
                        "expr": (
                            f'((time() - min({FRESHNESS}{{asset=~"{_quote(o.assets)}"}})) < bool {o.max_age_s}) '
                            "or vector(0)"
                        ),
                        "labels": {"slo_service": o.service},
                    }
                    for o in fresh
                ],
            }
        )
    for o in objectives:
        recs = [
            {"record": _rule_name(win), "expr": o.error_ratio(win), "labels": o.labels} for win in w.all()
        ]
        sel = f'slo_service="{o.service}", slo="{o.slo}"'
        recs.append(
            {
                "record": "slo:error_budget_remaining:ratio",
                "expr": (
                    f"1 - (avg_over_time({_rule_name(w.all()[0])}{{{sel}}}[{w.budget}]) / {o.budget:g})"
                ),
                "labels": o.labels,
            }
        )
        recs.append(
            {"record": "slo:objective:ratio", "expr": f"vector({o.target / 100:g})", "labels": o.labels}
        )
        alerts = []
        for severity, long_w, short_w, burn in w.alerts():
            threshold = f"({burn:g} * {o.budget:g})"
            name = f"SLOBurnRate{_camel(o.service)}{o.slo.capitalize()}"
            alerts.append(
                {
                    "alert": name,
                    "expr": (
                        f"{_rule_name(long_w)}{{{sel}}} > {threshold} "
                        f"and {_rule_name(short_w)}{{{sel}}} > {threshold}"
                    ),
                    "for": w.alert_for,
                    "labels": {
                        "severity": severity,
                        "slo_service": o.service,
                        "slo": o.slo,
                        "burn_window": f"{long_w}/{short_w}",
                    },
                    "annotations": {
                        "summary": f"{o.service} {o.slo}: error budget burning {burn:g}x ({long_w} and {short_w})",
                        "description": (
                            f"Objective: {o.summary()} over {w.budget}. At this rate the budget of "
                            f"{o.budget * 100:g} % is spent in {_dur(_seconds(w.budget) / burn)}."
                        ),
                    },
                }
            )
        groups.append({"name": f"slo-{o.service}-{o.slo}", "interval": w.interval, "rules": recs + alerts})
    return {"groups": groups}


def _camel(s: str) -> str:
    return "".join(part.capitalize() for part in s.split("_"))


def render_rules(objectives: list[Objective], windows: Windows | None = None) -> str:
    head = "# generated by deploy/opsctl/slo.py from deploy/slo/slos.yaml: do not edit\n"
    return head + yaml.safe_dump(rules(objectives, windows), sort_keys=False, width=200)


def readme_table(window: str, objectives: list[Objective]) -> str:
    lines = [
        TABLE_BEGIN,
        "",
        f"| service | what | availability | latency objective | error budget ({window}) |",
        "|---|---|---|---|---|",
    ]
    by_service: dict[str, dict[str, Objective]] = {}
    for o in objectives:
        by_service.setdefault(o.service, {})[o.slo] = o
    minutes = _seconds(window) / 60
    for name, slos in by_service.items():
        if "freshness" in slos:
            f = slos["freshness"]
            lines.append(
                f"| {name} | {f.description} | freshness {_pct(f.target)} of the time | "
                f"every asset younger than {_dur(f.max_age_s)} | {f.budget * minutes:.0f} min stale |"
            )
            continue
        a, lat = slos["availability"], slos.get("latency")
        latency = f"{_pct(lat.target)} within {_dur(lat.threshold_s)}" if lat else "-"
        lines.append(
            f"| {name} | {a.description} | {_pct(a.target)} | {latency} | "
            f"{a.budget * minutes:.1f} min of errors |"
        )
    lines += ["", TABLE_END]
    return "\n".join(lines)


def readme_drift(readme: str, table: str) -> bool:
    if TABLE_BEGIN not in readme or TABLE_END not in readme:
        return True
    start = readme.index(TABLE_BEGIN)
    end = readme.index(TABLE_END) + len(TABLE_END)
    return readme[start:end] != table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("rules", "readme", "check"))
    p.add_argument("--out", type=Path, default=RULES_FILE)
    p.add_argument("--test-windows", action="store_true", help="short windows (tests)")
    args = p.parse_args(argv)
    window, objectives = load()
    windows = Windows.scaled() if args.test_windows else Windows(budget=window)
    if args.command == "rules":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_rules(objectives, windows))
        print(f"wrote {args.out}")
        if args.out == RULES_FILE and not args.test_windows:  # the Helm chart ships a copy
            chart_copy = RULES_FILE.parents[2] / "helm" / "cofre" / "files" / "rules" / RULES_FILE.name
            chart_copy.write_bytes(RULES_FILE.read_bytes())
            print(f"wrote {chart_copy}")
        return 0
    if args.command == "readme":
        print(readme_table(window, objectives))
        return 0
    problems = []
    if not RULES_FILE.exists() or RULES_FILE.read_text() != render_rules(objectives, Windows(budget=window)):
        problems.append(f"{RULES_FILE} differs from the generator: run `python deploy/opsctl/slo.py rules`")
    if readme_drift(README.read_text(), readme_table(window, objectives)):
        problems.append("README SLA table differs: paste `python deploy/opsctl/slo.py readme` into README.md")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
