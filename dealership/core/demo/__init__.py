"""Demo data for a fresh install (`seed_demo`) and the first admin login (`ensure_admin`)."""
