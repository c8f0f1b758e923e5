"""ASGI entry point (Channels): HTTP through Django, WebSockets to the chat consumer.

Served by uvicorn for the ws-chat scenario (see stack.toml).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringside.settings")
django_asgi_app = get_asgi_application()  # sets Django up before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from world.consumers import ChatConsumer  # noqa: E402

# No Origin check (AllowedHostsOriginValidator): the clients are not browsers.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/chat", ChatConsumer.as_asgi())]),
    }
)
