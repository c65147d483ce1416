"""`briefbot health`: ask the running bot's /healthz (the Docker HEALTHCHECK and a probe for systemd hosts).

It reads the same settings as `briefbot run` (BRIEFBOT_CONFIG, `--config`), so it asks the port the bot
serves on. Exit 0 when healthy, 1 when the endpoint answers unhealthy or nothing answers, 2 when the
endpoint is off (`[service] http_port = 0`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

from bot.config import load_settings
from bot.transport.health import HEALTH_PATH

WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def health_url(host: str, port: int) -> str:
    """The URL to probe: a wildcard bind address is asked on loopback."""
    if host in WILDCARDS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{HEALTH_PATH}"


async def cmd_health(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, args.db)
    service = settings.service
    if not service.http_port:
        print("briefbot: the health endpoint is off: set [service] http_port (e.g. 9108) in the config file.",
              file=sys.stderr)
        return 2
    url = health_url(service.http_host, service.http_port)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=args.timeout)) as session:
            async with session.get(url) as response:
                status = response.status
                text = await response.text()
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        print(f"briefbot: nothing answers on {url} ({type(exc).__name__}): is briefbot run running?", file=sys.stderr)
        return 1
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if args.json:
        print(json.dumps({"url": url, "status": status, "body": body}, indent=2))
    if status == 200:
        if not args.json:
            print(f"healthy ({url})")
        return 0
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    failing = [f"{name}: {c.get('detail', '')}" for name, c in checks.items() if isinstance(c, dict) and not c.get("ok")]
    if not args.json:
        print(f"unhealthy ({url}, HTTP {status}): " + ("; ".join(failing) or text[:200]), file=sys.stderr)
    return 1


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "health", parents=[common], help="ask the running bot's /healthz (exit 0 when healthy)",
        description="Ask the /healthz endpoint of the bot or console running with this config ([service] http_port) "
        "and print its checks: the exit status is 0 when it is healthy, 1 when a check fails or it does not answer "
        "(the Docker HEALTHCHECK and a systemd probe use it).",
        epilog="example: briefbot --config deploy/config.toml health --timeout 3",
    )
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)")
    p.set_defaults(handler=cmd_health)
