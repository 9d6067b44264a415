"""The realtime engine (OpenAI Realtime speech-to-speech, µ-law in and out); see engine.py."""

from voice.engines.realtime.engine import RealtimeEngine

__all__ = ["RealtimeEngine"]
