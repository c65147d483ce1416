"""Run `briefbot` in this process, as a user would from a shell, and capture what it prints.

Starting Python for each command cost the suite most of its time; `main(argv)` in process gives the
same exit status, stdout and stderr. The environment and working folder are set for the call only.
Two smoke tests (tests/test_cli.py) still start a real `python -m bot` subprocess.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.transport.cli.main import main
from tests.conftest import PROJECT_ROOT

SECRETS = {"BRIEFBOT_CONFIG", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DISCORD_TOKEN", "BRIEFBOT_MODEL"}


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _environment(db: Path | None, env: dict[str, str] | None) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if k not in SECRETS}
    if db is not None:
        full["BRIEFBOT_DB"] = str(db)
    full.update(env or {})
    return full


def briefbot(
    *args: str, db: Path | None = None, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None
) -> Ran:
    """`briefbot ARGS` in process. Called inside a running event loop, it runs in a thread of its own (the loop
    waits; use `abriefbot` when the loop must keep serving a test server meanwhile)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(args, db, cwd, env, input)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_run, args, db, cwd, env, input).result()


def _run(
    args: tuple[str, ...], db: Path | None, cwd: Path | None, env: dict[str, str] | None, input: str | None = None
) -> Ran:
    """`input`: what the command reads on stdin (the console's lines); none: an empty stdin."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(input or "")
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level  # main() configures logging for its run
    environment = _environment(db, env)  # read before the clear below: it starts from this process's own
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(cwd or PROJECT_ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help, usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        root.handlers, root.level = saved_handlers, saved_level
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Ran(code, out.getvalue(), err.getvalue())


async def abriefbot(*args: str, db: Path | None = None, env: dict[str, str] | None = None, input: str | None = None) -> Ran:
    """The same from a coroutine: the command runs in a thread while this loop keeps serving test servers."""
    return await asyncio.to_thread(_run, args, db, None, env, input)


def briefbot_subprocess(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real `python -m bot` process (smoke tests only)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=PROJECT_ROOT,
        env=_environment(db, env), timeout=120,
    )
