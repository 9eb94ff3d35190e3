"""The calendar address: planned routine times and group sessions, nothing else, revocable."""

import re
from datetime import UTC, date, datetime, time

from conftest import flashed, kind_by_key
from icalendar import Calendar
from sqlalchemy import select

from parenting.calendar_feed import PlannedRoutine, Sessions, build_calendar
from parenting.extensions import db
from parenting.models import CalendarFeed, Group, Membership, PlannedTime, User
from parenting.security import token_hash

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_a_planned_time_is_a_daily_event_in_the_households_zone():
    body = build_calendar("Europe/London", [PlannedRoutine(3, "Bedtime", 19 * 60 + 30)], [],
                          date(2026, 11, 20), NOW)
    (event,) = events(body)
    assert str(event["summary"]) == "Bedtime"
    start = event.decoded("dtstart")
    assert (start.time(), start.tzinfo.key) == (time(19, 30), "Europe/London")
    assert event["rrule"]["FREQ"] == ["DAILY"]
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Europe/London" in body


def test_the_same_time_for_two_children_is_one_event():
    routines = [PlannedRoutine(3, "Bedtime", 1170), PlannedRoutine(3, "Bedtime", 1170),
                PlannedRoutine(4, "Nap", 780)]
    body = build_calendar("UTC", routines, [], date(2026, 11, 20), NOW)
    assert sorted(str(e["summary"]) for e in events(body)) == ["Bedtime", "Nap"]


def test_group_sessions_are_weekly_all_day_events():
    body = build_calendar("UTC", [], [Sessions(7, date(2026, 11, 3), 3)], date(2026, 11, 20),
                          NOW)
    days = [e.decoded("dtstart") for e in events(body)]
    assert days == [date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 17)]
    assert {str(e["summary"]) for e in events(body)} == {"Parenting group"}


def test_an_open_ended_group_shows_a_year_ahead():
    body = build_calendar("UTC", [], [Sessions(7, date(2026, 11, 3), None)], date(2026, 11, 20),
                          NOW)
    days = [e.decoded("dtstart") for e in events(body)]
    assert days[0] == date(2026, 11, 3)
    assert date(2027, 11, 16) in days
    assert max(days) < date(2027, 11, 30)


def feed_token(client) -> str:
    response = client.post("/reminders/calendar")
    assert response.status_code == 200
    match = re.search(r"http://tend\.test/calendar/([\w-]+)\.ics", response.get_data(as_text=True))
    return match.group(1)


def test_the_feed_holds_only_times_and_routine_names(client, other_client, app, make_user,
                                                      make_child):
    ana = make_user()
    mo = make_child(ana, nickname="Zephyrine")
    bo = make_user(email="bo@example.org", name="Bo", using=other_client)
    bo_child = make_child(bo, nickname="Quillon")
    with app.app_context():
        db.session.add(PlannedTime(child_id=mo, kind_id=kind_by_key(mo, "bedtime").id,
                                   minute=19 * 60 + 30))
        db.session.add(PlannedTime(child_id=bo_child, kind_id=kind_by_key(bo_child, "nap").id,
                                   minute=13 * 60))
        fay = User(email="fay@example.org", display_name="Fay", password_hash="x",
                   is_facilitator=True)
        db.session.add(fay)
        db.session.flush()
        group = Group(facilitator_id=fay.id, name="Tuesday circle", start_date=date(2026, 11, 3),
                      weeks=8, invite_code="TUESDAY1")
        db.session.add(group)
        db.session.flush()
        household = db.session.get(User, ana).household_id
        db.session.add(Membership(group_id=group.id, user_id=ana, household_id=household))
        db.session.commit()
    token = feed_token(client)
    page = client.post("/reminders/calendar")  # only the newest address works
    newest = re.search(r"/calendar/([\w-]+)\.ics", page.get_data(as_text=True)).group(1)
    assert "webcal://tend.test/calendar/" in page.get_data(as_text=True)

    response = other_client.get(f"/calendar/{newest}.ics")  # any holder, signed in or not
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    summaries = sorted(str(e["summary"]) for e in events(response.get_data()))
    assert summaries == ["Bedtime"] + ["Parenting group"] * 8
    for private in ("Zephyrine", "Quillon", "Ana", "Tuesday circle", "Nap", "example.org"):
        assert private not in body
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    with app.app_context():
        stored = db.session.scalars(select(CalendarFeed.token_hash)).all()
    assert token_hash(newest) in stored and newest not in stored


def test_switching_the_address_off(client, make_user, count):
    make_user()
    token = feed_token(client)
    assert "on since" in flashed(client.get("/reminders"))
    response = client.post("/reminders/calendar/off")
    assert response.status_code == 302
    assert "switched off" in flashed(client.get("/reminders"))
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert count(CalendarFeed, CalendarFeed.revoked_at.is_(None)) == 0


def test_an_unknown_or_overlong_address_is_a_404(client):
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404


def test_the_feed_speaks_the_language_of_whoever_made_it(client, other_client, app, make_user,
                                                          make_child):
    ana = make_user()
    mo = make_child(ana)
    with app.app_context():
        user = db.session.get(User, ana)
        user.locale = "es"
        db.session.add(PlannedTime(child_id=mo, kind_id=kind_by_key(mo, "bedtime").id,
                                   minute=19 * 60 + 30))
        fay = User(email="fay@example.org", display_name="Fay", password_hash="x",
                   is_facilitator=True)
        db.session.add(fay)
        db.session.flush()
        group = Group(facilitator_id=fay.id, name="Martes", start_date=date(2026, 11, 3),
                      weeks=2, invite_code="MARTES12")
        db.session.add(group)
        db.session.flush()
        db.session.add(Membership(group_id=group.id, user_id=ana, household_id=user.household_id))
        db.session.commit()
    token = feed_token(client)

    # A calendar app asks in no language, or in English: the words stay Ana's.
    response = other_client.get(f"/calendar/{token}.ics",
                                environ_base={"HTTP_ACCEPT_LANGUAGE": "en"})

    assert {str(e["summary"]) for e in events(response.get_data())} == {
        "Grupo de crianza", "Hora de dormir"}
