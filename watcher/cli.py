"""The `watcher` command: a thin layer over the library. Exit codes: 0 ran, 1 bad input or not found,
2 configuration error."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # each command imports the stages it uses, so that start-up stays fast
    from watcher.config import Config
    from watcher.models import Diff
    from watcher.search import SearchResults
    from watcher.store import DocumentStatus, Store

log = logging.getLogger("watcher")
# Piped or captured output gets wide tables rather than rich's 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

CONFIG_HELP = "Configuration file (default: config.yaml)."
CLASSIFY_BATCH = 64  # segments classified together (~15% faster than one by one); answers still stream


class RedactSecrets(logging.Filter):
    """Defence in depth: no log line may carry a webhook URL or token, whoever wrote it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[secret]")
            record.msg, record.args = message, None
        return True


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)


def load(config_path: str) -> Config:
    from watcher.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as error:
        err.print(Text(f"configuration error: {error}", style="bold red"))
        sys.exit(2)


def open_store(config_path: str, db: str | None) -> Store:
    from watcher.store import Store, StoreError

    path = Path(db) if db else load(config_path).storage
    try:
        return Store(path, readonly=True)
    except StoreError as error:
        fail(str(error))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log every step (debug level).")
@click.version_option(package_name="policy-watcher")
def main(verbose: bool) -> None:
    """Watch vendors' privacy policies and say in Slack when one changes in a way that matters."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------- run


@main.command()
@click.option("--config", "config_path", default="config.yaml", show_default=True, help=CONFIG_HELP)
def run(config_path: str) -> None:
    """Run one check cycle (fetch, record, classify, alert), then exit. Made for cron."""
    from watcher.pipeline import RunInProgress, run_once
    from watcher.progress import RunProgress
    from watcher.store import StoreError

    config = load(config_path)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets(config.slack.secrets if config.slack else ()))
    try:
        with RunProgress(len(config.targets), err) as progress:
            report = run_once(config, on_result=progress.update)
    except RunInProgress as busy:
        log.warning("%s; this run skips (the next scheduled run will go ahead)", busy)
        return
    except StoreError as error:
        fail(str(error))
    RunProgress.summary(report, err)


# ------------------------------------------------------------------------------------------- demo


@main.command()
@click.option("--keep", type=click.Path(file_okay=False), help="Keep the demo's database in this folder.")
def demo(keep: str | None) -> None:
    """Run the embedded demo: fictional vendors served on 127.0.0.1, two cycles, a real change detected."""
    from watcher.demo import run_demo

    sys.exit(run_demo(out, keep))


# ------------------------------------------------------------------------------- compare / classify


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the stable contract).")
def compare(old: str, new: str, as_json: bool) -> None:
    """Compare two versions of a policy (HTML, Markdown or plain text files) and classify the change."""
    from watcher.classify import assess
    from watcher.diff import diff_policies
    from watcher.normalize import ExtractionError, read_policy_file
    from watcher.serialize import assessment_json

    try:
        old_policy, new_policy = read_policy_file(old), read_policy_file(new)
    except (ExtractionError, OSError) as error:
        fail(str(error))
    change = diff_policies(old_policy, new_policy)
    assessment = assess(change)
    if as_json:
        emit_json(assessment_json(assessment, changed=change.changed or change.moved > 0))
        return
    print_assessment(assessment.severity.label, assessment.categories, assessment.findings)
    print_diff(change)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON Lines in and out (the default and only format).")
def classify(as_json: bool) -> None:
    """Label policy segments: reads {"id", "text"} JSON Lines on stdin, writes {"id", "categories"} lines."""
    from watcher.classify import categorize_all

    def write(items: list[dict]) -> None:
        for item, categories in zip(items, categorize_all([item["text"] for item in items]), strict=True):
            sys.stdout.write(json.dumps({"id": item.get("id"), "categories": list(categories)}) + "\n")
        sys.stdout.flush()

    batch: list[dict] = []
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item["text"], str):
                raise TypeError(item["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            write(batch)  # what came before the bad line is answered
            fail(f'stdin line {number}: expected a JSON object with "id" and "text" (a string)')
        batch.append(item)
        if len(batch) == CLASSIFY_BATCH:
            write(batch)
            batch = []
    write(batch)


# ------------------------------------------------------------------------------------------ history


def _document_option(function: Any) -> Any:
    function = click.option("--document", help="Document name, when a vendor has several.")(function)
    function = click.option("--db", type=click.Path(dir_okay=False), help="Database file (default: from config).")(
        function
    )
    return click.option("--config", "config_path", default="config.yaml", show_default=True, help=CONFIG_HELP)(function)


def _resolve(store: Store, vendor: str, document: str | None) -> tuple[int, str]:
    from watcher import history

    try:
        return history.resolve_document(store, vendor, document)
    except history.NotFound as missing:
        fail(str(missing))


@main.command()
@click.argument("vendor")
@_document_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history_command(vendor: str, document: str | None, db: str | None, config_path: str, as_json: bool) -> None:
    """The versions and changes of one vendor's document, newest first."""
    from watcher import history

    with open_store(config_path, db) as store:
        document_id, _ = _resolve(store, vendor, document)
        timeline = history.timeline(store, document_id)
    if as_json:
        emit_json(timeline)
        return
    print_timeline(timeline)


history_command.name = "history"


@main.command()
@click.argument("vendor")
@_document_option
@click.option("--version", "version_id", type=int, help="Version id (see `watcher history`); default: latest.")
@click.option("--at", "at", help="The version in force at this date or time (ISO 8601, UTC).")
@click.option("--raw", is_flag=True, help="Print the page as fetched instead of the normalized text.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(
    vendor: str,
    document: str | None,
    db: str | None,
    config_path: str,
    version_id: int | None,
    at: str | None,
    raw: bool,
    as_json: bool,
) -> None:
    """Print a version of a vendor's policy: the latest, a given one, or the one in force at a date."""
    from watcher import history

    with open_store(config_path, db) as store:
        document_id, _ = _resolve(store, vendor, document)
        try:
            moment = datetime.fromisoformat(at) if at else None
            version = history.pick_version(store, document_id, version_id, moment)
        except (history.NotFound, ValueError) as error:
            fail(str(error))
        if raw:
            snapshot = history.raw_page(store, version.id)
            if snapshot is None:
                fail(f"version {version.id} has no raw page stored")
            sys.stdout.buffer.write(snapshot.body)
            return
    if as_json:
        emit_json(history.version_json(version))
        return
    err.print(
        Text(
            f"version {version.id}: first seen {version.first_seen:%Y-%m-%d %H:%M}, "
            f"last seen {version.last_seen:%Y-%m-%d %H:%M} UTC",
            style="dim",
        )
    )
    click.echo(version.text)


@main.command()
@click.argument("vendor")
@_document_option
@click.option("--from", "from_id", type=int, help="Old version id (default: the one before --to).")
@click.option("--to", "to_id", type=int, help="New version id (default: latest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def diff(
    vendor: str,
    document: str | None,
    db: str | None,
    config_path: str,
    from_id: int | None,
    to_id: int | None,
    as_json: bool,
) -> None:
    """Show what changed between two versions of a vendor's policy (default: the latest change)."""
    from watcher import history

    with open_store(config_path, db) as store:
        document_id, _ = _resolve(store, vendor, document)
        try:
            comparison = history.compare_versions(store, document_id, from_id, to_id)
        except history.NotFound as missing:
            fail(str(missing))
    if as_json:
        emit_json(history.comparison_json(comparison))
        return
    old, new, change, assessment = comparison
    out.print(
        Text(
            f"version {old.id} ({old.first_seen:%Y-%m-%d}) -> version {new.id} ({new.first_seen:%Y-%m-%d})",
            style="bold",
        )
    )
    print_assessment(assessment.severity.label, assessment.categories, assessment.findings)
    print_diff(change)


@main.command()
@click.option("--config", "config_path", default="config.yaml", show_default=True, help=CONFIG_HELP)
@click.option("--db", type=click.Path(dir_okay=False), help="Database file (default: from config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def vendors(config_path: str, db: str | None, as_json: bool) -> None:
    """Status of every watched document: health, last check, last change."""
    from watcher import history

    with open_store(config_path, db) as store:
        statuses = store.statuses()
    if as_json:
        emit_json([history.status_json(s) for s in statuses])
        return
    print_vendors(statuses)


# ------------------------------------------------------------------------------------ search / serve


@main.command("search")
@click.argument("phrase", nargs=-1, required=True)
@click.option("--config", "config_path", default="config.yaml", show_default=True, help=CONFIG_HELP)
@click.option("--db", type=click.Path(dir_okay=False), help="Database file (default: from config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search_command(phrase: tuple[str, ...], config_path: str, db: str | None, as_json: bool) -> None:
    """Find a phrase in every stored version of every vendor: where it is, and when it appeared or went.
    Exits 1 when no version mentions it."""
    from watcher.search import SearchError, search, search_json

    with open_store(config_path, db) as store:
        try:
            results = search(store, " ".join(phrase))
        except SearchError as error:
            fail(str(error))
    if as_json:
        emit_json(search_json(results))
    else:
        print_search(results)
    if not results.documents:
        sys.exit(1)


@main.command()
@click.option("--config", "config_path", default="config.yaml", show_default=True, help=CONFIG_HELP)
@click.option("--db", type=click.Path(dir_okay=False), help="Database file (default: from config).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--token",
    envvar="WATCHER_TOKEN",
    help="Require this token: 'Authorization: Bearer TOKEN', or as the basic-auth password. Env: WATCHER_TOKEN.",
)
@click.option(
    "--basic-auth",
    "basic_auth",
    envvar="WATCHER_BASIC_AUTH",
    metavar="USER:PASSWORD",
    help="Require basic auth with this user and password. Env: WATCHER_BASIC_AUTH.",
)
def serve(config_path: str, db: str | None, host: str, port: int, token: str | None, basic_auth: str | None) -> None:
    """Browse the history in a web browser (read-only): vendors, timelines, word diffs, search, Atom feed.
    Binds 127.0.0.1; any other address needs --token or --basic-auth."""
    from urllib.parse import urlsplit

    import uvicorn

    from watcher.store import StoreError
    from watcher.web import UnsafeBinding, check_binding, create_app, is_loopback

    credentials = None
    if basic_auth is not None:
        user, colon, password = basic_auth.partition(":")
        if not (user and colon and password):
            fail("--basic-auth: expected USER:PASSWORD", 2)
        credentials = (user, password)
    try:
        check_binding(host, token=token, basic_auth=credentials)
    except UnsafeBinding as unsafe:
        fail(str(unsafe), 2)
    public_url = None
    if db:
        path = Path(db)
    else:
        config = load(config_path)
        path, public_url = config.storage, config.public_url
    allowed_hosts = None
    if is_loopback(host) and not (token or credentials):
        # Nobody else can connect, but a web page could reach us through DNS rebinding: accept only the names
        # this server is really known by.
        allowed_hosts = ["127.0.0.1", "localhost", "::1", host.strip("[]")]
        if public_url and urlsplit(public_url).hostname:
            allowed_hosts.append(str(urlsplit(public_url).hostname))
    try:
        app = create_app(path, token=token, basic_auth=credentials, public_url=public_url, allowed_hosts=allowed_hosts)
    except StoreError as error:
        fail(str(error))
    shown = f"[{host}]" if ":" in host else host
    err.print(Text(f"Serving the history of {path} at http://{shown}:{port}/ (read-only). Ctrl-C stops.", style="bold"))
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)


# ------------------------------------------------------------------------------------------ printing


def print_vendors(statuses: list[DocumentStatus]) -> None:
    table = Table(box=None, pad_edge=False)
    for column in (
        "vendor",
        "document",
        "health",
        "last check",
        "versions",
        "last change",
        "severity",
        "categories",
    ):
        table.add_column(column)
    for s in statuses:
        health = Text("ok", style="green") if s.healthy else Text(f"FAILING ({s.failures})", style="bold red")
        if s.healthy and s.failures:
            health = Text(f"ok ({s.failures} failed)", style="yellow")
        check = f"{s.last_check:%Y-%m-%d %H:%M}" if s.last_check else "never"
        if s.last_outcome and s.last_outcome not in ("ok", "not_modified"):
            check += f" {s.last_outcome}"
        table.add_row(
            s.vendor,
            s.document,
            health,
            check,
            str(s.versions),
            f"{s.last_change:%Y-%m-%d}" if s.last_change else "-",
            s.last_severity.label if s.last_severity else "-",
            ", ".join(s.last_categories),
        )
    out.print(table)
    for s in statuses:
        if s.last_error and not s.healthy:
            out.print(Text(f"{s.vendor} / {s.document}: {s.last_error}", style="red"))


def print_timeline(timeline: dict[str, Any]) -> None:
    out.print(
        Text(f"{timeline['vendor']} / {timeline['document']}", style="bold"), Text(f"  {timeline['url']}", style="dim")
    )
    table = Table(box=None, pad_edge=False)
    for column in ("date", "event", "version", "severity", "categories / details"):
        table.add_column(column)
    for event in timeline["events"]:
        style = {"material": "bold red", "minor": "yellow", "cosmetic": "dim"}.get(event.get("severity") or "", "")
        table.add_row(
            event["date"][:16].replace("T", " "),
            event["event"],
            str(event.get("version") or ""),
            Text(event.get("severity") or "", style=style),
            event.get("detail", ""),
        )
    out.print(table)


def print_assessment(severity: str, categories: Iterable[str], findings: Iterable[Any]) -> None:
    style = {"material": "bold red", "minor": "yellow", "cosmetic": "dim", "none": "green"}[severity]
    out.print(
        Text.assemble(
            ("severity: ", "bold"), (severity, style), ("   categories: ", "bold"), ", ".join(categories) or "-"
        )
    )
    for finding in findings:
        out.print(Text.assemble(("  • ", ""), (finding.summary, "bold")))
        if finding.before:
            out.print(Text(f"      before: {_trim(finding.before)}", style="red"))
        if finding.after:
            out.print(Text(f"      after:  {_trim(finding.after)}", style="green"))


def print_diff(change: Diff) -> None:
    from watcher.models import HunkKind

    if change.moved:
        out.print(Text(f"({change.moved} paragraph(s) moved unchanged)", style="dim"))
    for hunk in change.hunks:
        out.print(Text(f"\n@@ {hunk.section or '(top)'} — {hunk.kind.value}", style="cyan"))
        if hunk.kind is HunkKind.ADDED:
            out.print(Text(f"+ {hunk.after}", style="green"))
        elif hunk.kind is HunkKind.REMOVED:
            out.print(Text(f"- {hunk.before}", style="red"))
        else:
            line = Text("~ ")
            plain = out.color_system is None  # a pipe or NO_COLOR: mark the words as git's --word-diff does
            for op, words in hunk.ops:
                marked = {-1: f"[-{words}-]", 1: f"{{+{words}+}}", 0: words}[op] if plain else words
                line.append(marked, style={-1: "red strike", 1: "green underline", 0: ""}[op])
            out.print(line)


def _trim(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_search(results: SearchResults) -> None:
    """`watcher search`: one paragraph per document, the phrase highlighted in its context."""
    if not results.documents:
        err.print(Text(f"No stored version mentions “{results.phrase}”.", style="yellow"))
        return
    out.print(
        Text(
            f"“{results.phrase}”: {results.versions} version(s) of {results.documents} document(s)"
            + (f", first {len(results.hits)} listed" if results.truncated else ""),
            style="bold",
        )
    )
    for hit in results.hits:
        state = Text("in the current version", style="green") if hit.current else Text("no longer present", style="red")
        out.print(Text.assemble("\n", (f"{hit.vendor} / {hit.document}", "bold"), "  ", state))
        first = hit.first_appeared
        line = f"  first appeared {first.at:%Y-%m-%d %H:%M}" + (
            f" (change {first.change})" if first.change else " (in the first recorded version)"
        )
        if hit.disappeared:
            line += f"; disappeared {hit.disappeared.at:%Y-%m-%d %H:%M} (change {hit.disappeared.change})"
        out.print(Text(line))
        ids = ", ".join(str(v.id) for v in hit.versions)
        older = hit.matching_versions - len(hit.versions)
        out.print(Text(f"  versions: {ids}" + (f" and {older} older" if older else "")))
        context = Text("  ")
        for is_match, text in hit.context:
            context.append(text, style="bold reverse" if is_match else "")
        context.append(f"  (version {hit.context_version})", style="dim")
        out.print(context)
