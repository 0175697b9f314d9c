"""Routers of the gateway, one module per service; each module also exposes ``create_app`` to run
that service alone (``uvicorn --factory serving.api.<name>:create_app``)."""
