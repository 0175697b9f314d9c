"""Serasa-like bureau domain: score history per customer (bronze -> silver)."""
