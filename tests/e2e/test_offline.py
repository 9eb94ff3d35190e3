"""The offline queue in a real browser: it loses nothing and doubles nothing.

Outages are real (gunicorn stopped) or the page's requests to /api/ are aborted: Chromium's
offline mode doesn't cut a service worker's requests. Each test ends on the exact set of rows
the server holds for its child, read from the SQLite file.
"""

import json
import re

import pytest
from conftest import (
    Rows,
    log_in,
    poll,
    queued,
    sign_up,
    wait_for_queue,
    wait_for_service_worker,
)
from playwright.sync_api import expect

WAITING = "#queue-status [data-queue-waiting='{}']"
ROUTINE = "form[data-queue=routine] button >> nth={}"


def expected(records: list[dict]) -> Rows:
    """Return the rows these queued entries should become on the server."""
    return Rows(
        {r["uuid"]: r["body"]["need"] for r in records if r["kind"] == "moment"},
        {r["uuid"]: r["body"]["kind_id"] for r in records if r["kind"] == "routine"},
    )


def assert_stored(live, account, want: Rows, before: tuple[int, int]) -> None:
    """The server holds exactly these rows for the child, and nothing new anywhere else."""
    assert live.rows(account.child_id) == want
    assert live.totals() == (before[0] + len(want.moments), before[1] + len(want.routines))


def wait_until_sent(page) -> None:
    """Wait until the queue is empty and the status panel has nothing waiting."""
    wait_for_queue(page, 0)
    expect(page.locator("#queue-status [data-queue-waiting]")).to_have_count(0)


def api_posts(page) -> list[tuple[str, int, str]]:
    """Record (path, status, uuid) of every answered POST to /api/ the page makes."""
    seen = []

    def on_response(response):
        request = response.request
        if request.method == "POST" and "/api/" in request.url:
            uuid = json.loads(request.post_data or "{}").get("uuid")
            seen.append((request.url.split("/api/v1", 1)[1], response.status, uuid))

    page.on("response", on_response)
    return seen


def test_entries_logged_in_an_outage_survive_a_reload_and_arrive_once(new_context, live):
    ctx = new_context(service_workers="allow")
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    wait_for_service_worker(page)

    with live.down():
        page.click(ROUTINE.format(0))
        expect(page.locator(WAITING.format(1))).to_be_visible()
        expect(page.locator("#queue-status")).to_contain_text("saved on this phone")
        page.click(ROUTINE.format(1))
        expect(page.locator(WAITING.format(2))).to_be_visible()
        expect(page.locator("button[data-queue-send]")).to_have_text("Send now (2)")

        # A need on the circle opens the moment form: the network is gone, so the service
        # worker shows the offline page, which keeps the need and the time.
        page.click("a.need[href*='need=comfort_me']")
        expect(page).to_have_title("Offline · Tend")
        expect(page.locator("[data-offline-need]")).to_have_text("Comfort me")
        page.click("button[data-offline-save]")
        expect(page.locator(WAITING.format(3))).to_be_visible()

        page.reload()
        expect(page).to_have_title("Offline · Tend")
        expect(page.locator(WAITING.format(3))).to_be_visible()
        records = wait_for_queue(page, 3)
        assert live.rows(account.child_id) == Rows()

    assert sorted(r["kind"] for r in records) == ["moment", "routine", "routine"]
    # Back online: the page loads again and sends what waited.
    page.reload()
    expect(page).to_have_title("Log a moment · Tend")
    wait_until_sent(page)
    assert_stored(live, account, expected(records), before)


def test_entries_queued_while_the_api_is_unreachable_are_sent_when_online(new_context, live):
    ctx = new_context()
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    posts = api_posts(page)
    page.route("**/api/**", lambda route: route.abort("internetdisconnected"))

    page.click(ROUTINE.format(2))
    expect(page.locator(WAITING.format(1))).to_be_visible()
    page.click("a.need[href*='need=help_me']")
    page.click("label:has-text('Helped solve it')")
    page.click(".sticky-save button")
    expect(page.locator(WAITING.format(2))).to_be_visible()
    expect(page.locator("#queue-status")).to_contain_text("Help me saved on this phone.")
    # Nothing is lost from the form's point of view: it is ready for the next moment.
    expect(page.locator("input[name=responses]:checked")).to_have_count(0)

    page.click("nav.bottomnav a:has-text('Today')")
    queued_list = page.locator("[data-queue-day] a[data-queued]")
    expect(queued_list).to_have_count(2)
    expect(queued_list.first).to_contain_text("waiting to send")
    page.reload()
    expect(queued_list).to_have_count(2)
    expect(page.locator(WAITING.format(2))).to_be_visible()
    records = wait_for_queue(page, 2)
    assert {r["uuid"] for r in records} == {a.get_attribute("data-queued")
                                            for a in queued_list.all()}
    assert live.rows(account.child_id) == Rows()
    assert posts == []  # every try was cut before it reached the server

    # The network comes back: the `online` event sends the queue.
    page.unroute("**/api/**")
    ctx.set_offline(True)
    ctx.set_offline(False)
    wait_until_sent(page)
    expect(page.locator("[data-queue-day]")).to_be_hidden()
    assert_stored(live, account, expected(records), before)
    assert sorted(status for _path, status, _uuid in posts) == [201, 201]
    page.reload()
    expect(page.locator("main a.entry")).to_have_count(2)


def test_a_server_error_is_retried_and_stores_one_row(new_context, live):
    ctx = new_context()
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    posts = api_posts(page)
    answers = []

    def fail_once(route):
        if not answers:
            answers.append(500)
            route.fulfill(status=500, content_type="application/json",
                          body='{"error": "server_error"}')
        else:
            answers.append("server")
            route.continue_()

    page.route("**/api/v1/moments", fail_once)
    page.click("a.need[href*='need=protect_me']")
    page.click("label:has-text('Kept them safe')")
    page.click(".sticky-save button")
    expect(page.locator(WAITING.format(1))).to_be_visible()
    (record,) = wait_for_queue(page, 1)
    assert record["lastError"]["status"] == 500
    assert live.rows(account.child_id) == Rows()

    page.click("button[data-queue-send]")
    wait_until_sent(page)
    assert answers == [500, "server"]
    assert_stored(live, account, Rows({record["uuid"]: "protect_me"}, {}), before)
    assert posts == [("/moments", 500, record["uuid"]), ("/moments", 201, record["uuid"])]


def test_a_refused_moment_is_fixed_in_the_form_and_stored_once(new_context, live):
    ctx = new_context()
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    posts = api_posts(page)
    page.route("**/api/v1/moments", lambda route: route.fulfill(
        status=422, content_type="application/json",
        body='{"error": "invalid", "fields": {"occurred_at": ["Not in the future."]}}'))

    page.click("a.need[href*='need=help_me']")
    page.click("label:has-text('Helped solve it')")
    page.click(".sticky-save button")
    expect(page.locator("#queue-status .flash.error")).to_have_text(
        "Not saved yet — Time: Not in the future."
    )
    (refused,) = wait_for_queue(page, 1)
    assert refused["lastError"]["refused"] is True
    # From here on the real server answers.
    page.unroute("**/api/v1/moments")

    page.goto("/")
    card = page.locator(f"#queue-status [data-queue-refused='{refused['uuid']}']")
    expect(card).to_contain_text("Help me · ")
    expect(card).to_contain_text("wasn't accepted. Time: Not in the future.")
    # A refused entry isn't "waiting": nothing resends it unchanged.
    expect(page.locator("#queue-status [data-queue-waiting]")).to_have_count(0)
    card.locator("a:has-text('Fix it')").click()
    page.wait_for_url(f"**/moments/new?child={account.child_id}&fix={refused['uuid']}")

    # The form holds the refused entry, and its card stays away while it's being fixed.
    expect(page.locator("#queue-status .flash.error")).to_have_text(
        "Fix this entry and save it again. Time: Not in the future."
    )
    expect(page.locator("#queue-status [data-queue-refused]")).to_have_count(0)
    expect(page.locator("#need-help_me")).to_be_checked()
    expect(page.locator("input[name=responses]:checked")).to_have_count(1)
    expect(page.locator("input[name=responses][value=helped_solve]")).to_be_checked()
    expect(page.locator("input[name=when][value=at]")).to_be_checked()
    expect(page.locator("#at")).not_to_have_value("")
    page.click("label:has-text('Named the feeling')")
    page.fill("#note", "The lid of the puzzle box was stuck.")
    page.click(".sticky-save button")

    page.wait_for_url(lambda url: "fix=" not in url)
    wait_until_sent(page)
    (fixed,) = [uuid for _path, status, uuid in posts if status == 201]
    # The refused original never reached the server, and the fix was sent once.
    assert posts == [("/moments", 422, refused["uuid"]), ("/moments", 201, fixed)]
    assert fixed != refused["uuid"]
    assert_stored(live, account, Rows({fixed: "help_me"}, {}), before)
    ((responses, note),) = live.query(
        "SELECT responses, note FROM moment WHERE uuid = ?", fixed
    )
    assert sorted(json.loads(responses)) == ["helped_solve", "named_feeling"]
    assert note == "The lid of the puzzle box was stuck."
    page.goto("/")
    expect(page.locator("main h1")).to_have_text("What did Robin need?")
    expect(page.locator("#queue-status [data-queue-refused]")).to_have_count(0)
    assert queued(page) == []


@pytest.mark.parametrize("kind", ["routine", "moment"])
def test_a_lost_response_is_retried_without_a_second_row(new_context, live, kind):
    ctx = new_context()
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    posts = api_posts(page)
    committed = []

    def lose_response(route):
        if committed:
            route.continue_()
            return
        # The server stores the entry and answers; the answer never reaches the phone.
        response = route.fetch()
        committed.append(response.status)
        route.abort("connectionreset")

    page.route(f"**/api/v1/{kind}s", lose_response)
    if kind == "routine":
        page.click(ROUTINE.format(0))
    else:
        page.click("a.need[href*='need=welcome_me']")
        page.click("label:has-text('Named the feeling')")
        page.click("label:has-text('Cried')")
        page.fill("#note", "Back from nursery, tired.")
        page.click(".sticky-save button")
    expect(page.locator(WAITING.format(1))).to_be_visible()
    (record,) = wait_for_queue(page, 1)
    assert committed == [201]
    stored = live.rows(account.child_id)
    assert stored.uuids == {record["uuid"]}

    # The next load sends it again: the server recognises the UUID and stores nothing new.
    page.reload()
    wait_until_sent(page)
    assert stored == expected([record])
    assert_stored(live, account, stored, before)
    assert [status for _path, status, _uuid in posts] == [200]
    assert {uuid for _path, _status, uuid in posts} == {record["uuid"]}


@pytest.mark.parametrize("how", ["cookies deleted", "logged out everywhere"])
def test_entries_outlive_an_expired_session_and_are_sent_after_logging_in(
    new_context, live, how
):
    ctx = new_context()
    page = ctx.new_page()
    account = sign_up(page)
    before = live.totals()
    # Logged in with "Remember me": a session cookie and a remember cookie.
    ctx.clear_cookies()
    log_in(page, account, remember=True)
    assert {c["name"] for c in ctx.cookies()} == {"session", "remember_token"}

    with live.down():
        page.click(ROUTINE.format(0))
        expect(page.locator(WAITING.format(1))).to_be_visible()
        page.click(ROUTINE.format(3))
        expect(page.locator(WAITING.format(2))).to_be_visible()
        if how == "cookies deleted":
            # The session and the remember cookie are gone while the phone is offline.
            ctx.clear_cookies()
    if how == "logged out everywhere":
        # From another phone: every session and remember cookie of this account dies.
        other = new_context().new_page()
        log_in(other, account)
        other.goto("/account")
        other.click("form[action$='/account/logout-everywhere'] button")
        other.wait_for_url("**/login")

    page.click("button[data-queue-send]")
    expect(page.locator("#queue-status [data-queue-login]")).to_be_visible()
    expect(page.locator("#queue-status [data-queue-login]")).to_have_text(
        "Please log in again — your entries are kept on this phone."
    )
    records = sorted(wait_for_queue(page, 2), key=lambda r: r["created"])
    # The queue stops at the first entry the server turns away, and keeps every one.
    assert records[0]["lastError"] == {"status": 401, "error": "login_required", "login": True}
    assert live.rows(account.child_id) == Rows()

    page.click("#queue-status a:has-text('Log in')")
    page.wait_for_url("**/login?next=*")
    log_in(page, account)
    wait_until_sent(page)
    assert_stored(live, account, expected(records), before)


def test_logging_out_with_waiting_entries_warns_then_clears_the_phone(new_context, live):
    ctx = new_context(service_workers="allow")
    home = ctx.new_page()
    account = sign_up(home)
    before = live.totals()
    wait_for_service_worker(home)
    settings = ctx.new_page()
    settings.goto("/household")
    assert settings.evaluate("async () => (await caches.keys()).length") == 1

    with live.down():
        home.click(ROUTINE.format(0))
        expect(home.locator(WAITING.format(1))).to_be_visible()

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    settings.on("dialog", answer)
    logout = settings.locator("form[data-logout] button")
    # Cancelled: nothing happens, the entry still waits.
    logout.click()
    poll(settings, lambda: dialogs, what="the warning")
    assert settings.url.endswith("/household")
    assert len(queued(settings)) == 1

    with settings.expect_navigation(url="**/login"):
        logout.click()
    assert dialogs == ["1 entry hasn't been sent yet. Log out and delete them?"] * 2
    expect(settings.locator(".flash")).to_contain_text("You're logged out.")
    # Clear-Site-Data took the rest: the queue's database, the caches, the service worker.
    leftovers = """async () => ({
      databases: (await indexedDB.databases()).map((d) => d.name),
      caches: await caches.keys(),
      workers: (await navigator.serviceWorker.getRegistrations()).length,
    })"""
    nothing = {"databases": [], "caches": [], "workers": 0}
    poll(settings, lambda: settings.evaluate(leftovers) == nothing, timeout=5,
         what="the phone to be cleared")
    assert home.evaluate(leftovers) == nothing
    assert_stored(live, account, Rows(), before)
    # Logging in again brings nothing back.
    log_in(settings, account)
    expect(settings.locator("main h1")).to_have_text("What did Robin need?")
    assert queued(settings) == []


def test_the_service_worker_keeps_only_static_files_and_the_offline_page(new_context, live):
    ctx = new_context(service_workers="allow")
    page = ctx.new_page()
    account = sign_up(page, name="Marguerite", child="Wilhelmina")
    wait_for_service_worker(page)
    for path in ("/", f"/moments/new?child={account.child_id}&need=help_me", "/today", "/week",
                 "/household", "/children", "/account", "/help", "/about",
                 f"/api/v1/children/{account.child_id}/summary"):
        page.goto(path)
    page.goto(f"/children/{account.child_id}/share-links/new")
    page.click("main form button[type=submit]")
    page.goto(page.inner_text("main p.copy code").strip())
    expect(page).to_have_url(re.compile(r"/s/"))  # the token swapped for a cookie
    page.goto("/")

    cached = page.evaluate("""async () => {
      const out = {};
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        out[name] = await Promise.all((await cache.keys()).map(async (request) => ({
          url: request.url, body: await (await cache.match(request)).text(),
        })));
      }
      return out;
    }""")
    assert len(cached) == 1, list(cached)
    (name, entries), = cached.items()
    assert name.startswith("tend-static-")
    paths = sorted(e["url"].removeprefix(live.url) for e in entries)
    assert "/offline" in paths
    assert all(p.startswith("/static/") for p in paths if p != "/offline"), paths
    for e in entries:
        for private in ("Marguerite", "Wilhelmina", account.email):
            assert private not in e["body"], f"{e['url']} holds {private!r}"

    # Offline, a page with family data isn't there to be shown: only the offline page.
    with live.down():
        page.goto("/today")
        expect(page).to_have_title("Offline · Tend")
        assert "Wilhelmina" not in page.content()
