"""The three-tap fast path, in Spanish: the same taps, every word on them translated."""

from conftest import PHONE, sign_up
from playwright.sync_api import expect


def test_a_spanish_speaking_parent_logs_a_moment_in_three_taps_from_home(new_context, live):
    ctx = new_context(service_workers="allow", has_touch=True, is_mobile=True)
    page = ctx.new_page()
    # The logged-out picker: the account created next keeps the language.
    page.goto("/language/es?next=/signup")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    account = sign_up(page)
    before = live.totals()
    expect(page.locator("main h1")).to_have_text("¿Qué necesitaba Robin?")
    expect(page.locator("form[data-queue=routine] button.tap").first).to_have_text("Despertar")
    taps = []

    def tap(locator) -> None:
        # Each tap lands on something already on screen: longer Spanish words push nothing off.
        box = locator.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (
            f"{locator} is off screen at {box}")
        locator.tap()
        taps.append(locator)

    tap(page.locator("main a.need", has_text="Consuélame"))  # the need
    expect(page.locator("#need-comfort_me")).to_be_checked()
    tap(page.locator("label", has_text="Le abracé o consolé"))  # the response
    tap(page.locator(".sticky-save button", has_text="Guardar"))  # Save
    expect(page.locator("main")).to_contain_text("Guardado.")

    assert len(taps) == 3
    stored = live.rows(account.child_id)
    # What is stored is the same ids an English page stores.
    assert list(stored.moments.values()) == ["comfort_me"] and stored.routines == {}
    ((responses,),) = live.query(
        "SELECT responses FROM moment WHERE uuid = ?", next(iter(stored.moments))
    )
    assert responses == '["held_comforted"]'
    assert live.totals() == (before[0] + 1, before[1])
