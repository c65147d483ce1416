"""Text from a model or an article is made safe to post: no mass or user pings.

Transports also send with `AllowedMentions.none()`; breaking the mention syntax
here protects every other place the text may end up (logs, webhooks, embeds).
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

_MASS = re.compile(r"@(?=(?:everyone|here)\b)", re.IGNORECASE)
_ANGLE = re.compile(r"<@(?=[!&]?\d)|<#(?=\d)")


def neutralize_mentions(text: str) -> str:
    """Break @everyone, @here, <@id>, <@!id>, <@&id> (and <#id>) with a zero-width space."""
    if not text:
        return text
    text = _MASS.sub("@" + ZWSP, text)
    return _ANGLE.sub(lambda m: m.group(0) + ZWSP, text)
