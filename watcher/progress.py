"""Progress of a run: a live bar on a terminal, one plain log line per document otherwise (cron, logs)."""

from __future__ import annotations

import logging
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from watcher.pipeline import DocumentResult, RunReport

log = logging.getLogger("watcher.run")


class RunProgress:
    def __init__(self, total: int, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("", total=total)

    def __enter__(self) -> RunProgress:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.live:
            self.progress.stop()

    def update(self, result: DocumentResult) -> None:
        name = f"{result.target.vendor} / {result.target.document}"
        if self.live:
            self.progress.update(self.task, advance=1, description=name)
            if not result.outcome.is_success or result.alerted:
                self.console.print(f"{name}: {result.detail}", markup=False, highlight=False)
        else:
            level = logging.INFO if result.outcome.is_success else logging.WARNING
            log.log(level, "%s: %s%s", name, result.detail, " [alert queued]" if result.alerted else "")

    @staticmethod
    def summary(report: RunReport, console: Console) -> None:
        outcomes = ", ".join(f"{count} {name}" for name, count in sorted(report.outcomes.items()))
        changes = sum(1 for r in report.results if r.severity is not None)
        line = f"checked {len(report.results)} document(s): {outcomes or 'nothing'}; {changes} change(s); "
        line += f"{report.delivered} alert(s) delivered"
        if report.undelivered:
            line += f", {report.undelivered} kept in the outbox ({report.delivery_error})"
        log.info(line)
