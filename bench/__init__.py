"""Benchmarks: `make bench` (python -m bench). Each measures its baseline in the same run."""
