"""The fake gateway: one websocket per connection, sessions that outlive connections (for RESUME)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .models import PRIVILEGED_INTENTS

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger("fakediscord.gateway")

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

HEARTBEAT_INTERVAL_MS = 41250


class _Compressor:
    """Transport compression as the client asked for it in the URL (?compress=zlib-stream|zstd-stream)."""

    def __init__(self, kind: str | None) -> None:
        self.kind = None
        self._zlib = None
        self._zstd = None
        if kind == "zlib-stream":
            self.kind = kind
            self._zlib = zlib.compressobj()
        elif kind == "zstd-stream":
            try:  # only if a zstd compressor is installed; otherwise plain text frames, which discord.py accepts
                import zstandard  # type: ignore

                self._zstd = zstandard.ZstdCompressor().compressobj()
                self.kind = kind
            except ImportError:
                self.kind = None

    async def send(self, ws: web.WebSocketResponse, text: str) -> None:
        if self._zlib is not None:
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await ws.send_bytes(data)
        elif self._zstd is not None:
            import zstandard  # type: ignore

            data = self._zstd.compress(text.encode()) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            await ws.send_bytes(data)
        else:
            await ws.send_str(text)


class Session:
    """A gateway session (from IDENTIFY until invalidated); it may span several connections via RESUME."""

    def __init__(self, token: str, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.token = token
        self.intents = intents
        self.seq = 0
        self.buffer: list[dict[str, Any]] = []  # dispatched payloads, replayed on RESUME
        self.conn: Connection | None = None
        self.ready = False
        self.invalid = False
        self.client_seq: int | None = None  # last sequence the client acknowledged in a heartbeat
        self._seq_waiters: list[tuple[int, asyncio.Future[None]]] = []

    @property
    def live(self) -> bool:
        return not self.invalid and self.conn is not None and not self.conn.closed

    def dispatch(self, event: str, data: Any) -> None:
        """Queue a DISPATCH; sequence numbers are given synchronously so events keep their order."""
        self.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        if len(self.buffer) > 5000:
            del self.buffer[:1000]
        if self.live:
            assert self.conn is not None
            self.conn.enqueue(payload)

    def heartbeat_seen(self, seq: Any) -> None:
        if isinstance(seq, int):
            self.client_seq = seq
            for target, fut in list(self._seq_waiters):
                if seq >= target and not fut.done():
                    fut.set_result(None)
            self._seq_waiters = [(t, f) for t, f in self._seq_waiters if not f.done()]

    async def barrier(self, timeout: float) -> None:
        """Return once the client has processed every event sent so far (it heartbeats with its sequence)."""
        target = self.seq
        if self.client_seq is not None and self.client_seq >= target:
            return
        if not self.live:
            raise ConnectionError("gateway session is not connected")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq_waiters.append((target, fut))
        assert self.conn is not None
        self.conn.enqueue({"op": OP_HEARTBEAT, "d": None})  # the server may ask for a heartbeat at any time
        await asyncio.wait_for(fut, timeout)


class Connection:
    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.fake = fake
        self.ws = ws
        self.compressor = _Compressor(compress)
        self.session: Session | None = None
        self.closed = False
        self.server_closed = False
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def enqueue(self, payload: dict[str, Any]) -> None:
        if not self.closed:
            self._queue.put_nowait(payload)

    async def _writer(self) -> None:
        while True:
            payload = await self._queue.get()
            if self.closed or self.ws.closed:
                continue
            text = json.dumps(payload, separators=(",", ":"))
            try:
                await self.compressor.send(self.ws, text)
            except (ConnectionError, RuntimeError):
                self.closed = True

    async def close(self, code: int) -> None:
        self.closed = True
        self.server_closed = True
        if not self.ws.closed:
            await self.ws.close(code=code)

    async def run(self) -> None:
        writer = asyncio.create_task(self._writer())
        self.enqueue({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fakediscord"]}})
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self.handle(json.loads(msg.data))
                elif msg.type == WSMsgType.BINARY:
                    await self.handle(json.loads(msg.data.decode()))
                else:
                    break
        finally:
            self.closed = True
            writer.cancel()
            try:
                await writer
            except asyncio.CancelledError:
                pass
            close_code = self.ws.close_code
            sess = self.session
            if sess is not None and sess.conn is self:
                # A clean close (1000/1001) by the client ends the session, like Discord; anything else may RESUME.
                if close_code in (1000, 1001) and not self.server_closed:
                    sess.invalid = True
                self.fake._gateway_changed()

    async def handle(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        d = msg.get("d")
        self.fake.gateway_log.append(msg)
        if op == OP_HEARTBEAT:
            if self.session is not None:
                self.session.heartbeat_seen(d)
            self.enqueue({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self.identify(d or {})
        elif op == OP_RESUME:
            await self.resume(d or {})
        elif op == OP_REQUEST_MEMBERS:
            await self.request_members(d or {})
        elif op in (OP_PRESENCE, OP_VOICE_STATE):
            self.fake.presence = d
        else:
            log.debug("unhandled gateway op %s", op)

    async def identify(self, d: dict[str, Any]) -> None:
        fake = self.fake
        if d.get("token") != fake.token:
            await self.close(4004)  # Authentication failed
            return
        intents = int(d.get("intents", 0) or 0)
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await self.close(4014)  # Disallowed intent(s)
            return
        sess = Session(fake.token, intents)
        fake.sessions.append(sess)
        self.session = sess
        sess.conn = self
        ready = {
            "v": 10,
            "user": fake.bot_user.payload() | {"verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in fake.guilds.values()],
            "session_id": sess.id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "shard": [0, 1],
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "_trace": ["fakediscord"],
        }
        sess.dispatch("READY", ready)
        for guild in list(fake.guilds.values()):
            sess.dispatch("GUILD_CREATE", fake.guild_create_payload(sess, guild))
        sess.ready = True
        fake._gateway_changed()

    async def resume(self, d: dict[str, Any]) -> None:
        fake = self.fake
        sess = next((s for s in fake.sessions if s.id == d.get("session_id")), None)
        if d.get("token") != fake.token or sess is None or sess.invalid or fake._invalidate_next_resume:
            fake._invalidate_next_resume = False
            if sess is not None:
                sess.invalid = True
            self.enqueue({"op": OP_INVALID_SESSION, "d": False})
            return
        old = sess.conn
        if old is not None and old is not self:
            old.session = None
            await old.close(4000)
        self.session = sess
        sess.conn = self
        seq = d.get("seq") or 0
        for payload in [p for p in sess.buffer if p["s"] > seq]:
            self.enqueue(payload)
        sess.seq += 1
        resumed = {"op": OP_DISPATCH, "t": "RESUMED", "s": sess.seq, "d": {"_trace": ["fakediscord"]}}
        sess.buffer.append(resumed)
        self.enqueue(resumed)
        fake.resume_count += 1
        fake._gateway_changed()

    async def request_members(self, d: dict[str, Any]) -> None:
        if self.session is None:
            return
        guild = self.fake.guilds.get(int(d.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        if d.get("user_ids"):
            wanted = {int(u) for u in d["user_ids"]}
            members = [m for m in members if m.user.id in wanted]
        elif d.get("query"):
            q = str(d["query"]).lower()
            members = [m for m in members if m.user.name.lower().startswith(q)]
        limit = int(d.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        self.session.dispatch("GUILD_MEMBERS_CHUNK", chunk)


async def websocket_handler(fake: FakeDiscord, request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
    await ws.prepare(request)
    conn = Connection(fake, ws, request.query.get("compress"))
    fake.gateway_compression.append(conn.compressor.kind)
    fake.connections.append(conn)
    fake.connect_count += 1
    try:
        await conn.run()
    finally:
        if conn in fake.connections:
            fake.connections.remove(conn)
    return ws
