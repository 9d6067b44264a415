"""Fixtures for cross-app tests: the fake provider servers (see tests/fakes/)."""

from tests.fakes.fixtures import fake_deepgram, fake_openai, fake_realtime, fake_twilio  # noqa: F401
