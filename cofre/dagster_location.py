"""The Dagster code location that ``workspace.yaml`` loads for ``cofre dagster dev``: the pipelines'
definitions (pipelines.definitions) with the embedded profile's in-process sandboxes installed
(cofre.embedded) for the external systems that have no URL configured. A deployment whose systems all
have URLs (deploy/helm) loads ``pipelines.definitions`` itself, without the stand-ins."""

from __future__ import annotations

from cofre import embedded
from pipelines import definitions

embedded.install_sandboxes()
defs = definitions.defs
