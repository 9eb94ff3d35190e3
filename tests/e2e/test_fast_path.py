"""The fast path on a phone: a new parent signs up, adds a child, logs a moment in three taps."""

from conftest import PHONE, sign_up
from playwright.sync_api import expect


def test_a_new_parent_logs_a_moment_in_three_taps_from_home(new_context, live):
    ctx = new_context(service_workers="allow", has_touch=True, is_mobile=True)
    page = ctx.new_page()
    page.goto("/")
    page.click("main a:has-text('Create an account')")
    account = sign_up(page)
    before = live.totals()
    expect(page.locator("main h1")).to_have_text("What did Robin need?")
    taps = []

    def tap(locator) -> None:
        # Each tap lands on something already on screen: no scrolling, no typing.
        box = locator.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (
            f"{locator} is off screen at {box}")
        locator.tap()
        taps.append(locator)

    tap(page.locator("main a.need", has_text="Comfort me"))  # the need
    expect(page.locator("#need-comfort_me")).to_be_checked()
    tap(page.locator("label", has_text="Held or comforted"))  # the response
    tap(page.locator(".sticky-save button"))  # Save
    expect(page.locator("main")).to_contain_text("Saved.")

    assert len(taps) == 3
    stored = live.rows(account.child_id)
    assert list(stored.moments.values()) == ["comfort_me"] and stored.routines == {}
    ((responses,),) = live.query(
        "SELECT responses FROM moment WHERE uuid = ?", next(iter(stored.moments))
    )
    assert responses == '["held_comforted"]'
    assert live.totals() == (before[0] + 1, before[1])
