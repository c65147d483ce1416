"""FakeDiscord: a local stand-in for Discord's REST API and gateway that the real discord.py client talks to."""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yarl
from aiohttp import web

from tests.loopback import serve_on_loopback

from . import rest
from .gateway import Connection, Session, websocket_handler
from .models import (
    ADMINISTRATOR,
    BOT_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    FLAG_EPHEMERAL,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    MANAGE_GUILD,
    PRIVILEGED_INTENTS,
    ROLE_MENTION,
    USER_MENTION,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    StoredMessage,
    iso_now,
    snowflake,
)

MessagePredicate = Callable[[dict[str, Any]], bool]


class RecordedRequest(tuple):
    """One REST request the client made: unpacks as (method, path, json); also has .query, .files, .status."""

    def __new__(cls, method: str, path: str, json: Any, query: dict[str, str], files: list[dict[str, Any]]):
        self = super().__new__(cls, (method, path, json))
        self.query = query
        self.files = files
        self.status: int | None = None
        return self

    @property
    def method(self) -> str:
        return self[0]

    @property
    def path(self) -> str:
        return self[1]

    @property
    def json(self) -> Any:
        return self[2]


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: Any
    retry_after: float | None
    times: int


@dataclass(eq=False)
class FakeInteraction:
    """An interaction the fake sent to the client, with everything the client answered."""

    id: int
    token: str
    type: int  # 2 application command, 3 component, 4 autocomplete, 5 modal submit
    guild: FakeGuild | None
    channel: FakeChannel
    user: FakeUser
    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # bodies POSTed to /callback, in order
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    responded: asyncio.Event = field(default_factory=asyncio.Event)
    deferred: bool = False
    created_at: float = field(default_factory=time.monotonic)

    @property
    def data(self) -> dict[str, Any]:
        return self.payload["data"]

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    async def wait_response(self, timeout: float = 10) -> dict[str, Any]:
        """Wait for the interaction's callback (defer, message, modal, autocomplete result); return its body."""
        await asyncio.wait_for(self.responded.wait(), timeout)
        return self.callbacks[0]


def _id(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    if isinstance(obj, str):
        return int(obj)
    if isinstance(obj, dict):
        return int(obj["id"])
    return int(obj.id)


class _Running:
    def __init__(self, fake: FakeDiscord, client: Any, timeout: float) -> None:
        self.fake, self.client, self.timeout = fake, client, timeout
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Any:
        self.task = asyncio.create_task(self.client.start(self.fake.token))
        ready = asyncio.create_task(self.fake.wait_ready(timeout=self.timeout))
        done, _ = await asyncio.wait({ready, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:  # the client stopped before READY: surface its error
            ready.cancel()
            try:
                self.task.result()
            finally:
                await self.client.close()
            raise RuntimeError("the client stopped before it was ready")
        try:
            await ready
        except BaseException:
            await self.__aexit__()
            raise
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        assert self.task is not None
        try:
            await asyncio.wait_for(self.task, self.timeout)
        except asyncio.CancelledError:
            pass


class FakeDiscord:
    """REST under /api/v10 and a websocket gateway on 127.0.0.1; see tests/fakediscord/README.md."""

    def __init__(
        self,
        *,
        bot_name: str = "Briefbot",
        token: str | None = None,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        ack_timeout: float | None = 3.0,
        token_lifetime: float = 15 * 60,
        followup_edits_deferred: bool = True,
    ) -> None:
        self.application_id = snowflake()
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.token = token or f"fake.{secrets.token_urlsafe(24)}"
        self.allowed_privileged_intents = allowed_privileged_intents
        self.ack_timeout = ack_timeout  # an interaction must be acknowledged within this many seconds
        self.token_lifetime = token_lifetime  # follow-ups and edits work for this long
        self.followup_edits_deferred = followup_edits_deferred
        self.dm_recipients: dict[int, list[int]] = {}
        self.application_flags = (1 << 19) | (1 << 15)  # message content + members intents (limited) allowed
        self.owner = FakeUser(snowflake(), "app-owner")
        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user, self.owner.id: self.owner}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None = global) -> definitions
        self.interactions: dict[int, FakeInteraction] = {}
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.gateway_log: list[dict[str, Any]] = []  # every payload the client sent on the gateway
        self.reactions: list[tuple[str, int, int, str]] = []  # (method, channel id, message id, emoji)
        self.presence: Any = None
        self.sessions: list[Session] = []
        self.connections: list[Connection] = []
        self.connect_count = 0
        self.gateway_compression: list[str | None] = []  # transport compression used by each connection
        self.resume_count = 0
        self._invalidate_next_resume = False
        self._messages: dict[int, StoredMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, int, str], int] = {}
        self._failures: list[Failure] = []
        self._message_waiters: list[tuple[int | None, MessagePredicate, bool, asyncio.Future[dict[str, Any]]]] = []
        self._changed = asyncio.Event()
        self._commands_changed = asyncio.Event()
        self.command_sync_timeout = 5.0  # invoke_slash waits this long for a command the client has not synced yet
        self._runner: web.AppRunner | None = None
        self._saved: list[tuple[Any, str, Any]] = []
        self._attachments: dict[int, bytes] = {}
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        import discord.gateway
        import discord.http

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._ws_or_root)
        app.router.add_get("/gateway/", self._ws_or_root)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{aid}/{filename}", self._attachment)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.port = await serve_on_loopback(self._runner)
        self._patch(discord.http.Route, "BASE", self.base_url)
        self._patch(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url))

    def _patch(self, obj: Any, name: str, value: Any) -> None:
        self._saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    async def close(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for obj, name, value in reversed(self._saved):
            setattr(obj, name, value)
        self._saved.clear()
        for *_, fut in self._message_waiters:
            if not fut.done():
                fut.cancel()

    async def _ws_or_root(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await websocket_handler(self, request)
        return web.Response(text="fakediscord")

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        return await rest.handle(self, request)

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self._attachments.get(int(request.match_info["aid"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # ------------------------------------------------------------------ world building

    def add_user(self, name: str, *, bot: bool = False) -> FakeUser:
        user = FakeUser(snowflake(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str = "Test guild") -> FakeGuild:
        """A server the bot is in (a connected client gets GUILD_CREATE with unavailable=false)."""
        return self._new_guild(name, joined=False)

    def join_guild(self, name: str = "New guild") -> FakeGuild:
        """The bot is added to a new server while connected: GUILD_CREATE without `unavailable`, as Discord
        sends on a join, so discord.py dispatches on_guild_join (add_guild gives on_guild_available)."""
        return self._new_guild(name, joined=True)

    def _new_guild(self, name: str, *, joined: bool) -> FakeGuild:
        gid = snowflake()
        guild = FakeGuild(gid, name, owner_id=self.owner.id)
        guild.roles[gid] = FakeRole(gid, "@everyone", EVERYONE_PERMISSIONS, position=0)
        bot_role = FakeRole(snowflake(), self.bot_user.name, BOT_PERMISSIONS, position=1, managed=True)
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, roles=[bot_role.id])
        self.guilds[gid] = guild

        def payload(sess: Session) -> dict[str, Any]:
            data = self.guild_create_payload(sess, guild)
            if joined:
                data.pop("unavailable", None)
            return data

        self._dispatch("GUILD_CREATE", None, payload, INTENT_GUILDS)
        return guild

    def add_role(self, guild: FakeGuild | int, name: str, permissions: int = 0) -> FakeRole:
        g = self.guilds[_id(guild)]
        role = FakeRole(snowflake(), name, permissions, position=len(g.roles))
        g.roles[role.id] = role
        self._dispatch("GUILD_ROLE_CREATE", None, lambda s: {"guild_id": str(g.id), "role": role.payload()}, INTENT_GUILDS)
        return role

    def add_channel(self, guild: FakeGuild | int, name: str, *, topic: str | None = None) -> FakeChannel:
        g = self.guilds[_id(guild)]
        chan = FakeChannel(snowflake(), g.id, name, type=0, position=len(g.channels), topic=topic)
        g.channels[chan.id] = chan
        self.channels[chan.id] = chan
        self._channel_messages[chan.id] = []
        self._dispatch("CHANNEL_CREATE", None, lambda s: chan.payload(), INTENT_GUILDS)
        return chan

    def add_member(
        self,
        guild: FakeGuild | int,
        name: str,
        *,
        manage_guild: bool = False,
        administrator: bool = False,
        permissions: int = 0,
        roles: list[FakeRole] | None = None,
        bot: bool = False,
        user: FakeUser | None = None,
    ) -> FakeUser:
        """Add a member (a new user unless `user` is given). manage_guild=True grants Manage Server via a role."""
        g = self.guilds[_id(guild)]
        user = user or self.add_user(name, bot=bot)
        role_ids = [r.id for r in roles or []]
        if manage_guild:
            role_ids.append(self._role_with(g, "Server managers", MANAGE_GUILD).id)
        if administrator:
            role_ids.append(self._role_with(g, "Admins", ADMINISTRATOR).id)
        if permissions:
            role_ids.append(self.add_role(g, f"{name}-perms", permissions).id)
        member = FakeMember(user, roles=role_ids)
        g.members[user.id] = member
        self._dispatch(
            "GUILD_MEMBER_ADD", None, lambda s: member.payload() | {"guild_id": str(g.id)}, INTENT_GUILD_MEMBERS
        )
        return user

    def _role_with(self, g: FakeGuild, name: str, perms: int) -> FakeRole:
        for role in g.roles.values():
            if role.name == name and role.permissions == perms:
                return role
        return self.add_role(g, name, perms)

    def dm_channel(self, user: FakeUser | int) -> FakeChannel:
        """The DM channel between the bot and `user` (created on first use)."""
        uid = _id(user)
        for cid, users in self.dm_recipients.items():
            if users == [uid]:
                return self.channels[cid]
        chan = FakeChannel(snowflake(), None, "", type=1)
        self.channels[chan.id] = chan
        self._channel_messages[chan.id] = []
        self.dm_recipients[chan.id] = [uid]
        return chan

    def create_thread(
        self, parent_id: int, name: str, *, thread_id: int | None = None, type_: int = 11
    ) -> FakeChannel:
        parent = self.channels[parent_id]
        g = self.guilds[parent.guild_id or 0]
        thread = FakeChannel(
            thread_id or snowflake(), g.id, name, type=type_, parent_id=parent.id, owner_id=self.bot_user.id
        )
        g.channels[thread.id] = thread
        self.channels[thread.id] = thread
        self._channel_messages[thread.id] = []
        self._dispatch("THREAD_CREATE", None, lambda s: thread.payload() | {"newly_created": True}, INTENT_GUILDS)
        return thread

    def interaction_by_token(self, token: str) -> FakeInteraction | None:
        for inter in self.interactions.values():
            if inter.token == token:
                return inter
        return None

    def interaction_expired(self, inter: FakeInteraction, *, ack: bool) -> bool:
        age = time.monotonic() - inter.created_at
        if ack:
            return self.ack_timeout is not None and age > self.ack_timeout
        return age > self.token_lifetime

    def permissions(self, guild: FakeGuild | int, user: FakeUser | int) -> int:
        """The member's permission bitfield (guild level: @everyone + roles; no channel overwrites)."""
        return self.guilds[_id(guild)].base_permissions(_id(user))

    # ------------------------------------------------------------------ gateway

    def _gateway_changed(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _dispatch(
        self,
        event: str,
        data: dict[str, Any] | None,
        build: Callable[[Session], dict[str, Any] | None] | None = None,
        intent: int = 0,
    ) -> None:
        """Send an event to every session whose intents cover it (sessions that are down buffer it for RESUME)."""
        for sess in self.sessions:
            if sess.invalid or not sess.ready:
                continue
            if intent and not sess.intents & intent:
                continue
            payload = build(sess) if build is not None else data
            if payload is not None:
                sess.dispatch(event, payload)

    def guild_create_payload(self, sess: Session, guild: FakeGuild) -> dict[str, Any]:
        return guild.create_payload(all_members=bool(sess.intents & INTENT_GUILD_MEMBERS), bot_id=self.bot_user.id)

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.live and s.ready]

    async def wait_ready(self, timeout: float = 15) -> None:
        """Wait until a client has IDENTIFYed, got READY and every GUILD_CREATE, and processed them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for sess in reversed(self.live_sessions()):
                try:
                    await sess.barrier(max(0.1, deadline - loop.time()))
                    return
                except (ConnectionError, asyncio.TimeoutError):
                    continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError("no client became ready on the fake gateway")
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except asyncio.TimeoutError:
                pass

    def running(self, client: Any, *, timeout: float = 15) -> _Running:
        """`async with fake.running(bot):` starts bot.start(fake.token), waits for wait_ready() (raising the
        client's own error if it dies first), and on exit closes the client and awaits its task."""
        return _Running(self, client, timeout)

    async def sync(self, timeout: float = 10) -> None:
        """Return once every connected client has processed every event sent so far."""
        for sess in self.live_sessions():
            await sess.barrier(timeout)

    async def disconnect_gateway(self, code: int = 4000, *, resume: bool = True) -> None:
        """Drop every gateway connection (discord.py reconnects); resume=False makes the next RESUME fail."""
        self._invalidate_next_resume = not resume
        for conn in list(self.connections):
            await conn.close(code)

    # ------------------------------------------------------------------ messages

    def _user_payload_with_member(self, guild: FakeGuild | None, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        data = user.payload()
        if guild is not None and user_id in guild.members:
            data["member"] = guild.members[user_id].payload(with_user=False)
        return data

    def compute_mentions(
        self,
        content: str,
        allowed: dict[str, Any] | None,
        guild: FakeGuild | None,
        reply_author: int | None = None,
        extra_users: list[int] = (),  # type: ignore[assignment]
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        """Who Discord would actually ping: (mentions, mention_roles, mention_everyone), given allowed_mentions."""
        if allowed is None:
            parse = {"users", "roles", "everyone"}
            users_allowed: set[str] = set()
            roles_allowed: set[str] = set()
            replied_user = True
        else:
            parse = set(allowed.get("parse") or [])
            users_allowed = {str(u) for u in allowed.get("users") or []}
            roles_allowed = {str(r) for r in allowed.get("roles") or []}
            replied_user = bool(allowed.get("replied_user", False))
        user_ids: list[int] = []
        for m in USER_MENTION.finditer(content or ""):
            if "users" in parse or m.group(1) in users_allowed:
                uid = int(m.group(1))
                if uid not in user_ids:
                    user_ids.append(uid)
        for uid in extra_users:
            if uid not in user_ids:
                user_ids.append(uid)
        if reply_author is not None and replied_user and reply_author not in user_ids:
            user_ids.append(reply_author)
        mentions = [p for p in (self._user_payload_with_member(guild, u) for u in user_ids) if p is not None]
        roles = []
        for m in ROLE_MENTION.finditer(content or ""):
            if ("roles" in parse or m.group(1) in roles_allowed) and m.group(1) not in roles:
                if guild is None or int(m.group(1)) in guild.roles:
                    roles.append(m.group(1))
        everyone = "everyone" in parse and ("@everyone" in (content or "") or "@here" in (content or ""))
        return mentions, roles, everyone

    def _store(self, msg: StoredMessage) -> None:
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        msg.snapshot()

    def build_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        body: dict[str, Any],
        *,
        type_: int = 0,
        extra_mentions: list[int] = (),  # type: ignore[assignment]
        webhook_id: int | None = None,
        interaction: FakeInteraction | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        mid = snowflake()
        ref_payload = None
        reply_author = None
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and ref.get("type", 0) == 0:
            target = self._messages.get(int(ref["message_id"]))
            ref_payload = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel.id),
                "guild_id": str(channel.guild_id) if channel.guild_id else None,
            }
            if target is not None:
                reply_author = int(target.payload["author"]["id"])
            type_ = 19 if type_ == 0 else type_
        allowed = body.get("allowed_mentions")
        mentions, roles, everyone = self.compute_mentions(
            body.get("content") or "", allowed, guild, reply_author, extra_mentions
        )
        flags = int(body.get("flags") or 0)
        payload: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "content": body.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": roles,
            "attachments": attachments or [],
            "embeds": copy.deepcopy(body.get("embeds") or []),
            "reactions": [],
            "pinned": False,
            "type": type_,
            "flags": flags,
            "components": copy.deepcopy(body.get("components") or []),
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]
        if body.get("poll") is not None:
            payload["poll"] = body["poll"]
        if ref_payload is not None:
            payload["message_reference"] = ref_payload
            target = self._messages.get(int(ref_payload["message_id"]))
            payload["referenced_message"] = (
                None if target is None or target.deleted else self._public_payload(target)
            )
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
            payload["application_id"] = str(self.application_id)
        if interaction is not None:
            payload["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": {"0": str(guild.id)} if guild else {"1": str(interaction.user.id)},
            }
            if interaction.type == 2:
                payload["interaction_metadata"]["name"] = interaction.data.get("name")
        msg = StoredMessage(
            payload,
            allowed_mentions=allowed,
            ephemeral=bool(flags & FLAG_EPHEMERAL),
            interaction_id=interaction.id if interaction else None,
        )
        msg.bodies.append(copy.deepcopy(body))
        return msg

    def _public_payload(self, msg: StoredMessage) -> dict[str, Any]:
        return copy.deepcopy(msg.payload)

    def _gateway_message(self, sess: Session, msg: StoredMessage) -> dict[str, Any] | None:
        """The MESSAGE_CREATE/UPDATE payload for one session, honouring the message content intent."""
        data = self._public_payload(msg)
        guild = self.guilds.get(int(data["guild_id"])) if data.get("guild_id") else None
        author_id = int(data["author"]["id"])
        if guild is not None and author_id in guild.members:
            data["member"] = guild.members[author_id].payload(with_user=False)
        if not sess.intents & INTENT_MESSAGE_CONTENT:
            self._hide_content(data)
        return data

    def _hide_content(self, data: dict[str, Any]) -> dict[str, Any]:
        """Blank what the message content intent guards, except in DMs, the bot's own and mentioning messages."""
        mentioned = any(int(u["id"]) == self.bot_user.id for u in data.get("mentions", []))
        if int(data["author"]["id"]) != self.bot_user.id and not mentioned and data.get("guild_id"):
            for key in ("content", "embeds", "attachments", "components"):
                data[key] = "" if key == "content" else []
            data.pop("poll", None)
        return data

    def rest_payload(self, msg: StoredMessage) -> dict[str, Any]:
        """A message as REST returns it: without an approved message content intent, content is hidden too."""
        data = self._public_payload(msg)
        if not self.allowed_privileged_intents & INTENT_MESSAGE_CONTENT:
            self._hide_content(data)
        return data

    def _announce(self, event: str, msg: StoredMessage) -> None:
        if msg.ephemeral:
            return
        intent = INTENT_GUILD_MESSAGES if msg.payload.get("guild_id") else INTENT_DIRECT_MESSAGES
        self._dispatch(event, None, lambda s: self._gateway_message(s, msg), intent)
        self._notify(msg)

    def _notify(self, msg: StoredMessage) -> None:
        view = msg.view()
        author_is_bot = int(view["author"]["id"]) == self.bot_user.id
        for entry in list(self._message_waiters):
            channel_id, pred, from_bot, fut = entry
            if fut.done():
                self._message_waiters.remove(entry)
                continue
            if channel_id is not None and channel_id != msg.channel_id:
                continue
            if from_bot and not author_is_bot:
                continue
            try:
                ok = pred(view)
            except Exception as exc:  # a broken predicate should fail the test, not hang it
                fut.set_exception(exc)
                self._message_waiters.remove(entry)
                continue
            if ok:
                fut.set_result(view)
                self._message_waiters.remove(entry)

    def record_create(self, msg: StoredMessage) -> StoredMessage:
        self._store(msg)
        if msg.ephemeral:
            self._notify(msg)
        self._announce("MESSAGE_CREATE", msg)
        return msg

    def record_edit(self, msg: StoredMessage, body: dict[str, Any]) -> StoredMessage:
        """Apply a PATCH body to a stored message, keep the new version, and tell the gateway."""
        p = msg.payload
        for key in ("content", "embeds", "components", "flags", "attachments", "poll"):
            if key in body:
                value = body[key]
                if key == "content":
                    value = value or ""
                elif key == "flags":
                    value = (int(value or 0) & ~FLAG_EPHEMERAL) | (p.get("flags", 0) & FLAG_EPHEMERAL)
                elif value is None:
                    value = []
                p[key] = copy.deepcopy(value) if key != "attachments" else p.get("attachments", [])
        from .models import FLAG_LOADING

        p["flags"] = int(p.get("flags", 0)) & ~FLAG_LOADING
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        guild = self.guilds.get(int(p["guild_id"])) if p.get("guild_id") else None
        if "content" in body or "allowed_mentions" in body:
            reply_author = None
            if p.get("referenced_message"):
                reply_author = int(p["referenced_message"]["author"]["id"])
            old_ids = [int(u["id"]) for u in p.get("mentions", [])]
            mentions, roles, everyone = self.compute_mentions(p["content"], msg.allowed_mentions, guild, reply_author)
            # an edit never removes pings already delivered; it can only add new ones the rules allow
            known = {int(u["id"]) for u in mentions}
            mentions += [u for u in p.get("mentions", []) if int(u["id"]) not in known and int(u["id"]) in old_ids]
            p["mentions"], p["mention_roles"] = mentions, sorted(set(roles) | set(p.get("mention_roles", [])))
            p["mention_everyone"] = everyone or p.get("mention_everyone", False)
        p["edited_timestamp"] = iso_now()
        msg.bodies.append(copy.deepcopy(body))
        msg.snapshot()
        if msg.ephemeral:
            self._notify(msg)
        self._announce("MESSAGE_UPDATE", msg)
        return msg

    def record_delete(self, msg: StoredMessage) -> None:
        msg.deleted = True
        msg.snapshot()
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.payload.get("guild_id"):
                data["guild_id"] = msg.payload["guild_id"]
            intent = INTENT_GUILD_MESSAGES if msg.payload.get("guild_id") else INTENT_DIRECT_MESSAGES
            self._dispatch("MESSAGE_DELETE", data, None, intent)

    def get_message(self, message_id: int) -> StoredMessage | None:
        return self._messages.get(message_id)

    def channel_message_ids(self, channel_id: int) -> list[int]:
        return self._channel_messages.get(channel_id, [])

    def check_nonce(self, channel_id: int, author_id: int, body: dict[str, Any]) -> StoredMessage | None:
        nonce = body.get("nonce")
        if nonce is None or not body.get("enforce_nonce"):
            return None
        mid = self._nonces.get((channel_id, author_id, str(nonce)))
        return self._messages.get(mid) if mid is not None else None

    def remember_nonce(self, msg: StoredMessage, body: dict[str, Any]) -> None:
        if body.get("nonce") is not None and body.get("enforce_nonce"):
            key = (msg.channel_id, int(msg.payload["author"]["id"]), str(body["nonce"]))
            self._nonces[key] = msg.id

    # ------------------------------------------------------------------ test-side actions

    async def send_message(
        self,
        channel: FakeChannel | int,
        author: FakeUser | int,
        content: str,
        *,
        mentions: list[FakeUser | int] | None = None,
        reference: int | dict[str, Any] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user posts a message; the client gets MESSAGE_CREATE. Returns the message dict."""
        chan = self.channels[_id(channel)]
        user = self.users[_id(author)]
        if chan.guild_id is not None and user.id not in self.guilds[chan.guild_id].members:
            raise ValueError(f"{user.name} is not a member of the channel's guild")
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        if reference is not None:
            ref_id = _id(reference)
            target = self._messages.get(ref_id)
            body["message_reference"] = {
                "message_id": str(ref_id),
                "channel_id": str(target.channel_id if target else chan.id),
            }
        msg = self.build_message(chan, user, body, extra_mentions=[_id(u) for u in mentions or []])
        self.record_create(msg)
        return msg.view()

    async def edit_user_message(self, message_id: int | dict[str, Any], content: str) -> dict[str, Any]:
        """A user edits their message; the client gets MESSAGE_UPDATE."""
        msg = self._messages[_id(message_id)]
        self.record_edit(msg, {"content": content})
        return msg.view()

    def _interaction_base(
        self, type_: int, guild: FakeGuild | int | None, channel: FakeChannel | int, user: FakeUser | int
    ) -> FakeInteraction:
        chan = self.channels[_id(channel)]
        g = self.guilds[_id(guild)] if guild is not None else (self.guilds.get(chan.guild_id or 0))
        u = self.users[_id(user)]
        iid = snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(60)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": type_,
            "token": token,
            "version": 1,
            "channel_id": str(chan.id),
            "channel": chan.payload(),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(self.permissions(g, self.bot_user) if g else 0),
        }
        if g is not None:
            if u.id not in g.members:
                raise ValueError(f"{u.name} is not a member of {g.name}")
            payload["guild_id"] = str(g.id)
            payload["guild"] = {"id": str(g.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = g.members[u.id].payload() | {"permissions": str(self.permissions(g, u))}
            payload["authorizing_integration_owners"] = {"0": str(g.id)}
            payload["context"] = 0
        else:
            payload["user"] = u.payload()
            payload["authorizing_integration_owners"] = {"0": str(u.id)}
            payload["context"] = 1
        inter = FakeInteraction(iid, token, type_, g, chan, u, payload)
        self.interactions[iid] = inter
        return inter

    def make_attachment(self, value: Any) -> dict[str, Any]:
        """An uploaded file for an attachment option: bytes, (filename, bytes) or (filename, bytes, content_type)."""
        if isinstance(value, (bytes, bytearray)):
            value = ("file.txt", bytes(value))
        filename, data = value[0], bytes(value[1])
        ctype = value[2] if len(value) > 2 else "text/plain; charset=utf-8"
        aid = snowflake()
        self._attachments[aid] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{aid}/{filename}"
        return {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
        }

    async def wait_for_command(self, guild: FakeGuild | int | None, name: str, timeout: float = 5) -> dict[str, Any]:
        """The synced definition of `name` (top-level), waiting up to `timeout` for the client to sync it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                return self.find_command(guild, name)
            except LookupError:
                if loop.time() >= deadline:
                    raise
            try:
                await asyncio.wait_for(self._commands_changed.wait(), max(0.01, deadline - loop.time()))
            except asyncio.TimeoutError:
                pass

    def commands_changed(self) -> None:
        self._commands_changed.set()
        self._commands_changed = asyncio.Event()

    def _send_interaction(self, inter: FakeInteraction) -> None:
        inter.created_at = time.monotonic()  # the acknowledgement clock starts now
        self._dispatch("INTERACTION_CREATE", inter.payload)

    def find_command(self, guild: FakeGuild | int | None, name: str, type_: int = 1) -> dict[str, Any]:
        top = name.split()[0]
        scopes: list[int | None] = []
        if guild is not None:
            scopes.append(_id(guild))
        scopes.append(None)
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == top and cmd.get("type", 1) == type_:
                    return cmd
        raise LookupError(f"command {top!r} has not been synced (globally or to this guild)")

    def _build_options(
        self,
        guild: FakeGuild | None,
        defs: list[dict[str, Any]],
        path: list[str],
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        focused: str | None,
    ) -> list[dict[str, Any]]:
        if path:
            sub = next((o for o in defs if o["name"] == path[0] and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"no subcommand or group named {path[0]!r}")
            return [
                {
                    "name": sub["name"],
                    "type": sub["type"],
                    "options": self._build_options(guild, sub.get("options", []), path[1:], values, resolved, focused),
                }
            ]
        if any(o["type"] in (1, 2) for o in defs):
            raise ValueError("this command has subcommands: give the full name, e.g. 'group sub'")
        by_name = {o["name"]: o for o in defs}
        for key in values:
            if key not in by_name:
                raise ValueError(f"unknown option {key!r}; the command has {sorted(by_name)}")
        out = []
        for opt in defs:
            name = opt["name"]
            if name not in values:
                if opt.get("required") and name != focused:
                    raise ValueError(f"missing required option {name!r}")
                continue
            value = values[name]
            entry: dict[str, Any] = {"name": name, "type": opt["type"]}
            if name == focused:
                entry["value"] = str(value)
                entry["focused"] = True
                out.append(entry)
                continue
            entry["value"] = self._option_value(guild, opt, value, resolved)
            out.append(entry)
        return out

    def _option_value(
        self, guild: FakeGuild | None, opt: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        t = opt["type"]
        if t == 3:
            value = str(value)
            if "max_length" in opt and len(value) > opt["max_length"]:
                raise ValueError(f"option {opt['name']!r} is longer than {opt['max_length']}")
        elif t == 4:
            value = int(value)
        elif t == 5:
            value = bool(value)
        elif t == 10:
            value = float(value)
        elif t in (6, 9) and not isinstance(value, FakeRole):
            uid = _id(value)
            resolved.setdefault("users", {})[str(uid)] = self.users[uid].payload()
            if guild is not None and uid in guild.members:
                resolved.setdefault("members", {})[str(uid)] = guild.members[uid].payload(with_user=False) | {
                    "permissions": str(self.permissions(guild, uid))
                }
            return str(uid)
        elif t == 7:
            cid = _id(value)
            chan = self.channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = chan.payload() | {"permissions": str(0)}
            return str(cid)
        elif t == 11:
            att = self.make_attachment(value)
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        elif t in (8, 9):
            rid = _id(value)
            assert guild is not None
            resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid].payload()
            return str(rid)
        else:
            raise ValueError(f"option type {t} is not supported by the fake")
        if opt.get("choices") and value not in [c["value"] for c in opt["choices"]]:
            raise ValueError(f"{value!r} is not one of the choices of {opt['name']!r}")
        for bound, ok in (("min_value", lambda b: value >= b), ("max_value", lambda b: value <= b)):
            if bound in opt and isinstance(value, (int, float)) and not ok(opt[bound]):
                raise ValueError(f"option {opt['name']!r} is out of range")
        return value

    async def _command_data(
        self, guild: FakeGuild | None, name: str, options: dict[str, Any] | None, focused: str | None = None
    ) -> dict[str, Any]:
        cmd = await self.wait_for_command(guild, name, self.command_sync_timeout)
        parts = name.split()
        resolved: dict[str, dict[str, Any]] = {}
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 1,
            "options": self._build_options(guild, cmd.get("options", []), parts[1:], options or {}, resolved, focused),
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def invoke_slash(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int,
        user: FakeUser | int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        override_permissions: bool = False,
    ) -> FakeInteraction:
        """A user runs /name (or "group sub") with options; the client gets INTERACTION_CREATE (type 2).

        Like Discord, a member lacking the command's default_member_permissions cannot run it (PermissionError),
        unless override_permissions=True (a server admin allowed it for them in the Integrations settings).
        """
        inter = self._interaction_base(2, guild, channel, user)
        inter.payload["data"] = await self._command_data(inter.guild, name, options)
        cmd = self.find_command(inter.guild, name)
        needed = cmd.get("default_member_permissions")
        if needed is not None and inter.guild is not None and not override_permissions:
            have = self.permissions(inter.guild, inter.user)
            if have & int(needed) != int(needed):
                del self.interactions[inter.id]
                raise PermissionError(
                    f"/{cmd['name']} needs permissions {needed} (default_member_permissions) that "
                    f"{inter.user.name} lacks, so Discord would not let them run it; pass override_permissions=True "
                    "to model a server that granted it in its Integrations settings"
                )
        self._send_interaction(inter)
        return inter

    async def autocomplete(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int,
        user: FakeUser | int,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        timeout: float = 10,
    ) -> list[dict[str, Any]]:
        """Send an autocomplete interaction (type 4) for `focused` and return the choices the bot answered."""
        inter = self._interaction_base(4, guild, channel, user)
        inter.payload["data"] = await self._command_data(inter.guild, name, options, focused=focused)
        self._send_interaction(inter)
        await inter.wait_response(timeout)
        return list(inter.choices or [])

    async def submit_modal(
        self,
        interaction: FakeInteraction,
        values: dict[str, str],
        *,
        user: FakeUser | int | None = None,
    ) -> FakeInteraction:
        """Submit the modal the bot answered `interaction` with; values map text-input custom_id -> text."""
        modal = interaction.modal
        if modal is None:
            raise LookupError("the bot did not answer this interaction with a modal")
        inter = self._interaction_base(5, interaction.guild, interaction.channel, user or interaction.user)
        unused = dict(values)

        def fill(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for comp in components:
                if comp.get("type") == 1:
                    out.append({"type": 1, "components": fill(comp.get("components", []))})
                elif comp.get("type") == 18:
                    inner = fill([comp["component"]])
                    if inner:
                        out.append({"type": 18, "id": comp.get("id", 0), "component": inner[0]})
                elif comp.get("type") == 4:
                    cid = comp["custom_id"]
                    value = str(unused.pop(cid, comp.get("value") or ""))
                    if comp.get("required", True) and not value:
                        raise ValueError(f"text input {cid!r} is required")
                    if "max_length" in comp and len(value) > comp["max_length"]:
                        raise ValueError(f"text input {cid!r} is longer than {comp['max_length']}")
                    out.append({"type": 4, "custom_id": cid, "value": value})
                elif comp.get("type") in (10,):  # text display: nothing is submitted
                    continue
            return out

        components = fill(modal.get("components", []))
        if unused:
            raise ValueError(f"the modal has no text inputs named {sorted(unused)}")
        inter.payload["data"] = {"custom_id": modal["custom_id"], "components": components}
        self._send_interaction(inter)
        return inter

    async def click_button(
        self, message: dict[str, Any] | int, custom_id: str, user: FakeUser | int
    ) -> FakeInteraction:
        """A user clicks a button (component interaction, type 3) on a message the bot posted."""
        msg = self._messages[_id(message)]
        chan = self.channels[msg.channel_id]
        inter = self._interaction_base(3, chan.guild_id, chan, user)
        inter.payload["message"] = self._public_payload(msg)
        inter.payload["data"] = {"custom_id": custom_id, "component_type": 2}
        self._send_interaction(inter)
        return inter

    # ------------------------------------------------------------------ assertions

    def messages(self, channel: FakeChannel | int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Current state of every message in the channel, oldest first (ephemeral ones included, flagged)."""
        out = []
        for mid in self._channel_messages.get(_id(channel), []):
            msg = self._messages[mid]
            if msg.deleted and not include_deleted:
                continue
            out.append(msg.view())
        return out

    def message(self, message_id: int | dict[str, Any]) -> dict[str, Any]:
        return self._messages[_id(message_id)].view()

    def message_history(self, message_id: int | dict[str, Any]) -> list[dict[str, Any]]:
        """Every version of a message, the create first, then one per edit (and a last one if deleted)."""
        return list(self._messages[_id(message_id)].versions)

    def message_bodies(self, message_id: int | dict[str, Any]) -> list[dict[str, Any]]:
        """The JSON bodies the client sent to create and then edit this message, as received."""
        return list(self._messages[_id(message_id)].bodies)

    def interaction_responses(self, interaction: FakeInteraction | int) -> list[dict[str, Any]]:
        """The bodies the client POSTed to the interaction callback ({"type": .., "data": ..})."""
        return list(self.interactions[_id(interaction)].callbacks)

    def interaction_messages(self, interaction: FakeInteraction | int) -> list[dict[str, Any]]:
        """The original response (if a message) and the follow-ups, current state, in order."""
        inter = self.interactions[_id(interaction)]
        ids = ([inter.original_id] if inter.original_id else []) + inter.followup_ids
        return [self._messages[i].view() for i in ids]

    def synced_commands(self, guild: FakeGuild | int | None = None) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(_id(guild) if guild is not None else None, []))

    async def wait_for_message(
        self,
        channel: FakeChannel | int | None,
        predicate: MessagePredicate | None = None,
        timeout: float = 10,
        *,
        from_bot: bool = True,
    ) -> dict[str, Any]:
        """The first message in `channel` (any channel if None) matching predicate, now or when created/edited.

        Only the bot's own messages count unless from_bot=False. Interaction responses and follow-ups belong
        to the interaction's channel.
        """
        pred = predicate or (lambda m: True)
        cid = _id(channel) if channel is not None else None
        ids = self._channel_messages.get(cid, []) if cid is not None else list(self._messages)
        for mid in ids:
            msg = self._messages[mid]
            view = msg.view()
            if msg.deleted or (from_bot and int(view["author"]["id"]) != self.bot_user.id):
                continue
            if pred(view):
                return view
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (cid, pred, from_bot, fut)
        self._message_waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            seen = [m["content"][:200] for m in self.messages(cid)] if cid is not None else []
            raise asyncio.TimeoutError(f"no matching message within {timeout}s; channel has: {seen!r}") from None
        finally:
            if entry in self._message_waiters:
                self._message_waiters.remove(entry)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        retry_after: float | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching REST requests with `status` (429 gets retry_after and its headers)."""
        self._failures.append(Failure(method.upper(), re.compile(path_regex), status, body, retry_after, times))

    def take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self._failures:
            if failure.method in (method, "*") and failure.path.search(path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None
