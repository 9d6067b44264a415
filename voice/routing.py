from django.urls import path

from voice.consumers import MediaStreamConsumer

# No AllowedHostsOriginValidator: Twilio may send no Origin header, and that validator would refuse it.
# A stream is accepted only for a call we answered, holding that call's token (see CallSession).
websocket_urlpatterns = [
    path("voice/stream/", MediaStreamConsumer.as_asgi()),
]
