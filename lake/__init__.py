"""lake package."""
