"""ASGI entry point: Django over HTTP, Channels for the Twilio Media Streams WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from voice.engines import engines_preload  # noqa: E402
from voice.routing import websocket_urlpatterns  # noqa: E402

engines_preload()  # before the first call, not inside its webhook

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": URLRouter(websocket_urlpatterns)})
