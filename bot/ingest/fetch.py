"""HTTP fetching behind an SSRF guard, with size and time limits and conditional GET.

The guard runs three times for every request: on the URL the user gave
(`check_url`: scheme, then every address its host resolves to), on each
redirect hop (redirects are followed here, at most `MAX_REDIRECTS`), and at
connect time (`GuardedResolver` checks the addresses aiohttp is about to
connect to, so a DNS answer that changes between the check and the connect,
"DNS rebinding", is refused too). IP literals never reach a resolver; they
cannot rebind, and `check_url` refuses the bad ones on every hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from bot.config import Settings
from bot.errors import UserError
from bot.ingest.decode import DecodeError, decode_text
from bot.ingest.inflate import BoundedInflater, InflateError

MAX_REDIRECTS = 5
ACCEPT_ENCODING = "gzip, deflate"  # what BoundedInflater reads; nothing else is asked for
CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.-]+)""", re.I)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(UserError):
    """A URL could not be fetched; `reason` says why in words a user understands."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass
class FetchResponse:
    url: str  # what was asked for
    final_url: str  # where it was found, after redirects
    status: int
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes = b""
    not_modified: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset the server declared in Content-Type, if any."""
        for param in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")

    def text(self) -> str:
        """The body as text: the declared charset (header, then <meta> or <?xml?>), else a guess.

        Raises FetchError when the bytes are not text in any encoding we can recognise.
        """
        for declared in (self.charset, _sniff_charset(self.body)):
            if not declared:
                continue
            try:
                return self.body.decode(declared)
            except LookupError:
                continue  # an encoding Python does not know: guess instead
            except UnicodeDecodeError:
                return self.body.decode(declared, errors="replace")
        try:
            return decode_text(self.body)
        except DecodeError as exc:
            raise FetchError(self.final_url, str(exc).replace("file", "page")) from exc


def _sniff_charset(body: bytes) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


# ---------------------------------------------------------------- the guard


PRIVATE_HINT = (
    " (only public addresses are fetched; the operator can allow private ones with "
    "[ingest] allow_private_urls = true in the config, or BRIEFBOT_ALLOW_PRIVATE_URLS=1)"
)


def address_problem(ip: IPAddress) -> str | None:
    """Why an address must not be fetched, as "IP is a private address" (None for a public address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            inner = address_problem(embedded)
            return f"{ip} maps to " + inner.replace(" is ", ", which is ", 1) if inner else None
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    for bad, words in checks:
        if bad:
            return f"{ip} is {words}"
    return None


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def check_address(url: str, host: str) -> None:
    ip = _parse_ip(host)
    if ip is None:
        raise FetchError(url, f"refused: {host} is not an IP address")
    problem = address_problem(ip)
    if problem:
        raise FetchError(url, f"refused: {problem}{PRIVATE_HINT}")


def _check_scheme(url: str) -> URL:
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise FetchError(url, f"not a valid URL ({exc})") from exc
    scheme = parsed.scheme.lower()
    if scheme not in {"http", "https"}:
        shown = f"{scheme}://" if scheme else "a URL without a scheme"
        raise FetchError(url, f"refused: only http:// and https:// URLs can be fetched, not {shown}")
    if not parsed.host:
        raise FetchError(url, "not a valid URL (it has no host)")
    if parsed.user or parsed.password:
        raise FetchError(url, "refused: URLs with a user name or password are not fetched")
    return parsed


async def check_url(url: str, settings: Settings) -> str:
    """Refuse a URL that is not http(s) or whose host resolves to a non-public address.

    Returns the URL unchanged when it may be fetched; raises FetchError otherwise.
    With `settings.ingest.allow_private_urls` only the scheme is checked.
    """
    parsed = _check_scheme(url)
    if settings.ingest.allow_private_urls:
        return url
    host = parsed.raw_host or ""
    literal = _parse_ip(host)
    if literal is not None:
        check_address(url, host)
        return url
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, parsed.port or 0, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(url, f"the host {host} was not found") from exc
    for info in infos:
        check_address(url, str(info[4][0]))
    return url


class GuardedResolver(AbstractResolver):
    """Resolves host names and refuses non-public addresses at connect time."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            check_address(host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


# ---------------------------------------------------------------- the fetcher


class Fetcher:
    """`async with Fetcher(settings) as f: resp = await f.get(url)`; one session for many requests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "Fetcher":
        ingest = self.settings.ingest
        resolver: AbstractResolver = aiohttp.ThreadedResolver() if ingest.allow_private_urls else GuardedResolver()
        connector = aiohttp.TCPConnector(resolver=resolver, limit=8, use_dns_cache=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": ingest.user_agent, "Accept": "*/*", "Accept-Encoding": ACCEPT_ENCODING},
            cookie_jar=aiohttp.DummyCookieJar(),
            # We inflate bodies ourselves (bot.ingest.inflate) so that what a body inflates to is bounded too.
            auto_decompress=False,
            trust_env=False,  # never route through a proxy from the environment: the guard must see the target
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResponse:
        """GET a URL through the guard; 304 gives `not_modified=True`; every failure raises FetchError."""
        if self._session is None:
            raise RuntimeError("use `async with Fetcher(settings)`")
        timeout = self.settings.ingest.fetch_timeout
        try:
            async with asyncio.timeout(timeout):
                return await self._get(url, etag, last_modified)
        except TimeoutError as exc:
            raise FetchError(url, f"timed out after {timeout:g} s") from exc

    async def _get(self, url: str, etag: str | None, last_modified: str | None) -> FetchResponse:
        assert self._session is not None
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            await check_url(current, self.settings)
            try:
                async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                    if resp.status in _REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchError(url, f"HTTP {resp.status} redirect without a Location")
                        current = str(resp.url.join(URL(location)))
                        continue
                    return await self._finish(url, current, resp)
            except FetchError as exc:
                raise FetchError(url, exc.reason) from exc
            except aiohttp.ClientConnectorDNSError as exc:
                raise FetchError(url, f"the host {URL(current).host} was not found") from exc
            except aiohttp.ClientConnectorError as exc:
                raise FetchError(url, f"could not connect to {URL(current).host}: {exc.os_error.strerror or exc}") from exc
            except aiohttp.ClientPayloadError as exc:
                raise FetchError(url, f"the response was cut short or corrupt ({exc})") from exc
            except aiohttp.ClientError as exc:
                raise FetchError(url, f"the request failed ({exc.__class__.__name__}: {exc})") from exc
        raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")

    async def _finish(self, url: str, final_url: str, resp: aiohttp.ClientResponse) -> FetchResponse:
        headers = CIMultiDict(resp.headers)
        if resp.status == 304:
            return FetchResponse(url, final_url, 304, headers, b"", not_modified=True)
        if resp.status >= 400 or resp.status < 200:
            raise FetchError(url, f"HTTP {resp.status} {resp.reason or ''}".rstrip())
        limit = self.settings.ingest.max_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise FetchError(url, f"the page is {declared:,} bytes, over the {limit:,} limit (ingest.max_bytes)")
        encoding = headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise FetchError(url, f"the server sent the body as {encoding!r}, which Briefbot did not ask for")
        inflater = BoundedInflater(encoding, limit, "the page") if encoding not in ("identity", "") else None
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in resp.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(url, f"the page is larger than the {limit:,}-byte limit (ingest.max_bytes)")
                chunks.extend(inflater.feed(chunk) if inflater else (chunk,))
            if inflater:
                inflater.finish()
        except InflateError as exc:
            raise FetchError(url, str(exc)) from None
        return FetchResponse(url, final_url, resp.status, headers, b"".join(chunks))


async def fetch(url: str, settings: Settings, **kwargs: Any) -> FetchResponse:
    """One guarded GET with a session of its own."""
    async with Fetcher(settings) as fetcher:
        return await fetcher.get(url, **kwargs)
