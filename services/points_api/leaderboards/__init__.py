"""Leaderboards: ranks by period and scope, served from the period totals."""
