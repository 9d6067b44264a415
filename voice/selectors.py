"""Reads over call records."""
