from __future__ import annotations

import dataclasses
import tomllib

import pytest

from bot.config import Settings, load_settings
from bot.errors import UserError
from tests.conftest import PROJECT_ROOT


def test_example_config_documents_every_key_with_its_default() -> None:
    example = tomllib.loads((PROJECT_ROOT / "config.example.toml").read_text(encoding="utf-8"))
    defaults = Settings()
    for section in dataclasses.fields(defaults):
        if section.name == "config_path":
            continue
        documented = example.get(section.name)
        assert documented is not None, f"[{section.name}] missing from config.example.toml"
        for key in dataclasses.fields(getattr(defaults, section.name)):
            assert key.name in documented, f"[{section.name}] {key.name} missing from config.example.toml"
            assert documented[key.name] == getattr(getattr(defaults, section.name), key.name), (section.name, key.name)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-very-secret")
    settings = load_settings()
    assert settings.llm.api_key == "sk-very-secret"
    assert "very-secret" not in repr(settings)


def test_wrong_types_are_refused_with_the_key_named(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[ingest]\npassage_tokens = "lots"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"\[ingest\] passage_tokens must be a number"):
        load_settings(path)
