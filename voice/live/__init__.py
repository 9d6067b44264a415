"""Live calls for the back office: which calls are in progress in any web process (registry), what
happens on them as it happens (publish), and the staff board that shows them (consumer)."""
