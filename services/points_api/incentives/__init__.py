"""Dynamic incentives: streak qualification for streak multiplier rules."""
