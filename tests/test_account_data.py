"""Export a household's data as JSON and CSV, and delete an account with everything it leaves."""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD, flashed, kind_by_key, login
from sqlalchemy import event, select

from parenting.account_data import SECTIONS, csv_cell, rows_from_export
from parenting.extensions import db
from parenting.models import (
    CalendarFeed,
    CheckIn,
    Child,
    FacilitatorNote,
    Group,
    GroupTheme,
    Household,
    Invite,
    LoginFailure,
    Membership,
    Moment,
    MomentComment,
    PlannedTime,
    PromptShown,
    PushSubscription,
    ReminderSent,
    ReminderSettings,
    Routine,
    ShareLink,
    ShareView,
    User,
    WeekReflection,
    WeekShare,
)
from parenting.security import token_hash

AT = datetime(2024, 7, 4, 12, 0, tzinfo=UTC)
WEEK = date(2024, 7, 1)
# Columns an export leaves out, by section: secrets, and what belongs to someone else.
OMITTED = {
    "account": {"password_hash", "session_version"},
    "invites": {"token_hash"},
    "share_links": {"token_hash"},
    "calendar_feeds": {"token_hash"},
    "reminder_devices": {"endpoint", "endpoint_hash", "p256dh", "auth"},
    "members": {column.key for column in User.__table__.columns} - {"id", "display_name"},
    "groups": {column.key for column in Group.__table__.columns}
    - {"id", "name", "start_date", "weeks"},
}
# Tables no export section holds, and why.
NOT_EXPORTED = {
    "login_failure": "a security log keyed by email and address, not household data",
    "email_token": "links and notices Tend emailed, keyed by address; short-lived, no family data",
}


@dataclass
class Family:
    """Ana's household with a row in every table; the ids the tests look for."""

    user: int
    household: int
    children: list[int]
    moment: int
    rows: dict[str, set[int]]


def add(row):
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture
def facilitator(app):
    """Fay, who runs a group and has no household of her own."""
    with app.app_context():
        fay = User(email="fay@example.org", display_name="Fay", password_hash="unused",
                   is_facilitator=True)
        user_id = add(fay)
        group_id = add(Group(facilitator_id=user_id, name="Tuesday circle",
                             start_date=WEEK, weeks=8, invite_code="TUESDAY1",
                             need_labels={"comfort_me": "Soothe me"}))
        db.session.commit()
        return user_id, group_id


@pytest.fixture
def family(app, client, make_user, make_child, make_moment, make_routine, facilitator):
    """Ana's household with one of everything; `client` is signed in as Ana."""
    _fay, fay_group = facilitator
    ana = make_user()
    mo = make_child(ana, nickname="Mo")
    pip = make_child(ana, nickname="Pip", birth_month=11, birth_year=2019, colour="#5b8c5a")
    moment = make_moment(
        mo, ana, occurred_at=AT, need="comfort_me", cues=["cried", "reached"],
        cue_text="lip wobble", miscue=True, intensity=4, responses=["hugged", "named_it"],
        how_soon="right_away", feelings=["tired", "tender"], rupture=True,
        repaired_at=AT + timedelta(minutes=20), repair_ways=["hug"], repair_note="we hugged",
        note="A long day, é ✓", prompt_id="p1", prompt_answer="I noticed",
    )
    routine = make_routine(mo, ana, key="special_time", started_at=AT,
                           ended_at=AT + timedelta(minutes=5),
                           timer_ends_at=AT + timedelta(minutes=5), skills=["praise"], note="fun")
    with app.app_context():
        household = db.session.get(User, ana).household_id
        kind = kind_by_key(mo, "bedtime")
        kind_ids = set(db.session.scalars(
            select(kind.__class__.id).where(kind.__class__.household_id == household)))
        rows = {
            "account": {ana},
            "household": {household},
            "members": {ana},
            "children": {mo, pip},
            "routine_kinds": kind_ids,
            "moments": {moment},
            "routines": {routine},
            "planned_times": {add(PlannedTime(child_id=mo, kind_id=kind.id, minute=1170))},
            "check_ins": {add(CheckIn(household_id=household, user_id=ana, at=AT,
                                      feeling="tired", energy=2, feel_text="worn",
                                      need_text="rest"))},
            "prompts_shown": {add(PromptShown(user_id=ana, prompt_id="p1", shown_at=AT))},
            "week_reflections": {add(WeekReflection(child_id=mo, first_day=WEEK,
                                                    prompt_id="w1", answer="calmer",
                                                    updated_by_id=ana))},
            "invites": {add(Invite(household_id=household, token_hash=token_hash("inv"),
                                   created_by_id=ana, expires_at=AT + timedelta(days=7)))},
        }
        link = add(ShareLink(household_id=household, child_id=mo, created_by_id=ana,
                             token_hash=token_hash("link"), label="For Gran",
                             first_day=WEEK, last_first_day=WEEK, include_notes=True,
                             expires_at=AT + timedelta(days=14)))
        rows["share_links"] = {link}
        rows["share_views"] = {add(ShareView(link_id=link, at=AT, device="phone · Firefox"))}
        membership = add(Membership(group_id=fay_group, user_id=ana, household_id=household,
                                    share_every_week=True, every_week_notes=True))
        rows["memberships"] = {membership}
        rows["groups"] = {fay_group}
        rows["week_shares"] = {add(WeekShare(membership_id=membership, child_id=mo,
                                             first_day=WEEK, include_reflection=True))}
        rows["facilitator_notes"] = {add(FacilitatorNote(membership_id=membership, child_id=mo,
                                                         first_day=WEEK, text="Lovely repair"))}
        rows["reminder_settings"] = {add(ReminderSettings(user_id=ana, special_time_minute=1020,
                                                          week_ready=True, weekly_email=True))}
        rows["reminder_devices"] = {add(PushSubscription(
            user_id=ana, endpoint="https://push.example/ana", endpoint_hash=token_hash("push"),
            p256dh="p" * 87, auth="a" * 22, device="Android phone, Chrome"))}
        rows["reminders_sent"] = {add(ReminderSent(user_id=ana, channel="push", local_day=WEEK,
                                                   kind="week_ready"))}
        rows["calendar_feeds"] = {add(CalendarFeed(household_id=household, created_by_id=ana,
                                                   token_hash=token_hash("feed")))}
        rows["moment_comments"] = {add(MomentComment(membership_id=membership, moment_id=moment,
                                                     text="You named her feeling"))}
        own_group = add(Group(facilitator_id=ana, name="Ana's circle", start_date=WEEK,
                              weeks=6, invite_code="ANACIRC1"))
        rows["groups_i_run"] = {own_group}
        rows["programme_themes_i_set"] = {add(GroupTheme(group_id=own_group, week=2,
                                                         theme="Comfort", focus="comfort"))}
        db.session.add(LoginFailure(email="ana@example.org", ip="10.0.0.1"))
        db.session.commit()
    return Family(user=ana, household=household, children=[mo, pip], moment=moment, rows=rows)


@pytest.fixture
def other_family(app, other_client, make_user, make_child, make_moment, facilitator):
    """Bo's household, in Fay's group too; `other_client` is signed in as Bo."""
    _fay, fay_group = facilitator
    bo = make_user(email="bo@example.org", name="Bo", using=other_client)
    zed = make_child(bo, nickname="Zed")
    make_moment(zed, bo, occurred_at=AT, note="ZEDSECRET")
    with app.app_context():
        household = db.session.get(User, bo).household_id
        db.session.add(CheckIn(household_id=household, user_id=bo, feel_text="BOPRIVATE"))
        membership = add(Membership(group_id=fay_group, user_id=bo, household_id=household))
        db.session.add(WeekShare(membership_id=membership, child_id=zed, first_day=WEEK))
        db.session.add(LoginFailure(email="bo@example.org", ip="10.0.0.2"))
        db.session.commit()
    return bo


def export_json(client) -> dict:
    response = client.get("/account/export.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def export_files(client) -> dict[str, list[list[str]]]:
    """Return each CSV in the zip export as rows of cells, header first."""
    response = client.get("/account/export.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


# Export


def test_the_export_page_offers_both_downloads(client, family):
    page = client.get("/account/export")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/account/export.zip"' in text
    assert 'href="/account/export.json"' in text


def test_the_account_page_links_to_export_and_delete(client, family):
    text = client.get("/account").get_data(as_text=True)

    assert 'href="/account/export"' in text
    assert 'href="/account/delete"' in text


@pytest.mark.parametrize(
    ("url", "mimetype", "suffix"),
    [("/account/export.json", "application/json", ".json"),
     ("/account/export.zip", "application/zip", ".zip")],
)
def test_exports_are_private_downloads(client, family, url, mimetype, suffix):
    response = client.get(url)

    assert response.status_code == 200
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f'{suffix}"')
    assert response.headers["Cache-Control"] == "no-store"


def test_every_table_is_exported_or_left_out_on_purpose(app):
    exported = {section.model.__table__.name for section in SECTIONS}

    assert {t.name for t in db.metadata.sorted_tables} - exported == set(NOT_EXPORTED)


def test_json_export_round_trips_every_field(app, client, family):
    data = export_json(client)
    assert data["format_version"] == 1

    rows = rows_from_export(json.loads(json.dumps(data)))

    with app.app_context():
        for section in SECTIONS:
            columns = {c.key for c in section.model.__table__.columns}
            expected = columns - OMITTED.get(section.name, set())
            assert {c.key for c in section.columns()} == expected, section.name
            assert {row["id"] for row in rows[section.name]} == family.rows[section.name], (
                section.name
            )
            for row in rows[section.name]:
                stored = db.session.get(section.model, row["id"])
                assert set(row) == expected, section.name
                for key in expected:
                    assert row[key] == getattr(stored, key), f"{section.name}.{key}"


def test_json_export_writes_times_as_utc_iso_and_lists_as_lists(client, family):
    moment = export_json(client)["moments"][0]

    assert moment["occurred_at"] == "2024-07-04T12:00:00+00:00"
    assert moment["repaired_at"] == "2024-07-04T12:20:00+00:00"
    assert moment["cues"] == ["cried", "reached"]
    assert moment["uuid"]


def test_json_export_holds_no_secrets(app, client, family):
    text = client.get("/account/export.json").get_data(as_text=True)
    with app.app_context():
        password_hash = db.session.get(User, family.user).password_hash

    assert password_hash not in text
    assert token_hash("link") not in text
    assert token_hash("inv") not in text
    assert "session_version" not in text
    assert "TUESDAY1" not in text  # the invite code of someone else's group


def test_round_trip_refuses_an_unknown_format_or_field(client, family):
    data = export_json(client)

    with pytest.raises(ValueError, match="format_version"):
        rows_from_export({**data, "format_version": 99})
    data["moments"][0]["mystery"] = 1
    with pytest.raises(ValueError, match="mystery"):
        rows_from_export(data)


def test_csv_zip_holds_one_file_per_kind_of_entry(client, family):
    files = export_files(client)

    assert {"moments.csv", "routines.csv", "check_ins.csv", "children.csv",
            "week_reflections.csv", "share_links.csv", "share_views.csv"} <= set(files)
    assert set(files) == {f"{section.name}.csv" for section in SECTIONS}
    moment = as_dicts(files["moments.csv"])[0]
    assert moment["cues"] == "cried; reached"
    assert moment["occurred_at"] == "2024-07-04T12:00:00+00:00"
    assert moment["rupture"] == "true"
    assert moment["note"] == "A long day, é ✓"
    assert [c["nickname"] for c in as_dicts(files["children.csv"])] == ["Mo", "Pip"]


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(
    client, family, make_moment
):
    notes = {
        '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
        "+1": "'+1",
        "-2": "'-2",
        "@SUM(A1:A2)": "'@SUM(A1:A2)",
        "\tTabbed": "'\tTabbed",
        "\rReturned": "'\rReturned",
        "Plain words - with a dash = and @ inside": "Plain words - with a dash = and @ inside",
    }
    mo = family.children[0]
    for note in notes:
        make_moment(mo, family.user, occurred_at=AT, note=note, cue_text=note)

    moments = as_dicts(export_files(client)["moments.csv"])

    written = {row["note"] for row in moments}
    assert set(notes.values()) <= written
    assert {row["cue_text"] for row in moments} >= set(notes.values())
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in moments
                   for cell in row.values())


def test_csv_cell_leaves_ordinary_values_alone():
    assert csv_cell("Bedtime went well") == "Bedtime went well"
    assert csv_cell(None) == ""
    assert csv_cell(3) == "3"
    assert csv_cell(["a", "b"]) == "a; b"
    assert csv_cell(["-a", "b"]) == "'-a; b"


def test_exports_hold_no_row_of_another_household(client, family, other_family):
    json_text = client.get("/account/export.json").get_data(as_text=True)
    files = export_files(client)
    csv_text = "\n".join(",".join(row) for rows in files.values() for row in rows)

    for secret in ("ZEDSECRET", "Zed", "BOPRIVATE", "bo@example.org"):
        assert secret not in json_text
        assert secret not in csv_text
    data = export_json(client)
    assert {m["id"] for m in data["memberships"]} == family.rows["memberships"]
    assert len(data["week_shares"]) == 1


def test_a_co_caregivers_check_ins_are_theirs_alone(
    app, client, other_client, family, make_user, make_moment, join_household
):
    cy = make_user(email="cy@example.org", name="Cy", using=other_client)
    join_household(cy, family.household)
    make_moment(family.children[0], cy, occurred_at=AT, note="Cy logged this")
    with app.app_context():
        db.session.add(CheckIn(household_id=family.household, user_id=cy, feel_text="CYPRIVATE"))
        db.session.commit()

    data = export_json(client)

    assert "CYPRIVATE" not in json.dumps(data)
    assert "Cy logged this" in {m["note"] for m in data["moments"]}
    assert {m["display_name"] for m in data["members"]} == {"Ana", "Cy"}
    assert "cy@example.org" not in json.dumps(data)


def test_a_facilitator_without_a_household_exports_their_own_rows(app, make_app, facilitator):
    fay, group = facilitator
    client = app.test_client()
    with app.app_context():
        from parenting.security import hash_password

        db.session.get(User, fay).password_hash = hash_password(PASSWORD)
        db.session.commit()
    login(client, email="fay@example.org")

    data = export_json(client)

    assert data["household"] is None
    assert data["children"] == [] and data["members"] == []
    assert [g["id"] for g in data["groups_i_run"]] == [group]
    assert export_files(client)["household.csv"] == [
        [c.key for c in Household.__table__.columns]
    ]


@pytest.mark.parametrize(
    "url", ["/account/export", "/account/export.json", "/account/export.zip", "/account/delete"]
)
def test_anonymous_visitors_are_sent_to_log_in(app, url):
    response = app.test_client().get(url)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_anonymous_delete_post_is_sent_to_log_in(app, family, count):
    response = app.test_client().post("/account/delete",
                                      data={"password": PASSWORD, "understand": "y"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert count(User, User.id == family.user) == 1


# Delete


def snapshot(app) -> dict[str, dict[int, dict]]:
    """Return every row of every table by primary key."""
    with app.app_context():
        return {
            table.name: {
                row.id: dict(row._mapping)
                for row in db.session.execute(select(table))
            }
            for table in db.metadata.sorted_tables
        }


def rows_hanging_off(rows: dict[str, dict[int, dict]], roots: dict[str, set[int]]):
    """Return the ids, per table, of the roots and of every row referring to them, however far."""
    reached = {table: set(roots.get(table, ())) for table in rows}
    tables = {table.name: table for table in db.metadata.sorted_tables}
    grew = True
    while grew:
        grew = False
        for name, table_rows in rows.items():
            for fk in tables[name].foreign_keys:
                assert fk.column.primary_key, fk  # every key points at an id
                target = reached[fk.column.table.name]
                for row_id, row in table_rows.items():
                    if row_id not in reached[name] and row[fk.parent.name] in target:
                        reached[name].add(row_id)
                        grew = True
    return reached


def delete_account(client, password=PASSWORD, understand=True):
    data = {"password": password}
    if understand:
        data["understand"] = "y"
    return client.post("/account/delete", data=data)


def test_the_delete_page_says_what_goes_and_asks_for_the_password(client, family):
    page = flashed(client.get("/account/delete"))

    assert "You are the only caregiver" in page
    assert "your 2 children" in page
    assert "The 1 group you run close too" in page
    assert 'type="password"' in page
    assert 'type="checkbox"' in page


@pytest.fixture(params=["database cascades", "no database cascades"])
def cascades(request, app):
    """Run with SQLite's foreign keys on, then off: the delete must not rely on the database."""
    if request.param == "no database cascades":
        with app.app_context():
            if db.engine.dialect.name != "sqlite":
                pytest.skip("SQLite only: PostgreSQL cannot switch foreign keys off per connection "
                            "without superuser rights; the SQLite run covers this case")
            db.engine.dispose()

            @event.listens_for(db.engine, "checkout")
            def foreign_keys_off(dbapi_connection, record, proxy):
                dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    return request.param


def test_deleting_the_last_caregiver_leaves_no_row_of_the_household(
    app, client, family, other_family, cascades
):
    before = snapshot(app)
    gone = rows_hanging_off(before, {
        "household": {family.household}, "user": {family.user}, "child": set(family.children),
    })
    # Failed logins name the account by email, not by a key.
    gone["login_failure"] = {
        row_id for row_id, row in before["login_failure"].items()
        if row["email"] == "ana@example.org"
    }
    # So do the emails sent to it (the sign-up link's row among them).
    gone["email_token"] = {
        row_id for row_id, row in before["email_token"].items()
        if row["email"] == "ana@example.org"
    }
    # The scan proves little unless every table holds something of the household.
    assert [name for name, ids in gone.items() if not ids] == []

    response = delete_account(client)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    after = snapshot(app)
    tables = {table.name: table for table in db.metadata.sorted_tables}
    for name, table_rows in after.items():
        assert not gone[name] & set(table_rows), name
        for row in table_rows.values():
            for fk in tables[name].foreign_keys:
                assert row[fk.parent.name] not in gone[fk.column.table.name], (name, fk)
    assert [r["email"] for r in after["login_failure"].values()] == ["bo@example.org"]
    # Everything else is exactly as it was: Bo's household, Fay and her group.
    for name, table_rows in before.items():
        kept = {row_id: row for row_id, row in table_rows.items() if row_id not in gone[name]}
        assert after[name] == kept, name


def test_deleting_logs_out_and_says_goodbye(client, family):
    response = delete_account(client)

    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Your account is deleted" in flashed(client.get("/"))
    assert urlsplit(client.get("/account").headers["Location"]).path == "/login"
    assert "don't match" in flashed(login(client))


def test_the_goodbye_is_in_the_language_the_account_chose(app, client, family):
    with app.app_context():
        db.session.get(User, family.user).locale = "es"
        db.session.commit()

    delete_account(client)

    # The next page is the browser's English; the goodbye was worked out before logging out.
    assert "Tu cuenta está borrada. Gracias por todo el cuidado que diste." in flashed(
        client.get("/"))


def test_a_co_caregiver_keeps_the_household_and_its_log(
    app, client, other_client, family, make_user, make_moment, join_household, count, fetch
):
    cy = make_user(email="cy@example.org", name="Cy", using=other_client)
    join_household(cy, family.household)
    cy_moment = make_moment(family.children[0], cy, occurred_at=AT, note="Cy logged this")
    with app.app_context():
        db.session.add(CheckIn(household_id=family.household, user_id=cy, feeling="calm"))
        db.session.commit()
    assert "Cy will keep" in flashed(client.get("/account/delete"))

    response = delete_account(client)

    assert response.status_code == 302
    assert fetch(User, family.user) is None
    assert fetch(Household, family.household) is not None
    assert count(Child, Child.household_id == family.household) == 2
    assert fetch(Moment, family.moment).caregiver_id is None
    assert fetch(Moment, cy_moment).caregiver_id == cy
    assert count(Routine, Routine.caregiver_id.is_(None)) == 1
    assert fetch(WeekReflection, next(iter(family.rows["week_reflections"]))).updated_by_id is None
    assert fetch(ShareLink, next(iter(family.rows["share_links"]))).created_by_id is None
    assert count(ShareView) == 1
    assert count(CheckIn, CheckIn.user_id == family.user) == 0
    assert count(CheckIn, CheckIn.user_id == cy) == 1
    assert count(PromptShown) == 0
    assert count(Membership) == 0 and count(WeekShare) == 0 and count(FacilitatorNote) == 0
    assert count(Group, Group.facilitator_id == family.user) == 0
    assert count(LoginFailure, LoginFailure.email == "ana@example.org") == 0
    # No row anywhere still names the deleted user.
    after = snapshot(app)
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "user":
                values = {row[fk.parent.name] for row in after[table.name].values()}
                assert family.user not in values, (table.name, fk.parent.name)

    login(other_client, email="cy@example.org")
    day = other_client.get(f"/children/{family.children[0]}/days/2024-07-04")
    assert day.status_code == 200
    assert "a former caregiver" in flashed(day)


def test_a_wrong_password_deletes_nothing(app, client, family, other_family):
    before = snapshot(app)

    response = delete_account(client, password="not my password at all")

    assert response.status_code == 200
    assert "That password isn't right. Nothing was deleted." in flashed(response)
    after = snapshot(app)
    # Only the failed try is recorded, for throttling.
    assert len(after["login_failure"]) == len(before["login_failure"]) + 1
    del before["login_failure"], after["login_failure"]
    assert after == before
    assert client.get("/account").status_code == 200


def test_without_the_tick_nothing_is_deleted(app, client, family, count):
    response = delete_account(client, understand=False)

    assert response.status_code == 200
    assert "Tick the box to say you understand." in flashed(response)
    assert count(User, User.id == family.user) == 1


def test_repeated_wrong_passwords_are_throttled(client, family, count):
    for _ in range(5):
        delete_account(client, password="not my password at all")

    response = delete_account(client)

    assert response.status_code == 429
    assert "Too many tries" in flashed(response)
    assert count(User, User.id == family.user) == 1


def test_a_facilitator_deleting_closes_their_group_and_nothing_else(
    app, client, family, facilitator, count
):
    fay, group = facilitator
    with app.app_context():
        from parenting.security import hash_password

        db.session.get(User, fay).password_hash = hash_password(PASSWORD)
        db.session.commit()
    fay_client = app.test_client()
    login(fay_client, email="fay@example.org")
    before = count(Moment)

    response = delete_account(fay_client)

    assert response.status_code == 302
    assert count(User, User.id == fay) == 0
    assert count(Group, Group.id == group) == 0
    assert count(Membership) == 0 and count(WeekShare) == 0 and count(FacilitatorNote) == 0
    assert count(Household, Household.id == family.household) == 1
    assert count(Moment) == before
    assert count(Group, Group.facilitator_id == family.user) == 1
