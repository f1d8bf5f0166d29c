"""Routing configuration: typed model, loading, validation and the JSON Schema."""

from router.config.issues import ConfigIssue, format_issue
from router.config.load import ConfigError, load_config, validate_config_file

__all__ = ["ConfigError", "ConfigIssue", "format_issue", "load_config", "validate_config_file"]
