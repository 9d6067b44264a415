from channels.auth import AuthMiddlewareStack
from django.urls import path

from voice.browser_calls.consumer import BrowserCallConsumer
from voice.consumers import MediaStreamConsumer
from voice.live.consumer import LiveBoardConsumer

# No AllowedHostsOriginValidator: Twilio may send no Origin header, and that validator would refuse it.
# A stream is accepted only for a call we answered, holding that call's token (see CallSession).
websocket_urlpatterns = [
    path("voice/stream/", MediaStreamConsumer.as_asgi()),
    # The browser test call: the Django session (staff with voice.place_test_call) and the Origin are
    # checked before accepting, then a test call's one-time token as above (voice.browser_calls).
    path("voice/test-call/stream/", AuthMiddlewareStack(BrowserCallConsumer.as_asgi())),
    # Staff only: the Django session identifies them; the consumer checks the Origin and permission.
    path("voice/live/", AuthMiddlewareStack(LiveBoardConsumer.as_asgi())),
]
