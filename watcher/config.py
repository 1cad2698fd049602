"""config.yaml + environment secrets -> a validated Config; every mistake names the file, the key and the fix."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml

from watcher.classify import DEFAULT_WATCHED
from watcher.fetch import FetchSettings
from watcher.models import CATEGORIES, Severity, Target

T = TypeVar("T")
DEFAULT_STORAGE = "snapshots/watcher.db"
DEFAULT_DOCUMENT = "Privacy Policy"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, the key and the problem (every problem
    found, one per line, when there are several: `problems`)."""

    def __init__(self, path: Path | str, key: str, problem: str, line: int | None = None) -> None:
        self.path, self.key, self.problem, self.line = str(path), key, problem, line
        self.problems: tuple[ConfigError, ...] = (self,)
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")

    @classmethod
    def several(cls, problems: list[ConfigError]) -> ConfigError:
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        lines = "\n".join(f"  {p}" for p in problems)
        error = cls(first.path, first.key, f"{first.problem}\n{len(problems)} problems:\n{lines}", first.line)
        error.problems = tuple(problems)
        return error


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    """Where alerts go: an incoming webhook, or a bot token and a channel. Secrets never appear in repr."""

    webhook_url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    channel: str | None = None
    base_url: str | None = None  # Slack Web API base, for a local stand-in or a proxy
    timeout: float = 10.0  # seconds to wait for Slack before keeping the alert for the next run

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.webhook_url, self.token) if s)


@dataclass(frozen=True, kw_only=True)
class AlertPolicy:
    """Which changes alert: at least `min_severity`, in one of the watched categories."""

    min_severity: Severity = Severity.MATERIAL
    watched: frozenset[str] = DEFAULT_WATCHED
    failing_after: int = 3  # consecutive failed checks before a document's health turns failing
    confirm_changes: bool = True  # fetch a changed page a second time before recording the change


@dataclass(frozen=True, kw_only=True)
class Config:
    path: Path
    storage: Path
    fetch: FetchSettings
    slack: SlackSettings | None
    alerts: AlertPolicy
    targets: tuple[Target, ...]
    public_url: str | None = None

    @property
    def vendors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.vendor for t in self.targets))


# ------------------------------------------------------------------------------------------ loading


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file. Raises ConfigError naming the file, the key and the problem."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found (pass --config FILE or create config.yaml)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, "", f"cannot be read: {error}") from None
    return parse_config(source, path, os.environ if environ is None else environ)


def parse_config(source: str, path: Path, environ: Mapping[str, str]) -> Config:
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(path, "", f"invalid YAML: {problem}", line) from None
    reader = _Reader(path, _key_lines(node), environ)
    if data is None:
        data = {}
    return reader.config(data)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Map each key path ("vendors[0].url") to its line, so that errors can point at it."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[path] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            lines[path] = item.start_mark.line + 1
            lines.update(_key_lines(item, path))
    return lines


_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


class _Reader:
    """Walks the parsed YAML, checking each section's keys and types against what the code accepts."""

    def __init__(self, path: Path, lines: dict[str, int], environ: Mapping[str, str]) -> None:
        self.path, self.lines, self.environ = path, lines, environ
        self.problems: list[ConfigError] = []

    def error(self, key: str, problem: str) -> ConfigError:
        """An error about `key`, at its line, or its nearest parent's line when the key itself is absent."""
        parent = key
        while (line := self.lines.get(parent)) is None:
            shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", parent)
            if shorter == parent:
                break
            parent = shorter
        return ConfigError(self.path, key or "(top level)", problem, line)

    # -- typed getters

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key or "(top level)", f"must be a mapping of keys, not {_kind(value)}")
        for name in value:
            if name not in allowed:
                hint = difflib.get_close_matches(str(name), allowed, n=1)
                fix = f"did you mean '{hint[0]}'?" if hint else f"allowed keys: {', '.join(allowed)}"
                full = f"{key}.{name}" if key else str(name)
                self.problems.append(ConfigError(self.path, full, f"unknown key ({fix})", self.lines.get(full)))
        return {name: item for name, item in value.items() if name in allowed}

    def attempt(self, read: Callable[[], T], default: T) -> T:
        """Read one value; on a mistake, note it and go on, so that one run reports every mistake."""
        try:
            return read()
        except ConfigError as error:
            self.problems.append(error)
            return default

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {_kind(value)}")
        return self.expand(value, key) if "${" in value else value

    def optional_string(self, value: Any, key: str) -> str | None:
        if value is None:
            return None
        text = self.string(value, key)
        return text or None

    def secret(self, value: Any, key: str) -> str | None:
        """An optional secret; never quoted in an error, since the message may end up in a log."""
        text = self.optional_string(value, key)
        if text is not None and any(c.isspace() or ord(c) < 32 for c in text):
            raise self.error(key, "contains whitespace or control characters (a newline from a secret file?)")
        return text

    def number(self, value: Any, key: str, *, minimum: float, integer: bool = False) -> Any:
        wanted = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise self.error(key, f"must be {'an integer' if integer else 'a number'}, not {_kind(value)}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}")
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        """A string or a list of strings (CSS selectors, categories)."""
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise self.error(key, f"must be a string or a list of strings, not {_kind(value)}")
        return tuple(self.string(item, f"{key}[{i}]") for i, item in enumerate(items))

    def url(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.error(key, f"must be an http:// or https:// URL, not {text!r}")
        return text

    def expand(self, value: str, key: str) -> str:
        """Replace ${NAME} (required) and ${NAME:-default} (optional) with environment variables."""

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.environ and self.environ[name] != "":
                return self.environ[name]
            if default is not None:
                return default
            raise self.error(
                key, f"environment variable {name} is not set (export it, or write ${{{name}:-}} if optional)"
            )

        return _ENV_REFERENCE.sub(replace, value)

    # -- sections

    def config(self, data: Any) -> Config:
        top = self.attempt(
            lambda: self.mapping(data, "", ("storage", "public_url", "fetch", "slack", "alerts", "vendors")),
            {},
        )
        storage = Path(
            self.attempt(lambda: self.string(top.get("storage", DEFAULT_STORAGE), "storage"), DEFAULT_STORAGE)
        )
        if not storage.is_absolute():
            storage = self.path.parent / storage
        public_url = top.get("public_url")
        config = Config(
            path=self.path,
            storage=storage,
            fetch=self.fetch(top.get("fetch")),
            slack=self.attempt(lambda: self.slack(top.get("slack")), None),
            alerts=self.alerts(top.get("alerts")),
            targets=self.attempt(lambda: self.vendors(top.get("vendors")), ()),
            public_url=self.attempt(lambda: self.url(public_url, "public_url").rstrip("/"), None)
            if public_url is not None
            else None,
        )
        if self.problems:
            raise ConfigError.several(self.problems)
        return config

    def fetch(self, value: Any) -> FetchSettings:
        readers: dict[str, Callable[[Any, str], Any]] = {
            "user_agent": self.string,
            "timeout": lambda v, k: float(self.number(v, k, minimum=0.1)),
            "max_bytes": lambda v, k: self.number(v, k, minimum=1024, integer=True),
            "per_host_delay": lambda v, k: float(self.number(v, k, minimum=0)),
            "retries": lambda v, k: self.number(v, k, minimum=0, integer=True),
            "backoff": lambda v, k: float(self.number(v, k, minimum=0)),
            "max_retry_after": lambda v, k: float(self.number(v, k, minimum=0)),
            "max_redirects": lambda v, k: self.number(v, k, minimum=0, integer=True),
            "respect_robots": self.boolean,
            "allow_private_networks": self.boolean,
        }
        section = self.attempt(lambda: self.mapping(value, "fetch", tuple(readers)), {})
        settings = {}
        for name, item in section.items():
            settings[name] = self.attempt(lambda n=name, v=item: readers[n](v, f"fetch.{n}"), None)
        return FetchSettings(**{name: v for name, v in settings.items() if v is not None})

    def slack(self, value: Any) -> SlackSettings | None:
        section = self.mapping(value, "slack", ("webhook_url", "token", "channel", "base_url", "timeout"))
        if not section:
            return None
        settings = SlackSettings(
            webhook_url=self.secret(section.get("webhook_url"), "slack.webhook_url"),
            token=self.secret(section.get("token"), "slack.token"),
            channel=self.optional_string(section.get("channel"), "slack.channel"),
            base_url=self.optional_string(section.get("base_url"), "slack.base_url"),
            timeout=float(self.number(section.get("timeout", 10.0), "slack.timeout", minimum=0.1)),
        )
        if settings.webhook_url and settings.token:
            raise self.error("slack", "set either webhook_url or token + channel, not both")
        if settings.token and not settings.channel:
            raise self.error("slack.channel", "is required with slack.token (e.g. '#vendor-privacy')")
        if settings.webhook_url and not settings.webhook_url.startswith(("https://", "http://")):
            raise self.error("slack.webhook_url", "must be an https:// URL from Slack's Incoming Webhooks")
        if not settings.webhook_url and not settings.token:
            return None  # every reference was optional and unset: alerts go to the console
        return settings

    def alerts(self, value: Any) -> AlertPolicy:
        return self.attempt(lambda: self._alerts(value), AlertPolicy())

    def _alerts(self, value: Any) -> AlertPolicy:
        section = self.mapping(value, "alerts", ("min_severity", "categories", "failing_after", "confirm_changes"))
        settings: dict[str, Any] = {}
        if "min_severity" in section:
            text = self.string(section["min_severity"], "alerts.min_severity")
            choices = ("cosmetic", "minor", "material")
            if text.lower() not in choices:
                raise self.error("alerts.min_severity", f"must be one of {', '.join(choices)}, not {text!r}")
            settings["min_severity"] = Severity.parse(text)
        if "categories" in section:
            watched = self.strings(section["categories"], "alerts.categories")
            for index, name in enumerate(watched):
                if name not in CATEGORIES:
                    raise self.error(
                        f"alerts.categories[{index}]",
                        f"unknown category {name!r} (one of: {', '.join(CATEGORIES)})",
                    )
            settings["watched"] = frozenset(watched)
        if "confirm_changes" in section:
            settings["confirm_changes"] = self.boolean(section["confirm_changes"], "alerts.confirm_changes")
        if "failing_after" in section:
            settings["failing_after"] = self.number(
                section["failing_after"], "alerts.failing_after", minimum=1, integer=True
            )
        return AlertPolicy(**settings)

    def vendors(self, value: Any) -> tuple[Target, ...]:
        if value is None:
            raise self.error("vendors", "is missing: list at least one vendor with a name and a url")
        if not isinstance(value, list) or not value:
            raise self.error("vendors", f"must be a non-empty list of vendors, not {_kind(value)}")
        targets: list[Target] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(value):
            key = f"vendors[{index}]"
            vendor = self.attempt(
                lambda i=item, k=key: self.mapping(i, k, ("name", "url", "select", "remove", "documents")), None
            )
            if vendor is None:
                continue
            targets.extend(self.attempt(lambda v=vendor, k=key: self.vendor(v, k, seen), []))
        return tuple(targets)

    def vendor(self, vendor: dict[str, Any], key: str, seen: dict[str, str]) -> list[Target]:
        name = self.string(vendor.get("name"), f"{key}.name").strip()
        if name.casefold() in seen:
            raise self.error(f"{key}.name", f"duplicate vendor {name!r} (already listed as {seen[name.casefold()]})")
        seen[name.casefold()] = key
        return self.documents(vendor, key, name)

    def documents(self, vendor: dict[str, Any], key: str, name: str) -> list[Target]:
        if "documents" in vendor:
            if "url" in vendor:
                raise self.error(f"{key}.url", "give either url (one document) or documents (several), not both")
            documents = vendor["documents"]
            if not isinstance(documents, list) or not documents:
                raise self.error(f"{key}.documents", f"must be a non-empty list, not {_kind(documents)}")
        elif "url" in vendor:
            documents = [{k: vendor[k] for k in ("url", "select", "remove") if k in vendor}]
        else:
            raise self.error(key, f"vendor {name!r} needs a url (or a list of documents)")
        targets: list[Target] = []
        for index, item in enumerate(documents):
            doc_key = f"{key}.documents[{index}]" if "documents" in vendor else key
            document = self.mapping(item, doc_key, ("name", "url", "select", "remove"))
            if "name" in document:
                title = self.string(document["name"], f"{doc_key}.name").strip()
            elif len(documents) == 1:
                title = DEFAULT_DOCUMENT
            else:
                raise self.error(f"{doc_key}.name", "is required when a vendor lists several documents")
            if any(t.document.casefold() == title.casefold() for t in targets):
                raise self.error(f"{doc_key}.name", f"duplicate document {title!r} for vendor {name!r}")
            targets.append(
                Target(
                    vendor=name,
                    document=title,
                    url=self.url(document.get("url"), f"{doc_key}.url"),
                    select=self.strings(document.get("select"), f"{doc_key}.select"),
                    remove=self.strings(document.get("remove"), f"{doc_key}.remove"),
                )
            )
        return targets


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    shown = repr(value) if isinstance(value, (bool, int, float, str)) and len(repr(value)) < 40 else ""
    return f"{names.get(type(value), type(value).__name__)}{f' ({shown})' if shown else ''}"
