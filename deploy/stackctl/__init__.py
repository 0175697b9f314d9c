"""Orchestration of cofre's local stack of real servers (PostgreSQL, FerretDB, SeaweedFS S3).

Used by deploy/stack.py (``bash deploy/stack.sh up|down|status``); one module per server plus the
process plumbing in :mod:`stackctl.proc`.
"""
