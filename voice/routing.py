from channels.auth import AuthMiddlewareStack
from django.urls import path

from voice.consumers import MediaStreamConsumer
from voice.live.consumer import LiveBoardConsumer

# No AllowedHostsOriginValidator: Twilio may send no Origin header, and that validator would refuse it.
# A stream is accepted only for a call we answered, holding that call's token (see CallSession).
websocket_urlpatterns = [
    path("voice/stream/", MediaStreamConsumer.as_asgi()),
    # Staff only: the Django session identifies them; the consumer checks the Origin and permission.
    path("voice/live/", AuthMiddlewareStack(LiveBoardConsumer.as_asgi())),
]
