"""ws-chat: each room is a Channels group; every text frame is sent to the group."""

import hashlib
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer


class ChatConsumer(AsyncWebsocketConsumer):
    group = None

    async def connect(self):
        query = parse_qs(self.scope["query_string"].decode("latin-1"))
        room = (query.get("room") or ["lobby"])[0] or "lobby"
        if len(room) > 64:
            await self.close(code=1008)
            return
        # group names are limited to ASCII [-_.a-zA-Z0-9] under 100 chars
        self.group = "chat." + hashlib.sha256(room.encode()).hexdigest()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:  # binary frames are ignored
            return
        await self.channel_layer.group_send(self.group, {"type": "chat.message", "text": text_data})

    async def chat_message(self, event):
        await self.send(text_data=event["text"])
