"""The weekly summary read in Spanish on a phone: its words, its sentences and its charts."""

import re

from conftest import poll, sign_up
from playwright.sync_api import expect

SPANISH_DAY = re.compile(r"(lun|mar|mié|jue|vie|sáb|dom) \d{1,2}")


def test_a_spanish_parent_reads_the_week_and_its_charts_in_spanish(new_context, live):
    page = new_context().new_page()
    page.goto("/language/es?next=/signup")
    account = sign_up(page)
    page.goto(f"/moments/new?child={account.child_id}&need=comfort_me")
    held = page.get_attribute("input[name=responses][value=held_comforted]", "id")
    page.click(f"label[for={held}]")
    page.click(".sticky-save button")
    poll(page, lambda: live.rows(account.child_id).moments, what="the moment to be stored")

    page.goto("/week")

    expect(page.locator("html")).to_have_attribute("lang", "es")
    main = page.locator("main")
    expect(page.locator("#needs-h")).to_have_text("Necesidades en el círculo")
    expect(page.locator("#went-well-h")).to_have_text("Momentos que fueron bien")
    expect(page.locator("p.headline")).to_have_text("Notaste 1 momento con Robin.")
    expect(main).to_contain_text(
        "Ofreciste consuelo o apoyo en 1 de 1 momento de refugio seguro en el que anotaste "
        "una respuesta.")
    expect(main).to_contain_text("1 momento de volver.")
    # The chart's words for screen readers, and its table, in Spanish too.
    expect(page.locator("#chart-needs")).to_have_attribute(
        "aria-label", re.compile(r"^1 momento: 0 en la mitad de la base segura \(salir a "
                                 r"explorar\) y 1 en la mitad del refugio seguro \(volver\)\."))
    expect(page.locator("#chart-rhythm")).to_have_attribute("aria-label",
                                                            "No hay rutinas anotadas.")

    # Plotly draws the charts on the first scroll: the rhythm chart's days are Spanish.
    page.mouse.wheel(0, 1200)
    expect(page.locator("#chart-rhythm")).to_have_attribute("data-drawn", "true")
    days = page.locator("#chart-rhythm .ytick text").all_text_contents()
    assert len(days) == 7 and all(SPANISH_DAY.fullmatch(d) for d in days), days
    page.locator("#chart-rhythm + script + figcaption + details summary").click()
    expect(page.locator("#chart-rhythm ~ details table").first).to_contain_text("Nada anotado")
