"""Shared pipeline helpers: bronze framing, quarantine writing, incremental reads, time conventions."""
