"""Serasa-like credit bureau score API: sandbox and client."""
