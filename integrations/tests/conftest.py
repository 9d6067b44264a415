from tests.fakes.fixtures import fake_deepgram, fake_openai, fake_realtime, fake_twilio  # noqa: F401
