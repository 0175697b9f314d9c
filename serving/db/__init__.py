"""Relational store of the gateway: SQLAlchemy 2.x models and the engine/session factory."""
