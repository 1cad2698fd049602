"""The README cannot drift: it opens with the two commands, and documents every command and config key."""

import dataclasses
import re
from pathlib import Path

from watcher.cli import main
from watcher.fetch import FetchSettings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    first_lines = [line.strip() for line in README.splitlines()[1:6] if line.strip()]
    assert first_lines[0].startswith("make demo") and first_lines[1].startswith("make test")


def test_every_command_is_documented():
    for name in main.commands:
        assert f"`watcher {name}" in README, f"README does not document `watcher {name}`"


def test_every_fetch_setting_is_documented():
    for field in dataclasses.fields(FetchSettings):
        assert f"`fetch.{field.name}`" in README, f"README does not document fetch.{field.name}"


def test_documented_fetch_defaults_match_the_code():
    for field in dataclasses.fields(FetchSettings):
        row = re.search(rf"\| `fetch\.{field.name}` \| `([^`]*)`", README)
        if row is None or isinstance(field.default, str):
            continue
        documented = row.group(1)
        if isinstance(field.default, bool):
            assert documented == str(field.default).lower(), field.name
        else:
            assert float(documented) == float(field.default), field.name
