"""Sharing: facilitator groups (consent, week shares, notes back, overview) and share links."""

import hashlib
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import time_machine
from conftest import PASSWORD, TEMPLATE_CACHE, flashed, login, signup
from conftest import test_config as app_config
from sqlalchemy import func, select

from parenting import create_app
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    FacilitatorNote,
    Group,
    GroupTheme,
    Membership,
    Moment,
    MomentComment,
    ShareLink,
    ShareView,
    User,
    WeekShare,
)
from parenting.prompts import load_prompts

# A Friday in ISO week 2026-W47; London is on GMT. The shared week is the one before.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEK = "2026-W46"
WEEK_FIRST = date(2026, 11, 9)
EARLIER_WEEK = "2026-W40"
THIS_WEEK = "2026-W47"
NEXT_WEEK = "2026-W48"

NICKNAME = "Zephyrine"
NOTE = "marmalade thunder 7731"
REFLECTION = "lantern quince 4412"
CO_CAREGIVER = "Wilhelmina"

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def module_app(tmp_path_factory, empty_database):
    """One app for the whole module: building an app is most of a small test's time."""
    database = tmp_path_factory.mktemp("sharing") / "test.sqlite3"
    shutil.copyfile(empty_database, database)
    app = create_app(app_config(database))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    yield app, database
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(module_app, empty_database):
    """Override conftest's app: the module's app, on a fresh copy of the empty database."""
    app, database = module_app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(empty_database, database)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def fixed_clock():
    """Run every test on the same Friday, so "last week" is always the same ISO week."""
    with time_machine.travel(NOW, tick=True):
        yield


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def text_of(response) -> str:
    """Return a page's words without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", flashed(response))).strip()


def signup_as(client, email, name, role="parent"):
    return signup(client, email=email, name=name, password=PASSWORD, role=role)


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def create_group(client, name="Tuesday circle", start="2026-10-01", weeks=""):
    return client.post("/groups/new", data={"name": name, "start_date": start, "weeks": weeks})


def invite_code(app, group_id):
    with app.app_context():
        return db.session.get(Group, group_id).invite_code


def join(client, code) -> int:
    """Join a group through the invite link and the consent screen; return the membership id."""
    response = client.get(f"/join/{code}")
    assert response.status_code == 302
    response = client.post(path_of(response))
    assert response.status_code == 302
    return int(path_of(response).rsplit("/", 1)[1])


def share(client, membership_id, child_id, week=WEEK, notes=False, reflection=False):
    data = {}
    if notes:
        data["include_notes"] = "y"
    if reflection:
        data["include_reflection"] = "y"
    return client.post(
        f"/groups/memberships/{membership_id}/children/{child_id}/weeks/{week}/share", data=data
    )


class Links(HTMLParser):
    """Collect every href, src and form action of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.urls: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action", "data-plotly") and value is not None:
                self.urls.append(value)


def app_links(text: str) -> list[str]:
    """Return the URLs of a page that lead anywhere but /static/ or the share pages."""
    bad = []
    for url in Links(text).urls:
        parts = urlsplit(url)
        if url.startswith("#"):
            continue
        if parts.scheme or parts.netloc or not (
            parts.path.startswith("/static/") or parts.path.startswith("/s/")
        ):
            bad.append(url)
    return bad


# --- Facilitator groups -------------------------------------------------------------------


@pytest.fixture
def facilitator(app):
    """Fay, a facilitator with one group; return her client, ids and the group's URLs."""
    fay = app.test_client()
    response = signup_as(fay, "fay@example.org", "Fay Facilitator", role="facilitator")
    assert path_of(response) == "/groups"
    response = create_group(fay)
    group_id = int(path_of(response).rsplit("/", 1)[1])
    return SimpleNamespace(client=fay, id=user_id(app, "fay@example.org"), group_id=group_id,
                           code=invite_code(app, group_id))


@pytest.fixture
def family(app, client, facilitator, make_user, make_child, make_moment, make_routine,
           join_household):
    """Ana's household in Fay's group: a child, a co-caregiver, moments with notes, a reflection.

    Nothing is shared yet. `client` is signed in as Ana.
    """
    ana = make_user(name="Ana Parent")
    child = make_child(ana, nickname=NICKNAME)
    cal = make_user(email="wil@example.org", name=CO_CAREGIVER, using=app.test_client())
    with app.app_context():
        household_id = db.session.get(User, ana).household_id
    join_household(cal, household_id)
    # Cal logs most of the week; one moment went sideways and they reconnected.
    make_moment(child, cal, occurred_at=at(10), need="comfort_me", note=NOTE,
                responses=["comforted"], how_soon="right_away")
    make_moment(child, cal, occurred_at=at(11), need="comfort_me", rupture=True,
                repaired_at=at(11, 13))
    make_moment(child, ana, occurred_at=at(12), need="delight_in_me")
    # The week before (2026-W45) is never shared here: four moments of protection.
    for day in (3, 4, 5, 6):
        make_moment(child, ana, occurred_at=at(day), need="protect_me")
    make_routine(child, cal, key="special_time", started_at=at(12, 17),
                 timer_ends_at=at(12, 17) + timedelta(minutes=5),
                 ended_at=at(12, 17) + timedelta(minutes=5))
    response = client.post(f"/children/{child}/weeks/{WEEK}", data={"answer": REFLECTION})
    assert response.status_code == 302
    membership = join(client, facilitator.code)
    return SimpleNamespace(
        ana=ana, cal=cal, child=child, membership=membership,
        shared_url=lambda week=WEEK: (
            f"/groups/{facilitator.group_id}/members/{membership}/children/{child}/weeks/{week}"
        ),
    )


def test_a_facilitator_signs_up_without_a_household_and_lands_on_groups(app, client):
    response = signup_as(client, "fay@example.org", "Fay", role="facilitator")
    assert path_of(response) == "/groups"
    with app.app_context():
        fay = db.session.scalar(select(User).where(User.email == "fay@example.org"))
        assert fay.is_facilitator
        assert fay.household_id is None
    page = flashed(client.get("/groups"))
    assert "Create your first group" in page
    assert "Create a group" in page
    # Home sends a facilitator without a household to their groups.
    assert path_of(client.get("/")) == "/groups"


def test_a_parent_signs_up_with_a_household_and_cannot_create_groups(app, client):
    response = signup_as(client, "ana@example.org", "Ana")
    assert path_of(response) == "/children/new"
    with app.app_context():
        ana = db.session.scalar(select(User).where(User.email == "ana@example.org"))
        assert not ana.is_facilitator
        assert ana.household_id is not None
    assert client.get("/groups/new").status_code == 404
    assert create_group(client).status_code == 404


GROUP_FORM_PROBLEMS = [
    ({"name": ""}, "This field is required."),
    ({"name": "   "}, "This field is required."),
    ({"weeks": "0"}, "Between 1 and 104 weeks."),
    ({"weeks": "500"}, "Between 1 and 104 weeks."),
    ({"weeks": "many"}, "Not a valid integer value."),
    ({"start_date": "2026-13-45"}, "Not a valid date value."),
    ({"start_date": ""}, "Enter the start date."),
    ({"start_date": "1900-01-01"}, "Check the year of that date."),
    ({"name": "x" * 81}, "Field cannot be longer than 80 characters."),
]


def test_creating_a_group_with_bad_input_explains_and_saves_nothing(app, client, count):
    signup_as(client, "fay@example.org", "Fay", role="facilitator")
    for data, message in GROUP_FORM_PROBLEMS:
        form = {"name": "Tuesday circle", "start_date": "2026-10-01", "weeks": "8", **data}
        response = client.post("/groups/new", data=form)
        assert response.status_code == 200, data
        assert message in flashed(response), data
    assert count(Group) == 0
    response = client.post("/groups/new", data={"name": "Tuesday circle",
                                                "start_date": "2026-10-01", "weeks": "8"})
    assert response.status_code == 302
    with app.app_context():
        group = db.session.scalar(select(Group))
        assert (group.name, group.start_date, group.weeks) == (
            "Tuesday circle", date(2026, 10, 1), 8
        )


def test_a_new_group_shows_its_invite_code_and_link(app, facilitator):
    code = facilitator.code
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", code)
    page = flashed(facilitator.client.get(f"/groups/{facilitator.group_id}"))
    assert code in page
    assert f"http://tend.test/join/{code}" in page
    assert "No one has joined yet." in page
    index = flashed(facilitator.client.get("/groups"))
    assert "Tuesday circle" in index


def test_joining_asks_consent_listing_what_is_and_is_not_seen(app, client, facilitator,
                                                              make_user, count):
    make_user()
    # The code works typed loosely: lower case, spaces or dashes.
    loose = facilitator.code.lower()[:4] + "-" + facilitator.code.lower()[4:]
    response = client.get(f"/join/{loose}")
    assert path_of(response) == f"/groups/consent/{facilitator.code}"
    page = flashed(client.get(path_of(response)))
    assert "Join Tuesday circle?" in page
    assert "Fay Facilitator will see" in page
    assert "your notes on moments — only if you tick" in page
    assert "your reflection of the week — only if you tick" in page
    assert "They will never see" in page
    assert "your log itself" in page
    assert "weeks you haven't shared" in page
    # The member list shows children's nicknames from the day one joins: the page says so.
    assert "your display name, your children's nicknames, and which weeks you shared" in page
    # Reading the consent page joins nothing.
    assert count(Membership) == 0

    response = client.post(f"/groups/consent/{facilitator.code}")
    assert response.status_code == 302
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        assert membership.user_id == user_id(app, "ana@example.org")
        assert membership.group_id == facilitator.group_id
        assert not membership.share_every_week
        assert db.session.scalar(select(func.count()).select_from(WeekShare)) == 0
    assert path_of(response) == f"/groups/memberships/{membership.id}"
    assert "Nothing is shared until you choose to" in flashed(client.get(path_of(response)))
    # Joining twice is one membership.
    client.post(f"/groups/consent/{facilitator.code}")
    assert count(Membership) == 1


def test_an_unknown_code_or_a_facilitator_without_a_household_cannot_join(
    app, client, facilitator, make_user, count
):
    make_user()
    response = client.post("/groups/join", data={"code": "NOPE2345"}, follow_redirects=True)
    assert "couldn't find a group with that code" in flashed(response)
    other = app.test_client()
    signup_as(other, "fox@example.org", "Fox", role="facilitator")
    response = other.post(f"/groups/consent/{facilitator.code}", follow_redirects=True)
    assert "start your own household first" in flashed(response)
    assert count(Membership) == 0


def test_nothing_is_visible_to_the_facilitator_before_a_week_is_shared(facilitator, family):
    fay = facilitator.client
    assert fay.get(family.shared_url()).status_code == 404
    page = flashed(fay.get(f"/groups/{facilitator.group_id}"))
    assert "Ana Parent" in page
    assert NICKNAME in page  # as the consent page lists
    assert "Shared — open" not in page
    assert "not shared" in page


def test_a_week_shared_without_ticks_shows_figures_but_no_notes_reflection_or_log(
    client, facilitator, family
):
    assert share(client, family.membership, family.child).status_code == 302
    response = facilitator.client.get(family.shared_url())
    assert response.status_code == 200
    page = flashed(response)
    assert NICKNAME in page
    assert "Shared with Tuesday circle by Ana Parent." in page
    assert "You reconnected after 1 of 1 rupture." in page
    assert "Needs on the circle" in page
    assert "Special time on 1 day." in page
    assert NOTE not in page
    assert REFLECTION not in page
    assert 'id="notes-h"' not in page
    assert 'id="reflection-h"' not in page
    # The summary, never the log: no entry links and no caregiver names of entries.
    assert "/moments/" not in page
    assert "/routines/" not in page
    assert "/days/" not in page
    assert CO_CAREGIVER not in page
    # The facilitator can't post a reflection or anything else to the parent's summary.
    assert "Save my reflection" not in page


def test_a_week_shared_with_both_ticks_shows_the_notes_and_the_reflection(
    client, facilitator, family
):
    share(client, family.membership, family.child, notes=True, reflection=True)
    page = flashed(facilitator.client.get(family.shared_url()))
    assert NOTE in page
    assert REFLECTION in page
    assert CO_CAREGIVER not in page
    assert "/moments/" not in page


def test_each_tick_shares_only_its_own_part(client, facilitator, family):
    share(client, family.membership, family.child, notes=True)
    page = flashed(facilitator.client.get(family.shared_url()))
    assert NOTE in page
    assert REFLECTION not in page
    # Sharing again replaces the choice, it does not add a second share.
    share(client, family.membership, family.child, reflection=True)
    page = flashed(facilitator.client.get(family.shared_url()))
    assert NOTE not in page
    assert REFLECTION in page


def test_a_shared_week_is_not_compared_with_a_week_that_is_not_shared(
    client, facilitator, family
):
    # Ana's own summary compares the weeks: "Protect me: 0 this week, 4 last week."
    own = flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Protect me: 0 this week, 4 last week." in own
    share(client, family.membership, family.child)
    page = flashed(facilitator.client.get(family.shared_url()))
    assert "last week." not in page
    assert "Protect me" not in page.split('id="changes-h"')[1]
    # Once the week before is shared too, the comparison is fair to show.
    share(client, family.membership, family.child, week="2026-W45")
    page = flashed(facilitator.client.get(family.shared_url()))
    assert "Protect me: 0 this week, 4 last week." in page


def test_every_shared_view_leads_with_the_moments_that_went_well(app, client, facilitator,
                                                                   family):
    share(client, family.membership, family.child)
    token = make_link(client, family.child)
    pages = {
        "facilitator": flashed(facilitator.client.get(family.shared_url())),
        "link": flashed(open_link(app, token)[0].get(f"/s/weeks/{WEEK}")),
    }
    for name, page in pages.items():
        went_well = page.split('id="went-well-h"')[1].split("</section>")[0]
        assert "You reconnected after 1 of 1 rupture." in went_well, name
        assert "You had special time on 1 day." in went_well, name
        assert page.index('id="went-well-h"') < page.index('id="needs-h"'), name


def test_check_ins_never_reach_a_shared_summary(app, client, facilitator, family):
    with app.app_context():
        household_id = db.session.get(User, family.ana).household_id
        db.session.add_all([
            CheckIn(household_id=household_id, user_id=family.cal, at=at(12, 8),
                    feeling="embarrassed"),
            CheckIn(household_id=household_id, user_id=family.ana, at=at(13, 8),
                    feeling="guilty"),
        ])
        db.session.commit()
    share(client, family.membership, family.child)
    token = make_link(client, family.child)
    pages = {
        "facilitator": flashed(facilitator.client.get(family.shared_url())),
        "link": flashed(open_link(app, token)[0].get("/s/")),
    }
    for name, page in pages.items():
        feelings = page.split('id="feelings-h"')[1].split('id="changes-h"')[0]
        assert "embarrassed" not in feelings, name
        assert "guilty" not in feelings, name


def test_the_parent_sees_what_is_shared_on_their_summary(client, family, count):
    page = flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Share this week" in page
    share(client, family.membership, family.child, notes=True)
    assert count(WeekShare) == 1
    page = flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Shared, with your notes." in page
    assert "Stop sharing this week" in page


def test_a_facilitator_note_back_reaches_the_parent(app, client, facilitator, family, count):
    share(client, family.membership, family.child)
    fay = facilitator.client
    for text, message in (("", "This field is required."),
                          ("x" * 501, "Field cannot be longer than 500 characters.")):
        response = fay.post(family.shared_url(), data={"text": text})
        assert response.status_code == 200
        assert message in flashed(response)
    assert count(FacilitatorNote) == 0

    response = fay.post(family.shared_url(), data={"text": "  Lovely repair on Wednesday.  "})
    assert response.status_code == 302
    assert path_of(response) == family.shared_url()
    assert "Lovely repair on Wednesday." in flashed(fay.get(family.shared_url()))
    page = text_of(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Note from Fay Facilitator: Lovely repair on Wednesday." in page
    # Only on that week.
    assert "Lovely repair" not in flashed(client.get(f"/children/{family.child}/weeks/{THIS_WEEK}"))


def test_stopping_a_share_ends_access_on_the_next_request(client, facilitator, family, count):
    share(client, family.membership, family.child)
    fay = facilitator.client
    assert fay.get(family.shared_url()).status_code == 200
    response = client.post(
        f"/groups/memberships/{family.membership}/children/{family.child}/weeks/{WEEK}/unshare"
    )
    assert response.status_code == 302
    assert count(WeekShare) == 0
    assert fay.get(family.shared_url()).status_code == 404
    assert fay.post(family.shared_url(), data={"text": "Hello"}).status_code == 404
    assert count(FacilitatorNote) == 0
    page = flashed(fay.get(f"/groups/{facilitator.group_id}"))
    assert "Shared — open" not in page


def test_sharing_every_week_opens_any_past_week_but_not_the_future(
    client, facilitator, family
):
    fay = facilitator.client
    assert fay.get(family.shared_url(EARLIER_WEEK)).status_code == 404
    response = client.post(
        f"/groups/memberships/{family.membership}",
        data={"share_every_week": "y", "include_notes": "y", "submit": "Save"},
    )
    assert response.status_code == 302
    for week in (WEEK, EARLIER_WEEK, THIS_WEEK, "2025-W10"):
        assert fay.get(family.shared_url(week)).status_code == 200, week
    assert fay.get(family.shared_url(NEXT_WEEK)).status_code == 404
    # The every-week ticks apply: notes yes, reflection no.
    page = flashed(fay.get(family.shared_url()))
    assert NOTE in page
    assert REFLECTION not in page
    assert "shares every week" in flashed(fay.get(f"/groups/{facilitator.group_id}"))
    # Unsharing one week while sharing every week keeps it shared, and says so.
    response = client.post(
        f"/groups/memberships/{family.membership}/children/{family.child}/weeks/{WEEK}/unshare",
        follow_redirects=True,
    )
    assert "switch that off to stop sharing" in flashed(response)
    # Switching every week off closes the weeks that were not shared one by one.
    client.post(f"/groups/memberships/{family.membership}", data={"submit": "Save"})
    assert fay.get(family.shared_url(EARLIER_WEEK)).status_code == 404


def test_leaving_a_group_ends_access_at_once_and_removes_the_member(
    app, client, facilitator, family, count
):
    share(client, family.membership, family.child, notes=True)
    fay = facilitator.client
    fay.post(family.shared_url(), data={"text": "Thank you for sharing."})
    assert count(FacilitatorNote) == 1
    response = client.post(f"/groups/memberships/{family.membership}/leave")
    assert path_of(response) == "/groups"
    assert "You've left Tuesday circle" in flashed(client.get("/groups"))
    assert count(Membership) == 0
    assert count(WeekShare) == 0
    assert count(FacilitatorNote) == 0
    assert fay.get(family.shared_url()).status_code == 404
    page = flashed(fay.get(f"/groups/{facilitator.group_id}"))
    assert "Ana Parent" not in page
    assert NICKNAME not in page
    assert "No one has joined yet." in page
    # The membership page is gone for the parent too.
    assert client.get(f"/groups/memberships/{family.membership}").status_code == 404


def test_relabelled_needs_show_to_the_facilitator_but_not_on_the_parents_screens(
    client, facilitator, family
):
    fay = facilitator.client
    assert fay.get(f"/groups/{facilitator.group_id}/labels").status_code == 200
    response = fay.post(
        f"/groups/{facilitator.group_id}/labels",
        data={"label_comfort_me": "Cuddle corner", "label_delight_in_me": "  "},
    )
    assert response.status_code == 302
    share(client, family.membership, family.child)
    page = flashed(fay.get(family.shared_url()))
    assert "Cuddle corner" in page
    assert "Delight in me" in page  # blank keeps Tend's label
    overview = flashed(fay.get(f"/groups/{facilitator.group_id}/weeks/{WEEK}"))
    assert "Cuddle corner" in overview
    own = flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Cuddle corner" not in own
    assert "Comfort me" in own
    assert "Cuddle corner" not in client.get(
        f"/api/v1/children/{family.child}/summary?week={WEEK}"
    ).get_data(as_text=True)
    # Too long a label is refused.
    response = fay.post(f"/groups/{facilitator.group_id}/labels",
                        data={"label_comfort_me": "x" * 41})
    assert "Field cannot be longer than 40 characters." in flashed(response)


@pytest.fixture
def add_family(app, facilitator, make_child, make_moment):
    """Add a parent with children to Fay's group, each child sharing WEEK with one moment."""
    made = []

    def add(name, nicknames, share_week=True):
        parent = app.test_client()
        email = f"{name.lower()}@example.org"
        signup_as(parent, email, name)
        uid = user_id(app, email)
        membership = join(parent, facilitator.code)
        children = []
        for nickname in nicknames:
            child = make_child(uid, nickname=nickname)
            make_moment(child, uid, occurred_at=at(10), need="comfort_me")
            make_moment(child, uid, occurred_at=at(11), need="help_me", rupture=True,
                        repaired_at=at(11, 14))
            if share_week:
                assert share(parent, membership, child).status_code == 302
            children.append(child)
        made.append((name, children))
        return children

    return add


def overview(facilitator) -> str:
    response = facilitator.client.get(f"/groups/{facilitator.group_id}/weeks/{WEEK}")
    assert response.status_code == 200
    return flashed(response)


def test_the_group_overview_sums_two_families_without_a_per_family_breakdown(
    facilitator, add_family
):
    add_family("Bea", ["Olwen"])
    add_family("Cyd", ["Pim"])
    add_family("Dot", ["Rafe"], share_week=False)
    page = overview(facilitator)
    assert "2 summaries shared this week." in page
    assert "By family" not in page
    for name in ("Bea", "Cyd", "Dot", "Olwen", "Pim", "Rafe"):
        assert name not in page
    assert "at least 3 families share a week" in page
    # Two moments of comfort, two of help, two ruptures, both repaired.
    assert "<th scope=\"row\">Comfort me</th><td>2</td>" in page
    assert "<th scope=\"row\">Help me</th><td>2</td>" in page
    assert "2 moments went sideways; families reconnected after 2." in page


def test_the_group_overview_breaks_down_by_family_from_three_families(
    facilitator, add_family
):
    for name, nickname in (("Bea", "Olwen"), ("Cyd", "Pim"), ("Dot", "Rafe")):
        add_family(name, [nickname])
    page = overview(facilitator)
    assert "3 summaries shared this week." in page
    assert "By family" in page
    for row in ("Bea · Olwen", "Cyd · Pim", "Dot · Rafe"):
        assert row in page
    assert "<th scope=\"row\">Comfort me</th><td>3</td>" in page


def test_two_families_stay_unbroken_down_even_with_three_children_shared(
    facilitator, add_family
):
    # Three shared summaries, but from only two families: per-family rows would single out
    # each family's figures.
    add_family("Bea", ["Olwen", "Otto"])
    add_family("Cyd", ["Pim"])
    page = overview(facilitator)
    assert "3 summaries shared this week." in page
    assert "By family" not in page
    for name in ("Bea", "Cyd", "Olwen", "Otto", "Pim"):
        assert name not in page


def test_a_group_overview_of_another_facilitator_is_not_found(app, facilitator):
    fox = app.test_client()
    signup_as(fox, "fox@example.org", "Fox", role="facilitator")
    for url in (f"/groups/{facilitator.group_id}", f"/groups/{facilitator.group_id}/weeks/{WEEK}",
                f"/groups/{facilitator.group_id}/labels"):
        assert fox.get(url).status_code == 404
    fay = facilitator.client
    for week in ("junk", "2026-W99", "2026-W46x"):
        assert fay.get(f"/groups/{facilitator.group_id}/weeks/{week}").status_code == 404


def test_a_facilitator_can_start_a_household_of_their_own(app, facilitator, count):
    fay = facilitator.client
    assert "Start my own log" in flashed(fay.get("/groups"))
    response = fay.post("/groups/start-household")
    assert path_of(response) == "/children/new"
    with app.app_context():
        user = db.session.get(User, facilitator.id)
        household_id = user.household_id
        assert household_id is not None
        assert user.is_facilitator
    response = fay.post("/children/new", data={"nickname": "Tam", "birth_month": "4",
                                               "birth_year": "2023", "colour": "#4f7cac"})
    assert response.status_code == 302
    home = fay.get("/")
    assert home.status_code == 200
    assert "Tam" in flashed(home)
    with app.app_context():
        child_id = db.session.scalar(select(Child.id).where(Child.household_id == household_id))
    response = fay.post("/moments/new", data={"child_id": str(child_id), "need": "help_me",
                                              "when": "0"})
    assert response.status_code == 302
    assert fay.get(f"/children/{child_id}/weeks/{THIS_WEEK}").status_code == 200
    # Still a facilitator: the group is there, and a second household is not made.
    assert "Tuesday circle" in flashed(fay.get("/groups"))
    fay.post("/groups/start-household")
    with app.app_context():
        assert db.session.get(User, facilitator.id).household_id == household_id


# --- Share links --------------------------------------------------------------------------


@pytest.fixture
def parent(app, client, make_user, make_child, make_moment):
    """Ana with a child whose WEEK holds a noted moment and a reflection; `client` is Ana."""
    ana = make_user(name="Ana Parent")
    child = make_child(ana, nickname=NICKNAME)
    make_moment(child, ana, occurred_at=at(10), need="comfort_me", note=NOTE)
    make_moment(child, ana, occurred_at=at(3), need="help_me")
    client.post(f"/children/{child}/weeks/{WEEK}", data={"answer": REFLECTION})
    return SimpleNamespace(id=ana, child=child)


TOKEN_URL = re.compile(r"http://tend\.test/s/([A-Za-z0-9_-]+)")


def new_link(client, child, first=WEEK_FIRST, last=WEEK_FIRST, days="14", **extra):
    data = {"first_week": first.isoformat(), "last_week": last.isoformat(), "days": days,
            **extra}
    return client.post(f"/children/{child}/share-links/new", data=data)


def make_link(client, child, **kwargs) -> str:
    response = new_link(client, child, **kwargs)
    assert response.status_code == 200, flashed(response)
    match = TOKEN_URL.search(response.get_data(as_text=True))
    assert match, flashed(response)
    return match[1]


def open_link(app, token, user_agent=None):
    """Open a share link in a new browser; return the browser and the redirect response."""
    browser = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    response = browser.get(f"/s/{token}", headers=headers)
    return browser, response


def all_values(app) -> list[str]:
    """Return every value of every column of every row, as text."""
    with app.app_context():
        return [
            str(value)
            for table in db.metadata.sorted_tables
            for row in db.session.execute(select(table))
            for value in row
        ]


def test_a_fresh_login_makes_a_link_without_asking_the_password(client, parent):
    page = flashed(client.get(f"/children/{parent.child}/share-links/new"))
    assert "Share Zephyrine's summary" in page
    assert 'name="password"' not in page
    # Notes and the reflection are off by default; 14 days is the default expiry.
    assert re.search(r'<input[^>]*name="include_notes"[^>]*>', page)
    assert "checked" not in re.search(r'<input[^>]*name="include_notes"[^>]*>', page)[0]
    assert "checked" not in re.search(r'<input[^>]*name="include_reflection"[^>]*>', page)[0]
    assert re.search(r'<input[^>]*name="days"[^>]*value="14"', page)
    make_link(client, parent.child)


def test_a_remembered_session_must_enter_the_password_to_make_a_link(
    app, parent, count
):
    browser = app.test_client()
    assert login(browser, remember=True).status_code == 302
    assert browser.get_cookie("remember_token", domain="tend.test") is not None
    browser.delete_cookie("session", domain="tend.test")
    assert browser.get_cookie("session", domain="tend.test") is None
    url = f"/children/{parent.child}/share-links/new"
    page = flashed(browser.get(url))
    assert "Share Zephyrine's summary" in page  # still signed in, by the remember cookie
    assert 'name="password"' in page
    assert "we ask again before handing out a link" in page
    for password in ("", "not my password"):
        response = new_link(browser, parent.child, password=password)
        assert response.status_code == 200
        assert "Enter your password to create a link." in flashed(response)
    assert count(ShareLink) == 0
    response = new_link(browser, parent.child, password=PASSWORD)
    assert TOKEN_URL.search(response.get_data(as_text=True))
    assert count(ShareLink) == 1


def test_the_token_is_shown_once_and_only_its_hash_is_stored(app, client, parent):
    response = new_link(client, parent.child, label="Grandma")
    text = response.get_data(as_text=True)
    token = TOKEN_URL.search(text)[1]
    assert len(token) >= 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert "keep only a fingerprint" in text
    with app.app_context():
        link = db.session.scalar(select(ShareLink))
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert link.label == "Grandma"
        assert not link.include_notes
        assert not link.include_reflection
        assert link.first_day == link.last_first_day == WEEK_FIRST
    values = all_values(app)
    assert not [v for v in values if token in v]
    # Not in the list of links either, and a second link gets a different token.
    assert token not in client.get("/share-links").get_data(as_text=True)
    assert make_link(client, parent.child) != token


def test_opening_a_link_swaps_the_token_for_a_share_cookie_and_a_clean_url(app, client, parent):
    token = make_link(client, parent.child)
    browser, response = open_link(app, token)
    assert response.status_code == 303
    assert path_of(response) == "/s/"
    assert token not in response.headers["Location"]
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies  # the share cookie, and no session
    attributes = [part.strip() for part in cookies[0].split(";")]
    assert attributes[0] == f"tend_share={token}"
    assert "Path=/s/" in attributes
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes
    max_age = int(next(a for a in attributes if a.startswith("Max-Age="))[len("Max-Age="):])
    assert 14 * 86400 - 120 <= max_age <= 14 * 86400
    response = browser.get("/s/")
    assert response.status_code == 200
    assert response.request.path == "/s/"
    page = flashed(response)
    assert NICKNAME in page
    assert "shared, read-only" in page
    # The cookie is sent only to the share pages.
    assert browser.get_cookie("tend_share", domain="tend.test", path="/s/").value == token
    assert browser.get("/").status_code == 200  # the welcome page: no account


def test_share_pages_send_private_headers_and_link_nowhere_in_the_app(app, client, parent):
    token = make_link(client, parent.child)
    browser, _ = open_link(app, token)
    responses = {
        "/s/": browser.get("/s/"),
        f"/s/weeks/{WEEK}": browser.get(f"/s/weeks/{WEEK}"),
        "other week": browser.get(f"/s/weeks/{EARLIER_WEEK}"),
        "unknown token": app.test_client().get("/s/" + "x" * 43),
        "no cookie": app.test_client().get("/s/"),
        # Errors under /s/ link nowhere in the app either.
        "a POST": browser.post("/s/"),
        "a POST to a week": browser.post(f"/s/weeks/{WEEK}"),
    }
    for name, response in responses.items():
        assert response.headers["Cache-Control"] == "no-store", name
        assert "noindex" in response.headers["X-Robots-Tag"], name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        text = response.get_data(as_text=True)
        assert app_links(text) == [], name
        assert Links(text).urls, name  # the parser saw the page's stylesheets
    assert responses["/s/"].status_code == 200
    assert responses[f"/s/weeks/{WEEK}"].status_code == 200
    for name in ("other week", "unknown token", "no cookie"):
        assert responses[name].status_code == 404
        assert "This link isn't available" in flashed(responses[name]), name
    for name in ("a POST", "a POST to a week"):
        assert responses[name].status_code == 405, name
        assert "This page can't be used that way." in flashed(responses[name]), name


def test_every_view_is_logged_with_a_coarse_device_and_shown_to_the_parent(
    app, client, parent
):
    token = make_link(client, parent.child)
    browser, _ = open_link(app, token, IPHONE)
    browser.get("/s/", headers={"User-Agent": IPHONE})
    browser.get(f"/s/weeks/{WEEK}", headers={"User-Agent": ANDROID})
    browser.get("/s/")
    with app.app_context():
        devices = sorted(db.session.scalars(select(ShareView.device)))
    assert devices == ["Android phone, Chrome", "Unknown device", "iPhone, Safari"]
    assert not [v for v in all_values(app) if "Mozilla" in v or "AppleWebKit" in v]
    page = flashed(client.get("/share-links"))
    assert "Opened 3 times" in page
    assert "iPhone, Safari" in page
    assert "Android phone, Chrome" in page
    assert "active until" in page
    assert NICKNAME in page


def test_a_link_leaves_out_notes_and_reflection_unless_ticked(app, client, parent):
    plain = make_link(client, parent.child)
    page = flashed(open_link(app, plain)[0].get("/s/"))
    assert NICKNAME in page
    assert NOTE not in page
    assert REFLECTION not in page
    assert "/moments/" not in page
    ticked = make_link(client, parent.child, include_notes="y", include_reflection="y")
    page = flashed(open_link(app, ticked)[0].get("/s/"))
    assert NOTE in page
    assert REFLECTION in page


def test_a_link_expiry_outside_one_to_ninety_days_is_refused(client, parent, count):
    for days, message in (
        ("91", "Between 1 and 90 days."),
        ("0", "Between 1 and 90 days."),
        ("-3", "Between 1 and 90 days."),
        ("", "Enter how many days the link should work."),
    ):
        response = new_link(client, parent.child, days=days)
        assert response.status_code == 200, days
        assert message in flashed(response), days
    assert count(ShareLink) == 0


def test_link_expiry_defaults_to_fourteen_days_and_allows_ninety(app, client, parent):
    make_link(client, parent.child)
    make_link(client, parent.child, days="90")
    with app.app_context():
        expiries = sorted(link.expires_at - link.created_at
                          for link in db.session.scalars(select(ShareLink)))
    assert abs(expiries[0] - timedelta(days=14)) < timedelta(minutes=1)
    assert abs(expiries[1] - timedelta(days=90)) < timedelta(minutes=1)


def test_a_link_range_must_run_forwards_and_use_offered_weeks(client, parent, count):
    response = new_link(client, parent.child, first=WEEK_FIRST, last=WEEK_FIRST - timedelta(7))
    assert "The last week can't be before the first." in flashed(response)
    response = new_link(client, parent.child, first=date(2020, 1, 6), last=WEEK_FIRST)
    assert "Not a valid choice" in flashed(response)
    assert count(ShareLink) == 0


def test_a_link_stops_working_when_it_expires(app, client, parent):
    token = make_link(client, parent.child)
    browser, _ = open_link(app, token)
    with time_machine.travel(NOW + timedelta(days=13), tick=True):
        assert browser.get("/s/").status_code == 200
        assert app.test_client().get(f"/s/{token}").status_code == 303
    with time_machine.travel(NOW + timedelta(days=15), tick=True):
        # A browser that kept the cookie past its Max-Age gets nothing either.
        browser.set_cookie("tend_share", token, domain="tend.test", path="/s/")
        response = browser.get("/s/")
        assert response.status_code == 404
        assert "This link isn't available" in flashed(response)
        assert NICKNAME not in flashed(response)
        assert browser.get(f"/s/weeks/{WEEK}").status_code == 404
        response = app.test_client().get(f"/s/{token}")
        assert response.status_code == 404
        assert "Set-Cookie" not in response.headers
        login(client)  # fifteen days on, the parent logs in again
        assert "expired" in flashed(client.get("/share-links"))


def test_a_revoked_link_stops_working_on_the_next_request(app, client, parent, make_user):
    token = make_link(client, parent.child)
    browser, _ = open_link(app, token)
    assert browser.get("/s/").status_code == 200
    with app.app_context():
        link_id = db.session.scalar(select(ShareLink.id))
    # Another household can't switch it off.
    other = app.test_client()
    make_user(email="bo@example.org", name="Bo", using=other)
    assert other.post(f"/share-links/{link_id}/revoke").status_code == 404
    assert browser.get("/s/").status_code == 200

    response = client.post(f"/share-links/{link_id}/revoke")
    assert path_of(response) == "/share-links"
    assert browser.get("/s/").status_code == 404
    assert browser.get(f"/s/weeks/{WEEK}").status_code == 404
    assert app.test_client().get(f"/s/{token}").status_code == 404
    page = flashed(client.get("/share-links"))
    assert "switched off" in page
    assert "Switch off" not in page


def test_a_link_shows_only_the_weeks_in_its_range(app, client, parent):
    first = WEEK_FIRST - timedelta(days=14)
    token = make_link(client, parent.child, first=first, last=WEEK_FIRST)
    browser, _ = open_link(app, token)
    page = browser.get("/s/").get_data(as_text=True)
    assert "9 Nov – 15 Nov 2026" in page  # the newest week first
    assert 'href="/s/weeks/2026-W45"' in page
    for week in ("2026-W44", "2026-W45", WEEK):
        assert browser.get(f"/s/weeks/{week}").status_code == 200, week
    for week in ("2026-W43", THIS_WEEK, NEXT_WEEK, "2026-W99", "junk", "2026-W46x"):
        response = browser.get(f"/s/weeks/{week}")
        assert response.status_code == 404, week
        assert app_links(response.get_data(as_text=True)) == [], week


def test_a_link_compares_only_weeks_inside_its_range(app, client, parent):
    # The parent's moment on 3 November is in 2026-W45, the week before WEEK.
    own = flashed(client.get(f"/children/{parent.child}/weeks/{WEEK}"))
    assert "Help me: 0 this week, 1 last week." in own
    only_week = make_link(client, parent.child)
    page = flashed(open_link(app, only_week)[0].get("/s/"))
    assert "last week." not in page
    both = make_link(client, parent.child, first=WEEK_FIRST - timedelta(days=7))
    browser, _ = open_link(app, both)
    assert "Help me: 0 this week, 1 last week." in flashed(browser.get("/s/"))
    # The first week of the range has no shared week before it.
    assert "last week." not in flashed(browser.get("/s/weeks/2026-W45"))


def test_share_pages_refuse_posts(app, client, parent, count):
    token = make_link(client, parent.child)
    browser, _ = open_link(app, token)
    views = count(ShareView)
    for url in ("/s/", f"/s/{token}", f"/s/weeks/{WEEK}"):
        for method in ("post", "put", "delete", "patch"):
            response = getattr(browser, method)(url)
            assert response.status_code == 405, (method, url)
            # Refused before any view runs, and still a share page's headers.
            assert response.headers["Cache-Control"] == "no-store"
            assert "noindex" in response.headers["X-Robots-Tag"]
            assert response.headers["Referrer-Policy"] == "same-origin"
    assert count(ShareView) == views


def test_a_link_for_another_households_child_is_not_found(app, client, parent, make_user,
                                                           count):
    other = app.test_client()
    make_user(email="bo@example.org", name="Bo", using=other)
    assert other.get(f"/children/{parent.child}/share-links/new").status_code == 404
    assert new_link(other, parent.child).status_code == 404
    assert count(ShareLink) == 0
    make_link(client, parent.child)
    assert NICKNAME not in flashed(other.get("/share-links"))


# --- Stars, questions and session prep ------------------------------------------------------

QUESTION = "How do I stay calm at bedtime? 5521"


def moment_ids(app, child_id) -> dict:
    """Return the child's moment ids by their UTC day and hour."""
    with app.app_context():
        return {
            (m.occurred_at.day, m.occurred_at.hour): m.id
            for m in db.session.scalars(select(Moment).where(Moment.child_id == child_id))
        }


def star(client, moment_id):
    return client.post(f"/moments/{moment_id}/star")


def question_url(family, week=WEEK):
    return (f"/groups/memberships/{family.membership}/children/{family.child}/weeks/{week}"
            "/question")


def prep(facilitator, week=WEEK) -> str:
    response = facilitator.client.get(f"/groups/{facilitator.group_id}/prep/{week}")
    assert response.status_code == 200
    return text_of(response)


def test_a_parent_stars_a_moment_in_the_day_view_and_can_take_the_star_off(
    app, client, family, fetch
):
    moment = moment_ids(app, family.child)[(10, 12)]
    page = client.get(f"/children/{family.child}/days/2026-11-10").get_data(as_text=True)
    assert f'action="/moments/{moment}/star"' in page
    assert 'aria-pressed="false"' in page
    response = star(client, moment)
    assert path_of(response) == f"/children/{family.child}/days/2026-11-10"
    assert fetch(Moment, moment).starred is True
    page = client.get(f"/children/{family.child}/days/2026-11-10").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    star(client, moment)
    assert fetch(Moment, moment).starred is False


def test_another_household_cannot_star_a_moment(app, family, make_user, fetch):
    moment = moment_ids(app, family.child)[(10, 12)]
    stranger = app.test_client()
    make_user(email="sam@example.org", name="Sam", using=stranger)
    assert star(stranger, moment).status_code == 404
    assert fetch(Moment, moment).starred is False


def test_stars_and_the_question_reach_the_facilitator_only_with_their_shared_week(
    app, client, facilitator, family
):
    ids = moment_ids(app, family.child)
    star(client, ids[(10, 12)])  # in WEEK, with a note
    star(client, ids[(4, 12)])  # in the week before, never shared
    share(client, family.membership, family.child)
    response = client.post(question_url(family), data={"question": f"  {QUESTION}  "})
    assert path_of(response) == f"/children/{family.child}/weeks/{WEEK}"
    page = text_of(facilitator.client.get(family.shared_url()))
    assert f"Something I'd like to bring to the group: {QUESTION}" in page
    assert "★ Tue 12:00 · Comfort me" in page
    assert "Wed 12:00 · Protect me" not in page
    # Notes were not ticked: the starred moment comes without its note.
    assert NOTE not in page
    prepared = prep(facilitator)
    assert QUESTION in prepared
    assert "★ Tue 12:00 · Comfort me" in prepared
    assert "Protect me" not in prepared
    assert NOTE not in prepared
    # The week before is not shared: nothing of it, star included, on its prep page.
    assert "Ana Parent" not in prep(facilitator, "2026-W45").split("Also in the group")[0]


def test_a_starred_moment_carries_its_note_only_when_notes_are_shared(
    app, client, facilitator, family
):
    star(client, moment_ids(app, family.child)[(10, 12)])
    share(client, family.membership, family.child, notes=True)
    assert NOTE in prep(facilitator)


def test_the_parent_sees_and_changes_the_question_on_their_summary(client, family, fetch):
    share(client, family.membership, family.child)
    page = text_of(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert "Something I'd like to bring to the group" in page
    client.post(question_url(family), data={"question": QUESTION})
    page = text_of(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert f"Something I'd like to bring to the group: {QUESTION}" in page
    form = client.get(question_url(family)).get_data(as_text=True)
    assert QUESTION.replace("'", "&#39;") in form or QUESTION in form


def test_an_overlong_question_is_refused_keeping_what_was_typed(client, family, app):
    share(client, family.membership, family.child)
    client.post(question_url(family), data={"question": QUESTION})
    typed = "q" * 301
    response = client.post(question_url(family), data={"question": typed})
    assert response.status_code == 200
    assert "Keep it to 300 characters." in flashed(response)
    assert typed in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(WeekShare.question)) == QUESTION


def test_a_question_for_a_week_not_shared_is_refused_and_saves_nothing(client, family, count):
    response = client.post(question_url(family), data={"question": QUESTION})
    assert path_of(response) == f"/children/{family.child}/weeks/{WEEK}"
    assert "Share this week first" in flashed(client.get(path_of(response)))
    assert count(WeekShare) == 0


def test_a_question_in_a_week_shared_every_week_keeps_the_every_week_ticks(
    app, client, facilitator, family
):
    client.post(f"/groups/memberships/{family.membership}",
                data={"share_every_week": "y", "include_notes": "y", "submit": "Save"})
    client.post(question_url(family), data={"question": QUESTION})
    with app.app_context():
        row = db.session.scalar(select(WeekShare))
        assert (row.question, row.include_notes, row.include_reflection) == (QUESTION, True, False)
    assert QUESTION in prep(facilitator)


def test_stopping_a_share_takes_the_stars_and_question_away_on_the_next_request(
    app, client, facilitator, family
):
    star(client, moment_ids(app, family.child)[(10, 12)])
    share(client, family.membership, family.child)
    client.post(question_url(family), data={"question": QUESTION})
    assert QUESTION in prep(facilitator)
    client.post(
        f"/groups/memberships/{family.membership}/children/{family.child}/weeks/{WEEK}/unshare"
    )
    page = prep(facilitator)
    assert QUESTION not in page
    assert "Comfort me" not in page
    assert "No summaries shared for this week yet." in page
    # Sharing the week again does not bring the old question back.
    share(client, family.membership, family.child)
    assert QUESTION not in prep(facilitator)


def test_session_prep_lists_families_alphabetically_and_others_without_a_mark(
    facilitator, add_family
):
    add_family("Zoe", ["Pim"])
    add_family("Bea", ["Olwen"])
    add_family("Dot", ["Rafe"], share_week=False)
    page = prep(facilitator)
    assert "Shared this week: Bea (Olwen), Zoe (Pim)." in page
    assert "Also in the group: Dot." in page
    assert page.index("Bea · Olwen") < page.index("Zoe · Pim")
    assert "Rafe" not in page  # a child whose week isn't shared is not named
    assert "Repair: reconnected after 1 of 1 time it went sideways" in page
    for judgement in ("needs attention", "didn't share", "missing", "rank", "best", "worst",
                      "should"):
        assert judgement not in page.lower()


def test_session_prep_prints_on_a4(facilitator):
    page = facilitator.client.get(f"/groups/{facilitator.group_id}/prep/{WEEK}")
    assert "css/prep." in page.get_data(as_text=True)
    css = Path(__file__).parents[1] / "static" / "css" / "prep.css"
    assert "size: A4" in css.read_text()


@pytest.mark.parametrize("week", ["junk", "2026-W99", NEXT_WEEK, "1999-W01"])
def test_session_prep_for_a_week_that_cannot_be_is_not_found(facilitator, week):
    assert facilitator.client.get(
        f"/groups/{facilitator.group_id}/prep/{week}").status_code == 404


def test_session_prep_of_another_facilitators_group_is_not_found(app, facilitator, family,
                                                                 client):
    share(client, family.membership, family.child)
    fox = app.test_client()
    signup_as(fox, "fox@example.org", "Fox", role="facilitator")
    assert fox.get(f"/groups/{facilitator.group_id}/prep/{WEEK}").status_code == 404
    assert client.get(f"/groups/{facilitator.group_id}/prep/{WEEK}").status_code == 404


# --- A kind comment on one shared moment --------------------------------------------------

COMMENT = "The way you waited for her 8812"


def comment_url(facilitator, family, moment_id):
    return (f"/groups/{facilitator.group_id}/members/{family.membership}/children/"
            f"{family.child}/shared-moments/{moment_id}/comment")


def comments(app) -> list[tuple]:
    with app.app_context():
        return [(c.moment_id, c.text, c.hidden_at is not None)
                for c in db.session.scalars(select(MomentComment))]


@pytest.fixture
def noted_moment(app, client, family):
    """Ana's week shared with notes; return the id of Cal's moment with a note."""
    share(client, family.membership, family.child, notes=True)
    return moment_ids(app, family.child)[(10, 12)]


def test_a_facilitator_comments_on_a_shared_moment_with_a_starter(
    app, client, facilitator, family, noted_moment
):
    fay = facilitator.client
    page = flashed(fay.get(family.shared_url()))
    assert comment_url(facilitator, family, noted_moment) in page
    form = flashed(fay.get(comment_url(facilitator, family, noted_moment)))
    for starter in ("You named the feeling — that helps.", "Thank you for sharing this moment."):
        assert starter in form
    response = fay.post(comment_url(facilitator, family, noted_moment),
                        data={"starter": "named", "text": f"  {COMMENT}  "})
    assert path_of(response) == family.shared_url()
    text = f"You named the feeling — that helps. {COMMENT}"
    assert comments(app) == [(noted_moment, text, False)]
    assert f"Your comment: {text}" in text_of(fay.get(family.shared_url()))
    # Sending again changes the one comment, it doesn't add a second.
    fay.post(comment_url(facilitator, family, noted_moment), data={"text": "Lovely."})
    assert comments(app) == [(noted_moment, "Lovely.", False)]


def test_the_parent_sees_the_comment_on_the_moment_and_the_week_and_can_hide_it(
    app, client, facilitator, family, noted_moment
):
    facilitator.client.post(comment_url(facilitator, family, noted_moment),
                            data={"text": COMMENT})
    day = text_of(client.get(f"/children/{family.child}/days/2026-11-10"))
    assert f"Fay Facilitator (Tuesday circle): {COMMENT}" in day
    week = text_of(client.get(f"/children/{family.child}/weeks/{WEEK}"))
    assert f"Fay Facilitator on Tue 10 Nov 12:00: {COMMENT}" in week
    # Not on other days, and not for the co-caregiver, who didn't share it.
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/days/2026-11-11"))
    cal = app.test_client()
    login(cal, "wil@example.org")
    assert COMMENT not in flashed(cal.get(f"/children/{family.child}/days/2026-11-10"))
    comment_id = comment_ids(app)[0]
    assert cal.post(f"/groups/comments/{comment_id}/hide").status_code == 404
    assert comments(app)[0][2] is False

    response = client.post(f"/groups/comments/{comment_id}/hide",
                           data={"next": f"/children/{family.child}/days/2026-11-10"})
    assert path_of(response) == f"/children/{family.child}/days/2026-11-10"
    assert comments(app)[0][2] is True
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/days/2026-11-10"))
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))


def comment_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(MomentComment.id).order_by(MomentComment.id)))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_hiding_a_comment_never_sends_the_parent_to_another_site(
    app, client, facilitator, family, noted_moment, target
):
    facilitator.client.post(comment_url(facilitator, family, noted_moment),
                            data={"text": COMMENT})
    response = client.post(f"/groups/comments/{comment_ids(app)[0]}/hide",
                           data={"next": target})
    assert path_of(response) == f"/children/{family.child}/days/2026-11-10"


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Pick a starter or write a few words."),
    ({"text": "   "}, "Pick a starter or write a few words."),
    ({"text": "k" * 201}, "Keep it to 200 characters, starter included (this is 201)."),
    ({"starter": "named", "text": "k" * 170},
     "Keep it to 200 characters, starter included (this is 206)."),
    ({"starter": "harsh", "text": "Fine."}, "Choose from the options shown."),
])
def test_a_bad_comment_is_refused_keeping_what_was_typed(
    app, facilitator, family, noted_moment, data, message
):
    response = facilitator.client.post(comment_url(facilitator, family, noted_moment), data=data)
    assert response.status_code == 200
    assert message in flashed(response)
    if data.get("text", "").strip():
        assert data["text"] in response.get_data(as_text=True)
    assert comments(app) == []


def test_a_moment_without_a_note_or_star_cannot_be_commented(
    app, client, facilitator, family, noted_moment
):
    plain = moment_ids(app, family.child)[(12, 12)]
    fay = facilitator.client
    for response in (fay.get(comment_url(facilitator, family, plain)),
                     fay.post(comment_url(facilitator, family, plain), data={"text": "Hi"})):
        assert response.status_code == 404
        assert "This moment isn't shared with you" in flashed(response)
    assert comments(app) == []
    # Once Ana stars it, it is shared and open to a comment.
    star(client, plain)
    assert fay.get(comment_url(facilitator, family, plain)).status_code == 200


def test_a_week_shared_without_notes_takes_no_comments_even_on_a_star(
    app, client, facilitator, family
):
    starred = moment_ids(app, family.child)[(10, 12)]
    star(client, starred)
    share(client, family.membership, family.child)
    fay = facilitator.client
    assert "Leave a kind comment" not in flashed(fay.get(family.shared_url()))
    response = fay.post(comment_url(facilitator, family, starred), data={"text": "Hi"})
    assert response.status_code == 404
    assert comments(app) == []


def test_moments_of_unshared_weeks_other_children_or_groups_are_not_found(
    app, client, facilitator, family, noted_moment, make_child, make_moment
):
    fay = facilitator.client
    earlier = moment_ids(app, family.child)[(4, 12)]  # the week before, never shared
    sibling = make_child(family.ana, nickname="Pip")
    other = make_moment(sibling, family.ana, occurred_at=at(10), note="sibling note")
    for moment in (earlier, other, 999999, 2**40):
        assert fay.post(comment_url(facilitator, family, moment),
                        data={"text": "Hi"}).status_code == 404
    fox = app.test_client()
    signup_as(fox, "fox@example.org", "Fox", role="facilitator")
    assert fox.post(comment_url(facilitator, family, noted_moment),
                    data={"text": "Hi"}).status_code == 404
    assert client.get(comment_url(facilitator, family, noted_moment)).status_code == 404
    assert comments(app) == []


@pytest.mark.parametrize("how", ["unshare", "no notes", "leave", "every week off"])
def test_a_comment_disappears_with_the_share(
    app, client, facilitator, family, noted_moment, how
):
    if how == "every week off":
        client.post(f"/groups/memberships/{family.membership}/children/{family.child}"
                    f"/weeks/{WEEK}/unshare")
        client.post(f"/groups/memberships/{family.membership}",
                    data={"share_every_week": "y", "include_notes": "y", "submit": "Save"})
    facilitator.client.post(comment_url(facilitator, family, noted_moment),
                            data={"text": COMMENT})
    assert len(comments(app)) == 1
    base = f"/groups/memberships/{family.membership}"
    if how == "unshare":
        client.post(f"{base}/children/{family.child}/weeks/{WEEK}/unshare")
    elif how == "no notes":
        share(client, family.membership, family.child)
    elif how == "leave":
        client.post(f"{base}/leave")
    else:
        client.post(base, data={"include_notes": "y", "submit": "Save"})
    assert comments(app) == []
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/days/2026-11-10"))
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/weeks/{WEEK}"))


def test_a_comment_leaves_the_parents_view_when_the_note_and_star_are_taken_away(
    app, client, facilitator, family, noted_moment
):
    facilitator.client.post(comment_url(facilitator, family, noted_moment),
                            data={"text": COMMENT})
    with app.app_context():
        db.session.get(Moment, noted_moment).note = ""
        db.session.commit()
    assert COMMENT not in flashed(client.get(f"/children/{family.child}/days/2026-11-10"))
    assert COMMENT not in flashed(facilitator.client.get(family.shared_url()))


# --- A weekly theme: the group's programme -----------------------------------------------

THEME = "The bottom half of the circle: comfort"


def programme(facilitator, **data):
    return facilitator.client.post(f"/groups/{facilitator.group_id}/programme", data=data)


def set_weeks(facilitator, weeks="8", start="2026-10-01"):
    response = facilitator.client.post(
        f"/groups/{facilitator.group_id}/edit",
        data={"name": "Tuesday circle", "start_date": start, "weeks": weeks},
    )
    assert path_of(response) == f"/groups/{facilitator.group_id}/programme"


def themes(app) -> list[tuple]:
    with app.app_context():
        return [(t.week, t.theme, t.focus)
                for t in db.session.scalars(select(GroupTheme).order_by(GroupTheme.week))]


def test_a_facilitator_sets_a_theme_per_week_of_the_programme(app, facilitator):
    set_weeks(facilitator)
    page = text_of(facilitator.client.get(f"/groups/{facilitator.group_id}/programme"))
    assert "Week 1 · 1 Oct" in page and "Week 8 · 19 Nov" in page
    response = programme(facilitator, week="8", theme=f"  {THEME} ", focus="comfort")
    assert path_of(response) == f"/groups/{facilitator.group_id}/programme"
    assert themes(app) == [(8, THEME, "comfort")]
    page = text_of(facilitator.client.get(f"/groups/{facilitator.group_id}/programme"))
    assert f"Week 8 · 19 Nov {THEME} Coming back for comfort (safe haven) Change" in page
    # Changing a week replaces its theme; a blank theme clears it.
    programme(facilitator, week="8", theme="Delight", focus="")
    assert themes(app) == [(8, "Delight", None)]
    programme(facilitator, week="8", theme="")
    assert themes(app) == []


@pytest.mark.parametrize(("weeks", "data", "message"), [
    ("8", {"week": "9", "theme": THEME}, "Week 9 is outside the programme (weeks 1–8)."),
    ("8", {"week": "0", "theme": THEME}, "Week 0 is outside the programme (weeks 1–8)."),
    ("8", {"week": "", "theme": THEME}, "Enter the week number."),
    ("8", {"week": "two", "theme": THEME}, "Not a valid integer value."),
    ("8", {"week": "2", "theme": "t" * 81}, "Keep the theme to 80 characters."),
    ("8", {"week": "2", "theme": THEME, "focus": "grading"}, "Not a valid choice."),
    ("", {"week": "1", "theme": THEME}, "Set the number of weeks first, under Change dates."),
])
def test_a_bad_theme_is_refused_keeping_what_was_typed(app, facilitator, weeks, data, message):
    if weeks:
        set_weeks(facilitator, weeks)
    response = programme(facilitator, **data)
    assert response.status_code == 200
    assert message in flashed(response)
    assert data["theme"][:80] in response.get_data(as_text=True)
    assert themes(app) == []


def test_another_facilitators_programme_is_not_found(app, facilitator, client, family):
    fox = app.test_client()
    signup_as(fox, "fox@example.org", "Fox", role="facilitator")
    for who in (fox, client):
        assert who.get(f"/groups/{facilitator.group_id}/programme").status_code == 404
        assert who.post(f"/groups/{facilitator.group_id}/programme",
                        data={"week": "1", "theme": "x"}).status_code == 404
        assert who.post(f"/groups/{facilitator.group_id}/edit",
                        data={"name": "Taken", "start_date": "2026-10-01"}).status_code == 404
    assert themes(app) == []
    with app.app_context():
        assert db.session.get(Group, facilitator.group_id).name == "Tuesday circle"


def test_members_see_this_weeks_theme_on_home_and_the_prep_page_shows_it(
    app, client, facilitator, family
):
    set_weeks(facilitator)
    programme(facilitator, week="8", theme=THEME, focus="comfort")
    programme(facilitator, week="7", theme="Delight in exploring", focus="exploring")
    home = text_of(client.get("/"))
    assert f"This week in Tuesday circle · week 8 of 8 {THEME}" in home
    assert "Delight in exploring" not in home
    share(client, family.membership, family.child)
    # The prep page of the week before shows week 7's theme (sessions on Thursdays).
    assert "Week 7 of 8: Delight in exploring" in prep(facilitator)
    # Someone outside the group never sees it.
    stranger = app.test_client()
    signup_as(stranger, "sam@example.org", "Sam")
    assert THEME not in flashed(stranger.get("/"))


def test_home_shows_no_theme_outside_the_programme_or_without_one(
    app, client, facilitator, family
):
    assert "This week in" not in flashed(client.get("/"))  # no programme at all
    set_weeks(facilitator, weeks="6")  # ended on 11 Nov
    programme(facilitator, week="6", theme=THEME)
    assert THEME not in flashed(client.get("/"))
    set_weeks(facilitator, weeks="8", start="2026-12-03")  # not started yet
    assert THEME not in flashed(client.get("/"))


def test_the_prompt_after_a_moment_leans_towards_this_weeks_theme(
    app, client, facilitator, family
):
    set_weeks(facilitator)
    programme(facilitator, week="8", theme=THEME, focus="comfort")
    comfort = {p.id for p in load_prompts() if "comfort" in p.tags and "safe_haven" in p.contexts}
    picked = []
    for _ in range(len(comfort) + 1):
        response = client.post("/moments/new", data={"child_id": family.child,
                                                     "need": "comfort_me", "when": "0"})
        assert response.status_code == 302
        with app.app_context():
            picked.append(db.session.scalar(
                select(Moment.prompt_id).order_by(Moment.id.desc()).limit(1)))
    # Every comfort prompt first, then, with those used up, the other safe-haven ones.
    assert set(picked[:-1]) == comfort
    assert picked[-1] not in comfort


def test_comments_from_two_groups_on_one_moment_both_reach_the_parent(
    app, client, facilitator, family, noted_moment
):
    fox = app.test_client()
    signup_as(fox, "fox@example.org", "Fox Facilitator", role="facilitator")
    group = int(path_of(create_group(fox, name="Thursday circle")).rsplit("/", 1)[1])
    membership = join(client, invite_code(app, group))
    share(client, membership, family.child, notes=True)
    facilitator.client.post(comment_url(facilitator, family, noted_moment),
                            data={"text": "From Tuesday."})
    fox.post(f"/groups/{group}/members/{membership}/children/{family.child}"
             f"/shared-moments/{noted_moment}/comment", data={"text": "From Thursday."})
    day = text_of(client.get(f"/children/{family.child}/days/2026-11-10"))
    assert "Fay Facilitator (Tuesday circle): From Tuesday." in day
    assert "Fox Facilitator (Thursday circle): From Thursday." in day
    # Each facilitator sees only their own.
    assert "From Tuesday." not in flashed(fox.get(
        f"/groups/{group}/members/{membership}/children/{family.child}/weeks/{WEEK}"))
