"""The browser test call: staff talk to the receptionist from the admin (`/admin/voice/call/test-call/`).

The page speaks Twilio Media Streams over `/voice/test-call/stream/`, so the engines and the playout
clock are those of a phone call; only the telephony differs (transfers, hang-ups and texts are shown
on the page). Test calls and what they book are marked `is_test`.
"""
