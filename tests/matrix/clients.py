"""People and the bot on a test homeserver: `MxUser` is a matrix-nio client with its own crypto store
(a founder or an official), `MatrixBot` runs the real app with its Matrix channel in this process.
Used by the tests and by bench/matrix_e2e.py."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessageFile,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
)

from bot.app import build_app
from bot.channels.matrix import MatrixChannel

from .synapse import Account, Synapse

WAIT = 15.0


class Received:
    def __init__(self, room_id: str, event: Any) -> None:
        self.room_id = room_id
        self.event = event
        self.event_id = event.event_id
        self.sender = event.sender
        content = event.source.get("content", {})
        self.msgtype = content.get("msgtype")
        self.body: str = content.get("body", "")
        self.formatted_body: str | None = content.get("formatted_body")
        self.content = content
        self.at = time.perf_counter()


class MxUser:
    """A person with a Matrix client: opens direct chats, writes, reads what arrives, joins invitations."""

    def __init__(self, hs: Synapse, account: Account, store_dir: Path) -> None:
        self.hs = hs
        self.account = account
        self.user_id = account.user_id
        self.store_dir = store_dir
        self.client: AsyncClient | None = None
        self.received: dict[str, Received] = {}
        self.order: list[str] = []
        self._arrived = asyncio.Event()
        self._task: asyncio.Task | None = None

    @classmethod
    async def create(cls, hs: Synapse, store_root: Path, localpart: str | None = None) -> "MxUser":
        localpart = localpart or f"u{uuid.uuid4().hex[:10]}"
        user = cls(hs, hs.register(localpart), store_root / localpart)
        await user.start()
        return user

    async def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(self.hs.url, self.user_id, store_path=str(self.store_dir), config=config)
        client.restore_login(self.user_id, self.account.device_id, self.account.access_token)
        client.add_event_callback(self._on_message, (RoomMessageNotice, RoomMessageText, RoomMessageFile,
                                                     RoomEncryptedFile))
        client.add_event_callback(self._on_invite, InviteMemberEvent)
        self.client = client
        if client.should_upload_keys:
            await client.keys_upload()
        await client.sync(timeout=0, full_state=True)
        self._task = asyncio.create_task(client.sync_forever(timeout=5000))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self.client is not None:
            await self.client.close()

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        if event.sender == self.user_id or event.event_id in self.received:
            return
        self.received[event.event_id] = Received(room.room_id, event)
        self.order.append(event.event_id)
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    # ------------------------------------------------------------------ rooms
    async def open_dm(self, other: str, encrypted: bool = False) -> str:
        """A direct chat with `other`, returned once `other` has joined it."""
        assert self.client is not None
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        response = await self.client.room_create(is_direct=True, invite=[other],
                                                 initial_state=state if encrypted else [])
        assert isinstance(response, RoomCreateResponse), response
        await self.wait_joined(response.room_id, other)
        return response.room_id

    async def open_group(self, others: list[str]) -> str:
        assert self.client is not None
        response = await self.client.room_create(invite=others, name="Grupp")
        assert isinstance(response, RoomCreateResponse), response
        for other in others:
            await self.wait_joined(response.room_id, other)
        return response.room_id

    async def wait_joined(self, room_id: str, other: str, timeout: float = WAIT) -> None:
        async def joined() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and other in room.users and other not in room.invited_users

        await self._until(joined, timeout, f"{other} did not join")
        room = self.client.rooms[room_id]
        if room.encrypted:
            await self.client.joined_members(room_id)
            if self.client.should_query_keys:
                await self.client.keys_query()

    async def wait_room_with(self, other: str, timeout: float = WAIT) -> str:
        """The room `other` invited this user to (joined automatically)."""
        found: list[str] = []

        async def present() -> bool:
            for room in self.client.rooms.values():
                if other in room.users and self.user_id in room.users and self.user_id not in room.invited_users:
                    found.append(room.room_id)
                    return True
            return False

        await self._until(present, timeout, f"no room with {other}")
        return found[0]

    async def _until(self, check, timeout: float, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(what)
            try:  # woken by the next message at once; room state is looked at again every 50 ms
                await asyncio.wait_for(self._arrived.wait(), 0.05)
            except asyncio.TimeoutError:
                pass

    # ------------------------------------------------------------------ messages
    async def send(self, room_id: str, text: str, mention: tuple[str, str] | None = None) -> str:
        """Send `text` (optionally with a mention pill of (user_id, name)); returns the event id."""
        assert self.client is not None
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if mention:
            user_id, name = mention
            content["body"] = f"{name}: {text}"
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = f'<a href="https://matrix.to/#/{user_id}">{name}</a>: {text}'
            content["m.mentions"] = {"user_ids": [user_id]}
        response = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return response.event_id

    async def wait_events(self, event_ids: list[str], timeout: float = WAIT) -> list[Received]:
        async def all_here() -> bool:
            return all(e in self.received for e in event_ids)

        await self._until(all_here, timeout, f"events {event_ids} did not arrive")
        return [self.received[e] for e in event_ids]

    async def wait_for(self, predicate, after: int = 0, timeout: float = WAIT) -> Received:
        """The first message (from position `after` on) for which `predicate(message)` is true."""
        result: list[Received] = []

        async def found() -> bool:
            for event_id in self.order[after:]:
                if predicate(self.received[event_id]):
                    result.append(self.received[event_id])
                    return True
            return False

        await self._until(found, timeout, "expected message did not arrive")
        return result[0]

    async def download(self, message: Received) -> bytes:
        """The file of an m.file message, decrypted when it was sent encrypted."""
        from nio.crypto import decrypt_attachment

        assert self.client is not None
        info = message.content.get("file")
        url = info["url"] if info else message.content["url"]
        response = await self.client.download(url)
        data = response.body
        if info:
            data = decrypt_attachment(data, info["key"]["k"], info["hashes"]["sha256"], info["iv"])
        return data


class MatrixBot:
    """The real app with its Matrix channel, on a fresh bot account; `restart()` keeps database and store."""

    def __init__(self, hs: Synapse, settings, clock, knowledge, account: Account | None = None) -> None:
        self.hs = hs
        self.account = account or hs.register(f"bot{uuid.uuid4().hex[:8]}", displayname="Dukat bord")
        self.settings = replace(settings, matrix_homeserver=hs.url, matrix_user_id=self.account.user_id,
                                matrix_password=self.account.password)
        self.clock = clock
        self.knowledge = knowledge
        self.app: Any = None
        self.channel: MatrixChannel | None = None

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def start(self) -> "MatrixBot":
        self.app = await build_app(self.settings, clock=self.clock, knowledge=self.knowledge)
        self.channel = MatrixChannel(self.app, sync_timeout_ms=5000)
        await self.channel.start()
        return self

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def ask(self, user: MxUser, room_id: str, text: str, **kwargs: Any) -> list[Received]:
        """`user` writes `text`; returns every message the bot sent in answer, once `user` has them."""
        if hasattr(self.clock, "advance"):
            self.clock.advance(seconds=3)  # people take time to type (keeps the flood limit out of the way)
        event_id = await user.send(room_id, text, **kwargs)
        assert self.channel is not None
        sent = await self.channel.wait_answered(event_id, WAIT)
        return await user.wait_events(sent)
