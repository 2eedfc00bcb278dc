"""rednote_dagster: a Dagster data-asset platform for studying the 2025 TikTok-to-RedNote migration."""

__version__ = "0.1.0"
