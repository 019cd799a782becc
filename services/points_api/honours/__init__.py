"""Periodic honours: the monthly TOP 10 and the yearly top 10%."""
