"""REST routes of the fake (everything under /api/v10), with Discord's error shapes and rate-limit headers."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .models import FLAG_EPHEMERAL, FLAG_LOADING, FakeChannel, StoredMessage, snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord, FakeInteraction

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Req:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    files: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Awaitable[web.Response]]
ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []  # (method, pattern, handler, needs bot auth)


def route(method: str, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, regex, fn, auth))
        return fn

    return deco


def respond(data: Any = None, status: int = 200) -> web.Response:
    if status == 204 or data is None:
        return web.Response(status=204)
    return web.Response(body=json.dumps(data).encode(), status=status, headers=JSON_HEADERS)


def error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> web.Response:
    data: dict[str, Any] = {"message": message, "code": code}
    if errors:
        data["errors"] = errors
    return respond(data, status)


def form_error(errors: dict[str, Any]) -> web.Response:
    return error(400, 50035, "Invalid Form Body", errors)


def _err(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _nest(path: str, value: dict[str, Any], into: dict[str, Any]) -> None:
    parts = path.split(".")
    node = into
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


async def parse_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
    ctype = request.headers.get("Content-Type", "")
    if ctype.startswith("multipart/"):
        body: Any = None
        files = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                data = await part.read(decode=False)
                files.append(
                    {
                        "field": part.name,
                        "filename": part.filename,
                        "content_type": part.headers.get("Content-Type"),
                        "data": bytes(data),
                    }
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


def ratelimit_headers(method: str, pattern: str) -> dict[str, str]:
    bucket = hashlib.md5(f"{method} {pattern}".encode()).hexdigest()[:16]
    return {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket,
        "Via": "1.1 google",
    }


async def handle(fake: FakeDiscord, request: web.Request) -> web.Response:
    from .server import RecordedRequest

    path = "/" + request.match_info["tail"]
    method = request.method
    body, files = await parse_body(request)
    rec = RecordedRequest(method, path, body, dict(request.query), files)
    fake.requests.append(rec)
    req = Req(method, path, body, dict(request.query), files, dict(request.headers))

    pattern = "unmatched"
    resp: web.Response | None = None
    failure = fake.take_failure(method, path)
    if failure is not None:
        resp = failure_response(failure)
    else:
        for m, regex, fn, needs_auth in ROUTES:
            match = regex.match(path)
            if match is None or m != method:
                continue
            pattern = regex.pattern
            if needs_auth and request.headers.get("Authorization") != f"Bot {fake.token}":
                resp = error(401, 0, "401: Unauthorized")
            else:
                resp = await fn(fake, req, **match.groupdict())
            break
        if resp is None:
            fake.unhandled.append(rec)
            resp = error(404, 0, "404: Not Found")
    rec.status = resp.status
    if failure is None or failure.status != 429:
        resp.headers.update(ratelimit_headers(method, pattern))
    return resp


def failure_response(failure: Any) -> web.Response:
    status = failure.status
    if status == 429:
        retry = failure.retry_after if failure.retry_after is not None else 0.05
        body = failure.body or {"message": "You are being rate limited.", "retry_after": retry, "global": False}
        resp = respond(body, 429)
        resp.headers.update(
            {
                "Retry-After": str(max(1, int(retry + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Scope": "user",
                "X-RateLimit-Bucket": "injected",
                "Via": "1.1 google",
            }
        )
        return resp
    if failure.body is None:
        body = {"message": f"{status}: injected failure", "code": 0}
    else:
        body = failure.body
    if isinstance(body, str):
        return web.Response(text=body, status=status)
    return respond(body, status)


# ---------------------------------------------------------------------------- validation

URL_RE = re.compile(r"^(https?|attachment)://\S+$")


def validate_embeds(embeds: Any) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if embeds is None:
        return errors
    if not isinstance(embeds, list):
        _nest("embeds", _err("LIST_TYPE_CONVERT", "Must be an array."), errors)
        return errors
    if len(embeds) > 10:
        _nest("embeds", _err("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."), errors)
    total = 0

    def check(path: str, value: Any, limit: int, *, required: bool = False) -> int:
        if value is None:
            if required:
                _nest(path, _err("BASE_TYPE_REQUIRED", "This field is required"), errors)
            return 0
        text = str(value)
        if required and not text.strip():
            _nest(path, _err("BASE_TYPE_REQUIRED", "This field is required"), errors)
        if len(text) > limit:
            _nest(path, _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."), errors)
        return len(text)

    def check_url(path: str, value: Any) -> None:
        if value is not None and not URL_RE.match(str(value)):
            _nest(path, _err("URL_TYPE_INVALID_URL", "Not a well formed URL."), errors)

    for i, e in enumerate(embeds):
        p = f"embeds.{i}"
        total += check(f"{p}.title", e.get("title"), 256)
        total += check(f"{p}.description", e.get("description"), 4096)
        check_url(f"{p}.url", e.get("url"))
        fields = e.get("fields") or []
        if len(fields) > 25:
            _nest(f"{p}.fields", _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."), errors)
        for j, f in enumerate(fields):
            total += check(f"{p}.fields.{j}.name", f.get("name"), 256, required=True)
            total += check(f"{p}.fields.{j}.value", f.get("value"), 1024, required=True)
        if e.get("footer"):
            total += check(f"{p}.footer.text", e["footer"].get("text"), 2048, required=True)
        if e.get("author"):
            total += check(f"{p}.author.name", e["author"].get("name"), 256, required=True)
            check_url(f"{p}.author.url", e["author"].get("url"))
        for key in ("image", "thumbnail"):
            if e.get(key):
                check_url(f"{p}.{key}.url", e[key].get("url"))
    if total > 6000:
        _nest("embeds", _err("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"), errors)
    return errors


def reject_new_message(body: Any, files: list[Any]) -> web.Response | None:
    """The error Discord gives for a message create body, or None if it is acceptable."""
    bad = validate_message(body)
    if bad is None and is_empty(body, files):
        bad = error(400, 50006, "Cannot send an empty message")
    return bad


def validate_message(body: Any) -> web.Response | None:
    if not isinstance(body, dict):
        return error(400, 50109, "The request body contains invalid JSON.")
    errors: dict[str, Any] = {}
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        _nest("content", _err("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."), errors)
    errors.update(validate_embeds(body.get("embeds")))
    am = body.get("allowed_mentions")
    if am is not None:
        parse = am.get("parse") or []
        if "users" in parse and am.get("users"):
            _nest("allowed_mentions", _err("MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[users] and users: [ids] are mutually exclusive."), errors)
        if "roles" in parse and am.get("roles"):
            _nest("allowed_mentions", _err("MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[roles] and roles: [ids] are mutually exclusive."), errors)
    if errors:
        return form_error(errors)
    return None


def is_empty(body: dict[str, Any], files: list[Any] = ()) -> bool:  # type: ignore[assignment]
    return not (
        str(body.get("content") or "").strip()
        or body.get("embeds")
        or body.get("attachments")
        or files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    )


def make_attachments(fake: FakeDiscord, body: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
    for i, f in enumerate(files):
        aid = snowflake()
        fake._attachments[aid] = f["data"]
        m = meta.get(str(i), {})
        filename = m.get("filename") or f["filename"] or f"file{i}"
        url = f"http://127.0.0.1:{fake.port}/attachments/{aid}/{filename}"
        att = {
            "id": str(aid),
            "filename": filename,
            "size": len(f["data"]),
            "url": url,
            "proxy_url": url,
            "content_type": f.get("content_type") or "application/octet-stream",
        }
        if m.get("description"):
            att["description"] = m["description"]
        out.append(att)
    return out


# ---------------------------------------------------------------------------- gateway, users, application


@route("GET", "/gateway", auth=False)
async def get_gateway(fake: FakeDiscord, req: Req) -> web.Response:
    return respond({"url": fake.gateway_url})


@route("GET", "/gateway/bot")
async def get_gateway_bot(fake: FakeDiscord, req: Req) -> web.Response:
    return respond(
        {
            "url": fake.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }
    )


@route("GET", "/users/@me")
async def get_me(fake: FakeDiscord, req: Req) -> web.Response:
    return respond(fake.bot_user.payload() | {"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})


@route("GET", "/users/{user_id}")
async def get_user(fake: FakeDiscord, req: Req, user_id: str) -> web.Response:
    user = fake.users.get(int(user_id)) if user_id.isdigit() else None
    if user is None:
        return error(404, 10013, "Unknown User")
    return respond(user.payload())


@route("POST", "/users/@me/channels")
async def open_dm(fake: FakeDiscord, req: Req) -> web.Response:
    uid = int((req.body or {}).get("recipient_id", 0))
    user = fake.users.get(uid)
    if user is None:
        return form_error({"recipient_id": _err("NUMBER_TYPE_COERCE", "Value is not snowflake.")})
    chan = fake.dm_channel(user)
    return respond(chan.payload() | {"recipients": [user.payload()], "last_message_id": None})


def app_payload(fake: FakeDiscord) -> dict[str, Any]:
    return {
        "id": str(fake.application_id),
        "name": fake.bot_user.name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": fake.owner.payload(),
        "flags": fake.application_flags,
        "bot": fake.bot_user.payload(),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(fake.guilds),
        "integration_types_config": {"0": {}},
    }


@route("GET", "/oauth2/applications/@me")
async def get_oauth_app(fake: FakeDiscord, req: Req) -> web.Response:
    return respond(app_payload(fake))


@route("GET", "/applications/@me")
async def get_app(fake: FakeDiscord, req: Req) -> web.Response:
    return respond(app_payload(fake))


# ---------------------------------------------------------------------------- application commands

NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def validate_command(cmd: Any, path: str, errors: dict[str, Any]) -> None:
    if not isinstance(cmd, dict):
        _nest(path, _err("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"), errors)
        return
    ctype = cmd.get("type", 1)
    name = cmd.get("name") or ""
    if ctype == 1 and (not NAME_RE.match(name) or name != name.lower()):
        _nest(f"{path}.name", _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"), errors)
    if ctype == 1 and not 1 <= len(cmd.get("description") or "") <= 100:
        _nest(f"{path}.description", _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."), errors)
    validate_options(cmd.get("options") or [], f"{path}.options", errors)


def validate_options(options: list[dict[str, Any]], path: str, errors: dict[str, Any]) -> None:
    if len(options) > 25:
        _nest(path, _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."), errors)
    seen_optional = False
    names = set()
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = opt.get("name") or ""
        if not NAME_RE.match(name) or name != name.lower():
            _nest(f"{p}.name", _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"), errors)
        if name in names:
            _nest(f"{p}.name", _err("APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name already exists"), errors)
        names.add(name)
        if not 1 <= len(opt.get("description") or "") <= 100:
            _nest(f"{p}.description", _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."), errors)
        if opt.get("type") in (1, 2):
            validate_options(opt.get("options") or [], f"{p}.options", errors)
            continue
        if opt.get("required"):
            if seen_optional:
                _nest(path, _err("APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options"), errors)
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            _nest(f"{p}.choices", _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."), errors)
        if opt.get("choices") and opt.get("autocomplete"):
            _nest(f"{p}.autocomplete", _err("APPLICATION_COMMAND_AUTOCOMPLETE_INVALID", "Autocomplete cannot be set with choices"), errors)


def store_commands(fake: FakeDiscord, guild_id: int | None, defs: list[dict[str, Any]], *, replace: bool) -> list[dict[str, Any]]:
    current = fake.commands.get(guild_id, [])
    by_key = {(c["name"], c.get("type", 1)): c for c in current}
    out = [] if replace else [c for c in current if (c["name"], c.get("type", 1)) not in {(d["name"], d.get("type", 1)) for d in defs}]
    stored = []
    for d in defs:
        old = by_key.get((d["name"], d.get("type", 1)))
        cmd = copy.deepcopy(d)
        cmd.setdefault("type", 1)
        cmd.setdefault("options", [])
        cmd.setdefault("default_member_permissions", None)
        cmd.setdefault("nsfw", False)
        cmd.setdefault("description", "")
        cmd["id"] = old["id"] if old else str(snowflake())
        cmd["application_id"] = str(fake.application_id)
        cmd["version"] = str(snowflake())
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        else:
            cmd.setdefault("dm_permission", True)
        out.append(cmd)
        stored.append(cmd)
    fake.commands[guild_id] = out
    fake.commands_changed()
    return stored


def _guild_scope(fake: FakeDiscord, app_id: str, guild_id: str | None) -> web.Response | int | None:
    if app_id != str(fake.application_id):
        return error(403, 50001, "Missing Access")
    if guild_id is None:
        return None
    gid = int(guild_id) if guild_id.isdigit() else 0
    if gid not in fake.guilds:
        return error(403, 50001, "Missing Access")
    return gid


def _scoped(handler: Callable[..., Awaitable[web.Response]]) -> Callable[..., Awaitable[web.Response]]:
    async def wrapper(fake: FakeDiscord, req: Req, app_id: str, guild_id: str | None = None, **kw: str) -> web.Response:
        scope = _guild_scope(fake, app_id, guild_id)
        if isinstance(scope, web.Response):
            return scope
        return await handler(fake, req, scope, **kw)

    return wrapper


@_scoped
async def put_commands(fake: FakeDiscord, req: Req, scope: int | None) -> web.Response:
    if not isinstance(req.body, list):
        return form_error({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]})
    errors: dict[str, Any] = {}
    for i, cmd in enumerate(req.body):
        validate_command(cmd, str(i), errors)
    if len(req.body) > 100:
        errors.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."})
    if errors:
        return form_error(errors)
    return respond(store_commands(fake, scope, req.body, replace=True))


@_scoped
async def get_commands(fake: FakeDiscord, req: Req, scope: int | None) -> web.Response:
    return respond(copy.deepcopy(fake.commands.get(scope, [])))


@_scoped
async def post_command(fake: FakeDiscord, req: Req, scope: int | None) -> web.Response:
    errors: dict[str, Any] = {}
    validate_command(req.body, "", errors)
    if errors:
        return form_error(errors.get("", errors))
    existed = any(c["name"] == req.body["name"] for c in fake.commands.get(scope, []))
    return respond(store_commands(fake, scope, [req.body], replace=False)[0], 200 if existed else 201)


@_scoped
async def get_command(fake: FakeDiscord, req: Req, scope: int | None, command_id: str) -> web.Response:
    for c in fake.commands.get(scope, []):
        if c["id"] == command_id:
            return respond(copy.deepcopy(c))
    return error(404, 10063, "Unknown application command")


@_scoped
async def patch_command(fake: FakeDiscord, req: Req, scope: int | None, command_id: str) -> web.Response:
    for c in fake.commands.get(scope, []):
        if c["id"] == command_id:
            c.update(copy.deepcopy(req.body or {}))
            return respond(copy.deepcopy(c))
    return error(404, 10063, "Unknown application command")


@_scoped
async def delete_command(fake: FakeDiscord, req: Req, scope: int | None, command_id: str) -> web.Response:
    cmds = fake.commands.get(scope, [])
    for c in cmds:
        if c["id"] == command_id:
            cmds.remove(c)
            fake.commands_changed()
            return respond(None, 204)
    return error(404, 10063, "Unknown application command")


for _prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
    route("PUT", f"{_prefix}/commands")(put_commands)
    route("GET", f"{_prefix}/commands")(get_commands)
    route("POST", f"{_prefix}/commands")(post_command)
    route("GET", f"{_prefix}/commands/{{command_id}}")(get_command)
    route("PATCH", f"{_prefix}/commands/{{command_id}}")(patch_command)
    route("DELETE", f"{_prefix}/commands/{{command_id}}")(delete_command)


# ---------------------------------------------------------------------------- guilds and channels


def _guild(fake: FakeDiscord, guild_id: str) -> Any:
    return fake.guilds.get(int(guild_id)) if guild_id.isdigit() else None


@route("GET", "/guilds/{guild_id}")
async def get_guild(fake: FakeDiscord, req: Req, guild_id: str) -> web.Response:
    g = _guild(fake, guild_id)
    if g is None:
        return error(404, 10004, "Unknown Guild")
    data = g.payload()
    if req.query.get("with_counts") in ("true", "1", "True"):
        data["approximate_member_count"] = len(g.members)
        data["approximate_presence_count"] = 0
    return respond(data)


@route("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(fake: FakeDiscord, req: Req, guild_id: str) -> web.Response:
    g = _guild(fake, guild_id)
    if g is None:
        return error(404, 10004, "Unknown Guild")
    return respond([c.payload() for c in g.channels.values() if c.type not in (10, 11, 12)])


@route("GET", "/guilds/{guild_id}/roles")
async def get_guild_roles(fake: FakeDiscord, req: Req, guild_id: str) -> web.Response:
    g = _guild(fake, guild_id)
    if g is None:
        return error(404, 10004, "Unknown Guild")
    return respond([r.payload() for r in g.roles.values()])


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(fake: FakeDiscord, req: Req, guild_id: str, user_id: str) -> web.Response:
    g = _guild(fake, guild_id)
    if g is None:
        return error(404, 10004, "Unknown Guild")
    m = g.members.get(int(user_id)) if user_id.isdigit() else None
    if m is None:
        return error(404, 10007, "Unknown Member")
    return respond(m.payload())


@route("GET", "/guilds/{guild_id}/members")
async def list_members(fake: FakeDiscord, req: Req, guild_id: str) -> web.Response:
    g = _guild(fake, guild_id)
    if g is None:
        return error(404, 10004, "Unknown Guild")
    after = int(req.query.get("after", 0))
    limit = int(req.query.get("limit", 1))
    members = sorted((m for m in g.members.values() if m.user.id > after), key=lambda m: m.user.id)
    return respond([m.payload() for m in members[:limit]])


def _channel(fake: FakeDiscord, channel_id: str) -> FakeChannel | None:
    return fake.channels.get(int(channel_id)) if channel_id.isdigit() else None


@route("GET", "/channels/{channel_id}")
async def get_channel(fake: FakeDiscord, req: Req, channel_id: str) -> web.Response:
    chan = _channel(fake, channel_id)
    if chan is None:
        return error(404, 10003, "Unknown Channel")
    data = chan.payload()
    if chan.type == 1:
        data["recipients"] = [fake.users[u].payload() for u in fake.dm_recipients.get(chan.id, [])]
    return respond(data)


@route("POST", "/channels/{channel_id}/typing")
async def typing(fake: FakeDiscord, req: Req, channel_id: str) -> web.Response:
    if _channel(fake, channel_id) is None:
        return error(404, 10003, "Unknown Channel")
    return respond(None, 204)


# ---------------------------------------------------------------------------- channel messages


@route("POST", "/channels/{channel_id}/messages")
async def create_message(fake: FakeDiscord, req: Req, channel_id: str) -> web.Response:
    chan = _channel(fake, channel_id)
    if chan is None:
        return error(404, 10003, "Unknown Channel")
    body = req.body if isinstance(req.body, dict) else {}
    bad = reject_new_message(body, req.files)
    if bad is not None:
        return bad
    existing = fake.check_nonce(chan.id, fake.bot_user.id, body)
    if existing is not None:
        return respond(fake._public_payload(existing))
    ref = body.get("message_reference")
    if ref and ref.get("message_id"):
        target = fake.get_message(int(ref["message_id"]))
        if (target is None or target.deleted) and ref.get("fail_if_not_exists", True):
            return form_error({"message_reference": _err("REPLIES_UNKNOWN_MESSAGE", "Unknown message")})
    msg = fake.build_message(chan, fake.bot_user, body, attachments=make_attachments(fake, body, req.files))
    fake.record_create(msg)
    fake.remember_nonce(msg, body)
    return respond(fake._public_payload(msg))


def _channel_message(fake: FakeDiscord, channel_id: str, message_id: str) -> StoredMessage | None:
    msg = fake.get_message(int(message_id)) if message_id.isdigit() else None
    if msg is None or msg.deleted or str(msg.channel_id) != channel_id or msg.ephemeral:
        return None
    return msg


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(fake: FakeDiscord, req: Req, channel_id: str, message_id: str) -> web.Response:
    msg = _channel_message(fake, channel_id, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    return respond(fake.rest_payload(msg))


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(fake: FakeDiscord, req: Req, channel_id: str, message_id: str) -> web.Response:
    msg = _channel_message(fake, channel_id, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    if int(msg.payload["author"]["id"]) != fake.bot_user.id:
        return error(403, 50005, "Cannot edit a message authored by another user")
    return _apply_edit(fake, msg, req)


def _apply_edit(fake: FakeDiscord, msg: StoredMessage, req: Req) -> web.Response:
    body = req.body if isinstance(req.body, dict) else {}
    bad = validate_message(body)
    if bad is not None:
        return bad
    merged = {k: msg.payload.get(k) for k in ("content", "embeds", "components", "attachments", "poll")}
    merged.update({k: v for k, v in body.items() if k in merged})
    if is_empty(merged, req.files):
        return error(400, 50006, "Cannot send an empty message")
    if req.files:
        body = dict(body)
        new = make_attachments(fake, body, req.files)
        keep = [a for a in body.get("attachments") or [] if isinstance(a, dict) and "filename" not in a]
        kept_ids = {str(a.get("id")) for a in keep}
        msg.payload["attachments"] = [a for a in msg.payload["attachments"] if a["id"] in kept_ids] + new
    elif "attachments" in body:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        msg.payload["attachments"] = [a for a in msg.payload["attachments"] if a["id"] in kept_ids]
    fake.record_edit(msg, body)
    return respond(fake._public_payload(msg))


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(fake: FakeDiscord, req: Req, channel_id: str, message_id: str) -> web.Response:
    msg = _channel_message(fake, channel_id, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    fake.record_delete(msg)
    return respond(None, 204)


@route("GET", "/channels/{channel_id}/messages")
async def history(fake: FakeDiscord, req: Req, channel_id: str) -> web.Response:
    chan = _channel(fake, channel_id)
    if chan is None:
        return error(404, 10003, "Unknown Channel")
    limit = max(1, min(100, int(req.query.get("limit", 50))))
    msgs = [
        m
        for m in (fake.get_message(i) for i in fake.channel_message_ids(chan.id))
        if m is not None and not m.deleted and not m.ephemeral
    ]
    msgs.sort(key=lambda m: m.id)
    if "before" in req.query:
        before = int(req.query["before"])
        msgs = [m for m in msgs if m.id < before][-limit:]
    elif "after" in req.query:
        after = int(req.query["after"])
        msgs = [m for m in msgs if m.id > after][:limit]
    elif "around" in req.query:
        around = int(req.query["around"])
        older = [m for m in msgs if m.id < around][-(limit // 2) :] if limit > 1 else []
        rest = [m for m in msgs if m.id >= around][: limit - len(older)]
        msgs = older + rest
    else:
        msgs = msgs[-limit:]
    return respond([fake.rest_payload(m) for m in reversed(msgs)])


@route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_reaction(fake: FakeDiscord, req: Req, channel_id: str, message_id: str, emoji: str) -> web.Response:
    if _channel_message(fake, channel_id, message_id) is None:
        return error(404, 10008, "Unknown Message")
    fake.reactions.append(("PUT", int(channel_id), int(message_id), emoji))
    return respond(None, 204)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def remove_reaction(fake: FakeDiscord, req: Req, channel_id: str, message_id: str, emoji: str) -> web.Response:
    if _channel_message(fake, channel_id, message_id) is None:
        return error(404, 10008, "Unknown Message")
    fake.reactions.append(("DELETE", int(channel_id), int(message_id), emoji))
    return respond(None, 204)


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(fake: FakeDiscord, req: Req, channel_id: str, message_id: str) -> web.Response:
    msg = _channel_message(fake, channel_id, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    name = (req.body or {}).get("name") or ""
    if not 1 <= len(name) <= 100:
        return form_error({"name": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
    return respond(fake.create_thread(int(channel_id), name, thread_id=msg.id).payload(), 201)


@route("POST", "/channels/{channel_id}/threads")
async def thread_without_message(fake: FakeDiscord, req: Req, channel_id: str) -> web.Response:
    if _channel(fake, channel_id) is None:
        return error(404, 10003, "Unknown Channel")
    name = (req.body or {}).get("name") or ""
    if not 1 <= len(name) <= 100:
        return form_error({"name": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
    ttype = int((req.body or {}).get("type") or 11)
    return respond(fake.create_thread(int(channel_id), name, type_=ttype).payload(), 201)


# ---------------------------------------------------------------------------- interactions and webhooks


def _callback_result(inter: FakeInteraction, cb_type: int, msg: StoredMessage | None, fake: FakeDiscord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "interaction": {
            "id": str(inter.id),
            "type": inter.type,
            "response_message_loading": cb_type == 5,
            "response_message_ephemeral": bool(msg and msg.ephemeral),
        }
    }
    if msg is not None:
        data["interaction"]["response_message_id"] = str(msg.id)
    if cb_type in (4, 5, 7) and msg is not None:
        data["resource"] = {"type": cb_type, "message": fake._public_payload(msg)}
    elif cb_type == 9:
        data["resource"] = {"type": cb_type}
    return data


@route("POST", "/interactions/{interaction_id}/{token}/callback", auth=False)
async def interaction_callback(fake: FakeDiscord, req: Req, interaction_id: str, token: str) -> web.Response:
    inter = fake.interactions.get(int(interaction_id)) if interaction_id.isdigit() else None
    if inter is None or inter.token != token or fake.interaction_expired(inter, ack=True):
        return error(404, 10062, "Unknown interaction")
    if inter.callbacks:
        return error(400, 40060, "Interaction has already been acknowledged.")
    body = req.body if isinstance(req.body, dict) else {}
    cb_type = body.get("type")
    data = body.get("data") or {}
    msg: StoredMessage | None = None
    allowed_by_type = {2: {1, 4, 5, 9, 10}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
    if cb_type not in allowed_by_type.get(inter.type, set()):
        return error(400, 40043, "Interaction callback type is not valid for this interaction type")
    if cb_type == 4:
        bad = reject_new_message(data, req.files)
        if bad is not None:
            return bad
        msg = fake.build_message(
            inter.channel,
            fake.bot_user,
            data,
            type_=20 if inter.type == 2 else 0,
            webhook_id=fake.application_id,
            interaction=inter,
            attachments=make_attachments(fake, data, req.files),
        )
        inter.original_id = msg.id
        fake.record_create(msg)
    elif cb_type == 5:
        if inter.type == 2 or inter.type == 5 and "message" not in inter.payload:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            msg = fake.build_message(
                inter.channel,
                fake.bot_user,
                {"content": "", "flags": flags},
                type_=20 if inter.type == 2 else 0,
                webhook_id=fake.application_id,
                interaction=inter,
            )
            inter.original_id = msg.id
            inter.deferred = True
            fake.record_create(msg)
    elif cb_type in (6, 7):
        target = inter.payload.get("message")
        if target is None:
            return error(400, 40043, "Interaction callback type is not valid for this interaction type")
        stored = fake.get_message(int(target["id"]))
        inter.original_id = stored.id if stored else None
        if cb_type == 7 and stored is not None:
            bad = validate_message(data)
            if bad is not None:
                return bad
            fake.record_edit(stored, data)
            msg = stored
    elif cb_type == 8:
        choices = data.get("choices") or []
        errors: dict[str, Any] = {}
        if len(choices) > 25:
            _nest("data.choices", _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."), errors)
        for i, c in enumerate(choices):
            if not 1 <= len(str(c.get("name", ""))) <= 100:
                _nest(f"data.choices.{i}.name", _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."), errors)
        if errors:
            return form_error(errors)
        inter.choices = choices
    elif cb_type == 9:
        errors = {}
        if not data.get("custom_id"):
            _nest("data.custom_id", _err("BASE_TYPE_REQUIRED", "This field is required"), errors)
        if not 1 <= len(data.get("title") or "") <= 45:
            _nest("data.title", _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."), errors)
        if not 1 <= len(data.get("components") or []) <= 5:
            _nest("data.components", _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."), errors)
        if errors:
            return form_error(errors)
        inter.modal = copy.deepcopy(data)
    inter.callbacks.append(copy.deepcopy(body))
    inter.responded.set()
    if req.query.get("with_response") in ("1", "true", "True"):
        return respond(_callback_result(inter, cb_type, msg, fake))
    return respond(None, 204)


def _webhook_interaction(fake: FakeDiscord, app_id: str, token: str) -> FakeInteraction | None:
    if app_id != str(fake.application_id):
        return None
    inter = fake.interaction_by_token(token)
    if inter is None or fake.interaction_expired(inter, ack=False) or not inter.callbacks:
        return None
    return inter


@route("POST", "/webhooks/{app_id}/{token}", auth=False)
async def followup(fake: FakeDiscord, req: Req, app_id: str, token: str) -> web.Response:
    inter = _webhook_interaction(fake, app_id, token)
    if inter is None:
        return error(404, 10015, "Unknown Webhook")
    body = req.body if isinstance(req.body, dict) else {}
    bad = reject_new_message(body, req.files)
    if bad is not None:
        return bad
    original = fake.get_message(inter.original_id) if inter.original_id else None
    if (
        fake.followup_edits_deferred
        and getattr(inter, "deferred", False)
        and original is not None
        and original.payload.get("flags", 0) & FLAG_LOADING
    ):
        # Discord: the first follow-up after a deferred response edits the "thinking" message instead.
        req = Req(req.method, req.path, body, req.query, req.files, req.headers)
        _apply_edit(fake, original, req)
        msg = original
    else:
        msg = fake.build_message(
            inter.channel,
            fake.bot_user,
            body,
            webhook_id=fake.application_id,
            interaction=inter,
            attachments=make_attachments(fake, body, req.files),
        )
        inter.followup_ids.append(msg.id)
        fake.record_create(msg)
    if req.query.get("wait") in ("1", "true", "True"):
        return respond(fake._public_payload(msg))
    return respond(None, 204)


def _webhook_message(fake: FakeDiscord, inter: FakeInteraction, message_id: str) -> StoredMessage | None:
    if message_id == "@original":
        mid = inter.original_id
    else:
        mid = int(message_id) if message_id.isdigit() else None
        if mid != inter.original_id and mid not in inter.followup_ids:
            return None
    msg = fake.get_message(mid) if mid else None
    if msg is None or msg.deleted:
        return None
    return msg


@route("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def get_webhook_message(fake: FakeDiscord, req: Req, app_id: str, token: str, message_id: str) -> web.Response:
    inter = _webhook_interaction(fake, app_id, token)
    if inter is None:
        return error(404, 10015, "Unknown Webhook")
    msg = _webhook_message(fake, inter, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    return respond(fake._public_payload(msg))


@route("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def edit_webhook_message(fake: FakeDiscord, req: Req, app_id: str, token: str, message_id: str) -> web.Response:
    inter = _webhook_interaction(fake, app_id, token)
    if inter is None:
        return error(404, 10015, "Unknown Webhook")
    msg = _webhook_message(fake, inter, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    return _apply_edit(fake, msg, req)


@route("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", auth=False)
async def delete_webhook_message(fake: FakeDiscord, req: Req, app_id: str, token: str, message_id: str) -> web.Response:
    inter = _webhook_interaction(fake, app_id, token)
    if inter is None:
        return error(404, 10015, "Unknown Webhook")
    msg = _webhook_message(fake, inter, message_id)
    if msg is None:
        return error(404, 10008, "Unknown Message")
    fake.record_delete(msg)
    return respond(None, 204)
