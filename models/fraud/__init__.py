"""Fraud detection: HistGradientBoosting on aggregates, on-demand and hashed categorical features."""
