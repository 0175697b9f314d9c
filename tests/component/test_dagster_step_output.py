"""What a step prints (Feast banners, MLflow registry messages, trainers' ``[cofre]`` lines) stays off the
console of a named-job run: it goes to the run's log file; the console gets one progress line per asset."""

import sys

import dagster as dg

from pipelines.common.output import to_step_log
from pipelines.run import RunReport, run_job


@dg.asset(key=dg.AssetKey(["models", "noisy"]), description="prints like Feast and MLflow do")
def noisy(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    with to_step_log(context):
        print("Materializing \x1b[1m\x1b[32m1\x1b[0m feature views into the sqlite online store.")
        print("Successfully registered model 'credit'.", file=sys.stderr)
        print("[cofre] credit: fitting on 619 rows", file=sys.stderr)
    return dg.MaterializeResult(metadata={"dagster/row_count": 7, "metric/auc": 0.75})


def test_step_output_goes_to_the_log_file_not_the_console(tmp_path, capfd):
    defs = dg.Definitions(assets=[noisy], jobs=[dg.define_asset_job("noisy_job", selection=[noisy])])
    echoed: list[str] = []
    report, log = RunReport(), tmp_path / "run.log"
    instance = dg.DagsterInstance.ephemeral()
    assert run_job("noisy_job", report=report, echo=echoed.append, instance=instance, defs=defs, log_file=log)
    out, err = capfd.readouterr()
    assert "Materializing" not in out + err and "Successfully registered" not in out + err
    text = log.read_text()
    assert "Materializing 1 feature views" in text  # ANSI colours stripped
    assert "Successfully registered model 'credit'." in text and "credit: fitting on 619 rows" in text
    (line,) = [m for m in echoed if "models/noisy" in m]
    assert "7 rows" in line and "auc=0.750" in line
    assert report.assets["models/noisy"].rows == 7
    assert instance.get_runs()[0].job_name == "noisy_job"
