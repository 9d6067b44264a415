"""The cascade engine (Deepgram STT → OpenAI chat with tools → Deepgram TTS); see engine.py."""

from voice.engines.cascade.engine import CascadeEngine

__all__ = ["CascadeEngine"]
