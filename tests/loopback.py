"""Starting the tests' local servers (fake OpenAI, fake Discord, news sites) on a free loopback port."""

from __future__ import annotations

from aiohttp import web


async def serve_on_loopback(runner: web.AppRunner, host: str = "127.0.0.1") -> int:
    """Set up `runner`, serve it on `host` at a port the OS picks, and return that port."""
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
