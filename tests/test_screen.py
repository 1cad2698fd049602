"""screen() and challenge_response() on their own: the verdicts the fault suite reaches through `watcher run`,
plus those that depend on what the pipeline passes in (the last version) or on one HTTP status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pages import (
    GENUINE,
    HCAPTCHA_WALL,
    KESTREL,
    Genuine,
    cosmetic,
    first_part,
    kestrel_policy,
    page,
)

from watcher.models import Fetched, Outcome, PolicyText, Target
from watcher.normalize import normalize
from watcher.screen import challenge_response, screen

TARGET = Target(vendor=KESTREL, document="Privacy Policy", url="https://kestrelforms.example/legal/privacy")
LAST = normalize(page(KESTREL, kestrel_policy(), 1))


def judge(html: str, previous: PolicyText | None = LAST, **fetched: object) -> Outcome | None:
    settings: dict[str, object] = {"final_url": TARGET.url, "content_type": "text/html"} | fetched
    served = Fetched(TARGET, Outcome.OK, datetime.now(UTC), status=200, text=html, **settings)  # type: ignore[arg-type]
    policy = normalize(html)
    verdict = screen(served, policy, previous.word_count if previous else None, previous=previous)
    return verdict.outcome if verdict else None


def test_a_page_that_stops_part_way_through_the_last_version_is_text_loss() -> None:
    assert judge(page(KESTREL, first_part(kestrel_policy(), 0.66), 2)) is Outcome.TEXT_LOSS
    assert judge(page(KESTREL, first_part(kestrel_policy(), 0.66), 2), previous=None) is None  # words alone


def test_markup_cut_short_is_text_loss_even_when_most_of_the_text_is_there() -> None:
    whole = page(KESTREL, kestrel_policy(), 2)
    cut = whole[: whole.index("<h2>13. Contact</h2>")]  # no </main>, </body> or </html> after it

    assert judge(cut) is Outcome.TEXT_LOSS


def test_a_policy_that_drops_its_last_section_on_a_whole_page_is_a_change_not_a_failure() -> None:
    body = kestrel_policy()
    shorter = body[: body.index("<h2>13. Contact</h2>")]

    assert judge(page(KESTREL, shorter, 2)) is None


def test_a_rewrite_to_two_thirds_of_the_length_is_a_change_not_a_failure() -> None:
    body = kestrel_policy()
    rewritten = body.replace("<h2>2. What we collect</h2>", "<h2>2. The data we process</h2>")
    rewritten = first_part(rewritten, 0.66)

    assert judge(page(KESTREL, rewritten, 2)) is None


def test_a_cosmetic_edit_is_not_screened_out() -> None:
    assert judge(page(KESTREL, cosmetic(kestrel_policy()), 2)) is None


@pytest.mark.parametrize("genuine", GENUINE, ids=lambda g: g.name)
def test_a_policy_that_only_looks_suspicious_passes_even_as_a_first_version(genuine: Genuine) -> None:
    assert judge(genuine.html(genuine.body, 1), previous=None) is None


# ------------------------------------------------------------------------------ challenge_response


@pytest.mark.parametrize("status", [403, 429, 503])
def test_a_captcha_wall_with_a_challenge_status_is_named(status: int) -> None:
    assert (
        challenge_response(HCAPTCHA_WALL, status=status, headers={}) == "an hCaptcha anti-bot challenge or block page"
    )


@pytest.mark.parametrize("status", [404, 410, 500, 502])
def test_other_errors_are_what_they_say_whatever_their_page_carries(status: int) -> None:
    assert challenge_response(HCAPTCHA_WALL, status=status, headers={}) is None


def test_a_policy_page_from_a_protected_site_is_not_a_challenge() -> None:
    genuine = next(g for g in GENUINE if g.name == "names-cloudflare-and-is-served-through-it")

    assert challenge_response(genuine.html(genuine.body, 1), status=200, headers=genuine.headers) is None
