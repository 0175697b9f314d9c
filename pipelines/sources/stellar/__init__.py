"""Stellar: a tiny Horizon sandbox (sandbox.py) and a retrying submit client (client.py)."""
