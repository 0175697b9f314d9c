"""Benchmarks: each module has a main() printing its figures as ratios against the peer named in its issue."""
