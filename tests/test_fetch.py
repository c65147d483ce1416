from __future__ import annotations

import socket
import time

import pytest

import bot.ingest.fetch as fetch_module
from bot.config import Settings, load_settings
from bot.errors import UserError
from bot.ingest.fetch import Fetcher, FetchError, GuardedResolver, check_url, fetch
from tests.newsserver import NewsServer, site  # noqa: F401  (fixture)


@pytest.fixture
def guarded(settings: Settings) -> Settings:
    settings.ingest.allow_private_urls = False
    return settings


async def test_a_page_is_fetched_with_our_user_agent(site: NewsServer, settings: Settings) -> None:
    resp = await fetch(site.url("/article.html"), settings)
    assert resp.status == 200 and not resp.not_modified
    assert b"container traffic grew" in resp.body and resp.content_type == "text/html"
    assert site.seen_headers["/article.html"]["User-Agent"] == settings.ingest.user_agent


@pytest.mark.parametrize(
    ("path", "reason"), [("/missing", "HTTP 404 Not Found"), ("/500", "HTTP 500 Internal Server Error")]
)
async def test_http_errors_say_the_status(site: NewsServer, settings: Settings, path: str, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        await fetch(site.url(path), settings)
    assert info.value.reason == reason and isinstance(info.value, UserError)
    assert str(info.value) == f"{site.url(path)}: {reason}"


async def test_a_slow_server_times_out(site: NewsServer, settings: Settings) -> None:
    settings.ingest.fetch_timeout = 0.3
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        await fetch(site.url("/slow"), settings)
    assert info.value.reason == "timed out after 0.3 s"
    assert time.monotonic() - started < 2


async def test_size_limit_holds_by_content_length_and_while_streaming(site: NewsServer, settings: Settings) -> None:
    settings.ingest.max_bytes = 100_000
    with pytest.raises(FetchError) as declared:
        await fetch(site.url("/huge.xml"), settings)
    assert declared.value.reason.startswith("the page is ") and "over the 100,000 limit" in declared.value.reason
    with pytest.raises(FetchError) as streamed:
        await fetch(site.url("/huge-stream.xml"), settings)
    assert streamed.value.reason == "the page is larger than the 100,000-byte limit (ingest.max_bytes)"


async def test_conditional_get_gives_not_modified(site: NewsServer, settings: Settings) -> None:
    async with Fetcher(settings) as fetcher:
        first = await fetcher.get(site.url("/etag.xml"))
        assert first.status == 200 and first.etag == '"v1"' and first.last_modified
        by_etag = await fetcher.get(site.url("/etag.xml"), etag=first.etag)
        by_date = await fetcher.get(site.url("/etag.xml"), last_modified=first.last_modified)
        fresh = await fetcher.get(site.url("/etag.xml"), etag='"v0"')
    assert by_etag.not_modified and by_etag.status == 304 and by_etag.body == b""
    assert by_date.not_modified
    assert not fresh.not_modified and b"Beekeepers" in fresh.body


async def test_text_uses_the_declared_charset_else_a_guess_else_a_clear_refusal(site: NewsServer, settings: Settings) -> None:
    async with Fetcher(settings) as fetcher:
        declared = await fetcher.get(site.url("/cp1252.html"))
        undeclared = await fetcher.get(site.url("/stray-bytes.html"))
        garbage = await fetcher.get(site.url("/garbage.html"))
    assert declared.charset == "windows-1252" and "Zürich" in declared.text() and "crème brûlée" in declared.text()
    assert undeclared.charset is None and "Zürich" in undeclared.text()
    with pytest.raises(FetchError) as info:
        garbage.text()
    assert "not text" in info.value.reason


async def test_redirects_are_followed_and_limited(site: NewsServer, settings: Settings) -> None:
    resp = await fetch(site.url("/redirect?to=/story/wheat.html"), settings)
    assert resp.final_url == site.url("/story/wheat.html") and b"Kansas" in resp.body
    with pytest.raises(FetchError) as info:
        await fetch(site.url("/redirect-loop"), settings)
    assert info.value.reason == "too many redirects (more than 5)"


# ---------------------------------------------------------------- the SSRF guard

REFUSED = [
    ("http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address"),
    ("http://localhost:8080/", "is a loopback address"),
    ("http://10.0.0.1/admin", "refused: 10.0.0.1 is a private address"),
    ("http://192.168.1.1/", "refused: 192.168.1.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
    ("http://[::1]:8000/", "refused: ::1 is a loopback address"),
    ("http://[::ffff:10.0.0.1]/", "maps to 10.0.0.1, which is a private address"),
    ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
    ("http://224.0.0.1/", "is a multicast address"),
    ("ftp://example.com/file", "refused: only http:// and https:// URLs can be fetched, not ftp://"),
    ("file:///etc/passwd", "refused: only http:// and https:// URLs can be fetched, not file://"),
    ("example.com/page", "not a URL without a scheme"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_guard_refuses_non_public_addresses_and_other_schemes(guarded: Settings, url: str, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        await check_url(url, guarded)
    assert reason.replace("not a URL", "a URL") in info.value.reason
    with pytest.raises(FetchError):
        await fetch(url, guarded)


async def test_guard_refuses_the_local_server_before_any_request(site: NewsServer, guarded: Settings) -> None:
    for url in (site.url("/article.html"), f"http://localhost:{site.port}/article.html"):
        with pytest.raises(FetchError) as info:
            await fetch(url, guarded)
        assert "is a loopback address" in info.value.reason
    assert sum(site.hits.values()) == 0


async def test_environment_flag_allows_private_urls(monkeypatch: pytest.MonkeyPatch, site: NewsServer) -> None:
    monkeypatch.setenv("BRIEFBOT_ALLOW_PRIVATE_URLS", "1")
    settings = load_settings()
    assert settings.ingest.allow_private_urls
    assert (await fetch(site.url("/article.html"), settings)).status == 200
    monkeypatch.setenv("BRIEFBOT_ALLOW_PRIVATE_URLS", "0")
    assert not load_settings().ingest.allow_private_urls


async def test_a_redirect_hop_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch, guarded: Settings) -> None:
    # No public server exists in a test: 127.0.0.2 stands in for one (only that address is let through),
    # and it redirects to 127.0.0.1 and to localhost, which the real guard must refuse.
    real = fetch_module.address_problem
    monkeypatch.setattr(fetch_module, "address_problem", lambda ip: None if str(ip) == "127.0.0.2" else real(ip))
    async with NewsServer(host="127.0.0.2") as public, NewsServer() as private:
        assert (await fetch(public.url("/article.html"), guarded)).status == 200
        for target in (private.url("/article.html"), f"http://localhost:{private.port}/article.html"):
            with pytest.raises(FetchError) as info:
                await fetch(public.url(f"/redirect?to={target}"), guarded)
            assert "is a loopback address" in info.value.reason
        assert sum(private.hits.values()) == 0


async def test_dns_rebinding_is_caught_at_connect_time(monkeypatch: pytest.MonkeyPatch, site: NewsServer, guarded: Settings) -> None:
    # The first answer (the URL check) is a public address, the next (the connect) is loopback.
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "rebind.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError) as info:
        await fetch(f"http://rebind.test:{site.port}/article.html", guarded)
    assert info.value.reason.startswith("refused: 127.0.0.1 is a loopback address (") and "allow_private_urls = true" in info.value.reason
    assert sum(site.hits.values()) == 0
    with pytest.raises(FetchError):
        await GuardedResolver().resolve("localhost", 80)
