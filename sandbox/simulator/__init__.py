"""Seedable, vectorised simulator of the bank's world (customers, accounts, PIX, cards, loans, scores).

``generate_world(SimConfig(...))`` returns the tables of lake.domain.world_schema as polars frames;
``io.write_world`` streams them month by month to parquet under ``COFRE_HOME/world/<seed>/``.
"""

from sandbox.simulator.config import SimConfig
from sandbox.simulator.world import generate_world, iter_world

__all__ = ["SimConfig", "generate_world", "iter_world"]
