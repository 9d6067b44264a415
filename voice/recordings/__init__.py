"""Call recordings: started on the live call, copied to the shop's storage, played in the admin, expired.

live.py (the session's side), consent.py (what the caller said about it), services.py (the records),
store.py (copying and deleting the audio), tasks.py (Celery), ranges.py and views.py (the player).
"""
