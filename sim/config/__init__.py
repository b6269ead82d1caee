"""Scenario configuration: the schema, stage-time distributions, and loading files."""
