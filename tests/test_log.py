"""Logging: moments, prompts, open loops, routines, special time, check-ins and the day view."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import flashed, kind_by_key, login
from sqlalchemy import select

from parenting import domain, prompts
from parenting.extensions import db
from parenting.models import CheckIn, Moment, PromptShown, Routine, User

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def location(response) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def near_now(value: datetime, minutes_ago: float = 0) -> bool:
    expected = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return abs(value - expected) < timedelta(seconds=10)


def local_input(dt: datetime, tz=LONDON) -> str:
    """Format an aware time as a datetime-local input value in the household's zone."""
    return dt.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def error_beside(page: str, field_id: str) -> str:
    """Return the text of the error list rendered beside one field."""
    match = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', page)
    return match.group(1) if match else ""


def all_moments(app):
    with app.app_context():
        rows = db.session.scalars(select(Moment).order_by(Moment.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def family(make_user, make_child):
    """Ana, signed in on `client`, with one child Mo; return (user id, child id)."""
    user = make_user()
    return user, make_child(user, nickname="Mo")


def moment_data(child_id, **fields):
    data = {"child_id": str(child_id), "need": "comfort_me", "responses": "held_comforted",
            "when": "0"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# The three-tap fast path


def test_home_shows_the_circle_as_links_to_a_prefilled_moment(client, family):
    _user, child = family

    page = flashed(client.get("/"))

    assert "What did Mo need?" in page
    for need in domain.ALL_NEEDS:
        assert f'href="/moments/new?child={child}&need={need.id}"' in page
    # Secure base sits above safe haven on the circle.
    assert page.index("Watch over me") < page.index("Comfort me")


def test_the_moment_form_has_the_need_checked_and_the_only_child_preselected(client, family):
    _user, child = family

    page = flashed(client.get(f"/moments/new?child={child}&need=comfort_me"))

    assert re.search(r'<input type="radio" id="need-comfort_me" name="need" value="comfort_me"'
                     r" checked>", page)
    assert page.count(" checked>") == 2  # the need, and "Now"
    assert f'<input type="hidden" name="child_id" value="{child}">' in page
    assert 'name="child_id" value="' in page and 'type="radio" id="child_id' not in page


def test_three_taps_log_exactly_one_moment_now_by_this_caregiver(app, client, family):
    user, child = family
    client.get("/")  # open the app
    client.get(f"/moments/new?child={child}&need=comfort_me")  # tap a need

    # Tap a response, tap Save: the form sends only what the page holds.
    response = client.post(
        "/moments/new",
        data={"child_id": str(child), "need": "comfort_me", "responses": "held_comforted",
              "when": "0"},
    )

    assert response.status_code == 302
    [moment] = all_moments(app)
    assert location(response) == f"/moments/{moment.id}/prompt"
    assert moment.child_id == child
    assert moment.caregiver_id == user
    assert moment.need == "comfort_me"
    assert moment.responses == ["held_comforted"]
    assert near_now(moment.occurred_at)
    assert moment.rupture is False and moment.note == ""


def test_not_sure_is_a_valid_need(app, client, family):
    _user, child = family

    response = client.post("/moments/new", data=moment_data(child, need="not_sure",
                                                            responses=None))

    assert response.status_code == 302
    assert [m.need for m in all_moments(app)] == ["not_sure"]


def test_the_last_used_child_is_preselected(app, client, make_user, make_child, fetch):
    user = make_user()
    mo = make_child(user, nickname="Mo")
    pip = make_child(user, nickname="Pip")
    assert f'name="child_id" value="{mo}" checked' in flashed(client.get("/moments/new"))

    client.post("/moments/new", data=moment_data(pip))

    assert fetch(User, user).last_child_id == pip
    page = flashed(client.get("/moments/new"))
    assert f'name="child_id" value="{pip}" checked' in page
    assert f'name="child_id" value="{mo}" checked' not in page
    assert "What did Pip need?" in flashed(client.get("/"))
    assert "What did Mo need?" in flashed(client.get(f"/?child={mo}"))


@pytest.mark.parametrize("minutes", [5, 15, 30])
def test_time_shortcuts_set_the_moment_that_long_ago(app, client, family, minutes):
    _user, child = family

    client.post("/moments/new", data=moment_data(child, when=str(minutes)))

    [moment] = all_moments(app)
    assert near_now(moment.occurred_at, minutes_ago=minutes)


def test_another_time_is_read_in_the_household_timezone(app, client, family, set_household):
    user, child = family
    set_household(user, timezone="America/New_York")

    client.post("/moments/new", data=moment_data(child, when="at", at="2024-07-04T23:30"))

    [moment] = all_moments(app)
    assert moment.occurred_at == datetime(2024, 7, 5, 3, 30, tzinfo=UTC)


def test_another_time_more_than_five_minutes_ahead_is_refused(app, client, family):
    _user, child = family
    ahead = local_input(datetime.now(UTC) + timedelta(minutes=10))

    response = client.post(
        "/moments/new", data=moment_data(child, when="at", at=ahead, note="Bedtime wobble")
    )

    assert response.status_code == 200
    page = flashed(response)
    assert "That time is in the future" in error_beside(page, "at")
    assert "Bedtime wobble" in page
    assert f'value="{ahead}"' in page
    assert all_moments(app) == []


def test_another_time_a_few_minutes_ahead_is_allowed_for_clock_drift(app, client, family):
    _user, child = family
    ahead = local_input(datetime.now(UTC) + timedelta(minutes=3))

    response = client.post("/moments/new", data=moment_data(child, when="at", at=ahead))

    assert response.status_code == 302
    assert len(all_moments(app)) == 1


def test_another_time_without_a_time_asks_for_one(app, client, family):
    _user, child = family

    response = client.post("/moments/new", data=moment_data(child, when="at"))

    assert response.status_code == 200
    assert "Pick the time" in error_beside(flashed(response), "when")
    assert all_moments(app) == []


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"need": "hungry"}, "need", "Choose from the options shown."),
        ({"need": None}, "need", "Choose what they needed"),
        ({"need": "  "}, "need", "Choose from the options shown."),
        ({"responses": ["held_comforted", "teleported"]}, "responses",
         "Choose from the options shown."),
        ({"when": "45"}, "when", "Choose from the options shown."),
        ({"intensity": "9"}, "intensity", "Choose from the options shown."),
        ({"feelings": "ecstatic"}, "feelings", "Choose from the options shown."),
        ({"note": "n" * 10_000}, "note", "Field cannot be longer than 5000 characters."),
        ({"cue_text": "c" * 201}, "cue_text", "Field cannot be longer than 200 characters."),
        ({"when": "at", "at": "1999-12-31T23:00"}, "at", "too far back"),
        ({"when": "at", "at": "yesterday"}, "at", "Not a valid datetime value."),
    ],
)
def test_bad_moment_input_gets_a_message_beside_the_field_and_no_row(
    app, client, family, fields, field_id, message
):
    _user, child = family

    response = client.post("/moments/new", data=moment_data(child, **{"note": "kept", **fields}))

    assert response.status_code == 200
    page = flashed(response)
    assert message in error_beside(page, field_id)
    if field_id != "note":
        assert "kept" in page
    else:
        assert "n" * 10_000 in page
    assert all_moments(app) == []


def test_blank_optional_choices_count_as_unanswered(app, client, family):
    _user, child = family

    response = client.post("/moments/new", data=moment_data(child, intensity="  ",
                                                            how_soon=" ", repaired=" "))

    assert response.status_code == 302
    [moment] = all_moments(app)
    assert (moment.intensity, moment.how_soon, moment.repaired_at) == (None, None, None)


def test_a_child_of_another_household_is_refused(app, client, other_client, family, make_user,
                                                 make_child):
    _user, child = family
    other = make_user(email="bo@example.org", name="Bo", using=other_client)
    their_child = make_child(other, nickname="Zed")

    response = client.post("/moments/new", data=moment_data(their_child, note="kept"))

    assert response.status_code == 200
    page = flashed(response)
    assert "Choose one of your children." in error_beside(page, "child_id")
    assert "Zed" not in page
    assert "kept" in page
    assert f'name="child_id" value="{child}"' in page  # their own child is offered instead
    assert all_moments(app) == []


def test_a_rupture_repaired_straight_away_is_saved_with_how(app, client, family):
    _user, child = family

    client.post("/moments/new", data=moment_data(
        child, need="help_with_feelings", rupture="y", repaired="yes",
        repair_ways=["hug", "said_sorry"], repair_note="We sat on the stairs",
    ))

    [moment] = all_moments(app)
    assert moment.rupture is True
    assert near_now(moment.repaired_at)
    assert set(moment.repair_ways) == {"hug", "said_sorry"}
    assert moment.repair_note == "We sat on the stairs"
    assert not moment.is_open_loop
    home = flashed(client.get("/"))
    assert "What did Mo need?" in home
    assert "it went sideways" not in home


def test_a_rupture_not_yet_repaired_becomes_an_open_loop(app, client, family):
    _user, child = family

    client.post("/moments/new", data=moment_data(child, rupture="y", repaired="not_yet"))

    [moment] = all_moments(app)
    assert moment.is_open_loop
    assert "it went sideways" in flashed(client.get("/"))


# Edit and delete


def test_editing_a_moment_keeps_who_logged_it(app, client, other_client, family, make_user,
                                              make_moment, join_household, household_of, fetch):
    ana, child = family
    moment = make_moment(child, ana, need="comfort_me",
                         occurred_at=datetime(2024, 7, 4, 12, 0, tzinfo=UTC))
    bo = make_user(email="bo@example.org", name="Bo", using=other_client)
    join_household(bo, household_of(ana))
    page = flashed(other_client.get(f"/moments/{moment}"))
    assert "Logged by Ana." in page
    assert 'value="2024-07-04T13:00"' in page  # London summer time

    response = other_client.post(f"/moments/{moment}", data=moment_data(
        child, need="protect_me", responses="kept_safe", when="at", at="2024-07-04T13:00"))

    assert response.status_code == 302
    assert location(response) == f"/children/{child}/days/2024-07-04"
    saved = fetch(Moment, moment)
    assert (saved.need, saved.responses) == ("protect_me", ["kept_safe"])
    assert saved.occurred_at == datetime(2024, 7, 4, 12, 0, tzinfo=UTC)
    assert saved.caregiver_id == ana


def test_editing_with_bad_input_changes_nothing(client, family, make_moment, fetch):
    user, child = family
    moment = make_moment(child, user, note="as it was")

    response = client.post(f"/moments/{moment}", data=moment_data(child, need="hungry"))

    assert response.status_code == 200
    assert fetch(Moment, moment).need == "comfort_me"


def test_deleting_a_moment_asks_first_then_deletes_on_post(client, family, make_moment, fetch):
    user, child = family
    moment = make_moment(child, user, occurred_at=datetime(2024, 7, 4, 12, 0, tzinfo=UTC))
    assert f'href="/moments/{moment}/delete"' in flashed(client.get(f"/moments/{moment}"))

    confirm = client.get(f"/moments/{moment}/delete")
    assert confirm.status_code == 200
    assert "Delete this moment?" in flashed(confirm)
    assert fetch(Moment, moment) is not None

    response = client.post(f"/moments/{moment}/delete")

    assert response.status_code == 302
    assert location(response) == f"/children/{child}/days/2024-07-04"
    assert fetch(Moment, moment) is None
    assert "Deleted." in flashed(client.get(location(response)))


# Reflective prompts


def prompt_by_id(prompt_id):
    return {p.id: p for p in prompts.load_prompts()}[prompt_id]


def test_a_prompt_follows_saving_and_the_answer_is_kept_on_the_moment(app, client, family, fetch):
    user, child = family

    saved = client.post("/moments/new", data=moment_data(child))
    [moment] = all_moments(app)
    assert moment.prompt_id is not None
    page = flashed(client.get(location(saved)))

    assert prompt_by_id(moment.prompt_id).text in page
    assert f'<a class="button quiet" href="/?child={child}">Skip</a>' in page
    response = client.post(location(saved), data={"prompt_id": moment.prompt_id,
                                                 "answer": "  Tired after nursery  "})
    assert response.status_code == 302
    assert location(response) == f"/?child={child}"
    assert "Saved, with your thoughts." in flashed(client.get(location(response)))
    assert fetch(Moment, moment.id).prompt_answer == "Tired after nursery"
    with app.app_context():
        shown = db.session.scalars(select(PromptShown)).one()
        assert (shown.user_id, shown.prompt_id) == (user, moment.prompt_id)


def test_skipping_the_prompt_saves_no_answer(app, client, family, fetch):
    _user, child = family
    saved = client.post("/moments/new", data=moment_data(child))

    home = client.get(f"/?child={child}")  # the Skip link

    assert home.status_code == 200
    [moment] = all_moments(app)
    assert fetch(Moment, moment.id).prompt_answer == ""
    assert location(saved) == f"/moments/{moment.id}/prompt"


@pytest.mark.parametrize(
    ("fields", "context"),
    [
        ({"rupture": "y", "repaired": "not_yet"}, "rupture"),
        ({"rupture": "y", "repaired": "yes"}, "repaired"),
        ({"miscue": "y"}, "miscue"),
        ({"feelings": "overwhelmed"}, "hard_feeling"),
        ({"need": "delight_in_me", "responses": "watched_delighted"}, "secure_base"),
        ({"need": "comfort_me"}, "safe_haven"),
    ],
)
def test_the_prompt_fits_the_moment(app, client, family, fields, context):
    _user, child = family

    client.post("/moments/new", data=moment_data(child, **fields))

    [moment] = all_moments(app)
    assert context in prompt_by_id(moment.prompt_id).contexts


def test_no_prompt_repeats_for_a_caregiver_within_seven_days(
    app, client, other_client, family, make_user, join_household, household_of
):
    ana, child = family
    eligible = {p.id for p in prompts.load_prompts()
                if {"safe_haven", "any"} & set(p.contexts)}
    start = datetime.now(UTC)

    with time_machine.travel(start, tick=False) as clock:
        # Posts hours and days apart: a phone with "remember me" (a session alone would idle out).
        phone = app.test_client()
        login(phone, remember=True)
        for _ in range(len(eligible) + 3):
            response = phone.post("/moments/new", data=moment_data(child))
            assert response.status_code == 302
            clock.shift(timedelta(hours=1))
        shown = [m.prompt_id for m in all_moments(app) if m.prompt_id]

        assert len(shown) == len(set(shown)), "a prompt was shown twice within a week"
        assert set(shown) == eligible
        # Once every fitting prompt is used up, saving still works, just without a prompt.
        response = phone.post("/moments/new", data=moment_data(child))
        assert location(response) == f"/?child={child}"
        assert "Saved." in flashed(phone.get(location(response)))

        # The week is counted per caregiver.
        bo = make_user(email="bo@example.org", name="Bo", using=other_client)
        join_household(bo, household_of(ana))
        response = other_client.post("/moments/new", data=moment_data(child))
        assert location(response).endswith("/prompt")

        clock.shift(timedelta(days=7))
        response = phone.post("/moments/new", data=moment_data(child))
        assert location(response).endswith("/prompt")
        assert all_moments(app)[-1].prompt_id in eligible


# Open loops


def test_an_open_loop_on_home_is_closed_by_we_reconnected_and_details_follow(
    app, client, family, make_moment, fetch
):
    user, child = family
    moment = make_moment(child, user, rupture=True,
                         occurred_at=datetime.now(UTC) - timedelta(hours=1))
    home = flashed(client.get("/"))
    assert "it went sideways" in home
    assert f'action="/moments/{moment}/reconnected"' in home
    assert f'action="/moments/{moment}/let-go"' in home

    response = client.post(f"/moments/{moment}/reconnected")

    assert response.status_code == 302
    assert location(response) == f"/moments/{moment}/repair"
    assert near_now(fetch(Moment, moment).repaired_at)
    home = flashed(client.get("/"))
    assert "What did Mo need?" in home
    assert "it went sideways" not in home

    response = client.post(f"/moments/{moment}/repair", data={
        "repair_ways": ["talked_it_over", "hug"], "repair_note": "We read a book together"})
    assert response.status_code == 302
    saved = fetch(Moment, moment)
    assert set(saved.repair_ways) == {"talked_it_over", "hug"}
    assert saved.repair_note == "We read a book together"
    assert near_now(saved.repaired_at)
    assert "You found your way back" in flashed(client.get(location(response)))


def test_reconnected_is_post_only(client, family, make_moment, fetch):
    user, child = family
    moment = make_moment(child, user, rupture=True)

    assert client.get(f"/moments/{moment}/reconnected").status_code == 405
    assert fetch(Moment, moment).repaired_at is None


def test_repair_details_refuse_a_time_before_the_moment(client, family, make_moment, fetch,
                                                        set_household):
    user, child = family
    set_household(user, timezone="UTC")
    moment = make_moment(child, user, rupture=True,
                         occurred_at=datetime(2024, 7, 4, 12, 0, tzinfo=UTC))

    response = client.post(f"/moments/{moment}/repair", data={"repaired_at": "2024-07-04T11:00"})

    assert response.status_code == 200
    assert "can't come before the moment" in error_beside(flashed(response), "repaired_at")
    assert fetch(Moment, moment).repaired_at is None


def test_let_it_go_closes_the_loop_without_a_repair(client, family, make_moment, fetch):
    user, child = family
    moment = make_moment(child, user, rupture=True)

    response = client.post(f"/moments/{moment}/let-go")

    assert response.status_code == 302
    saved = fetch(Moment, moment)
    assert near_now(saved.loop_closed_at)
    assert saved.repaired_at is None
    home = flashed(client.get(location(response)))
    assert "Let go." in home
    assert "it went sideways" not in home


# Routines


def test_a_routine_tap_logs_it_now(app, client, family, fetch):
    user, child = family
    with app.app_context():
        bedtime = kind_by_key(child, "bedtime").id

    response = client.post("/routines", data={"child_id": str(child), "kind_id": str(bedtime)})

    assert response.status_code == 302
    with app.app_context():
        routine = db.session.scalars(select(Routine)).one()
        db.session.expunge(routine)
    assert (routine.child_id, routine.kind_id, routine.caregiver_id) == (child, bedtime, user)
    assert near_now(routine.started_at)
    assert routine.ended_at is None
    local = routine.started_at.astimezone(LONDON).strftime("%H:%M")
    assert f"Bedtime logged at {local}." in flashed(client.get(location(response)))
    assert fetch(User, user).last_child_id == child


def test_a_routine_with_a_time_and_an_end_is_read_in_the_household_timezone(
    app, client, family, set_household
):
    user, child = family
    set_household(user, timezone="America/New_York")
    with app.app_context():
        bedtime = kind_by_key(child, "bedtime").id
    url = f"/routines/new?child={child}&kind={bedtime}"
    assert 'name="started_at"' in flashed(client.get(url))

    response = client.post(url, data={"started_at": "2024-07-04T19:30",
                                      "ended_at": "2024-07-04T20:15", "note": "two stories"})

    assert response.status_code == 302
    with app.app_context():
        routine = db.session.scalars(select(Routine)).one()
        assert routine.started_at == datetime(2024, 7, 4, 23, 30, tzinfo=UTC)
        assert routine.ended_at == datetime(2024, 7, 5, 0, 15, tzinfo=UTC)
        assert routine.note == "two stories"
        assert routine.caregiver_id == user


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"started_at": "2024-07-04T19:30", "ended_at": "2024-07-04T19:00"}, "ended_at",
         "The end can't be before the start."),
        ({"started_at": ""}, "started_at", "Enter when it started."),
        ({"started_at": "2999-01-01T00:00"}, "started_at", "That time is in the future"),
    ],
)
def test_bad_routine_times_are_refused_and_what_was_typed_kept(
    app, client, family, count, fields, field_id, message
):
    _user, child = family
    with app.app_context():
        bedtime = kind_by_key(child, "bedtime").id

    response = client.post(f"/routines/new?child={child}&kind={bedtime}",
                           data={"note": "kept", **fields})

    assert response.status_code == 200
    page = flashed(response)
    assert message in error_beside(page, field_id)
    assert "kept" in page
    if fields["started_at"]:
        assert f'value="{fields["started_at"]}"' in page
    assert count(Routine) == 0


def test_editing_and_deleting_a_routine(app, client, family, make_routine, fetch, set_household):
    user, child = family
    set_household(user, timezone="UTC")
    routine = make_routine(child, user, key="nap",
                           started_at=datetime(2024, 7, 4, 13, 0, tzinfo=UTC))

    response = client.post(f"/routines/{routine}", data={"started_at": "2024-07-04T13:10",
                                                         "ended_at": "2024-07-04T14:30"})
    assert response.status_code == 302
    assert location(response) == f"/children/{child}/days/2024-07-04"
    assert fetch(Routine, routine).ended_at == datetime(2024, 7, 4, 14, 30, tzinfo=UTC)

    assert "Delete this entry?" in flashed(client.get(f"/routines/{routine}/delete"))
    assert fetch(Routine, routine) is not None
    client.post(f"/routines/{routine}/delete")
    assert fetch(Routine, routine) is None


# Special time


def test_special_time_stores_its_end_when_started_then_saves_the_skills(app, client, family,
                                                                         fetch):
    _user, child = family
    start = datetime.now(UTC).replace(microsecond=0)

    with time_machine.travel(start, tick=False) as clock:
        assert "Start 5 minutes" in flashed(client.get(f"/special-time?child={child}"))
        response = client.post("/special-time", data={"child_id": str(child)})

        assert response.status_code == 302
        with app.app_context():
            routine = db.session.scalars(select(Routine)).one()
            assert routine.kind.key == domain.SPECIAL_TIME
            routine_id = routine.id
        assert location(response) == f"/special-time/{routine_id}"
        saved = fetch(Routine, routine_id)
        assert saved.started_at == start
        assert saved.timer_ends_at == start + timedelta(minutes=5)
        assert saved.ended_at is None
        ends = saved.timer_ends_at.astimezone(LONDON).strftime("%H:%M")
        assert f"Ends at {ends}" in flashed(client.get(location(response)))

        clock.shift(timedelta(minutes=6))  # the screen was locked; the end was already stored
        assert "Time's up" in flashed(client.get(location(response)))
        response = client.post(location(response), data={"skills": ["praise", "reflect"],
                                                          "note": "She led the tea party"})
        assert response.status_code == 302
        assert "Special time saved." in flashed(client.get(location(response)))

    saved = fetch(Routine, routine_id)
    assert saved.ended_at == start + timedelta(minutes=5)
    assert saved.skills == ["praise", "reflect"]
    assert saved.note == "She led the tea party"


def test_special_time_finished_early_ends_when_finished(app, client, family, fetch):
    _user, child = family
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        response = client.post("/special-time", data={"child_id": str(child)})
        clock.shift(timedelta(minutes=2))
        client.post(location(response), data={"skills": "enjoy"})

    routine_id = int(location(response).rsplit("/", 1)[1])
    assert fetch(Routine, routine_id).ended_at == start + timedelta(minutes=2)


def test_an_unknown_special_time_skill_is_refused(app, client, family, fetch):
    _user, child = family
    response = client.post("/special-time", data={"child_id": str(child)})

    saved = client.post(location(response), data={"skills": ["praise", "juggling"]})

    assert saved.status_code == 200
    assert "Choose from the options shown." in error_beside(flashed(saved), "skills")
    routine_id = int(location(response).rsplit("/", 1)[1])
    assert fetch(Routine, routine_id).skills == []
    assert fetch(Routine, routine_id).ended_at is None


# Check-in


def test_a_check_in_is_saved_for_this_caregiver(app, client, family, household_of):
    user, _child = family

    response = client.post("/check-in", data={"feeling": "tired", "energy": "2",
                                              "feel_text": "stretched", "need_text": "a nap"})

    assert response.status_code == 302
    assert "Thank you for checking in" in flashed(client.get(location(response)))
    with app.app_context():
        check_in = db.session.scalars(select(CheckIn)).one()
        assert (check_in.user_id, check_in.household_id) == (user, household_of(user))
        assert (check_in.feeling, check_in.energy) == ("tired", 2)
        assert (check_in.feel_text, check_in.need_text) == ("stretched", "a nap")
        assert near_now(check_in.at)
    assert "I feel stretched because I need a nap" in flashed(client.get("/check-in"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "any one will do"),
        ({"feel_text": "   "}, "any one will do"),
        ({"energy": " ", "feeling": " "}, "any one will do"),
        ({"feeling": "ecstatic"}, "Choose from the options shown."),
        ({"energy": "11"}, "Choose from the options shown."),
        ({"feel_text": "f" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_an_empty_or_bad_check_in_is_refused(client, family, count, data, message):
    response = client.post("/check-in", data=data)

    assert response.status_code == 200
    assert message in flashed(response)
    assert count(CheckIn) == 0


# The day view


@pytest.fixture
def july_fourth(client, other_client, family, make_user, make_moment, make_routine,
                join_household, household_of, set_household):
    """A New York household's entries around 4 July 2024, by Ana and by Bo."""
    ana, child = family
    set_household(ana, timezone="America/New_York")
    bo = make_user(email="bo@example.org", name="Bo", using=other_client)
    join_household(bo, household_of(ana))
    ids = {
        "night_before": make_moment(child, ana, need="protect_me",
                                    occurred_at=datetime(2024, 7, 4, 3, 0, tzinfo=UTC)),
        "wake": make_routine(child, ana, key="wake_up",
                             started_at=datetime(2024, 7, 4, 12, 0, tzinfo=UTC)),
        "park": make_moment(child, bo, need="delight_in_me", responses=["watched_delighted"],
                            occurred_at=datetime(2024, 7, 4, 20, 0, tzinfo=UTC)),
        "late": make_moment(child, ana, need="comfort_me", responses=["held_comforted"],
                            occurred_at=datetime(2024, 7, 5, 3, 30, tzinfo=UTC)),
        "after_midnight": make_routine(child, bo, key="bedtime",
                                       started_at=datetime(2024, 7, 5, 4, 30, tzinfo=UTC)),
    }
    return child, ids


def test_the_day_view_lists_the_local_day_in_time_order_with_who(client, july_fourth):
    child, ids = july_fourth

    response = client.get(f"/children/{child}/days/2024-07-04")

    assert response.status_code == 200
    page = flashed(response)
    assert "Thursday 4 July" in page
    lines = [
        ("08:00", "Wake-up", "· you", f"/routines/{ids['wake']}"),
        ("16:00", "Delight in me — watched or delighted", "· Bo", f"/moments/{ids['park']}"),
        # 03:30 UTC on the 5th is still the evening of the 4th in New York.
        ("23:30", "Comfort me — held or comforted", "· you", f"/moments/{ids['late']}"),
    ]
    positions = []
    for time_text, what, who, href in lines:
        match = re.search(rf'href="{href}"> <span class="time">{time_text}</span> '
                          rf"<span>{re.escape(what)}.*?{re.escape(who)}</span>", page)
        assert match, (time_text, what, who)
        positions.append(match.start())
    assert positions == sorted(positions)
    assert "23:00" not in page and "00:30" not in page
    assert f'href="/children/{child}/days/2024-07-03"' in page
    assert f'href="/children/{child}/days/2024-07-05"' in page


def test_entries_near_midnight_land_on_their_local_day(client, july_fourth):
    child, ids = july_fourth

    before = flashed(client.get(f"/children/{child}/days/2024-07-03"))
    after = flashed(client.get(f"/children/{child}/days/2024-07-05"))

    assert f"/moments/{ids['night_before']}" in before and "23:00" in before
    assert f"/routines/{ids['after_midnight']}" in after and "00:30" in after
    assert f"/moments/{ids['late']}" not in after


def test_a_co_caregiver_sees_who_logged_each_entry(other_client, july_fourth):
    child, ids = july_fourth

    page = flashed(other_client.get(f"/children/{child}/days/2024-07-04"))
    assert re.search(r"Wake-up.*?· Ana</span>", page)
    assert re.search(r"Delight in me.*?· you</span>", page)
    assert "Logged by Ana." in flashed(other_client.get(f"/moments/{ids['late']}"))
    assert "Logged by Bo." in flashed(other_client.get(f"/routines/{ids['after_midnight']}"))


def day_lines(page: str) -> list[tuple]:
    """Return each entry of a day view as (time, what, tag, who, link, star), star being None
    for a routine, else (its form's action, pressed, whether it carries the CSRF field)."""
    timeline = page.split('<ul class="timeline">', 1)[1].split("</ul>", 1)[0]
    lines = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", timeline, re.S):
        entry = re.search(r'<a class="entry" href="([^"]+)">\s*<span class="time">([^<]*)</span>'
                          r"\s*<span>(.*?)\s*(?:<span class=\"tag\">([^<]*)</span>)?"
                          r'\s*<span class="who">· ([^<]*)</span></span>', item, re.S)
        form = re.search(r'<form method="post" action="([^"]+)" class="star">(.*?)</form>', item,
                         re.S)
        star = None if form is None else (
            form.group(1), re.search(r'aria-pressed="(\w+)"', form.group(2)).group(1),
            'name="csrf_token"' in form.group(2))
        link, time_text, what, tag, who = entry.groups()
        lines.append((time_text, what, tag or "", who, link, star))
    return lines


WORDING = {
    "en": {"wake": "Wake-up", "feelings": "Help me with my feelings — named the feeling, got cross",
           "sideways": "went sideways", "protect": "Protect me", "reconnected": "reconnected",
           "not_sure": "Not sure", "former": "a former caregiver", "enjoy": "Enjoy with me",
           "nap": "Nap until 14:30", "park": "Delight in me — watched or delighted",
           "late": "Comfort me — held or comforted", "you": "you"},
    "es": {"wake": "Despertar", "feelings": "Ayúdame con lo que siento — puse nombre al "
           "sentimiento, me enfadé", "sideways": "se torció", "protect": "Protégeme",
           "reconnected": "volvimos a conectar", "not_sure": "No lo sé",
           "former": "una antigua persona que cuida", "enjoy": "Disfruta conmigo",
           "nap": "Siesta hasta las 14:30", "park": "Deléitate conmigo — le miré o disfruté "
           "con él o ella", "late": "Consuélame — le abracé o consolé", "you": "tú"},
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_day_view_words_each_entry_with_its_tag_who_link_and_star(
    app, client, july_fourth, make_user, make_moment, make_routine, join_household,
    household_of, lang
):
    child, ids = july_fourth
    with app.app_context():
        users = {u.display_name: u for u in db.session.scalars(select(User))}
        ana, bo = users["Ana"].id, users["Bo"].id
        users["Ana"].locale = lang
        kind_by_key(child, "meal").label = "Picnic & <games>"
        db.session.commit()
    cy = make_user(email="cy@example.org", name="Cy <3", using=app.test_client())
    join_household(cy, household_of(ana))
    at = {h: datetime(2024, 7, 4, h + 4, 0, tzinfo=UTC) for h in range(20)}  # New York, EDT
    ids |= {
        "sideways": make_moment(child, ana, need="help_with_feelings", occurred_at=at[10],
                                responses=["named_feeling", "got_cross"], rupture=True),
        "repaired": make_moment(child, bo, need="protect_me", occurred_at=at[11], rupture=True,
                                repaired_at=at[11] + timedelta(minutes=20)),
        "former": make_moment(child, None, need="not_sure", occurred_at=at[12], starred=True),
        "nap": make_routine(child, bo, key="nap", started_at=at[13],
                            ended_at=at[14] + timedelta(minutes=30)),
        "enjoy": make_moment(child, ana, need="enjoy_with_me", occurred_at=at[13]),
        "picnic": make_routine(child, cy, key="meal", started_at=at[18]),
    }
    join_household(cy, None)
    app.config["WTF_CSRF_ENABLED"] = True  # so the star forms show their token
    w = WORDING[lang]

    page = client.get(f"/children/{child}/days/2024-07-04").get_data(as_text=True)

    def moment(key, starred=False):
        return f"/moments/{ids[key]}", (f"/moments/{ids[key]}/star", str(starred).lower(), True)

    assert day_lines(page) == [
        ("08:00", w["wake"], "", w["you"], f"/routines/{ids['wake']}", None),
        ("10:00", w["feelings"], w["sideways"], w["you"], *moment("sideways")),
        ("11:00", w["protect"], w["reconnected"], "Bo", *moment("repaired")),
        ("12:00", w["not_sure"], "", w["former"], *moment("former", starred=True)),
        # At the same minute, a moment comes before a routine.
        ("13:00", w["enjoy"], "", w["you"], *moment("enjoy")),
        ("13:00", w["nap"], "", "Bo", f"/routines/{ids['nap']}", None),
        ("16:00", w["park"], "", "Bo", *moment("park")),
        # A renamed kind is shown as typed, and a caregiver who left keeps their name.
        ("18:00", "Picnic &amp; &lt;games&gt;", "", "Cy &lt;3", f"/routines/{ids['picnic']}",
         None),
        ("23:30", w["late"], "", w["you"], *moment("late")),
    ]


def test_an_empty_past_day_says_so_calmly(client, family):
    _user, child = family

    page = flashed(client.get(f"/children/{child}/days/2024-01-10"))

    assert "Nothing logged on this day." in page
    assert '<ul class="timeline">' not in page


def test_today_has_no_next_day_and_its_own_empty_state(client, family):
    _user, child = family
    today = datetime.now(LONDON).date()

    response = client.get("/today")
    assert response.status_code == 302
    assert location(response) == f"/children/{child}/days/{today.isoformat()}"
    page = flashed(client.get(location(response)))

    assert "Nothing logged yet today." in page
    assert 'aria-label="Next day"' not in page
    assert f'href="/children/{child}/days/{(today - timedelta(days=1)).isoformat()}"' in page


def test_a_day_that_is_not_a_date_is_a_404(client, family):
    _user, child = family

    assert client.get(f"/children/{child}/days/2024-02-30").status_code == 404
    assert client.get(f"/children/{child}/days/yesterday").status_code == 404


# While you were away


def away_section(page: str) -> str:
    """Return the words of home's "While you were away" list, or "" when there is none."""
    if 'id="away-h"' not in page:
        return ""
    section = page.split('id="away-h">')[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip()


@pytest.fixture
def co_caregiver(app, family, make_user, join_household, household_of):
    """Cal, in Ana's household, signed in on a client of their own; return (client, user id)."""
    ana, _mo = family
    cal_client = app.test_client()
    cal = make_user(email="cal@example.org", name="Cal", using=cal_client)
    join_household(cal, household_of(ana))
    return cal_client, cal


def test_home_lists_what_the_other_caregiver_logged_since_your_last_visit(
    client, family, co_caregiver, make_moment, make_routine
):
    _ana, mo = family
    cal_client, cal = co_caregiver

    def at(minute: int) -> datetime:
        return datetime(2026, 11, 20, 9, minute, tzinfo=UTC)

    with time_machine.travel(at(0), tick=False):
        # Log in again at the test's own time, so the sessions' clocks agree with it.
        login(client)
        login(cal_client, "cal@example.org")
        assert away_section(flashed(client.get("/"))) == ""  # a first visit marks the time
        cal_client.get("/")
    with time_machine.travel(at(12), tick=False):
        make_moment(mo, cal, occurred_at=at(5), need="comfort_me")
        make_routine(mo, cal, key="nap", started_at=at(10))
        client.post("/moments/new", data={"child_id": str(mo), "need": "help_me", "when": "0"})
    with time_machine.travel(at(25), tick=False):
        away = away_section(flashed(client.get("/")))
        assert away == ("While you were away Cal logged Nap for Mo · Fri 20 Nov 09:10 "
                        "Cal logged Comfort me for Mo · Fri 20 Nov 09:05")
        # Cal's own home never lists Cal's entries, only Ana's.
        assert away_section(flashed(cal_client.get("/"))) == (
            "While you were away Ana logged Help me for Mo · Fri 20 Nov 09:12")
    with time_machine.travel(at(29), tick=False):
        # Back home within ten minutes (after saving a moment, say): the same visit, same list.
        assert away_section(flashed(client.get("/"))) == away
    with time_machine.travel(at(45), tick=False):
        # A quarter of an hour later this is a new visit, and nothing was logged since.
        assert away_section(flashed(client.get("/"))) == ""


def test_while_you_were_away_never_shows_another_households_entries(
    app, client, family, make_user, make_child, make_moment
):
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False):
        login(client)
        client.get("/")
    stranger = make_user(email="sam@example.org", name="Sam", using=app.test_client())
    with time_machine.travel(datetime(2026, 11, 20, 9, 10, tzinfo=UTC), tick=False):
        make_moment(make_child(stranger, nickname="Zed"), stranger, need="protect_me")
    with time_machine.travel(datetime(2026, 11, 20, 9, 25, tzinfo=UTC), tick=False):
        assert away_section(flashed(client.get("/"))) == ""


# In Spanish

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}


def test_home_names_the_needs_and_the_default_routines_in_spanish(client, family):
    page = flashed(client.get("/", environ_base=SPANISH))

    assert "¿Qué necesitaba Mo?" in page
    assert "Consuélame" in page and "Hora de dormir" in page
    assert "Comfort me" not in page and "Bedtime" not in page


def test_a_routine_the_household_renamed_stays_as_typed_in_spanish(app, client, family):
    _user, child = family
    with app.app_context():
        kind = kind_by_key(child, "bath")
        kind.label = "Splash"
        db.session.commit()

    page = flashed(client.get("/", environ_base=SPANISH))

    assert "Splash" in page and "Baño" not in page
    assert "Hora de dormir" in page  # the others keep their translated default


def test_a_routine_tap_answers_in_spanish_and_stores_nothing_translated(app, client, family):
    _user, child = family
    with app.app_context():
        bedtime = kind_by_key(child, "bedtime").id

    response = client.post("/routines", data={"child_id": str(child), "kind_id": str(bedtime)},
                           environ_base=SPANISH)

    with app.app_context():
        routine = db.session.scalars(select(Routine)).one()
        assert routine.kind.label == "Bedtime"
        local = routine.started_at.astimezone(LONDON).strftime("%H:%M")
    page = flashed(client.get(location(response), environ_base=SPANISH))
    assert f"Hora de dormir: anotado a las {local}." in page


def test_a_moment_saved_in_spanish_keeps_ids_and_its_prompt_reads_in_spanish(app, client,
                                                                              family):
    _user, child = family

    saved = client.post("/moments/new", data=moment_data(child, feelings="tired"),
                        environ_base=SPANISH)

    [moment] = all_moments(app)
    assert (moment.need, moment.responses, moment.feelings) == (
        "comfort_me", ["held_comforted"], ["tired"])
    page = flashed(client.get(location(saved), environ_base=SPANISH))
    assert "Guardado." in page
    prompt = prompt_by_id(moment.prompt_id)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        spanish = prompt.text
    assert spanish != prompt.english
    assert spanish in page and prompt.english not in page


def test_a_form_error_reads_in_spanish_and_keeps_what_was_typed(app, client, family):
    _user, child = family

    response = client.post("/moments/new", environ_base=SPANISH,
                           data=moment_data(child, need="", note="a long day"))

    page = flashed(response)
    assert response.status_code == 200
    assert "Elige lo que necesitaba; «no lo sé» siempre vale." in page
    assert "a long day" in page
    assert all_moments(app) == []


def test_the_prompt_catalogue_matches_prompts_json():
    """prompt_texts.py is what pybabel reads; tools/prompt_texts.py writes it from the JSON."""
    from tools import prompt_texts

    assert prompt_texts.TARGET.read_text("utf-8") == prompt_texts.source()


def test_labels_read_as_plain_english_outside_a_request():
    assert domain.NEED_LABELS["comfort_me"] == "Comfort me"
    assert type(domain.NEED_LABELS["comfort_me"]) is str
    assert {**domain.RESPONSE_LABELS}["got_cross"] == "Got cross"
    assert domain.kind_label("bath", "Bath") == "Bath"
    assert domain.kind_label("bath", "Splash") == "Splash"


def test_while_you_were_away_reads_in_spanish(client, family, co_caregiver, make_moment,
                                              make_routine):
    _ana, mo = family
    cal_client, cal = co_caregiver

    def at(minute: int) -> datetime:
        return datetime(2026, 11, 20, 9, minute, tzinfo=UTC)

    with time_machine.travel(at(0), tick=False):
        login(client)
        client.get("/")
    with time_machine.travel(at(12), tick=False):
        make_moment(mo, cal, occurred_at=at(5), need="comfort_me")
        make_routine(mo, cal, key="nap", started_at=at(10))
    with time_machine.travel(at(25), tick=False):
        away = away_section(flashed(client.get("/", environ_base=SPANISH)))

    assert away == ("Mientras no estabas Cal anotó Siesta para Mo · vie 20 nov 09:10 "
                    "Cal anotó Consuélame para Mo · vie 20 nov 09:05")
