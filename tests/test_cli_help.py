"""Help that teaches: every `briefbot` command's --help, as a user runs it, has a description, help for
each argument and an example."""

from __future__ import annotations

import argparse
import re

from bot.transport.cli.main import build_parser
from tests.cli_runner import briefbot


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _commands(child, path + (name,))
    return found


def test_every_subcommand_help_has_a_description_argument_help_and_an_example() -> None:
    commands = _commands(build_parser())
    assert len(commands) >= 18  # root, 7 commands, feeds and its 8 actions, run, console, reindex
    for path, parser in commands:
        ran = briefbot(*path, "--help")
        out = " ".join(ran.stdout.split())
        name = " ".join(("briefbot", *path))
        assert ran.returncode == 0 and ran.stderr == "", (name, ran.stderr)
        assert parser.description and " ".join(parser.description.split())[:60] in out, name
        assert re.search(r"examples?:", out) and "briefbot " in out.split("example", 1)[1], name
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction, argparse._VersionAction)):
                continue
            label = action.option_strings[-1] if action.option_strings else (action.metavar or action.dest)
            assert action.help, f"{name}: {label} has no help"
            assert " ".join(str(action.help).split())[:30] in out, f"{name}: {label}"
