"""Statistics, comparisons, summaries and figures computed from a run's records."""
