"""Running scenarios: replications in workers, result directories, comparisons, calibration."""
