"""Groups, programme and share links read in Spanish, with a group that has members,
shared weeks, a theme, a question and starred moments (test_i18n.py's world has none)."""

import re
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from conftest import TEMPLATE_CACHE, signup
from conftest import test_config as app_config
from sqlalchemy import select
from test_i18n import SPANISH, assert_reads_in_spanish, visible_text

from parenting import create_app
from parenting.extensions import db
from parenting.models import (
    Child,
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
from parenting.security import token_hash

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
WEEK = "2026-W46"  # last week: the one Ana shared
RELABEL = "Consuelo en brazos"  # Fay's own word for "comfort_me", kept exactly as typed

# page name -> (who reads it, URL with {group}, {other}, {membership}, {child}, {moment})
PAGES = {
    "parent_groups_member": ("parent", "/groups"),
    "membership": ("parent", "/groups/memberships/{membership}"),
    "consent": ("parent", "/groups/consent/OTRO5678"),
    "question": ("parent", "/groups/memberships/{membership}/children/{child}/weeks/"
                 + WEEK + "/question"),
    "share_links_viewed": ("parent", "/share-links"),
    "group_with_members": ("facilitator", "/groups/{group}"),
    "group_edit": ("facilitator", "/groups/{group}/edit"),
    "programme": ("facilitator", "/groups/{group}/programme"),
    "prep": ("facilitator", "/groups/{group}/prep/" + WEEK),
    "group_week_shared": ("facilitator", "/groups/{group}/weeks/" + WEEK),
    "facilitator_shared_week": ("facilitator", "/groups/{group}/members/{membership}"
                                "/children/{child}/weeks/" + WEEK),
    "comment": ("facilitator", "/groups/{group}/members/{membership}/children/{child}"
                "/shared-moments/{moment}/comment"),
    "comment_gone": ("facilitator", "/groups/{group}/members/{membership}/children/{child}"
                     "/shared-moments/{unshared}/comment"),
}

def text_of(response) -> str:
    """Return what a page says, tags and scripts left out, spaces collapsed."""
    return re.sub(r"\s+", " ", visible_text(response.get_data(as_text=True))).strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory, empty_database):
    """Ana (Spanish) in Fay's group, sharing last week with notes, a starred moment and a
    question; Fay (Spanish) with a programme theme and her own word for one need."""
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    database = tmp_path_factory.mktemp("i18n_groups") / "i18n.sqlite3"
    shutil.copyfile(empty_database, database)
    app = create_app(app_config(database))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    clients = {name: app.test_client() for name in ("parent", "facilitator")}
    for client in clients.values():
        client.environ_base.update(SPANISH)
    signup(clients["parent"], "ana@example.org", "Ana", tz="Europe/Madrid")
    signup(clients["facilitator"], "fay@example.org", "Fay", tz="Europe/Madrid",
           role="facilitator")
    with app.app_context():
        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        for row in users.values():
            row.locale = "es"
        ana, fay = users["ana"], users["fay"]
        child = Child(household_id=ana.household_id, nickname="Zinnia", birth_month=3,
                      birth_year=2022, colour="#4f7cac")
        group = Group(facilitator_id=fay.id, name="Grupo Lunes", start_date=date(2026, 11, 2),
                      weeks=8, invite_code="SCAN1234", need_labels={"comfort_me": RELABEL})
        other = Group(facilitator_id=fay.id, name="Grupo Martes", start_date=date(2026, 11, 3),
                      invite_code="OTRO5678")
        db.session.add_all([child, group, other])
        db.session.flush()
        membership = Membership(group_id=group.id, user_id=ana.id, household_id=ana.household_id)
        starred = Moment(child_id=child.id, caregiver_id=ana.id, need="comfort_me",
                         occurred_at=datetime(2026, 11, 11, 17, 0, tzinfo=UTC), rupture=True,
                         starred=True, note="Zinnia")
        unshared = Moment(child_id=child.id, caregiver_id=ana.id, need="comfort_me",
                          occurred_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC), note="Zinnia")
        link = ShareLink(household_id=ana.household_id, child_id=child.id, created_by_id=ana.id,
                         token_hash=token_hash("groups-scan-token-0123456789abcdefghijkl"),
                         label="Abuela", first_day=date(2026, 11, 9),
                         last_first_day=date(2026, 11, 16), include_notes=True,
                         include_reflection=False, expires_at=NOW + timedelta(days=14))
        db.session.add_all([membership, starred, unshared, link,
                            GroupTheme(group_id=group.id, week=2, theme="Volver al refugio")])
        db.session.flush()
        db.session.add_all([
            WeekShare(membership_id=membership.id, child_id=child.id,
                      first_day=date(2026, 11, 9), include_notes=True, question="¿Y las noches?"),
            MomentComment(membership_id=membership.id, moment_id=starred.id, text="Qué bonito."),
            ShareView(link_id=link.id, device="Android phone, Chrome"),
        ])
        db.session.commit()
        ids = {"group": group.id, "other": other.id, "membership": membership.id,
               "child": child.id, "moment": starred.id, "unshared": unshared.id}
    yield app, clients, ids
    traveller.stop()


@pytest.mark.parametrize("name", PAGES)
def test_every_group_and_link_page_reads_in_spanish(world, name):
    app, clients, ids = world
    who, url = PAGES[name]

    response = clients[who].get(url.format(**ids))

    assert response.status_code == (404 if name == "comment_gone" else 200), response.location
    assert_reads_in_spanish(response, url)


def test_a_facilitators_own_word_for_a_need_shows_exactly_as_typed_in_spanish(world):
    app, clients, ids = world

    page = text_of(clients["facilitator"].get(f"/groups/{ids['group']}/prep/{WEEK}"))

    assert RELABEL in page
    assert "Semana 2 de 8: Volver al refugio" in page
    assert "Le gustaría llevar: ¿Y las noches?" in page
    assert "se torció" in page


def test_a_comment_started_in_spanish_is_kept_in_spanish_for_the_parent(world):
    app, clients, ids = world
    url = ("/groups/{group}/members/{membership}/children/{child}"
           "/shared-moments/{moment}/comment").format(**ids)
    assert clients["facilitator"].get(url).status_code == 200

    response = clients["facilitator"].post(url, data={
        "starter": "named", "text": "Muy bien visto."})

    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(select(MomentComment).where(
            MomentComment.moment_id == ids["moment"]))
        assert comment.text == "Le pusiste nombre al sentimiento, y eso ayuda. Muy bien visto."


def test_a_too_long_comment_is_refused_in_spanish_and_nothing_changes(world):
    app, clients, ids = world
    url = ("/groups/{group}/members/{membership}/children/{child}"
           "/shared-moments/{moment}/comment").format(**ids)
    assert clients["facilitator"].get(url).status_code == 200
    with app.app_context():
        before = db.session.scalar(select(MomentComment.text).where(
            MomentComment.moment_id == ids["moment"]))

    response = clients["facilitator"].post(url, data={"text": "x" * 250})

    assert response.status_code == 200
    assert ("Mantenlo en 200 caracteres, con el inicio incluido (ahora son 250)."
            in text_of(response))
    with app.app_context():
        assert db.session.scalar(select(MomentComment.text).where(
            MomentComment.moment_id == ids["moment"])) == before


def test_share_link_weeks_and_the_devices_that_opened_it_are_named_in_spanish(world):
    app, clients, ids = world

    page = text_of(clients["parent"].get(f"/children/{ids['child']}/share-links/new"))

    assert "16 nov – 22 nov 2026" in page
    views = text_of(clients["parent"].get("/share-links"))
    assert "Abierto 1 vez" in views
    assert "Teléfono Android, Chrome" in views
