"""The Advocates view in a real browser: each lead's engagement, and outreach recorded
from the page with its cooldown (refused, then forced), its outcome, and roles."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.test_dashboard import page, sign_in  # noqa: F401  (page: a fixture)


def test_outreach_is_recorded_refused_in_the_cooldown_forced_and_its_outcome_kept(
        page: Page, site: Site) -> None:  # noqa: F811
    sign_in(page, site, hash_="#advocates")
    row = page.locator("#advocates tbody tr", has_text="HYPERLINK")
    expect(row.locator("td[data-label=Engagement]")).to_contain_text("repeat")  # 3 mentions
    expect(row.locator("td[data-label=Outreach]")).to_contain_text("never asked")

    row.get_by_label("Purpose").select_option("beta")
    row.get_by_role("button", name="Record contact").click()
    expect(row.locator(".last-contact")).to_contain_text("Asked")
    expect(row.locator(".last-contact")).to_contain_text("cooldown until")

    row.get_by_role("button", name="Record contact").click()  # again, within the cooldown
    expect(row.get_by_role("status")).to_contain_text("Not saved:")
    expect(row.get_by_role("status")).to_contain_text("day cooldown runs until")
    row.get_by_role("button", name="Record anyway").click()

    row.get_by_label("Outcome").select_option("accepted")
    expect(row.get_by_role("status")).to_have_text("Outcome saved.")
    page.reload()
    row = page.locator("#advocates tbody tr", has_text="HYPERLINK")
    expect(row.get_by_label("Outcome")).to_have_value("accepted")

    contacts = httpx.get(f"{site.url}/outreach", headers={"X-API-Key": site.viewer_key},
                         params={"brand": "Acme"}).json()
    assert [(c["purpose"], c["forced"], c["contacted_by"]) for c in contacts] == [
        ("review_request", True, "Ann Analyst"), ("beta", False, "Ann Analyst")]
    assert contacts[0]["outcome"] == "accepted"


def test_a_message_to_an_advocate_is_drafted_with_their_personas_approach(
        page: Page, site: Site) -> None:  # noqa: F811
    sign_in(page, site, hash_="#advocates")
    row = page.locator("#advocates tbody tr", has_text="HYPERLINK")
    row.get_by_role("button", name="Draft message").click()
    draft = row.get_by_label("Draft")
    # Their best mention is g3, a Connector's: the ask is an introduction, not a review.
    expect(draft).to_have_value(
        'Hi =HYPERLINK("https://evil.example"), thank you for recommending Acme to others! '
        "Would you like to join our referral programme, or help host our community as an "
        "ambassador? We would also be glad of an introduction to anyone you think we should "
        "meet. — The Acme team")
    assert page.evaluate("window.__pwned") is None


def test_a_viewer_is_told_that_recording_outreach_needs_an_analyst(page: Page,  # noqa: F811
                                                                   site: Site) -> None:
    sign_in(page, site, key=site.viewer_key, hash_="#advocates")
    row = page.locator("#advocates tbody tr", has_text="HYPERLINK")
    row.get_by_role("button", name="Record contact").click()
    expect(row.get_by_role("status")).to_have_text("Recording needs an analyst key.")
