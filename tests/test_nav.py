"""The bottom navigation: a parent's five tabs, a facilitator's two, the current one marked, in
the reader's language — the same on every page, so rendered once per variant (parenting/nav.py)."""

import re

import pytest
from conftest import signup

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}


def tabs(response) -> list[tuple[str, str, bool]]:
    """Return the nav's (href, label, current) links, or [] without a nav."""
    nav = re.search(r'<nav class="bottomnav".*?</nav>', response.get_data(as_text=True), re.S)
    if nav is None:
        return []
    return [
        (href, label, "aria-current" in attrs)
        for href, attrs, label in re.findall(
            r'<a href="([^"]*)"([^>]*)><span class="ico"[^>]*>[^<]*</span>([^<]*)</a>', nav[0])
    ]


def current(response) -> list[str]:
    return [label for _, label, is_current in tabs(response) if is_current]


@pytest.fixture
def parent(client, make_user, make_child):
    make_child(make_user())
    return client


@pytest.mark.parametrize(("path", "tab"), [
    ("/", "Home"),
    ("/today", "Today"),
    ("/week", "Week"),
    ("/check-in", "Me"),
    ("/household", "More"),
    ("/groups", "More"),
    ("/reminders", "More"),
    ("/account", "More"),
    ("/moments/new", None),
])
def test_a_parents_nav_marks_the_tab_of_the_page(parent, path, tab):
    response = parent.get(path, follow_redirects=True)

    assert [label for _, label, _ in tabs(response)] == ["Home", "Today", "Week", "Me", "More"]
    assert [href for href, _, _ in tabs(response)] == [
        "/", "/today", "/week", "/check-in", "/household"]
    assert current(response) == ([tab] if tab else [])


def test_the_nav_speaks_the_readers_language_on_each_request(parent):
    # Kept per language: the English nav rendered first is never shown to a Spanish reader.
    assert current(parent.get("/check-in")) == ["Me"]

    spanish = parent.get("/check-in", environ_base=SPANISH)

    assert [label for _, label, _ in tabs(spanish)] == ["Inicio", "Hoy", "Semana", "Yo", "Más"]
    assert current(spanish) == ["Yo"]
    assert current(parent.get("/check-in")) == ["Me"]


def test_a_facilitator_without_a_household_has_groups_and_account(client):
    signup(client, email="fay@example.org", name="Fay", role="facilitator")

    groups = client.get("/groups")
    account = client.get("/account")

    assert [(href, label) for href, label, _ in tabs(groups)] == [
        ("/groups", "Groups"), ("/account", "Account")]
    assert current(groups) == ["Groups"]
    assert current(account) == ["Account"]


def test_nobody_logged_in_sees_no_nav(client):
    assert tabs(client.get("/login")) == []
    assert tabs(client.get("/")) == []
