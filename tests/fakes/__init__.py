"""Local fake provider servers (Twilio REST, Deepgram STT/TTS, OpenAI chat) for tests and benchmarks."""
