"""Prompt files in prompts/, rendered with string.Template, and article text fenced as data."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from bot.config import Settings
from bot.errors import UserError

_NAME = re.compile(r"^[a-z0-9_]+$")
# Anything in article text that could close or open our fence is defused.
# ("< /source>", "<\t/ source>" and the full-width "＜/source＞" included).
_FENCE_TAG = re.compile(r"[<＜﹤](\s*/?\s*)(source)", re.IGNORECASE)


def load_prompt(settings: Settings, name: str) -> str:
    """The text of prompts/<name>.md (or the configured prompts_dir)."""
    if not _NAME.match(name):
        raise ValueError(f"bad prompt name {name!r}")
    path = settings.prompts_dir / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"Prompt file not found: {path} (check [llm] prompts_dir).") from exc


def render(template: str, **values: Any) -> str:
    """Fill $name placeholders; braces and dollars inside the values are left alone."""
    try:
        return string.Template(template).substitute({k: str(v) for k, v in values.items()})
    except KeyError as exc:
        raise ValueError(f"prompt placeholder ${exc.args[0]} has no value") from exc


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def _attr(value: Any) -> str:
    return " ".join(str(value or "").replace('"', "'").replace("<", "‹").replace(">", "›").replace("＜", "‹").replace("＞", "›").split())


def defuse(text: str) -> str:
    """Article text with any <source …> / </source> tag made inert."""
    return _FENCE_TAG.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


def fence_sources(items: Iterable[Any]) -> str:
    """Number and fence sources as data: `<source id="n" title=… source=… published=…>text</source>`.

    Each item is a mapping or object with `text` and optionally `n`, `title`, `source`,
    `published`; without `n` the items are numbered from 1 in order.
    """
    blocks: list[str] = []
    for i, item in enumerate(items, 1):
        n = _get(item, "n") or i
        published = str(_get(item, "published") or "")[:10]
        head = f'<source id="{int(n)}" title="{_attr(_get(item, "title"))}"'
        if _get(item, "source"):
            head += f' outlet="{_attr(_get(item, "source"))}"'
        if published:
            head += f' published="{_attr(published)}"'
        blocks.append(f"{head}>\n{defuse(str(_get(item, 'text') or '').strip())}\n</source>")
    return "\n\n".join(blocks)
