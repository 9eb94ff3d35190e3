"""The household: children, routine kinds, planned times and settings."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from conftest import flashed, kind_by_key
from sqlalchemy import select

from parenting.extensions import db
from parenting.models import (
    Child,
    Moment,
    PlannedTime,
    Routine,
    RoutineKind,
    User,
)

CHILD = {"nickname": "Mo", "birth_month": "3", "birth_year": "2022", "colour": "#5b8c5a"}


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def kind_id(app, child_id, key):
    with app.app_context():
        return kind_by_key(child_id, key).id


def home_buttons(client) -> str:
    return flashed(client.get("/"))


# Children


def test_adding_a_child_saves_it_and_preselects_it(app, client, make_user, fetch, count):
    user = make_user()

    response = client.post("/children/new", data=CHILD)

    assert response.status_code == 302
    assert location_path(response) == "/"
    assert "Mo is added" in flashed(client.get("/"))
    with app.app_context():
        child = db.session.scalars(select(Child)).one()
        assert (child.nickname, child.birth_month, child.birth_year, child.colour) == (
            "Mo", 3, 2022, "#5b8c5a"
        )
        assert child.household_id == db.session.get(User, user).household_id
    assert fetch(User, user).last_child_id == child.id


def test_the_nickname_is_trimmed(app, client, make_user):
    make_user()

    client.post("/children/new", data={**CHILD, "nickname": "  Mo  "})

    with app.app_context():
        assert db.session.scalars(select(Child.nickname)).one() == "Mo"


def test_renaming_a_child(client, make_user, make_child, fetch):
    child = make_child(make_user(), nickname="Mo")

    response = client.post(f"/children/{child}/edit", data={**CHILD, "nickname": "Momo"})

    assert response.status_code == 302
    assert location_path(response) == "/children"
    assert fetch(Child, child).nickname == "Momo"
    assert "Momo" in flashed(client.get("/children"))


@pytest.mark.parametrize("typed", [None, "", "mo", "Mo ", "Pip"])
def test_removing_a_child_needs_the_nickname_typed(client, make_user, make_child, fetch, typed):
    child = make_child(make_user(), nickname="Mo")

    data = {} if typed is None else {"confirm": typed}
    response = client.post(f"/children/{child}/delete", data=data)

    assert response.status_code == 302
    assert location_path(response) == f"/children/{child}/edit"
    assert "type their nickname" in flashed(client.get(f"/children/{child}/edit"))
    assert fetch(Child, child) is not None


def test_removing_a_child_removes_their_entries_only(
    app, client, make_user, make_child, make_moment, make_routine, count, fetch
):
    user = make_user()
    mo = make_child(user, nickname="Mo")
    pip = make_child(user, nickname="Pip")
    for child in (mo, pip):
        make_moment(child, user)
        make_routine(child, user, key="bedtime")
    with app.app_context():
        db.session.add(PlannedTime(child_id=mo, kind_id=kind_by_key(mo, "bedtime").id, minute=1170))
        db.session.commit()

    response = client.post(f"/children/{mo}/delete", data={"confirm": "Mo"})

    assert response.status_code == 302
    assert location_path(response) == "/children"
    assert "Removed, with everything logged for them" in flashed(client.get("/children"))
    assert fetch(Child, mo) is None
    assert count(Moment, Moment.child_id == mo) == 0
    assert count(Routine, Routine.child_id == mo) == 0
    assert count(PlannedTime, PlannedTime.child_id == mo) == 0
    assert count(Moment, Moment.child_id == pip) == 1
    assert count(Routine, Routine.child_id == pip) == 1


def test_the_remove_form_asks_for_the_nickname(client, make_user, make_child):
    child = make_child(make_user(), nickname="Mo")

    page = flashed(client.get(f"/children/{child}/edit"))

    assert f'action="/children/{child}/delete"' in page
    assert 'name="confirm"' in page
    assert "Type Mo to confirm" in page.replace("<strong>", "").replace("</strong>", "")


NEXT_YEAR = str(datetime.now(UTC).year + 1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nickname", "", "This field is required."),
        ("nickname", "   ", "This field is required."),
        ("nickname", "M" * 10_000, "Field cannot be longer than 40 characters."),
        ("birth_year", "1800", "Enter a year like 2023."),
        ("birth_year", NEXT_YEAR, "That year hasn't come yet."),
        ("birth_year", "", "Enter the year they were born."),
        ("birth_year", "twenty", "Not a valid integer value."),
        ("birth_month", "13", "Not a valid choice."),
        ("colour", "#000000", "Choose from the options shown."),
    ],
)
def test_bad_child_details_get_a_message_and_keep_what_was_typed(
    client, make_user, count, field, value, message
):
    make_user()
    data = {"nickname": "Pip", "birth_month": "7", "birth_year": "2021", "colour": "#8e5ea2",
            field: value}

    response = client.post("/children/new", data=data)

    assert response.status_code == 200
    page = flashed(response)
    assert message in page
    if field != "nickname":
        assert 'value="Pip"' in page
    if field != "birth_year":
        assert 'value="2021"' in page
    if field == "nickname" and value.strip():
        assert value in page
    assert count(Child) == 0


def test_editing_a_child_with_bad_input_changes_nothing(client, make_user, make_child, fetch):
    child = make_child(make_user(), nickname="Mo", birth_year=2022)

    response = client.post(f"/children/{child}/edit", data={**CHILD, "birth_year": "1800"})

    assert response.status_code == 200
    assert "Enter a year like 2023." in flashed(response)
    assert fetch(Child, child).birth_year == 2022


# Routine kinds


def test_adding_a_routine_kind_puts_a_button_on_home(app, client, make_user, make_child):
    make_child(make_user())

    response = client.post("/routine-kinds", data={"label": "  Swimming "})

    assert response.status_code == 302
    assert location_path(response) == "/routine-kinds"
    assert "“Swimming” added" in flashed(client.get("/routine-kinds"))
    with app.app_context():
        kind = db.session.scalar(select(RoutineKind).where(RoutineKind.label == "Swimming"))
        assert kind.key == f"custom_{kind.id}"
        assert kind.position == max(k.position for k in kind.household.routine_kinds)
    assert f'<input type="hidden" name="kind_id" value="{kind.id}">' in home_buttons(client)
    assert ">Swimming</button>" in home_buttons(client)


@pytest.mark.parametrize("label", ["Bath", "bath", " BATH "])
def test_a_duplicate_routine_name_is_refused(client, make_user, count, label):
    make_user()
    before = count(RoutineKind)

    response = client.post("/routine-kinds", data={"label": label})

    assert response.status_code == 200
    assert "You already have a routine with that name." in flashed(response)
    assert count(RoutineKind) == before


def test_an_empty_routine_name_is_refused(client, make_user, count):
    make_user()
    before = count(RoutineKind)

    response = client.post("/routine-kinds", data={"label": ""})

    assert response.status_code == 200
    assert "This field is required." in flashed(response)
    assert count(RoutineKind) == before


def test_renaming_a_routine_kind_renames_its_home_button(app, client, make_user, make_child, fetch):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")

    response = client.post(f"/routine-kinds/{bath}/edit", data={"label": "Splash time"})

    assert response.status_code == 302
    assert location_path(response) == "/routine-kinds"
    assert fetch(RoutineKind, bath).label == "Splash time"
    assert fetch(RoutineKind, bath).key == "bath"
    page = home_buttons(client)
    assert ">Splash time</button>" in page
    assert ">Bath</button>" not in page


@pytest.mark.parametrize("label", ["Nap", "nap"])
def test_renaming_to_another_routines_name_is_refused(app, client, make_user, make_child, fetch,
                                                      label):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")

    response = client.post(f"/routine-kinds/{bath}/edit", data={"label": label})

    assert response.status_code == 200
    assert "You already have a routine with that name." in flashed(response)
    assert fetch(RoutineKind, bath).label == "Bath"


def test_renaming_a_routine_to_its_own_name_in_another_case_is_fine(app, client, make_user,
                                                                      make_child, fetch):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")

    response = client.post(f"/routine-kinds/{bath}/edit", data={"label": "BATH"})

    assert response.status_code == 302
    assert fetch(RoutineKind, bath).label == "BATH"


def test_hiding_a_routine_kind_takes_it_off_home_and_showing_brings_it_back(
    app, client, make_user, make_child, fetch
):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")
    assert ">Bath</button>" in home_buttons(client)

    response = client.post(f"/routine-kinds/{bath}/toggle")

    assert response.status_code == 302
    assert location_path(response) == "/routine-kinds"
    assert fetch(RoutineKind, bath).hidden is True
    assert "“Bath” is hidden" in flashed(client.get("/routine-kinds"))
    page = home_buttons(client)
    assert ">Bath</button>" not in page
    assert ">Nap</button>" in page

    client.post(f"/routine-kinds/{bath}/toggle")

    assert fetch(RoutineKind, bath).hidden is False
    assert ">Bath</button>" in home_buttons(client)


def test_toggle_is_post_only(app, client, make_user, make_child, fetch):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")

    assert client.get(f"/routine-kinds/{bath}/toggle").status_code == 405
    assert fetch(RoutineKind, bath).hidden is False


# Planned times


def planned(app, child_id):
    with app.app_context():
        rows = db.session.scalars(select(PlannedTime).where(PlannedTime.child_id == child_id))
        return {row.kind.key: row.minute for row in rows}


def test_planned_times_are_saved_changed_and_cleared(app, client, make_user, make_child):
    child = make_child(make_user())
    bedtime, nap = kind_id(app, child, "bedtime"), kind_id(app, child, "nap")
    url = f"/children/{child}/planned-times"

    response = client.post(url, data={f"planned_{bedtime}": "19:30", f"planned_{nap}": "13:00"})
    assert response.status_code == 302
    assert location_path(response) == "/children"
    assert "Planned times saved." in flashed(client.get("/children"))
    assert planned(app, child) == {"bedtime": 19 * 60 + 30, "nap": 13 * 60}
    assert 'value="19:30"' in flashed(client.get(url))

    client.post(url, data={f"planned_{bedtime}": "20:00", f"planned_{nap}": ""})
    assert planned(app, child) == {"bedtime": 20 * 60}

    client.post(url, data={})
    assert planned(app, child) == {}


def test_a_bad_planned_time_is_refused_and_nothing_saved(app, client, make_user, make_child):
    child = make_child(make_user())
    bedtime, nap = kind_id(app, child, "bedtime"), kind_id(app, child, "nap")

    response = client.post(
        f"/children/{child}/planned-times",
        data={f"planned_{bedtime}": "25:61", f"planned_{nap}": "13:00"},
    )

    assert response.status_code == 200
    page = flashed(response)
    assert "Not a valid time value." in page
    assert 'value="13:00"' in page
    assert planned(app, child) == {}


def test_hidden_kinds_have_no_planned_time_field(app, client, make_user, make_child):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")
    url = f"/children/{child}/planned-times"
    assert f'name="planned_{bath}"' in flashed(client.get(url))

    client.post(f"/routine-kinds/{bath}/toggle")

    page = flashed(client.get(url))
    assert f'name="planned_{kind_id(app, child, "nap")}"' in page
    assert f'name="planned_{bath}"' not in page


# Household settings


def household(app, user_id):
    with app.app_context():
        row = db.session.get(User, user_id).household
        db.session.expunge(row)
        return row


def test_household_settings_are_saved(app, client, make_user):
    user = make_user()

    response = client.post(
        "/household",
        data={"name": "The Reeds", "timezone": "America/New_York", "week_start": "6"},
    )

    assert response.status_code == 302
    assert location_path(response) == "/household"
    assert "Household saved." in flashed(client.get("/household"))
    saved = household(app, user)
    assert (saved.name, saved.timezone, saved.week_start) == ("The Reeds", "America/New_York", 6)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Atlantis/Central", "Choose a time zone from the list"),
        ("timezone", "", "This field is required."),
        ("week_start", "7", "Not a valid choice."),
        ("week_start", "Monday", "Invalid Choice: could not coerce."),
        ("name", "", "This field is required."),
        ("name", "n" * 10_000, "Field cannot be longer than 80 characters."),
    ],
)
def test_bad_household_settings_get_a_message_and_keep_what_was_typed(
    app, client, make_user, field, value, message
):
    user = make_user(tz="Europe/London")
    data = {"name": "The Reeds", "timezone": "Asia/Tokyo", "week_start": "2", field: value}

    response = client.post("/household", data=data)

    assert response.status_code == 200
    page = flashed(response)
    assert message in page
    if field != "timezone":
        assert 'value="Asia/Tokyo"' in page
    if field != "name":
        assert 'value="The Reeds"' in page
    saved = household(app, user)
    assert (saved.timezone, saved.week_start) == ("Europe/London", 0)


# In Spanish

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}


def test_month_and_day_names_follow_the_language(client, make_user):
    make_user()

    english_child = flashed(client.get("/children/new"))
    english_household = flashed(client.get("/household"))
    client.environ_base.update(SPANISH)
    spanish_child = flashed(client.get("/children/new"))
    spanish_household = flashed(client.get("/household"))

    assert '<option value="1">January</option>' in english_child
    assert '<option selected value="0">Monday</option>' in english_household
    assert '<option value="1">Enero</option>' in spanish_child
    assert '<option value="12">Diciembre</option>' in spanish_child
    assert '<option selected value="0">Lunes</option>' in spanish_household
    assert "Verde azulado" in spanish_child


def test_a_child_added_and_a_mistyped_removal_are_told_in_spanish(client, make_user, app,
                                                                 count):
    client.environ_base.update(SPANISH)
    make_user()

    added = flashed(client.post("/children/new", data=CHILD, follow_redirects=True))
    with app.app_context():
        child_id = db.session.scalar(select(Child.id))
    refused = flashed(client.post(f"/children/{child_id}/delete", data={"confirm": "mo"},
                                  follow_redirects=True))
    too_late = flashed(client.post("/children/new", data={**CHILD, "birth_year": "2999"}))

    assert "Mo ya está en Tend. Toca una necesidad en el círculo" in added
    assert "Para quitar a Mo y todo su registro, escribe su apodo." in refused
    assert count(Child) == 1
    assert "Ese año todavía no ha llegado." in too_late


def test_a_spanish_reader_sees_default_routines_in_spanish_on_the_household_pages(
        app, client, make_user, make_child):
    child = make_child(make_user())
    bath = kind_id(app, child, "bath")
    spanish = {"Accept-Language": "es"}

    kinds_page = client.get("/routine-kinds", headers=spanish).get_data(as_text=True)
    planned_page = client.get(f"/children/{child}/planned-times",
                              headers=spanish).get_data(as_text=True)
    client.post(f"/routine-kinds/{bath}/toggle", headers=spanish)
    after_hiding = client.get("/routine-kinds", headers=spanish).get_data(as_text=True)

    for page in (kinds_page, planned_page):
        assert "Hora de dormir" in page
        assert "Bedtime" not in page
    assert "“Baño”" in after_hiding
