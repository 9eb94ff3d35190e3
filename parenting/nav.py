"""The bottom navigation of every signed-in page.

Its links and words are the same on every page: only the language and which tab is current
change. Rendering them (five url_for calls and five translations) was about a twentieth of a
light page, so each variant is rendered once and kept.
"""

from functools import lru_cache

from flask import render_template, request
from flask_login import current_user

from . import i18n

# The tab each page belongs to: by endpoint first, then by blueprint (a whole area).
PARENT_TABS = {"log.home": "home", "log.day": "today", "log.check_in": "me",
               "auth.account": "more"}
PARENT_AREAS = {"summary": "week", "household": "more", "groups": "more", "links": "more",
                "reminders": "more"}
FACILITATOR_TABS = {"auth.account": "account"}
FACILITATOR_AREAS = {"groups": "groups"}


def current_tab(endpoint: str, parent: bool) -> str | None:
    """Return which tab a page's endpoint belongs to, for a parent's or a facilitator's nav."""
    tabs, areas = (PARENT_TABS, PARENT_AREAS) if parent else (FACILITATOR_TABS, FACILITATOR_AREAS)
    return tabs.get(endpoint) or areas.get(endpoint.partition(".")[0])


# Bounded: a handful of variants per language and mount point.
@lru_cache(maxsize=128)
def rendered(parent: bool, tab: str | None, language: str, script_root: str) -> str:
    """Return the nav's HTML for a parent (or a facilitator without a household) in one language.

    It comes from our own autoescaped template, so base.html marks it safe.
    """
    return render_template("_bottom_nav.html", parent=parent, tab=tab)


def bottom_nav() -> str:
    """Return this page's bottom navigation, or nothing for someone not logged in."""
    if not current_user.is_authenticated:
        return ""
    parent = current_user.household_id is not None
    tab = current_tab(request.endpoint or "", parent)
    return rendered(parent, tab, i18n.current(), request.script_root)
