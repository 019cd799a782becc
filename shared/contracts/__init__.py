"""Wire contracts between services. Changed only by adding fields."""
