"""Fake provider servers for the engine-independent call helpers' tests."""

from tests.fakes.fixtures import fake_deepgram, fake_openai, fake_twilio  # noqa: F401
