"""Helpers for the support-assistant tests: one loaded assistant per test session (the model and the
passage vectors take seconds to build; the vectors are cached under var/test-cache/chat) and a
gateway app that uses it."""

from __future__ import annotations

import functools
from pathlib import Path

from lake.settings import load_settings
from serving.app import create_app
from serving.chat.assistant import Assistant

CACHE = Path(__file__).resolve().parents[1] / "var" / "test-cache" / "chat"


@functools.lru_cache(maxsize=1)
def shared_assistant() -> Assistant:
    """The extractive assistant (no LLM), built once per test process."""
    return Assistant.load(load_settings(), cache_dir=CACHE, llm=False)


def chat_app(settings, assistant: Assistant | None = None):
    """The gateway with the shared assistant (or ``assistant``) plugged into its services."""
    app = create_app(settings)
    app.state.services.chat_assistant = assistant or shared_assistant()
    return app
