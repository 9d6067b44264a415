"""Alerts to the shop's people (urgent and safety callbacks, the receptionist failing): see services."""
