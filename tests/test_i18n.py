"""Languages: complete catalogues, how a language is chosen, and every page read in Spanish.

The scan at the end logs in Spanish-speaking users with data and reads every page they can
reach, looking for English words left outside _(). A new page joins PAGES.
"""

import html
import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from babel.messages.mofile import read_mo
from conftest import PASSWORD, TEMPLATE_CACHE, sent_mail, signup
from conftest import test_config as app_config
from sqlalchemy import select

from parenting import create_app, i18n, timefmt
from parenting.extensions import db
from parenting.models import Child, Group, Moment, Routine, RoutineKind, ShareLink, User
from parenting.security import token_hash
from tools import i18n as catalogues

ROOT = Path(__file__).resolve().parent.parent
HOST = "tend.test"  # conftest's SERVER_NAME
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9,en;q=0.5"}


def user(app, email) -> User:
    with app.app_context():
        row = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(row)
        return row


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


# The catalogues


@pytest.mark.parametrize("lang", catalogues.languages())
def test_every_string_is_translated_none_fuzzy_placeholders_kept(lang):
    """A string in the code without a translation, a fuzzy one or a lost %(name)s fails."""
    assert catalogues.problems(lang) == []


def test_every_language_tend_offers_has_a_catalogue(app):
    """English is the source; every other language in LANGUAGES needs its parts."""
    assert set(app.config["LANGUAGES"]) - {"en"} == set(catalogues.languages())
    assert set(app.config["LANGUAGES"]) == set(i18n.NAMES)


def test_the_check_finds_untranslated_fuzzy_and_broken_strings(tmp_path, monkeypatch):
    part = tmp_path / "xx" / "LC_MESSAGES" / "parts"
    part.mkdir(parents=True)
    (part / "a.po").write_text(
        'msgid "Save"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Cancel"\nmsgstr "Annuler"\n\n'
        'msgid "Hello %(name)s,"\nmsgstr "Bonjour,"\n', "utf-8")
    monkeypatch.setattr(catalogues, "TRANSLATIONS", tmp_path)
    template = catalogues.Catalog()
    for text in ("Save", "Cancel", "Hello %(name)s,", "Log in"):
        template.add(text)

    found = catalogues.problems("xx", template)

    assert found == ["untranslated: 'Save'", "fuzzy: 'Cancel'",
                     "placeholders differ: 'Hello %(name)s,' -> 'Bonjour,'",
                     "untranslated: 'Log in'"]


def test_two_parts_translating_one_string_differently_is_a_problem(tmp_path, monkeypatch):
    part = tmp_path / "xx" / "LC_MESSAGES" / "parts"
    part.mkdir(parents=True)
    (part / "a.po").write_text('msgid "Save"\nmsgstr "Guardar"\n', "utf-8")
    (part / "b.po").write_text('msgid "Save"\nmsgstr "Salvar"\n', "utf-8")
    monkeypatch.setattr(catalogues, "TRANSLATIONS", tmp_path)
    template = catalogues.Catalog()
    template.add("Save")

    assert catalogues.problems("xx", template) == ["'Save': a.po and b.po differ"]


@pytest.mark.parametrize("lang", catalogues.languages())
def test_the_compiled_catalogue_is_the_parts_merged(lang):
    """`make` rebuilds messages.mo from the parts; a stale one would show old words."""
    built = ROOT / "parenting" / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    assert built.exists(), "run `make i18n-compile` (make test and make run do it)"
    with built.open("rb") as handle:
        compiled = {(m.context, key(m.id)): key(m.string) for m in read_mo(handle) if m.id}
    merged, _clashes = catalogues.merged(lang)
    assert compiled == {
        (m.context, key(m.id)): key(m.string) for m in merged if m.id and not m.fuzzy
    }


def key(text):
    """A plural's forms as a tuple (the .mo reader gives a list)."""
    return tuple(text) if isinstance(text, list | tuple) else text


def test_every_script_string_is_in_the_catalogue():
    """tendT("key") in static/js reads JS_STRINGS; a key missing there would show as the key."""
    used = set()
    for script in (ROOT / "static" / "js").glob("*.js"):
        text = script.read_text("utf-8")
        used |= set(re.findall(r"\"((?:timer|queue|charts|reminders)\.\w+)\"", text))
    assert used, "no script uses tendT"
    assert used <= set(i18n.JS_STRINGS)


# Choosing the language


def test_the_browser_language_is_used_on_a_first_visit(client):
    page = client.get("/login", environ_base=SPANISH)

    assert '<html lang="es">' in page.get_data(as_text=True)
    assert "Iniciar sesión" in text_of(page)


def test_english_without_accept_language_or_with_a_language_tend_lacks(client):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "de-DE,fr;q=0.8"}):
        page = client.get("/login", environ_base=headers)
        assert '<html lang="en">' in page.get_data(as_text=True)
        assert "Log in" in text_of(page)


def test_the_logged_out_picker_sets_a_cookie_and_goes_back(client):
    response = client.get("/language/es?next=/signup")

    assert response.status_code == 302
    assert response.location.endswith("/signup")
    cookie = client.get_cookie(i18n.COOKIE, domain=HOST)
    assert cookie.value == "es" and cookie.http_only and cookie.same_site == "Lax"
    # The cookie outranks the browser's own language.
    page = client.get("/signup", environ_base={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert "Crear una cuenta" in text_of(page)


def test_the_logged_out_picker_shows_every_language_by_its_own_name(client):
    page = client.get("/login").get_data(as_text=True)

    assert 'href="/language/es?next=/login"' in page
    assert ">Español</a>" in page and ">English</a>" in page


def test_the_logged_out_picker_refuses_an_unknown_language_and_a_foreign_next(client):
    response = client.get("/language/xx?next=/login", follow_redirects=True)

    assert "Choose one of the languages listed." in text_of(response)
    assert client.get_cookie(i18n.COOKIE, domain=HOST) is None
    away = client.get("/language/es?next=//evil.example/")
    assert away.location.endswith("/") and "evil" not in away.location


def test_the_account_picker_stores_the_language_for_that_user_only(app, client, other_client,
                                                                   make_user):
    make_user()
    make_user("bea@example.org", "Bea", using=other_client)

    response = client.post("/account/language", data={"language": "es"}, follow_redirects=True)

    assert "Guardado. Tend ya habla tu idioma." in text_of(response)
    assert user(app, "ana@example.org").locale == "es"
    # Her choice outranks an English browser; Bea's pages stay English.
    page = client.get("/account", environ_base={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert '<html lang="es">' in page.get_data(as_text=True)
    assert "Your account" in text_of(other_client.get("/account"))


def test_the_account_picker_can_go_back_to_the_browser_language(app, client, make_user):
    make_user()
    client.post("/account/language", data={"language": "es"})

    client.post("/account/language", data={"language": ""})

    assert user(app, "ana@example.org").locale is None
    assert "Your account" in text_of(client.get("/account"))
    assert "Tu cuenta" in text_of(client.get("/account", environ_base=SPANISH))


def test_the_account_picker_refuses_an_unknown_language_and_changes_nothing(app, client,
                                                                             make_user):
    make_user()

    response = client.post("/account/language", data={"language": "klingon"})

    assert response.status_code == 200
    assert "Choose one of the languages listed." in text_of(response)
    assert user(app, "ana@example.org").locale is None


def test_the_account_picker_needs_a_login(client):
    response = client.post("/account/language", data={"language": "es"})

    assert response.status_code == 302 and "/login" in response.location


def test_a_language_picked_before_signing_up_is_kept_by_the_account(app, client):
    client.get("/language/es")

    signup(client)

    assert user(app, "ana@example.org").locale == "es"


def test_the_manifest_speaks_the_language_the_page_names(client):
    spanish = json.loads(client.get("/manifest.webmanifest?lang=es").get_data(as_text=True))
    english = json.loads(client.get("/manifest.webmanifest?lang=zz").get_data(as_text=True))

    assert spanish["lang"] == "es"
    assert [s["name"] for s in spanish["shortcuts"]] == ["Anotar un momento",
                                                         "Botones de rutinas"]
    assert english["lang"] == "en"
    assert english["shortcuts"][0]["name"] == "Log a moment"


def test_pages_link_the_manifest_in_their_own_language(client):
    page = client.get("/login", environ_base=SPANISH).get_data(as_text=True)

    assert 'href="/manifest.webmanifest?lang=es"' in page


def test_the_scripts_strings_come_with_the_page_as_json(client):
    page = client.get("/login", environ_base=SPANISH).get_data(as_text=True)

    found = re.search(r'<script type="application/json" id="tend-i18n">(.*?)</script>', page)
    strings = json.loads(html.unescape(found.group(1)))
    assert strings["timer.done"] == "Se acabó el tiempo. ¿Cómo fue?"


# Emails speak the recipient's language


def test_an_email_speaks_the_recipients_stored_language_whoever_asks(app, client, other_client,
                                                                     make_user):
    make_user()
    client.post("/account/language", data={"language": "es"})

    # Someone on an English browser asks for a reset for Ana's address.
    other_client.post("/password/reset", data={"email": "ana@example.org"})

    message = sent_mail(app, "ana@example.org")[-1]
    assert message["Subject"] == "Elige una contraseña nueva para Tend"
    assert "Hola, Ana:" in message.get_content()


def test_without_a_stored_language_an_email_speaks_the_page_that_asked(app, client):
    client.post("/signup", environ_base=SPANISH, data={
        "email": "ana@example.org", "display_name": "Ana", "password": PASSWORD,
        "timezone": "Europe/Madrid"})
    client.post("/signup", data={
        "email": "bea@example.org", "display_name": "Bea", "password": PASSWORD,
        "timezone": "Europe/London"})

    assert sent_mail(app, "ana@example.org")[-1]["Subject"] == (
        "Termina de crear tu cuenta de Tend")
    assert sent_mail(app, "bea@example.org")[-1]["Subject"] == (
        "Finish creating your Tend account")


def test_an_english_email_reads_as_before(app, client, make_user):
    make_user()
    client.post("/account/password", data={"current_password": PASSWORD,
                                            "new_password": "another quiet morning"})

    text = sent_mail(app, "ana@example.org")[-1].get_content()
    assert text.startswith("Hello Ana,\n\nThe password of your Tend account was just changed, "
                           "and every other phone or computer was\nlogged out.\n")


# Dates and numbers


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["Sat 5 Dec", "Saturday 5 December", "5 Dec 2026", "5 December 2026", "19:30",
            "1.5"]),
    ("es", ["sáb 5 dic", "sábado 5 de diciembre", "5 dic 2026", "5 de diciembre de 2026",
            "19:30", "1,5"]),
])
def test_dates_times_and_numbers_follow_the_language_in_the_households_zone(app, lang,
                                                                           expected):
    evening = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)  # 19:30 in Madrid
    madrid = timefmt.zone("Europe/Madrid")
    with app.test_request_context(headers={"Accept-Language": lang}):
        got = [
            timefmt.local_date_filter(date(2026, 12, 5)),
            timefmt.local_date_filter(date(2026, 12, 5), "weekday"),
            timefmt.local_date_filter(date(2026, 12, 5), "date"),
            timefmt.local_date_filter(date(2026, 12, 5), "long_date"),
            timefmt.zoned_date_filter(evening.astimezone(madrid), "time"),
            timefmt.number_filter(1.5),
        ]
    assert got == expected


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_named_format_reads_as_babel_writes_it(app, lang):
    # Date-only formats are remembered per day and language (timefmt.day_text): each must still
    # be exactly what Babel writes for that moment, whatever the time of day or the zone.
    from flask_babel import format_datetime

    moments = [datetime(2026, 1, 1, 0, 0, tzinfo=UTC) + timedelta(days=d * 37, minutes=d * 431)
               for d in range(12)]
    madrid = timefmt.zone("Europe/Madrid")
    with app.test_request_context(headers={"Accept-Language": lang}):
        for name in timefmt.DATE_PATTERNS:
            for moment in moments:
                local = moment.astimezone(madrid)
                wanted = format_datetime(local, timefmt.pattern(name), rebase=False)
                assert timefmt.zoned_date_filter(local, name) == wanted, (name, local)
                assert timefmt.zoned_date_filter(local, name) == wanted  # remembered, the same


def test_a_time_is_shown_in_the_households_zone(app, client, make_user):
    make_user(tz="America/Chicago")
    with app.test_request_context():
        from flask_login import login_user
        login_user(db.session.scalar(select(User)))
        assert timefmt.local_time_filter(datetime(2026, 12, 5, 18, 30, tzinfo=UTC)) == "12:30"


# Errors


def test_an_error_page_speaks_the_visitors_language(client):
    response = client.get("/no-such-page", environ_base=SPANISH)

    assert response.status_code == 404
    assert "No lo encontramos" in text_of(response)


# Every page, read in Spanish

# English words that show a string was left outside _(). Whole words, case-sensitive.
ENGLISH_WORDS = (
    "Save", "Cancel", "Delete", "Edit", "Back", "Week", "Today", "Home", "Household",
    "Log out", "Log in", "Your", "your", "the", "and", "you", "needed", "moment", "moments",
    "What", "How", "When", "with", "Add", "Change", "Share", "Help", "About", "Choose",
    "Nothing", "yet", "this", "Not", "There", "here",
)
ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")\b")
# Text a person typed, and names that stay as they are in every language.
NOT_WORDS = re.compile(r"Europe/Madrid|America/\w+|Tend|Zinnia|Ana|Bea|Fay|Grupo Lunes")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
WEEK = "2026-W47"
TOKEN = "scan-token-0123456789abcdefghijklmnopqrstuvwxyz"

# page name -> (who reads it, URL with {child}, {moment}, {routine}, {special}, {kind},
# {group} filled in)
PAGES = {
    "welcome": ("anonymous", "/"),
    "login": ("anonymous", "/login"),
    "signup": ("anonymous", "/signup"),
    "reset_request": ("anonymous", "/password/reset"),
    "reset_sent": ("anonymous", "/password/reset/sent"),
    "help_logged_out": ("anonymous", "/help"),
    "about": ("anonymous", "/about"),
    "offline": ("anonymous", "/offline"),
    "summary_help": ("anonymous", "/help/weekly-summary"),
    "not_found": ("anonymous", "/no-such-page"),
    "shared_week": ("link_holder", f"/s/weeks/{WEEK}"),
    "home": ("parent", "/"),
    "moment_form": ("parent", "/moments/new"),
    "moment_edit": ("parent", "/moments/{moment}"),
    "moment_repair": ("parent", "/moments/{moment}/repair"),
    "moment_delete": ("parent", "/moments/{moment}/delete"),
    "moment_prompt": ("parent", "/moments/{moment}/prompt"),
    "routine_form": ("parent", "/routines/new?child={child}&kind={kind}"),
    "routine_edit": ("parent", "/routines/{routine}"),
    "routine_delete": ("parent", "/routines/{routine}/delete"),
    "day": ("parent", "/children/{child}/days/2026-11-19"),
    "today": ("parent", "/children/{child}/days/2026-11-20"),
    "week_summary": ("parent", "/children/{child}/weeks/" + WEEK),
    "week_each_of_us": ("parent", "/children/{child}/weeks/" + WEEK + "?caregiver=each"),
    "check_in": ("parent", "/check-in"),
    "special_time": ("parent", "/special-time"),
    "special_time_timer": ("parent", "/special-time/{special}"),
    "household": ("parent", "/household"),
    "children": ("parent", "/children"),
    "child_new": ("parent", "/children/new"),
    "child_edit": ("parent", "/children/{child}/edit"),
    "planned_times": ("parent", "/children/{child}/planned-times"),
    "routine_kinds": ("parent", "/routine-kinds"),
    "routine_kind_edit": ("parent", "/routine-kinds/{kind}/edit"),
    "reminders": ("parent", "/reminders"),
    "share_links": ("parent", "/share-links"),
    "share_link_new": ("parent", "/children/{child}/share-links/new"),
    "parent_groups": ("parent", "/groups"),
    "account": ("parent", "/account"),
    "change_email": ("parent", "/account/email"),
    "change_password": ("parent", "/account/password"),
    "delete_account": ("parent", "/account/delete"),
    "export": ("parent", "/account/export"),
    "help": ("parent", "/help"),
    "facilitator_groups": ("facilitator", "/groups"),
    "group_new": ("facilitator", "/groups/new"),
    "group": ("facilitator", "/groups/{group}"),
    "group_labels": ("facilitator", "/groups/{group}/labels"),
    "group_week": ("facilitator", "/groups/{group}/weeks/" + WEEK),
    "facilitator_account": ("facilitator", "/account"),
}


@pytest.fixture(scope="module")
def spanish_world(tmp_path_factory, empty_database):
    """A Spanish-speaking parent with a child and a week of entries, a facilitator with a
    group, and a share link opened by someone whose browser asks for Spanish."""
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    database = tmp_path_factory.mktemp("i18n") / "i18n.sqlite3"
    shutil.copyfile(empty_database, database)
    app = create_app(app_config(database))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    clients = {name: app.test_client() for name in
               ("anonymous", "parent", "facilitator", "link_holder")}
    for client in clients.values():
        client.environ_base.update(SPANISH)
    signup(clients["parent"], "ana@example.org", "Ana", tz="Europe/Madrid")
    signup(clients["facilitator"], "fay@example.org", "Fay", tz="Europe/Madrid",
           role="facilitator")
    with app.app_context():
        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        for row in users.values():
            row.locale = "es"
        ana = users["ana"]
        # A second caregiver in Ana's household, so "each of us" has two columns.
        bea = User(email="bea@example.org", display_name="Bea", password_hash="-",
                   timezone="Europe/Madrid", locale="es", household_id=ana.household_id)
        db.session.add(bea)
        child = Child(household_id=ana.household_id, nickname="Zinnia", birth_month=3,
                      birth_year=2022, colour="#4f7cac")
        db.session.add(child)
        db.session.flush()

        def kind(key):
            return db.session.scalar(select(RoutineKind).where(
                RoutineKind.household_id == ana.household_id, RoutineKind.key == key))

        day = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
        moment = Moment(child_id=child.id, caregiver_id=ana.id, occurred_at=day,
                        need="comfort_me", rupture=True, note="Zinnia",
                        prompt_id="safe-haven-settle")
        routine = Routine(child_id=child.id, kind_id=kind("bedtime").id, caregiver_id=ana.id,
                          started_at=day + timedelta(hours=10))
        special = Routine(child_id=child.id, kind_id=kind("special_time").id,
                          caregiver_id=ana.id, started_at=NOW - timedelta(minutes=2),
                          timer_ends_at=NOW + timedelta(minutes=8))
        group = Group(facilitator_id=users["fay"].id, name="Grupo Lunes",
                      start_date=date(2026, 11, 2), invite_code="SCAN1234")
        link = ShareLink(household_id=ana.household_id, child_id=child.id, created_by_id=ana.id,
                         token_hash=token_hash(TOKEN), label="", first_day=date(2026, 11, 16),
                         last_first_day=date(2026, 11, 16), include_notes=True,
                         include_reflection=False, expires_at=NOW + timedelta(days=14))
        bea_moment = Moment(child_id=child.id, caregiver_id=bea.id,
                            occurred_at=day + timedelta(hours=2), need="watch_over_me")
        db.session.add_all([moment, bea_moment, routine, special, group, link])
        db.session.commit()
        ids = {"child": child.id, "moment": moment.id, "routine": routine.id,
               "special": special.id, "kind": kind("bedtime").id, "group": group.id}
    clients["link_holder"].get(f"/s/{TOKEN}")
    yield app, clients, ids
    traveller.stop()


def visible_text(page: str) -> str:
    """Return what a person reads or hears: text, and labels in attributes; no scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    labels = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return NOT_WORDS.sub(" ", html.unescape(" ".join([text, *labels])))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_reads_in_spanish(spanish_world, name):
    app, clients, ids = spanish_world
    who, url = PAGES[name]

    response = clients[who].get(url.format(**ids))

    assert response.status_code == (404 if name == "not_found" else 200), response.location
    assert_reads_in_spanish(response, url)


def assert_reads_in_spanish(response, url: str) -> None:
    """Fail when a page is not marked Spanish or shows English words to a reader."""
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page
    english = sorted(set(ENGLISH.findall(visible_text(page))))
    assert english == [], f"English on {url}: {english}"


def test_the_scan_catches_a_string_left_in_english():
    assert ENGLISH.findall(visible_text('<p>Guardar</p><button title="Save">x</button>')) == [
        "Save"]
    assert ENGLISH.findall(visible_text("<p>Tu momento</p><script>'Save the moment'</script>")) \
        == []



def test_the_forms_own_messages_speak_the_language_too(client):
    """WTForms' built-in messages come from its own catalogue, through Flask-WTF."""
    response = client.post("/login", data={"email": "", "password": ""}, environ_base=SPANISH)

    assert "Este campo es obligatorio." in text_of(response)
    assert "Correo electrónico" in text_of(response)


def test_a_shared_week_speaks_the_viewers_language(spanish_world):
    _app, clients, _ids = spanish_world

    page = clients["link_holder"].get(f"/s/weeks/{WEEK}")

    assert page.status_code == 200
    assert '<html lang="es">' in page.get_data(as_text=True)
    assert "Compartido desde Tend" in text_of(page)


def test_signing_up_with_a_known_address_answers_in_that_accounts_language(app, client,
                                                                          other_client,
                                                                          make_user):
    make_user()
    client.post("/account/language", data={"language": "es"})

    other_client.post("/signup", data={
        "email": "ana@example.org", "display_name": "Someone", "password": PASSWORD,
        "timezone": "Europe/London"})

    assert sent_mail(app, "ana@example.org")[-1]["Subject"] == "Ya tienes una cuenta de Tend"
