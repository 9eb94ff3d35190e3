"""Who may open what: every actor against every summary, share, group and export route.

One world is built per module (two households, two facilitators with a group each, three share
links and their holders). Requests that would change it are undone from a snapshot, so every
case starts from the same rows.
"""

import io
import shutil
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import time_machine
from conftest import TEMPLATE_CACHE, rule_url
from conftest import signup as conftest_signup
from conftest import test_config as app_config
from sqlalchemy import select

from parenting import create_app
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    Group,
    Moment,
    MomentComment,
    PlannedTime,
    PushSubscription,
    Routine,
    RoutineKind,
    ShareLink,
    User,
)
from parenting.security import token_hash

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday; London is on GMT
WEEK = "2026-W46"
WEEK_FIRST = date(2026, 11, 9)
PASSWORD = "a quiet morning walk"

# Strings that exist only in household A, and only in household B.
A_NICKNAME = "Zephyrine"
A_NOTE = "marmalade thunder 7731"
A_REFLECTION = "lantern quince 4412"
B_NICKNAME = "Quillon"
B_NOTE = "saffron kettle 9920"
A_CAREGIVER = "Cal Carer"  # logs A's moments; a summary never names who logged what
A_QUESTION = "bramble compass 6638"  # brought to the group with the shared week
# A comment Fay left while the week was shared with notes; it isn't now, so no one sees it.
A_STALE_COMMENT = "juniper lantern 2207"
A_SECRETS = {"nickname": A_NICKNAME, "note": A_NOTE, "reflection": A_REFLECTION,
             "caregiver": A_CAREGIVER, "question": A_QUESTION, "comment": A_STALE_COMMENT}

OWNER, CO, OTHER, FAC, FAC_OTHER = (
    "owner", "co_caregiver", "other_parent", "facilitator", "other_facilitator",
)
ANON, HOLDER, REVOKED, EXPIRED = "anonymous", "link_holder", "revoked_holder", "expired_holder"
ACTORS = (OWNER, CO, OTHER, FAC, FAC_OTHER, ANON, HOLDER, REVOKED, EXPIRED)
SIGNED_OUT = (ANON, HOLDER, REVOKED, EXPIRED)
LOGIN = "login"  # a 302 to the login page
# A browser's push subscription (the keys are a real P-256 point and a 16-byte secret).
DEVICE = {
    "endpoint": "https://push.example.net/send/a-phone",
    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZ"
              "GH6SRpkNtoIAiw4",
    "auth": "BTBZMqHH6r4Tts7J_aSIgg",
}


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


# --- The world ----------------------------------------------------------------------------


@dataclass
class World:
    app: object
    database: str
    snapshot_path: str
    clients: dict
    ids: dict
    tokens: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    watcher: sqlite3.Connection | None = None

    def url(self, template: str) -> str:
        return template.format(**self.ids)

    def rows(self) -> dict:
        """Return every row of every table (read straight from the file: it is quicker)."""
        tables = [name for (name,) in self.watcher.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]
        return {
            name: self.watcher.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            for name in tables
        }

    def version(self) -> int:
        """Return SQLite's data version: it moves whenever another connection commits."""
        return self.watcher.execute("PRAGMA data_version").fetchone()[0]

    def save(self) -> None:
        """Keep the built world, to put back after any request that wrote to it."""
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        copy_database(self.database, self.snapshot_path)
        self.watcher = sqlite3.connect(self.database)
        self.baseline = self.rows()

    def restore(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        copy_database(self.snapshot_path, self.database)

    def send(self, actor: str, method: str, url: str, data=None):
        """Send one request as an actor; return the response and the rows if it wrote any.

        Whatever a request wrote is undone afterwards, so every case starts from the world
        as it was built.
        """
        version = self.version()
        written = None
        try:
            response = request_as(self, actor, method, url, data)
        finally:
            if self.version() != version:
                written = self.rows()
                self.restore()
        return response, written


def copy_database(source_path: str, target_path: str) -> None:
    with closing(sqlite3.connect(source_path)) as source, \
            closing(sqlite3.connect(target_path)) as target:
        source.backup(target)


def signup(client, email, name, role="parent"):
    response = conftest_signup(client, email=email, name=name, password=PASSWORD, role=role)
    assert response.status_code == 302, response.get_data(as_text=True)


def location(response) -> str:
    return urlsplit(response.headers["Location"]).path


def new_group(client, name) -> int:
    response = client.post("/groups/new",
                           data={"name": name, "start_date": "2026-10-01", "weeks": "8"})
    assert response.status_code == 302
    return int(location(response).rsplit("/", 1)[1])


def world_url(template: str, ids: dict) -> str:
    return template.format(**ids)


def join_and_share(client, code, child_id, week=WEEK) -> int:
    response = client.post(f"/groups/consent/{code}")
    assert response.status_code == 302
    membership = int(location(response).rsplit("/", 1)[1])
    response = client.post(
        f"/groups/memberships/{membership}/children/{child_id}/weeks/{week}/share"
    )
    assert response.status_code == 302
    return membership


def new_feed(client) -> str:
    text = client.post("/reminders/calendar").get_data(as_text=True)
    start = text.index("http://tend.test/calendar/") + len("http://tend.test/calendar/")
    return text[start:text.index(".ics", start)]


def new_link(client, child_id, days="14") -> str:
    response = client.post(
        f"/children/{child_id}/share-links/new",
        data={"first_week": WEEK_FIRST.isoformat(), "last_week": WEEK_FIRST.isoformat(),
              "days": days},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    start = text.index("http://tend.test/s/") + len("http://tend.test/s/")
    return text[start:text.index("<", start)]


@pytest.fixture(scope="module")
def world(tmp_path_factory, empty_database):
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    folder = tmp_path_factory.mktemp("matrix")
    database = folder / "matrix.sqlite3"
    shutil.copyfile(empty_database, database)
    app = create_app(app_config(database))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    clients = {actor: app.test_client() for actor in ACTORS}

    signup(clients[OWNER], "ana@example.org", "Ana Owner")
    signup(clients[CO], "cal@example.org", A_CAREGIVER)
    signup(clients[OTHER], "bea@example.org", "Bea Other")
    signup(clients[FAC], "fay@example.org", "Fay Facilitator", role="facilitator")
    signup(clients[FAC_OTHER], "fox@example.org", "Fox Facilitator", role="facilitator")
    with app.app_context():
        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        users["cal"].household_id = users["ana"].household_id
        a_child = Child(household_id=users["ana"].household_id, nickname=A_NICKNAME,
                        birth_month=3, birth_year=2022, colour="#4f7cac")
        b_child = Child(household_id=users["bea"].household_id, nickname=B_NICKNAME,
                        birth_month=5, birth_year=2021, colour="#4f7cac")
        db.session.add_all([a_child, b_child])
        db.session.flush()
        # Starred, so the facilitator sees it with the shared week, yet never its note.
        moment = Moment(child_id=a_child.id, caregiver_id=users["cal"].id, occurred_at=at(10),
                        need="comfort_me", note=A_NOTE, rupture=True, starred=True)
        db.session.add_all([
            moment,
            Moment(child_id=a_child.id, caregiver_id=users["ana"].id, occurred_at=at(11),
                   need="help_me"),
            Moment(child_id=b_child.id, caregiver_id=users["bea"].id, occurred_at=at(10),
                   need="protect_me", note=B_NOTE),
        ])
        kind = db.session.scalar(select(RoutineKind).where(
            RoutineKind.household_id == users["ana"].household_id, RoutineKind.key == "bedtime"))
        special = db.session.scalar(select(RoutineKind).where(
            RoutineKind.household_id == users["ana"].household_id,
            RoutineKind.key == "special_time"))
        routine = Routine(child_id=a_child.id, kind_id=kind.id, caregiver_id=users["ana"].id,
                          started_at=at(10, 19))
        special_time = Routine(child_id=a_child.id, kind_id=special.id,
                               caregiver_id=users["ana"].id, started_at=at(11, 17),
                               timer_ends_at=at(11, 17) + timedelta(minutes=5))
        check_in = CheckIn(household_id=users["ana"].household_id, user_id=users["ana"].id,
                           feeling="tired")
        db.session.add_all([routine, special_time, check_in])
        db.session.commit()
        ids = {
            "moment_uuid": moment.uuid, "routine_uuid": routine.uuid,
            "child_id": a_child.id, "b_child_id": b_child.id, "moment_id": moment.id,
            "routine_id": routine.id, "special_id": special_time.id, "kind_id": kind.id,
            "checkin_id": check_in.id, "week": WEEK, "day": "2026-11-10",
        }
    owner = clients[OWNER]
    response = owner.post(f"/children/{ids['child_id']}/weeks/{WEEK}",
                          data={"answer": A_REFLECTION})
    assert response.status_code == 302

    ids["group_id"] = new_group(clients[FAC], "Tuesday circle")
    ids["other_group_id"] = new_group(clients[FAC_OTHER], "Thursday circle")
    with app.app_context():
        codes = {g.id: g.invite_code for g in db.session.scalars(select(Group))}
    ids["code"] = codes[ids["group_id"]]
    # A shares WEEK with Fay's group, without notes or reflection; B with Fox's group.
    ids["membership_id"] = join_and_share(owner, ids["code"], ids["child_id"])
    response = owner.post(world_url(QUESTION, ids), data={"question": A_QUESTION})
    assert response.status_code == 302
    with app.app_context():
        comment = MomentComment(membership_id=ids["membership_id"], moment_id=ids["moment_id"],
                                text=A_STALE_COMMENT)
        db.session.add(comment)
        db.session.commit()
        ids["comment_id"] = comment.id
    join_and_share(clients[OTHER], codes[ids["other_group_id"]], ids["b_child_id"])

    world = World(app=app, database=str(database), snapshot_path=str(folder / "snapshot"),
                  clients=clients, ids=ids)
    # Three links of A's child: one to keep, one to revoke, one that expires after a day.
    world.tokens = {
        HOLDER: new_link(owner, ids["child_id"]),
        REVOKED: new_link(owner, ids["child_id"]),
        EXPIRED: new_link(owner, ids["child_id"], days="1"),
    }
    for actor, token in world.tokens.items():
        assert clients[actor].get(f"/s/{token}").status_code == 303
        assert clients[actor].get("/s/").status_code == 200
    # The holder of the expired link kept the cookie past its Max-Age: the server must refuse.
    clients[EXPIRED].set_cookie("tend_share", world.tokens[EXPIRED], domain="tend.test",
                                path="/s/")
    with app.app_context():
        links = {link.token_hash: link.id for link in db.session.scalars(select(ShareLink))}
    ids["token"] = world.tokens[HOLDER]
    ids["revoked_token"] = world.tokens[REVOKED]
    ids["link_id"] = links[token_hash(world.tokens[HOLDER])]
    revoked_id = links[token_hash(world.tokens[REVOKED])]
    assert owner.post(f"/share-links/{revoked_id}/revoke").status_code == 302
    # A's owner gets reminders on one phone and has a calendar address; an older one is off.
    with app.app_context():
        db.session.add(PlannedTime(child_id=ids["child_id"], kind_id=ids["kind_id"],
                                   minute=19 * 60 + 30))
        db.session.commit()
    assert owner.post("/reminders/devices", data=DEVICE).status_code == 302
    ids["revoked_feed_token"] = new_feed(owner)
    ids["feed_token"] = new_feed(owner)
    with app.app_context():
        ids["device_id"] = db.session.scalar(select(PushSubscription.id))
    world.save()
    yield world
    traveller.stop()
    world.watcher.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def request_as(world: World, actor: str, method: str, url: str, data=None):
    """Send one request as an actor; the holder of the expired link lives two days on.

    The JSON API gets its data as JSON, everything else as a form.
    """
    send = getattr(world.clients[actor], method.lower())
    body = {"json": data or {}} if url.startswith("/api/") else {"data": data or {}}
    if actor == EXPIRED:
        with time_machine.travel(NOW + timedelta(days=2), tick=True):
            return send(url, **body)
    return send(url, **body)


def body_of(response) -> str:
    """Return a response's text; for a zip, the text of every file in it."""
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
            return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    return response.get_data(as_text=True)


# --- The matrix ---------------------------------------------------------------------------


def statuses(owner, co, other, fac, fac_other, signed_out, **overrides) -> dict:
    expected = {OWNER: owner, CO: co, OTHER: other, FAC: fac, FAC_OTHER: fac_other,
                **dict.fromkeys(SIGNED_OUT, signed_out)}
    return {**expected, **overrides}


HOUSEHOLD_ONLY = statuses(200, 200, 404, 404, 404, LOGIN)
OWNER_ONLY = statuses(200, 404, 404, 404, 404, LOGIN)
FACILITATOR_ONLY = statuses(404, 404, 404, 200, 404, LOGIN)
LINK_HOLDER_ONLY = statuses(404, 404, 404, 404, 404, 404, **{HOLDER: 200})
NOBODY_POSTS = statuses(405, 405, 405, 405, 405, 405)
HOUSEHOLD = (OWNER, CO)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    url: str
    expected: dict
    # Which of A's strings each actor is meant to see on this route.
    shows: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)


SUMMARY = "/children/{child_id}/weeks/{week}"
QUESTION = "/groups/memberships/{membership_id}/children/{child_id}/weeks/{week}/question"
MEMBERSHIP = "/groups/memberships/{membership_id}"
COMMENT = ("/groups/{group_id}/members/{membership_id}/children/{child_id}"
           "/shared-moments/{moment_id}/comment")
SHARED_WEEK = "/groups/{group_id}/members/{membership_id}/children/{child_id}/weeks/{week}"
ALL_OF_A = dict.fromkeys(HOUSEHOLD, set(A_SECRETS))

ROUTES = [
    Route("summary page", "GET", SUMMARY, HOUSEHOLD_ONLY,
          shows={OWNER: {"nickname", "reflection", "question"}, CO: {"nickname", "reflection"}}),
    Route("summary reflection", "POST", SUMMARY, statuses(302, 302, 404, 404, 404, LOGIN),
          data={"answer": "overwritten"}),
    Route("summary JSON", "GET", "/api/v1/children/{child_id}/summary?week={week}",
          statuses(200, 200, 404, 404, 404, 401), shows=dict.fromkeys(HOUSEHOLD, {"nickname"})),
    Route("share week", "POST", "/groups/memberships/{membership_id}/children/{child_id}"
          "/weeks/{week}/share", statuses(302, 404, 404, 404, 404, LOGIN),
          data={"include_notes": "y", "include_reflection": "y"}),
    Route("unshare week", "POST", "/groups/memberships/{membership_id}/children/{child_id}"
          "/weeks/{week}/unshare", statuses(302, 404, 404, 404, 404, LOGIN)),
    Route("question page", "GET", QUESTION, OWNER_ONLY, shows={OWNER: {"nickname", "question"}}),
    Route("question", "POST", QUESTION, statuses(302, 404, 404, 404, 404, LOGIN),
          data={"question": "Bedtimes, again."}),
    Route("membership page", "GET", MEMBERSHIP, OWNER_ONLY,
          shows={OWNER: {"nickname"}}),
    Route("membership every week", "POST", MEMBERSHIP, statuses(302, 404, 404, 404, 404, LOGIN),
          data={"share_every_week": "y", "include_notes": "y", "submit": "Save"}),
    Route("leave group", "POST", MEMBERSHIP + "/leave", statuses(302, 404, 404, 404, 404, LOGIN)),
    Route("share links list", "GET", "/share-links", statuses(200, 200, 200, 404, 404, LOGIN),
          shows=dict.fromkeys(HOUSEHOLD, {"nickname"})),
    Route("new share link page", "GET", "/children/{child_id}/share-links/new", HOUSEHOLD_ONLY,
          shows=dict.fromkeys(HOUSEHOLD, {"nickname"})),
    Route("new share link", "POST", "/children/{child_id}/share-links/new",
          statuses(200, 200, 404, 404, 404, LOGIN),
          data={"first_week": WEEK_FIRST.isoformat(), "last_week": WEEK_FIRST.isoformat(),
                "days": "14", "include_notes": "y"}),
    Route("revoke link", "POST", "/share-links/{link_id}/revoke",
          statuses(302, 302, 404, 404, 404, LOGIN)),
    Route("facilitator shared week", "GET", SHARED_WEEK, FACILITATOR_ONLY,
          shows={FAC: {"nickname", "question"}}),
    Route("session prep", "GET", "/groups/{group_id}/prep/{week}", FACILITATOR_ONLY,
          shows={FAC: {"nickname", "question"}}),
    Route("session prep, week not shared", "GET", "/groups/{group_id}/prep/2026-W45",
          FACILITATOR_ONLY),
    Route("facilitator note", "POST", SHARED_WEEK, statuses(404, 404, 404, 302, 404, LOGIN),
          data={"text": "Lovely week."}),
    # A's week is shared without notes: no moment of it takes a comment, starred or not.
    Route("moment comment page", "GET", COMMENT, statuses(404, 404, 404, 404, 404, LOGIN)),
    Route("moment comment", "POST", COMMENT, statuses(404, 404, 404, 404, 404, LOGIN),
          data={"starter": "thanks", "text": "Lovely."}),
    Route("hide comment", "POST", "/groups/comments/{comment_id}/hide",
          statuses(302, 404, 404, 404, 404, LOGIN)),
    Route("group page", "GET", "/groups/{group_id}", FACILITATOR_ONLY,
          shows={FAC: {"nickname"}}),
    Route("group week overview", "GET", "/groups/{group_id}/weeks/{week}", FACILITATOR_ONLY),
    Route("labels page", "GET", "/groups/{group_id}/labels", FACILITATOR_ONLY),
    Route("programme page", "GET", "/groups/{group_id}/programme", FACILITATOR_ONLY),
    Route("programme theme", "POST", "/groups/{group_id}/programme",
          statuses(404, 404, 404, 302, 404, LOGIN),
          data={"week": "3", "theme": "Comfort", "focus": "comfort"}),
    Route("edit group page", "GET", "/groups/{group_id}/edit", FACILITATOR_ONLY),
    Route("edit group", "POST", "/groups/{group_id}/edit",
          statuses(404, 404, 404, 302, 404, LOGIN),
          data={"name": "Tuesday circle", "start_date": "2026-10-08", "weeks": "10"}),
    Route("labels", "POST", "/groups/{group_id}/labels", statuses(404, 404, 404, 302, 404, LOGIN),
          data={"label_comfort_me": "Cuddles"}),
    Route("share page", "GET", "/s/", LINK_HOLDER_ONLY, shows={HOLDER: {"nickname"}}),
    Route("share week page", "GET", "/s/weeks/{week}", LINK_HOLDER_ONLY,
          shows={HOLDER: {"nickname"}}),
    Route("post share page", "POST", "/s/", NOBODY_POSTS),
    Route("post share week page", "POST", "/s/weeks/{week}", NOBODY_POSTS),
    Route("post share token", "POST", "/s/{token}", NOBODY_POSTS),
    # Opening a link works for whoever holds its token (tested in test_sharing); a switched-off
    # or unknown token opens nothing for anyone, and sets no cookie.
    Route("open revoked token", "GET", "/s/{revoked_token}", statuses(404, 404, 404, 404, 404,
                                                                       404)),
    Route("open unknown token", "GET", "/s/" + "x" * 43, statuses(404, 404, 404, 404, 404, 404)),
    # Reminders are each caregiver's own; a facilitator without a household has none.
    Route("reminders page", "GET", "/reminders", statuses(200, 200, 200, 404, 404, LOGIN)),
    Route("reminder settings", "POST", "/reminders", statuses(302, 302, 302, 404, 404, LOGIN),
          data={"special_time": "y", "special_time_at": "17:00", "week_ready": "y"}),
    Route("add reminder device", "POST", "/reminders/devices",
          statuses(302, 302, 302, 404, 404, LOGIN),
          data={**DEVICE, "endpoint": "https://push.example.net/another"}),
    Route("remove reminder device", "POST", "/reminders/devices/{device_id}/remove",
          statuses(302, 404, 404, 404, 404, LOGIN)),
    Route("new calendar address", "POST", "/reminders/calendar",
          statuses(200, 200, 200, 404, 404, LOGIN)),
    Route("calendar address off", "POST", "/reminders/calendar/off",
          statuses(302, 302, 302, 404, 404, LOGIN)),
    # Whoever holds the live address gets the calendar: times and routine names, no nickname.
    Route("calendar feed", "GET", "/calendar/{feed_token}.ics",
          statuses(200, 200, 200, 200, 200, 200)),
    Route("revoked calendar feed", "GET", "/calendar/{revoked_feed_token}.ics",
          statuses(404, 404, 404, 404, 404, 404)),
    Route("post calendar feed", "POST", "/calendar/{feed_token}.ics", NOBODY_POSTS),
    Route("unsubscribe, forged", "GET", "/email/unsubscribe/" + "x" * 30,
          statuses(404, 404, 404, 404, 404, 404)),
    Route("unsubscribe, forged post", "POST", "/email/unsubscribe/" + "x" * 30,
          statuses(404, 404, 404, 404, 404, 404)),
]

EXPORTS = {
    # endpoint: what the brief calls it
    "account_data.export_json": "/account/export.json",
    "account_data.export_zip": "/account/export.zip",
    "account_data.export_csv_zip": "/account/export.zip",
}
for endpoint, url in EXPORTS.items():
    ROUTES.append(Route(f"export {endpoint}", "GET", url,
                        statuses(200, 200, 200, 200, 200, LOGIN), shows=ALL_OF_A))

CASES = [
    pytest.param(route, actor, id=f"{route.name}-{actor}") for route in ROUTES for actor in ACTORS
]


def check_status(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert location(response) == "/login"
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]


def check_body(route: Route, actor: str, text: str) -> None:
    """No string of A reaches an actor outside A's household unless the route shows it them."""
    shown = route.shows.get(actor, set())
    for kind, secret in A_SECRETS.items():
        if kind in shown:
            # Meant to be there: make sure it is, so the absence checks are not vacuous.
            assert secret in text, f"{kind} missing for {actor}"
        elif actor not in HOUSEHOLD:
            assert secret not in text, f"{kind} of household A shown to {actor}"
    if actor != OTHER:
        assert B_NICKNAME not in text
        assert B_NOTE not in text


# The writes a route is for: undone after the case, never compared.
ALLOWED_WRITES = {(FAC, "facilitator note"), (FAC, "labels"), (FAC, "programme theme"),
                  (FAC, "edit group"), (OTHER, "reminder settings"),
                  (OTHER, "add reminder device"), (OTHER, "new calendar address")}


@pytest.mark.parametrize(("route", "actor"), CASES)
def test_access_matrix(world, route, actor):
    if route.name.startswith("export "):
        endpoint = route.name.removeprefix("export ")
        if endpoint not in world.app.view_functions:
            pytest.skip(f"{endpoint} is not registered")
    response, written = world.send(actor, route.method, world.url(route.url), route.data)
    check_status(response, route.expected[actor])
    assert "tend_share" not in response.headers.get("Set-Cookie", "")
    check_body(route, actor, body_of(response))
    if route.method == "GET":
        return
    if actor in HOUSEHOLD and route.expected[actor] in (200, 302) \
            or (actor, route.name) in ALLOWED_WRITES:
        assert written not in (None, world.baseline), "an allowed write saved nothing"
    else:
        assert written in (None, world.baseline), "a refused request changed rows"


def test_the_matrix_covers_every_summary_share_group_and_export_route(world):
    """A new route in these areas fails here until the matrix says who may use it."""
    adapter = world.app.url_map.bind("tend.test")
    covered = {
        (adapter.match(urlsplit(world.url(r.url)).path, method=r.method)[0], r.method)
        for r in ROUTES
        if set(r.expected.values()) != {405}
    }
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in world.app.url_map.iter_rules()
        if rule.endpoint.startswith(
            ("summary.", "groups.", "links.", "account_data.export", "reminders."))
        and rule.endpoint not in NOT_IN_MATRIX
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if (rule.endpoint, method) not in covered
    ]
    assert missing == []


# Routes a visitor uses for themselves, not for a household's data; tested elsewhere.
NOT_IN_MATRIX = {
    "summary.this_week",  # redirects to the visitor's own household's week
    "summary.help_page",  # public help text
    "groups.index",  # the visitor's own groups
    "groups.new_group",  # a facilitator creating their own group
    "groups.start_household",  # an account starting its own household
    "groups.join_with_code",  # redirects to the consent page
    "groups.join",  # the same, from a typed code
    "groups.consent",  # joining as oneself
    "links.open_link",  # whoever holds a live token may open it (test_sharing)
    "account_data.export",  # the page with the export buttons, no data
}


# --- Read-only for facilitators and link holders ------------------------------------------

def url_values(world) -> dict:
    """A's rows by URL argument name, for building any rule of the app."""
    ids = world.ids
    return {
        **ids,
        "routine_id": lambda rule: (
            ids["special_id"] if "special-time" in rule.rule else ids["routine_id"]
        ),
        "check_in_id": ids["checkin_id"],
        "filename": "css/tend.css",
    }


# What an account may change for itself: its own account (every auth.* route), its own groups
# and notes, or a household of its own.
OWN_ACTIONS = {"account_data.delete_account", "groups.new_group", "groups.start_household"}
FAC_OWN_ACTIONS = OWN_ACTIONS | {"groups.edit_labels", "groups.shared_week", "groups.programme",
                                 "groups.edit_group"}
# Routes holding a household's data also get PUT, PATCH and DELETE; every route gets POST.
DATA_ENDPOINTS = {
    "summary.week", "summary.summary_json", "groups.membership", "groups.share_week",
    "groups.unshare_week", "groups.leave", "groups.shared_week", "links.list_links",
    "links.new_link", "links.revoke_link", "links.shared_week", "household.edit_child",
    "household.delete_child", "log.edit_moment", "log.day",
}
READ_ONLY_ACTORS = (FAC, FAC_OTHER, HOLDER)
# Routes for whoever holds their token, signed in or not: a wrong token is a 404, not a login.
PUBLIC_WITH_TOKEN = {"reminders.unsubscribe"}


def write_cases():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static" or rule.endpoint.startswith("auth."):
            continue
        methods = ("POST", "PUT", "PATCH", "DELETE") if rule.endpoint in DATA_ENDPOINTS else (
            "POST",)
        for actor in READ_ONLY_ACTORS:
            if rule.endpoint in (FAC_OWN_ACTIONS if actor == FAC else OWN_ACTIONS):
                continue
            cases.extend(
                pytest.param(rule.rule, rule.endpoint, actor, method,
                             id=f"{method} {rule.rule} {actor}")
                for method in methods
            )
    return cases


FORM = {
    "answer": "x", "text": "x", "nickname": "Taken", "birth_month": "1", "birth_year": "2020",
    "need": "help_me", "when": "0", "feeling": "calm", "code": "X", "label": "Taken",
    "share_every_week": "y", "include_notes": "y", "submit": "Save", "days": "14",
    "first_week": WEEK_FIRST.isoformat(), "last_week": WEEK_FIRST.isoformat(),
}


@pytest.mark.parametrize(("rule_text", "endpoint", "actor", "method"), write_cases())
def test_facilitators_and_link_holders_change_nothing(world, rule_text, endpoint, actor, method):
    """Every write a facilitator or a link holder tries is refused and changes no row."""
    rule = next(r for r in world.app.url_map.iter_rules()
                if r.rule == rule_text and r.endpoint == endpoint)
    url = rule_url(world.app, rule, url_values(world))
    if url.startswith("/api/"):
        # A complete, valid entry for A's child: only the caller's rights can refuse it.
        data = {"uuid": str(uuid4()), "child_id": world.ids["child_id"],
                "kind_id": world.ids["kind_id"], "need": "help_me",
                "occurred_at": "2026-11-19T10:00:00Z", "started_at": "2026-11-19T10:00:00Z"}
    else:
        data = {**FORM, "child_id": str(world.ids["child_id"]),
                "kind_id": str(world.ids["kind_id"])}
    response, written = world.send(actor, method, url, data)
    assert written in (None, world.baseline), "a refused write changed rows"
    refusals = (401, 403, 404, 405) if url.startswith("/api/") else (302, 303, 404, 405)
    assert response.status_code in refusals, response.status_code
    if actor == HOLDER and response.status_code != 405 and endpoint not in PUBLIC_WITH_TOKEN:
        # Signed out: the pages send them to log in, the API answers 401.
        if url.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert location(response) == "/login"
    text = response.get_data(as_text=True)
    for secret in A_SECRETS.values():
        assert secret not in text


def test_the_world_is_what_the_matrix_assumes(world):
    """Guard the fixture: A shares WEEK without notes; the three links are as named."""
    response, _ = world.send(FAC, "GET", world.url(SHARED_WEEK))
    page = response.get_data(as_text=True)
    assert A_NICKNAME in page
    assert A_NOTE not in page
    assert world.send(HOLDER, "GET", "/s/")[0].status_code == 200
    assert world.send(REVOKED, "GET", "/s/")[0].status_code == 404
    assert world.send(EXPIRED, "GET", "/s/")[0].status_code == 404
    # The expired link's cookie is sound: the same request two days earlier opens the page.
    assert world.clients[EXPIRED].get("/s/").status_code == 200
    world.restore()
