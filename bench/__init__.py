"""Benchmarks (`make bench`): speed goals are measured here, never in timed tests."""
