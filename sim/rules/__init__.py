"""Law and policy as pure decisions: which channel, legal review, levers (no SimPy, no pandas)."""
