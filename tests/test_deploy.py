"""The deployment files (Dockerfile, compose.yaml, deploy/briefbot.service, deploy/briefbot.env.example) parsed
and checked against the code they run: the command, the user, the store's volume, one environment file, the
health check's command and route, and every environment variable they name being one the settings read."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shlex
from pathlib import Path, PurePosixPath

import pytest
import yaml

from bot.app import App
from bot.config import load_settings
from bot.transport.cli.main import build_parser
from bot.transport.health import HEALTH_PATH, HealthServer
from tests.cli_runner import abriefbot
from tests.conftest import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE = PROJECT_ROOT / "compose.yaml"
UNIT = PROJECT_ROOT / "deploy" / "briefbot.service"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / "briefbot.env.example"
SERVICE_CONFIG = PROJECT_ROOT / "deploy" / "config.toml"
PYTHON_OWN = re.compile(r"^(PYTHON|PIP_|MALLOC_ARENA_MAX$)")  # for the interpreter, pip and glibc, not for Briefbot


# ------------------------------------------------------------------ small parsers


def dockerfile(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        word, _, rest = pending.partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    return out


def docker_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions:
        if word == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def exec_form(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"not exec form: {text}"
    return value


def systemd_unit(path: Path = UNIT) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value (systemd allows a key more than once, e.g. Environment=)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: a setting before any [Section]: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def env_file_names(path: Path = ENV_EXAMPLE) -> tuple[set[str], set[str]]:
    """(names set in the file, names shown commented out as `# NAME=...`)."""
    active, commented = set(), set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^#\s*([A-Z][A-Z0-9_]*)=", line)
        if m:
            commented.add(m.group(1))
            continue
        if line.startswith("#"):
            continue
        assert not line.startswith("export "), "compose's env_file and systemd's EnvironmentFile take no 'export'"
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"not KEY=value: {line}"
        assert not value.startswith(("'", '"')), f"quotes are taken literally by compose: {line}"
        active.add(key)
    return active, commented


def names_the_settings_read() -> set[str]:
    """Environment variable names bot/config.py reads: env.get("X"), env["X"], os.environ.get("X"), _env_flag("X")."""
    tree = ast.parse((PROJECT_ROOT / "bot" / "config.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func.endswith(("environ.get", "env.get", "_env_flag")):
                names.add(str(node.args[0].value))
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if ast.unparse(node.value) in {"env", "os.environ"}:
                names.add(str(node.slice.value))
    return names


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and "services" in data
    return data


@pytest.fixture(scope="module")
def service(compose: dict) -> dict:
    assert list(compose["services"]) == ["briefbot"]
    return compose["services"]["briefbot"]


def _healthcheck(instructions: list[tuple[str, str]]) -> list[str]:
    (rest,) = [r for w, r in instructions if w == "HEALTHCHECK"]
    options, _, command = rest.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    return exec_form(command)


# ------------------------------------------------------------------ the checks


def test_the_parsers_see_what_a_wrong_file_gets_wrong(tmp_path: Path) -> None:
    wrong = tmp_path / "Dockerfile"
    wrong.write_text("FROM python:3.11\nENV A=1 \\\n    B=2\nUSER root\nCMD briefbot console\n")
    parsed = dockerfile(wrong)
    assert docker_env(parsed) == {"A": "1", "B": "2"}
    with pytest.raises(ValueError):
        exec_form(parsed[-1][1])
    unit = tmp_path / "x.service"
    unit.write_text("[Service]\nEnvironment=A=1\nEnvironment=B=2\nUser=root\n")
    assert systemd_unit(unit)["Service"]["Environment"] == ["A=1", "B=2"]
    env = tmp_path / "x.env"
    env.write_text('export TOKEN="x"\n')
    with pytest.raises(AssertionError):
        env_file_names(env)
    assert {"DISCORD_TOKEN", "OPENAI_API_KEY", "BRIEFBOT_DB", "BRIEFBOT_CONFIG"} <= names_the_settings_read()


def test_dockerfile_runs_briefbot_run_as_a_user_with_the_store_on_a_volume() -> None:
    instr = dockerfile()
    words = [w for w, _ in instr]
    assert instr[0] == ("FROM", "python:3.11-slim")
    cmds = [r for w, r in instr if w == "CMD"]
    assert exec_form(cmds[-1]) == ["briefbot", "run"]
    assert "ENTRYPOINT" not in words  # the CMD is the whole command line
    users = [r for w, r in instr if w == "USER"]
    assert users, "no USER: the bot would run as root"
    final_user = users[-1].split(":")[0]
    assert final_user not in {"root", "0"}
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN"), "a RUN after USER would need root"
    assert any("useradd" in r and final_user in r for w, r in instr if w == "RUN")
    volumes = [v for w, r in instr if w == "VOLUME" for v in exec_form(r)]
    env = docker_env(instr)
    store_dir = str(PurePosixPath(env["BRIEFBOT_DB"]).parent)
    assert store_dir in volumes, f"the store {env['BRIEFBOT_DB']} is not on a volume {volumes}"
    assert any("chown" in r and final_user in r and store_dir in r for w, r in instr if w == "RUN"), \
        "the volume's folder must belong to the user, or SQLite cannot write there"
    assert [r for w, r in instr if w == "STOPSIGNAL"] == ["SIGINT"]  # a clean close of the gateway and the store


def test_the_image_reads_the_service_config_and_the_healthcheck_asks_its_port() -> None:
    instr = dockerfile()
    env = docker_env(instr)
    copies = {shlex.split(r)[-1]: shlex.split(r)[0] for w, r in instr if w == "COPY"}
    assert copies[env["BRIEFBOT_CONFIG"]] == "deploy/config.toml"
    settings = load_settings(SERVICE_CONFIG, db_path="/data/briefbot.db")
    assert settings.service.http_port > 0 and settings.service.http_host == "127.0.0.1"
    check = _healthcheck(instr)
    assert check == ["briefbot", "health"]
    # the command exists and probes the route the health server serves
    args = build_parser().parse_args(check[1:])
    assert args.handler.__name__ == "cmd_health"
    from bot.transport.cli.health import health_url

    assert health_url(settings.service.http_host, settings.service.http_port) == f"http://127.0.0.1:9108{HEALTH_PATH}"
    assert health_url("0.0.0.0", 9) == f"http://127.0.0.1:9{HEALTH_PATH}"


def test_dockerignore_keeps_out_secrets_and_state_but_not_what_the_image_copies() -> None:
    patterns = [p.strip() for p in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        hit = False
        for p in patterns:
            negate = p.startswith("!")
            pat = p[1:] if negate else p
            parts = path.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            if any(fnmatch.fnmatch(x, pat) or fnmatch.fnmatch(x, pat.replace("**/", "")) for x in prefixes):
                hit = not negate
        return hit

    sources = [shlex.split(r)[:-1] for w, r in dockerfile() if w == "COPY"]
    for src in (s for group in sources for s in group):
        assert not ignored(src.rstrip("/")), f".dockerignore drops {src}, which the Dockerfile copies"
    for private in (".git", ".venv", "data/briefbot.db", "deploy/briefbot.env", "bot/__pycache__"):
        assert ignored(private), f"{private} would go into the build context"


def test_compose_runs_the_image_with_the_env_file_a_volume_restart_and_the_same_healthcheck(service: dict, compose: dict) -> None:
    assert service["build"] in (".", {"context": "."})
    assert service["command"] == ["briefbot", "run"]
    assert service.get("user") in (None, "briefbot") and service.get("privileged") is not True
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    assert service["env_file"] == ["deploy/briefbot.env"]
    assert ENV_EXAMPLE.name == "briefbot.env.example"  # what README tells the operator to copy to deploy/briefbot.env
    db = service.get("environment", {}).get("BRIEFBOT_DB") or docker_env(dockerfile())["BRIEFBOT_DB"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    store_dir = str(PurePosixPath(db).parent)
    assert store_dir in mounts, f"no volume on {store_dir} for the store {db}"
    assert mounts[store_dir] in compose.get("volumes", {}) or mounts[store_dir].startswith(("./", "/"))
    assert service["healthcheck"]["test"] == ["CMD", *_healthcheck(dockerfile())]
    assert service.get("stop_signal") == "SIGINT"
    assert not service.get("ports") or all(str(p).startswith("127.0.0.1:") for p in service["ports"])


def test_systemd_unit_restarts_on_failure_as_a_user_with_the_same_env_file_and_a_writable_store() -> None:
    unit = systemd_unit()
    svc = unit["Service"]
    one = {k: v[-1] for k, v in svc.items()}
    exe, *argv = one["ExecStart"].split()
    assert PurePosixPath(exe).name == "briefbot" and argv == ["run"]
    assert one["Restart"] == "on-failure"
    assert one["User"] not in {"root", "0"}
    assert PurePosixPath(one["EnvironmentFile"].lstrip("-")).name == Path(compose_env_file()).name
    assert not one["EnvironmentFile"].startswith("-"), "a missing env file must stop the start, not run without a token"
    env = dict(e.split("=", 1) for e in svc.get("Environment", []))
    store_dir = str(PurePosixPath(env["BRIEFBOT_DB"]).parent)
    writable = set(one.get("ReadWritePaths", "").split()) | {f"/var/lib/{d}" for d in one.get("StateDirectory", "").split()}
    if one.get("ProtectSystem") in {"strict", "full", "yes", "true"}:
        assert store_dir in writable, f"ProtectSystem={one['ProtectSystem']} leaves {store_dir} read-only: SQLite cannot write"
    assert one["WorkingDirectory"] in writable
    assert one.get("PrivateTmp") == "yes"  # SQLite's temp files need a writable /tmp under ProtectSystem=strict
    assert one.get("MemoryDenyWriteExecute", "no") == "no"  # numpy/ffi trampolines need it off
    assert "130" in one.get("SuccessExitStatus", "").split() and one["KillSignal"] == "SIGINT"
    assert env["BRIEFBOT_CONFIG"] == docker_env(dockerfile())["BRIEFBOT_CONFIG"]  # the same deploy/config.toml
    assert env["MALLOC_ARENA_MAX"] == docker_env(dockerfile())["MALLOC_ARENA_MAX"] == "2"  # flat memory in both
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def compose_env_file() -> str:
    service = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["briefbot"]
    return str(service["env_file"][0])


def test_every_environment_variable_named_is_one_the_settings_read(service: dict) -> None:
    active, commented = env_file_names()
    assert "DISCORD_TOKEN" in active and "OPENAI_API_KEY" in active
    named = set(active) | commented | set(docker_env(dockerfile())) | set(service.get("environment", {}))
    named |= {e.split("=", 1)[0] for e in systemd_unit()["Service"].get("Environment", [])}
    read = names_the_settings_read()
    unknown = sorted(n for n in named if not PYTHON_OWN.match(n) and n not in read)
    assert not unknown, f"named in the deployment files but never read by bot/config.py: {unknown}"
    # secrets stay out of the files that go into git and the image
    for path in (DOCKERFILE, COMPOSE, UNIT):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(DISCORD_TOKEN|OPENAI_API_KEY)\s*[=:]\s*\S", text), f"a secret in {path.name}"


# ------------------------------------------------------------------ `briefbot health`, what the HEALTHCHECK runs


async def test_briefbot_health_asks_the_configured_port_and_says_what_fails(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = tmp_path / "config.toml"
    config.write_text(SERVICE_CONFIG.read_text().replace("http_port = 9108", f"http_port = {port}"))
    db = tmp_path / "store.db"
    env = {"BRIEFBOT_CONFIG": str(config)}

    ran = await abriefbot("health", db=db, env=env)
    assert ran.returncode == 1 and f"nothing answers on http://127.0.0.1:{port}/healthz" in ran.stderr

    settings = load_settings(config, db_path=str(db))
    connected = {"now": True}
    app = await App.open(settings)
    server = HealthServer(app, gateway=lambda: connected["now"])
    try:
        assert await server.start() == port  # the port from the config file, as `briefbot run` serves it
        ran = await abriefbot("health", db=db, env=env)
        assert ran.returncode == 0, ran.stderr
        assert "healthy" in ran.stdout
        connected["now"] = False
        ran = await abriefbot("health", db=db, env=env)
        assert ran.returncode == 1 and "gateway: not connected" in ran.stderr
        ran = await abriefbot("health", "--json", db=db, env=env)
        assert ran.returncode == 1 and json.loads(ran.stdout)["status"] == 503
    finally:
        await server.stop()
        await app.close()

    off = tmp_path / "off.toml"
    off.write_text("[service]\nhttp_port = 0\n")
    ran = await abriefbot("health", db=db, env={"BRIEFBOT_CONFIG": str(off)})
    assert ran.returncode == 2 and "http_port" in ran.stderr
