import ssl

from integrations.tls import client_tls_context, tls_for


def test_provider_connections_verify_certificates_with_one_shared_context():
    context = tls_for("wss://api.deepgram.com/v1/listen")

    assert context is tls_for("https://api.openai.com/v1") is client_tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_plain_local_urls_get_no_tls():
    assert tls_for("ws://127.0.0.1:8765") is None
    assert tls_for("http://127.0.0.1:8765/v1") is None
