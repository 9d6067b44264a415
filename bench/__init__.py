"""Benchmarks that print figures (speed targets live here, never in timed unit tests)."""
