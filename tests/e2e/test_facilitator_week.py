"""The facilitator's week in a browser: a parent stars a moment and brings a question, the
facilitator prepares the session (and prints it on A4), then leaves a kind word on the moment.

Screenshots at phone size, light and dark, go to $E2E_SCREENSHOTS when it is set.
"""

import os
import re
import uuid
from pathlib import Path

import pytest
from conftest import PASSWORD, emailed_link, sign_up
from playwright.sync_api import expect

QUESTION = "How do we make bedtime calmer when she fights sleep?"
SHOTS = Path(os.environ["E2E_SCREENSHOTS"]) if os.environ.get("E2E_SCREENSHOTS") else None


def screenshot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_up_facilitator(page, name: str) -> None:
    email = f"e2e-fac-{uuid.uuid4().hex[:10]}@example.org"
    page.goto("/signup")
    page.fill("#email", email)
    page.fill("#display_name", name)
    page.fill("#password", PASSWORD)
    page.check("input[name=role][value=facilitator]", force=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/signup/check-email")
    page.goto(emailed_link(email, "/signup/confirm/"))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/groups")


@pytest.fixture(scope="module")
def week(browser, server):
    """Fay runs a group; Ana starred a moment, shared this week with notes and a question.

    Return the two logged-in contexts (phone size, light) and the pages' addresses.
    """
    from conftest import PHONE, TIMEZONE

    def context(scheme="light"):
        ctx = browser.new_context(base_url=server.url, viewport=PHONE, timezone_id=TIMEZONE,
                                  locale="en-GB", color_scheme=scheme, service_workers="block")
        ctx.set_default_timeout(15_000)
        return ctx

    fay_ctx, ana_ctx = context(), context()
    fay = fay_ctx.new_page()
    sign_up_facilitator(fay, "Fay")
    fay.click("main a:has-text('Create a group')")
    fay.fill("#name", "Tuesday circle")
    fay.fill("#weeks", "8")
    fay.click("main form button[type=submit]")
    group_url = fay.url
    code = fay.inner_text("strong.code").strip()

    ana = ana_ctx.new_page()
    account = sign_up(ana, name="Ana", child="Robin")
    ana.goto(f"/moments/new?child={account.child_id}&need=comfort_me")
    ana.click("label:has-text('Named the feeling')")
    ana.fill("#note", "She pushed me away, then climbed into my lap.")
    ana.click(".sticky-save button")
    ana.wait_for_url(lambda url: "/moments/new" not in url)  # home, or the reflective prompt
    ana.goto(f"/today?child={account.child_id}")
    ana.click("form.star button")
    expect(ana.locator("form.star button")).to_have_attribute("aria-pressed", "true")
    ana.goto(f"/join/{code}")
    ana.click("main form button[type=submit]")  # I agree — join the group
    ana.goto("/week")
    ana.check("input[id^=notes-]", force=True)
    ana.click("#sharing form button[type=submit]")
    ana.click("#sharing a:has-text(\"Something I'd like to bring to the group\")")
    ana.fill("#question", QUESTION)
    ana.click("main form button[type=submit]")
    expect(ana.locator("#sharing")).to_contain_text(QUESTION)
    yield {"fay": fay, "ana": ana, "group_url": group_url, "context": context,
           "child_id": account.child_id}
    fay_ctx.close()
    ana_ctx.close()


def test_the_prep_page_gathers_the_week_and_prints_on_one_or_two_a4_pages(week, live):
    fay = week["fay"]
    fay.goto(week["group_url"])
    fay.click("main a:has-text('Session prep')")
    main = fay.locator("main")
    expect(main).to_contain_text("Shared this week: Ana (Robin).")
    family = main.locator("section.prep-family")
    expect(family).to_contain_text(f"Would like to bring: {QUESTION}")
    expect(family.locator(".prep-moments li")).to_contain_text("Comfort me — named the feeling")
    expect(family).to_contain_text("climbed into my lap")  # notes were shared
    expect(family).to_contain_text("Repair:")
    text = main.inner_text().lower()
    for judgement in ("needs attention", "didn't share", "ranking"):
        assert judgement not in text
    # No red anywhere on the page: every colour in use is the theme's own.
    colours = fay.evaluate("""() => [...document.querySelectorAll('main *')].flatMap((el) => {
        const s = getComputedStyle(el); return [s.color, s.backgroundColor]; })""")
    for colour in set(colours):
        r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
        assert not (r > 150 and g < 90 and b < 90), colour

    pdf = fay.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, pages
    prep_url = fay.url
    for scheme in ("light", "dark"):
        ctx = week["context"](scheme)
        ctx.add_cookies(fay.context.cookies())
        page = ctx.new_page()
        page.goto(prep_url)
        screenshot(page, f"prep-{scheme}")
        ctx.close()


def test_a_kind_comment_on_a_shared_moment_reaches_the_parent_who_can_hide_it(week, live):
    fay, ana = week["fay"], week["ana"]
    fay.goto(week["group_url"])
    fay.click("main a:has-text('Shared — open')")
    fay.click("main a:has-text('Leave a kind comment on this moment')")
    expect(fay.locator("main")).to_contain_text("climbed into my lap")
    comment_url = fay.url
    for scheme in ("light", "dark"):
        ctx = week["context"](scheme)
        ctx.add_cookies(fay.context.cookies())
        page = ctx.new_page()
        page.goto(comment_url)
        screenshot(page, f"comment-form-{scheme}")
        ctx.close()
    # Too long: a clear message, and the words stay in the box.
    fay.fill("#text", "x" * 190)
    fay.click("label:has-text('You named the feeling — that helps.')")
    fay.click("main form button[type=submit]")
    expect(fay.locator("main")).to_contain_text("Keep it to 200 characters, starter included")
    expect(fay.locator("#text")).to_have_value("x" * 190)
    fay.fill("#text", "That moment in your lap said a lot.")
    fay.click("main form button[type=submit]")
    expect(fay.locator("main")).to_contain_text(
        "Your comment: You named the feeling — that helps. That moment in your lap said a lot.")

    ana.goto(f"/today?child={week['child_id']}")
    card = ana.locator(".timeline .comment-card")
    expect(card).to_contain_text("Fay (Tuesday circle): You named the feeling — that helps.")
    day_url = ana.url
    for scheme in ("light", "dark"):
        ctx = week["context"](scheme)
        ctx.add_cookies(ana.context.cookies())
        page = ctx.new_page()
        page.goto(day_url)
        screenshot(page, f"day-with-comment-{scheme}")
        ctx.close()
    card.locator("button:has-text('Hide')").click()
    expect(ana.locator("main")).to_contain_text("Hidden.")
    expect(ana.locator(".timeline .comment-card")).to_have_count(0)


def test_the_weeks_theme_reaches_the_members_home(week, live):
    fay, ana = week["fay"], week["ana"]
    fay.goto(week["group_url"])
    fay.click("main a:has-text('Programme')")
    fay.fill("#week", "99")
    fay.fill("#theme", "The bottom half of the circle: comfort")
    fay.click("main form button[type=submit]")
    expect(fay.locator("main")).to_contain_text("Week 99 is outside the programme (weeks 1–8).")
    expect(fay.locator("#theme")).to_have_value("The bottom half of the circle: comfort")
    fay.fill("#week", "1")
    fay.select_option("#focus", "comfort")
    fay.click("main form button[type=submit]")
    expect(fay.locator("main")).to_contain_text("Week 1's theme is saved.")
    ana.goto("/")
    expect(ana.locator("main .theme")).to_contain_text(
        "This week in Tuesday circle · week 1 of 8")
    expect(ana.locator("main .theme")).to_contain_text("The bottom half of the circle: comfort")
    for who, page, name in ((fay, fay.url, "programme"), (ana, "/", "home-with-theme")):
        for scheme in ("light", "dark"):
            ctx = week["context"](scheme)
            ctx.add_cookies(who.context.cookies())
            shot = ctx.new_page()
            shot.goto(page)
            screenshot(shot, f"{name}-{scheme}")
            ctx.close()
