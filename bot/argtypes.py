"""Whole numbers typed on the command line, checked against a range before they reach SQLite or tantivy.

An unbounded `int` argument turns `show 99999999999999999999999` into an OverflowError from
sqlite3 (and `search -k 99999999999` into a panic in tantivy); a range makes it a usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

MAX_ID = 2**63 - 1  # SQLite's largest integer


def count(minimum: int, maximum: int = MAX_ID) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum`, else a clear usage error."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value!r} is less than {minimum}")
        if number > maximum:
            raise argparse.ArgumentTypeError(f"{value!r} is more than {maximum:,}")
        return number

    return parse
