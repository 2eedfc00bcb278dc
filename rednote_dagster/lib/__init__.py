"""Dagster-free science and parsing code. Nothing in here imports dagster."""
