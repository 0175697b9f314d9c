"""Serasa assets: bronze score pull per customer over HTTP, silver.bureau_scores."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.bronze import BronzeBatch
from pipelines.common.metadata import delta_metadata
from pipelines.common.parallel import run_pool
from pipelines.common.writes import table_key, write_bronze
from pipelines.resources import LakeResource, SerasaResource, WorldResource
from pipelines.serasa import transforms as t
from pipelines.serasa.pull import pull_score


@asset(key=table_key("bronze.serasa_scores"), group_name="serasa", kinds={"delta", "http"})
def serasa_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource, serasa: SerasaResource
) -> MaterializeResult:
    """Score history of every customer, one bronze row per consultation as received."""
    cpfs = world.load()["customers"].get_column("cpf").to_list()
    batch, errors = BronzeBatch("bronze.serasa_scores", "serasa"), []
    run_pool(
        cpfs,
        serasa.client,
        lambda c, cpf: pull_score(c, cpf, batch, errors),
        threads=serasa.threads,
        concurrency=serasa.concurrency,
    )
    s = lake.settings()
    n = write_bronze("bronze.serasa_scores", batch.frame(), s)
    return MaterializeResult(
        metadata={
            "pulled": len(batch.rows),
            "inserted": n,
            "not_found": len(errors),
            **delta_metadata("bronze.serasa_scores", s),
        }
    )


@asset(
    key=table_key("silver.bureau_scores"),
    group_name="serasa",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key("bronze.serasa_scores"))],
)
def silver_bureau_scores(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.bureau_scores",
        ["bronze.serasa_scores"],
        lambda: t.silver_bureau_scores(full("bronze.serasa_scores", s), now(), lake.pseudonym_key()),
    )
