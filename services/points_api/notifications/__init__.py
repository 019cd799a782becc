"""The per-employee notification feed."""
