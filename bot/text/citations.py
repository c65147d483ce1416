"""Citation markers [n] in model output: keep only numbers of sources that were given."""

from __future__ import annotations

import re
from collections.abc import Collection

# [1], [1, 2], [1][2], [1,2,3]; also full-width brackets some models emit.
_MARKER = re.compile(r"\s*[\[【](\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*)[\]】]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
_DOUBLE_SPACE = re.compile(r"[ \t]{2,}")


def citation_numbers(text: str) -> list[int]:
    """Every number cited in `text`, in order of first appearance."""
    seen: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def check_citations(text: str, valid_numbers: Collection[int]) -> tuple[str, list[int]]:
    """(text with unknown markers dropped, cited valid numbers in order of first appearance).

    `[1, 9]` with only 1 valid becomes `[1]`; `[9]` alone disappears with the space before it.
    Consecutive markers are written as `[1][2]`.
    """
    valid = set(valid_numbers)
    used: list[int] = []

    def fix(match: re.Match[str]) -> str:
        kept: list[int] = []
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if n in valid and n not in kept:
                kept.append(n)
        for n in kept:
            if n not in used:
                used.append(n)
        if not kept:
            return ""
        lead = " " if match.group(0)[:1].isspace() else ""
        return lead + "".join(f"[{n}]" for n in kept)

    clean = _MARKER.sub(fix, text)
    clean = _SPACE_BEFORE_PUNCT.sub(r"\1", clean)
    clean = _DOUBLE_SPACE.sub(" ", clean)
    return clean.strip(), used
