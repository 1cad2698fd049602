"""Values that flow between the pipeline's stages: small, frozen, and free of I/O.

config -> Target -> fetch -> Fetched -> normalize -> PolicyText -> store -> Version
       -> diff -> Diff -> classify -> Assessment (Findings) -> store -> Change -> Alert -> notify
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

# --------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One document of one vendor to watch: where it lives and how to cut its policy text out of the page."""

    vendor: str
    document: str  # the document's name within the vendor, e.g. "Privacy Policy"
    url: str
    select: tuple[str, ...] = ()  # CSS selectors of the policy's content; empty = found automatically
    remove: tuple[str, ...] = ()  # CSS selectors of parts to drop before extraction

    @property
    def key(self) -> str:
        """Stable identity of the document across runs (vendor + document name)."""
        return f"{self.vendor} / {self.document}"


# ----------------------------------------------------------------------------------------------- fetch


class Outcome(enum.StrEnum):
    """How one fetch attempt ended. Only OK and NOT_MODIFIED are successes; every other value is a failure."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"  # 4xx/5xx after retries
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TOO_LARGE = "too_large"  # body (decompressed) above the size limit
    NOT_A_DOCUMENT = "not_a_document"  # neither HTML, plain text, Markdown nor PDF
    REDIRECT_LOOP = "redirect_loop"  # a loop, or too many redirects
    BLOCKED_ADDRESS = "blocked_address"  # loopback/private/link-local target without allow_private_networks
    ROBOTS_DISALLOWED = "robots_disallowed"
    # Failures judged from the content (the page came back, but it is not the policy):
    CHALLENGE = "challenge"  # anti-bot or CAPTCHA page
    LOGIN_WALL = "login_wall"
    SOFT_404 = "soft_404"  # a 200 that says the page is gone
    EMPTY = "empty"  # empty or tiny body / policy text
    TEXT_LOSS = "text_loss"  # most of the last version's text suddenly gone
    UNSTABLE = "unstable"  # two fetches moments apart gave different texts
    EXTRACTION_ERROR = "extraction_error"  # the page could not be turned into text

    @property
    def is_success(self) -> bool:
        return self in (Outcome.OK, Outcome.NOT_MODIFIED)


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators kept from the last good response, sent back as If-None-Match/If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """The result of fetching one Target: a body on success, a reason a person understands on failure."""

    target: Target
    outcome: Outcome
    fetched_at: datetime
    final_url: str  # after redirects
    status: int | None = None  # last HTTP status, None when no response came back
    body: bytes = b""  # decompressed body as received (kept compressed with each snapshot)
    text: str = ""  # body decoded to str with the detected charset ("" for PDF and failures)
    content_type: str = ""  # media type without parameters, e.g. "text/html"
    charset: str | None = None
    validators: Validators = Validators()
    redirects: tuple[str, ...] = ()  # every URL visited before final_url, in order
    duration_ms: float = 0.0
    error: str | None = None  # why it failed, for people: "HTTP 503 Service Unavailable after 3 attempts"

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


# ------------------------------------------------------------------------------------------- normalize


class BlockKind(enum.StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"  # list item
    ROW = "row"  # table row, cells joined with " | "


@dataclass(frozen=True)
class Block:
    """One unit of policy text: a heading, a paragraph, a list item or a table row."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level 1-6, list nesting depth (0 = top), 0 otherwise


@dataclass(frozen=True)
class PolicyText:
    """A policy as canonical structured text. `render()` is what is stored, hashed and diffed."""

    blocks: tuple[Block, ...]
    title: str = ""

    def render(self) -> str:
        from watcher.normalize import render  # one place knows the textual format

        return render(self)

    @property
    def word_count(self) -> int:
        return sum(len(b.text.split()) for b in self.blocks)

    def sections(self) -> list[str]:
        """The heading each block sits under; a heading starts (and names) its own section."""
        current = ""
        sections = []
        for block in self.blocks:
            if block.kind is BlockKind.HEADING:
                current = block.text
            sections.append(current)
        return sections


# ------------------------------------------------------------------------------------------------ diff


class HunkKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Hunk:
    """One changed paragraph (or block) between two versions, with the section heading it sits under."""

    kind: HunkKind
    section: str  # the nearest heading above ("" before the first heading)
    before: str  # the old block's text ("" when added)
    after: str  # the new block's text ("" when removed)
    # word-level operations inside a changed block: (-1 deleted | 0 equal | 1 inserted, text)
    ops: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Diff:
    """All changes between two versions. Paragraphs that only moved are counted, not reported as hunks."""

    hunks: tuple[Hunk, ...]
    moved: int = 0  # blocks present in both versions at different places
    # The versions compared: facts are judged against the whole text (a name already mentioned elsewhere
    # in the old version is not a new third party).
    old: PolicyText | None = field(default=None, repr=False, compare=False)
    new: PolicyText | None = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.hunks)


# -------------------------------------------------------------------------------------------- classify


class Severity(enum.IntEnum):
    """How much a change matters. Ordered, so policies can say "at least minor"."""

    NONE = 0
    COSMETIC = 1
    MINOR = 2
    MATERIAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls[value.strip().upper()]


CATEGORIES: tuple[str, ...] = (
    "collection",
    "sharing",
    "rights",
    "choices",
    "retention",
    "security",
    "audiences",
    "transfers",
    "policy_change",
    "contact",
)


@dataclass(frozen=True)
class Finding:
    """A fact that changed, stated as before -> after, with the sentence it came from."""

    category: str
    severity: Severity
    summary: str  # "retention: 30 days -> 24 months", "new third party: Segment"
    before: str = ""  # the old value or sentence ("" when added)
    after: str = ""  # the new value or sentence ("" when removed)
    section: str = ""


@dataclass(frozen=True)
class Assessment:
    """What a change means: its severity, the taxonomy categories it touches, and the facts that changed."""

    severity: Severity
    categories: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


# ------------------------------------------------------------------------------------- store and alerts


@dataclass(frozen=True)
class Version:
    """A distinct text of a document, with when it was first and last seen."""

    id: int
    document_id: int
    digest: str  # sha256 of the rendered text
    text: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Change:
    """A classified change between two versions of one document, as stored."""

    id: int
    vendor: str
    document: str
    url: str
    from_version: int
    to_version: int
    from_date: datetime
    to_date: datetime
    assessment: Assessment
    flip: bool = False  # the new text returns to a recent earlier version


class AlertKind(enum.StrEnum):
    CHANGE = "change"  # a policy changed
    FAILING = "failing"  # a document's checks started failing
    RECOVERED = "recovered"  # and came back


@dataclass(frozen=True)
class Alert:
    """A message waiting in the outbox, with everything a reporter needs to say it."""

    id: int
    kind: AlertKind
    vendor: str
    document: str
    url: str
    created_at: datetime
    assessment: Assessment = field(default_factory=lambda: Assessment(Severity.NONE))
    from_date: datetime | None = None
    to_date: datetime | None = None
    change_id: int | None = None
    reason: str = ""  # for health alerts: why checks fail
    link: str | None = None  # link to the change page in the history browser, when public_url is set
