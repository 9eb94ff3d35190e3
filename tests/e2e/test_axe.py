"""axe-core on every page at 390×844, light and dark: no violations.

axe-core comes from npm (tools/axe, `npm ci --prefix tools/axe`). The pages forbid inline
scripts, so only the contexts that run axe bypass the Content-Security-Policy.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from conftest import AXE, PASSWORD, PHONE, TIMEZONE, Account, log_in, missing, poll
from playwright.sync_api import expect

DEMO_EMAIL = "demo@example.org"
SCHEMES = ("light", "dark")


@dataclass
class Demo:
    child_id: int
    moment_id: int
    prompt_moment_id: int
    rupture_moment_id: int
    routine_kind_id: int
    last_week: str
    today: str
    yesterday: str
    share_url: str


@pytest.fixture(scope="session")
def demo(server, browser) -> Demo:
    """The demo household (four weeks of entries) and a share link to its last full week."""
    server.flask("demo", "--password", PASSWORD)
    today = datetime.datetime.now(ZoneInfo(TIMEZONE)).date()
    (household_id,), = server.query("SELECT id FROM household WHERE name = 'The Demo household'")
    (child_id,), = server.query(
        "SELECT id FROM child WHERE household_id = ? ORDER BY id LIMIT 1", household_id)

    def one(where: str) -> int:
        (found,), = server.query(
            f"SELECT id FROM moment WHERE child_id = ? AND {where} ORDER BY id DESC LIMIT 1",
            child_id)
        return found

    (kind_id,), = server.query(
        "SELECT id FROM routine_kind WHERE household_id = ? AND key = 'bedtime'", household_id)
    year, week, _ = (today - datetime.timedelta(days=7)).isocalendar()

    ctx = browser.new_context(base_url=server.url, viewport=PHONE, timezone_id=TIMEZONE,
                              service_workers="block")
    page = ctx.new_page()
    log_in(page, account_of(DEMO_EMAIL))
    page.goto(f"/children/{child_id}/share-links/new")
    page.select_option("#first_week", index=1)
    page.select_option("#last_week", index=1)
    page.fill("#label", "Grandma")
    page.click("main form button[type=submit]")
    share_url = page.inner_text("main p.copy code").strip()
    ctx.close()
    return Demo(
        child_id=child_id,
        moment_id=one("1 = 1"),
        prompt_moment_id=one("prompt_id IS NOT NULL"),
        rupture_moment_id=one("rupture"),
        routine_kind_id=kind_id,
        last_week=f"{year:04d}-W{week:02d}",
        today=today.isoformat(),
        yesterday=(today - datetime.timedelta(days=1)).isoformat(),
        share_url=share_url,
    )


def account_of(email: str) -> Account:
    return Account(email, PASSWORD)


# Pages seen by someone not logged in, then pages of the demo parent: name -> path.
ANONYMOUS = {
    "welcome": lambda d: "/",
    "login": lambda d: "/login",
    "signup": lambda d: "/signup",
    "check your email": lambda d: "/signup/check-email",
    "forgotten password": lambda d: "/password/reset",
    "help (logged out)": lambda d: "/help",
    "offline": lambda d: "/offline",
    "shared week (/s/)": lambda d: d.share_url,
}
PARENT = {
    "home": lambda d: f"/?child={d.child_id}",
    "moment form": lambda d: f"/moments/new?child={d.child_id}&need=comfort_me",
    "edit moment": lambda d: f"/moments/{d.moment_id}",
    "prompt": lambda d: f"/moments/{d.prompt_moment_id}/prompt",
    "repair": lambda d: f"/moments/{d.rupture_moment_id}/repair",
    "routine form": lambda d: f"/routines/new?child={d.child_id}&kind={d.routine_kind_id}",
    "day view": lambda d: f"/children/{d.child_id}/days/{d.yesterday}",
    "check-in": lambda d: "/check-in",
    "special time": lambda d: f"/special-time?child={d.child_id}",
    "household settings": lambda d: "/household",
    "children": lambda d: "/children",
    "edit child": lambda d: f"/children/{d.child_id}/edit",
    "routine buttons": lambda d: "/routine-kinds",
    "planned times": lambda d: f"/children/{d.child_id}/planned-times",
    "account": lambda d: "/account",
    "week summary": lambda d: f"/children/{d.child_id}/weeks/{d.last_week}",
    "weekly summary help": lambda d: "/help/weekly-summary",
    "help": lambda d: "/help",
    "about": lambda d: "/about",
    "groups": lambda d: "/groups",
    "share links": lambda d: "/share-links",
    "new share link": lambda d: f"/children/{d.child_id}/share-links/new",
    "export": lambda d: "/account/export",
    "reminders": lambda d: "/reminders",
}

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200),
                                 summary: n.failureSummary })),
  }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        missing(f"{AXE} (run `npm ci --prefix tools/axe`)")
    return str(AXE)


@pytest.fixture(scope="module", params=SCHEMES)
def scheme(request):
    return request.param


@pytest.fixture(scope="module")
def contexts(browser, server, demo, scheme):
    """An anonymous and a logged-in context in one colour scheme, with the CSP bypassed."""
    made = {}
    for who in ("anonymous", "parent"):
        made[who] = browser.new_context(
            base_url=server.url, viewport=PHONE, timezone_id=TIMEZONE, locale="en-GB",
            color_scheme=scheme, bypass_csp=True, service_workers="block",
        )
        made[who].set_default_timeout(15_000)
    page = made["parent"].new_page()
    log_in(page, account_of(DEMO_EMAIL))
    page.close()
    yield made
    for ctx in made.values():
        ctx.close()


def draw_charts(page) -> None:
    """Bring each chart on screen, as a reader scrolling would, and wait until it is drawn."""
    charts = page.locator(".chart[data-figure]")
    if not charts.count():
        return
    page.mouse.move(5, 5)  # the charts load once the reader has started
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        poll(page, lambda c=chart: c.locator(".main-svg").count(), timeout=20,
             what=f"chart {i + 1} to draw")
    page.evaluate("() => window.scrollTo(0, 0)")


def violations(page, axe_source: str, path: str) -> list[dict]:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    page.wait_for_load_state("load")
    draw_charts(page)
    page.add_script_tag(path=axe_source)
    return page.evaluate(AXE_RUN)


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}: {n['html']}")
            lines.append("      " + (n["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)


def check(ctx, axe_source: str, path: str) -> None:
    page = ctx.new_page()
    try:
        found = violations(page, axe_source, path)
    finally:
        page.close()
    assert not found, f"axe found problems on {path}:\n{describe(found)}"


@pytest.mark.parametrize("name", ANONYMOUS)
def test_public_pages_have_no_axe_violations(contexts, demo, axe_source, live, name):
    check(contexts["anonymous"], axe_source, ANONYMOUS[name](demo))


@pytest.mark.parametrize("name", PARENT)
def test_parent_pages_have_no_axe_violations(contexts, demo, axe_source, live, name):
    check(contexts["parent"], axe_source, PARENT[name](demo))


def test_the_queue_on_screen_has_no_axe_violations(browser, live, demo, axe_source, scheme):
    """Home and the day view with an entry waiting and one the server refused."""
    ctx = browser.new_context(
        base_url=live.url, viewport=PHONE, timezone_id=TIMEZONE, locale="en-GB",
        color_scheme=scheme, bypass_csp=True, service_workers="block",
    )
    try:
        page = ctx.new_page()
        log_in(page, account_of(DEMO_EMAIL))
        page.route("**/api/v1/routines", lambda route: route.abort("internetdisconnected"))
        page.route("**/api/v1/moments", lambda route: route.fulfill(
            status=422, content_type="application/json",
            body='{"error": "invalid", "fields": {"occurred_at": ["Not in the future."]}}'))
        page.goto(f"/moments/new?child={demo.child_id}&need=comfort_me")
        page.click(".sticky-save button")
        expect(page.locator("#queue-status .flash.error")).to_contain_text("Not saved yet")
        page.goto(f"/?child={demo.child_id}")
        page.click("form[data-queue=routine] button >> nth=0")
        expect(page.locator("#queue-status [data-queue-refused]")).to_have_count(1)
        expect(page.locator("#queue-status [data-queue-waiting='1']")).to_be_visible()
        page.add_script_tag(path=axe_source)
        found = page.evaluate(AXE_RUN)
        assert not found, f"axe found problems on home with the queue:\n{describe(found)}"
        page.goto(f"/children/{demo.child_id}/days/{demo.today}")
        expect(page.locator("[data-queue-day] a[data-queued]")).to_have_count(2)
        page.add_script_tag(path=axe_source)
        found = page.evaluate(AXE_RUN)
        assert not found, f"axe found problems on the day with the queue:\n{describe(found)}"
    finally:
        ctx.close()
