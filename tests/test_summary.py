"""The weekly summary: the page, week navigation, caregiver filter, reflection, JSON, queries."""

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import flashed, kind_by_key, login, signup
from sqlalchemy import event, select

from parenting import domain, prompts
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    Moment,
    PlannedTime,
    Routine,
    RoutineKind,
    User,
    WeekReflection,
)

LONDON = ZoneInfo("Europe/London")
# A Friday afternoon in ISO week 2026-W47 (Mon 16 – Sun 22 November); London is on GMT.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
THIS_WEEK = "2026-W47"
LAST_WEEK = "2026-W46"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a local London time in November 2026 as an aware UTC datetime."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def page_url(child_id, week=THIS_WEEK, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/children/{child_id}/weeks/{week}" + (f"?{query}" if query else "")


def api_url(child_id, week=THIS_WEEK, **params):
    params = {"week": week, **params} if week else params
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/children/{child_id}/summary" + (f"?{query}" if query else "")


class Tables(HTMLParser):
    """Collect every table of a page as {caption: [[cell text, ...], ...]} (body rows only)."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = self._rows = self._cell = None
        self._in_caption = self._in_body = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._rows.append([])
        elif tag in ("th", "td") and self._in_body:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables[self._caption.strip()] = self._rows
        elif tag == "caption":
            self._in_caption = False
        elif tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._cell is not None:
            self._rows[-1].append(" ".join(self._cell.split()))
            self._cell = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def json_scripts(text: str) -> dict[str, object]:
    """Parse every <script type="application/json"> of a page, by element id."""
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', text, re.S)
    return {element_id: json.loads(body) for element_id, body in found}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ana(clock, make_user):
    """Ana, signed in on `client`, in a household on Europe/London time."""
    return make_user()


@pytest.fixture
def mo(ana, make_child):
    return make_child(ana, nickname="Mo")


@pytest.fixture
def make_check_in(app):
    def make(user_id, at, feeling):
        with app.app_context():
            user = db.session.get(User, user_id)
            row = CheckIn(household_id=user.household_id, user_id=user.id, at=at, feeling=feeling)
            db.session.add(row)
            db.session.commit()
            return row.id

    return make


@pytest.fixture
def plan(app):
    """Set a child's planned time for a routine kind, as minutes after local midnight."""

    def set_plan(child_id, key, minute):
        with app.app_context():
            db.session.add(
                PlannedTime(child_id=child_id, kind_id=kind_by_key(child_id, key).id, minute=minute)
            )
            db.session.commit()

    return set_plan


@pytest.fixture
def carl(clock, make_user, make_child, make_moment, make_routine, make_check_in, other_client):
    """A caregiver of another household, logging busily in the same week."""
    carl = make_user(email="carl@example.org", name="Carl", using=other_client)
    pip = make_child(carl, nickname="Pip")
    for day in (16, 17, 18):
        make_moment(pip, carl, occurred_at=at(day, 10), need="comfort_me",
                    responses=["got_cross"], how_soon="later", feelings=["overwhelmed"],
                    rupture=True, repaired_at=at(day, 11))
        make_routine(pip, carl, "bedtime", started_at=at(day, 19, 30))
    make_check_in(carl, at(18, 8), "sad")
    return carl


@pytest.fixture
def seeded(ana, mo, carl, make_moment, make_routine, make_check_in, plan):
    """Lay out the hand-computed week below for Mo, with Carl's household logging alongside."""
    # This week: 6 moments, 3 ruptures (2 repaired, after 30 and 90 minutes).
    make_moment(mo, ana, occurred_at=at(16, 8), need="comfort_me", responses=["held_comforted"],
                how_soon="right_away", feelings=["tender", "overwhelmed"])
    make_moment(mo, ana, occurred_at=at(16, 18), need="comfort_me", responses=["got_cross"],
                how_soon="later", feelings=["overwhelmed"], rupture=True,
                repaired_at=at(16, 18, 30))
    make_moment(mo, ana, occurred_at=at(17, 9), need="delight_in_me", how_soon="right_away",
                feelings=["proud"])
    make_moment(mo, ana, occurred_at=at(18, 17), need="help_with_feelings",
                responses=["named_feeling", "got_cross"], how_soon="few_minutes",
                feelings=["overwhelmed", "tired"], rupture=True, repaired_at=at(18, 18, 30))
    make_moment(mo, ana, occurred_at=at(19, 7, 30), need="protect_me", rupture=True)
    make_moment(mo, ana, occurred_at=at(20, 10), need="not_sure")
    make_check_in(ana, at(19, 21), "calm")
    # Bedtime is planned for 19:30; wake-up has no planned time, so its typical time is used.
    plan(mo, "bedtime", 19 * 60 + 30)
    for day, hour, minute in ((16, 19, 20), (17, 19, 45), (18, 20, 30), (19, 19, 30)):
        make_routine(mo, ana, "bedtime", started_at=at(day, hour, minute))
    for day, hour, minute in ((17, 6, 50), (17, 9, 0), (18, 7, 10), (19, 7, 0), (20, 8, 0)):
        make_routine(mo, ana, "wake_up", started_at=at(day, hour, minute))
    # Special time: Monday 6 min; Tuesday only 3 min; Wednesday 3 + 3 min.
    make_routine(mo, ana, domain.SPECIAL_TIME, started_at=at(16, 16),
                 ended_at=at(16, 16, 6), skills=["praise", "describe"])
    make_routine(mo, ana, domain.SPECIAL_TIME, started_at=at(17, 16),
                 ended_at=at(17, 16, 3), skills=["praise"])
    make_routine(mo, ana, domain.SPECIAL_TIME, started_at=at(18, 16),
                 ended_at=at(18, 16, 3), skills=["enjoy"])
    make_routine(mo, ana, domain.SPECIAL_TIME, started_at=at(18, 17), ended_at=at(18, 17, 3))
    # Last week: a rupture on Tuesday repaired only on Wednesday of this week, and one bedtime.
    make_moment(mo, ana, occurred_at=at(10, 8), need="comfort_me", rupture=True,
                repaired_at=at(18, 9))
    make_moment(mo, ana, occurred_at=at(12, 9), need="enjoy_with_me")
    make_routine(mo, ana, "bedtime", started_at=at(9, 19, 30))
    return mo


def no_routine(label, planned_time=None):
    return {"label": label, "days": 0, "typical_time": None, "planned_time": planned_time,
            "on_rhythm_days": 0}


THIS_WEEK_FIGURES = {
    "first_day": "2026-11-16",
    "last_day": "2026-11-22",
    "moments": 6,
    "needs": {
        "watch_over_me": 0, "delight_in_me": 1, "help_me": 0, "enjoy_with_me": 0,
        "protect_me": 1, "comfort_me": 2, "welcome_me": 0, "help_with_feelings": 1,
        "not_sure": 1,
    },
    "halves": {"secure_base": 1, "safe_haven": 4},
    "supportive_responses": {"supportive": 2, "out_of": 3},
    "response_speed": {"right_away": 2, "few_minutes": 1, "later": 1, "not_this_time": 0},
    "ruptures": 3,
    "repaired": 2,
    "time_to_repair_minutes_median": 60.0,
    "routines": {
        "wake_up": {"label": "Wake-up", "days": 4, "typical_time": "07:15",
                    "planned_time": None, "on_rhythm_days": 3},
        "nap": no_routine("Nap"),
        "bedtime": {"label": "Bedtime", "days": 4, "typical_time": "19:45",
                    "planned_time": "19:30", "on_rhythm_days": 3},
        "meal": no_routine("Meal"),
        "bath": no_routine("Bath"),
        "reading": no_routine("Reading"),
        "play": no_routine("Play"),
        "outdoor": no_routine("Outdoor time"),
        "special_time": {"label": "Special time", "days": 3, "typical_time": "16:00",
                         "planned_time": None, "on_rhythm_days": 3},
    },
    "special_time": {
        "days": 2,
        "skills": {"praise": 2, "reflect": 0, "imitate": 0, "describe": 1, "enjoy": 1},
    },
    "feelings": {"overwhelmed": 3, "calm": 1, "proud": 1, "tender": 1, "tired": 1},
    "hard_feeling_needs": ["comfort_me"],
}

LAST_WEEK_FIGURES = {
    "first_day": "2026-11-09",
    "last_day": "2026-11-15",
    "moments": 2,
    "needs": {
        "watch_over_me": 0, "delight_in_me": 0, "help_me": 0, "enjoy_with_me": 1,
        "protect_me": 0, "comfort_me": 1, "welcome_me": 0, "help_with_feelings": 0,
        "not_sure": 0,
    },
    "halves": {"secure_base": 1, "safe_haven": 1},
    "supportive_responses": {"supportive": 0, "out_of": 0},
    "response_speed": {"right_away": 0, "few_minutes": 0, "later": 0, "not_this_time": 0},
    "ruptures": 1,
    # Repaired on Wednesday of the following week, which is before now.
    "repaired": 1,
    "time_to_repair_minutes_median": float(8 * 24 * 60 + 60),
    "routines": {
        **THIS_WEEK_FIGURES["routines"],
        "wake_up": no_routine("Wake-up"),
        "bedtime": {"label": "Bedtime", "days": 1, "typical_time": "19:30",
                    "planned_time": "19:30", "on_rhythm_days": 1},
        "special_time": no_routine("Special time"),
    },
    "special_time": {
        "days": 0,
        "skills": {"praise": 0, "reflect": 0, "imitate": 0, "describe": 0, "enjoy": 0},
    },
    "feelings": {},
    "hard_feeling_needs": [],
}

FIGURE_KEYS = set(THIS_WEEK_FIGURES)
TOP_LEVEL_KEYS = {
    "version", "child", "week", "timezone", "week_start", "caregiver_id", "previous_week",
    *FIGURE_KEYS,
}
ROUTINE_KEYS = {"label", "days", "typical_time", "planned_time", "on_rhythm_days"}


# The page


def test_the_page_leads_with_repair_and_shows_every_section(client, seeded):
    response = client.get(page_url(seeded))

    assert response.status_code == 200
    text = flashed(response)
    assert "Mo · This week" in text
    assert "16 Nov – 22 Nov 2026" in text
    assert '<p class="headline">You reconnected after 2 of 3 ruptures.</p>' in text
    assert "4 moments of coming back." in text
    assert "In 2 of the 3 where you noted a response, you offered comfort or support." in text
    assert "1 moment of going out to explore: delight in me 1." in text
    assert "3 moments went sideways. You reconnected after 2 of 3." in text
    assert "Coming back together took 60 minutes (median)." in text
    assert "Not sure: 1 — always a fine answer." in text
    assert "Special time on 2 days." in text
    assert "Skills you used: praise (specific) (2), describe (1), enjoy (1)." in text
    assert "overwhelmed (3), calm (1), proud (1), tender (1), tired (1)." in text
    assert "Comfort me moments often came with feeling overwhelmed — does that fit?" in text


def test_moments_that_went_well_lead_the_page_before_any_other_section(client, seeded):
    text = flashed(client.get(page_url(seeded)))
    went_well = text.split('id="went-well-h"')[1].split("</section>")[0]
    assert "You reconnected after 2 of 3 ruptures." in went_well
    assert "You offered comfort or support in 2 of 3 safe-haven moments" in went_well
    assert "You had special time on 2 days." in went_well
    first_section = text.index("<section")
    assert text.index('id="went-well-h"') < text.index('id="needs-h"')
    assert text[first_section:].startswith('<section aria-labelledby="went-well-h"')


def test_a_quiet_week_has_no_went_well_section(client, mo):
    assert 'id="went-well-h"' not in flashed(client.get(page_url(mo)))


def test_the_page_tables_give_needs_speed_and_routines(client, seeded):
    tables = Tables(client.get(page_url(seeded)).get_data(as_text=True)).tables

    assert tables["Moments per need"] == [
        ["Watch over me", "0"], ["Delight in me", "1"], ["Help me", "0"], ["Enjoy with me", "0"],
        ["Protect me", "1"], ["Comfort me", "2"], ["Welcome me back", "0"],
        ["Help me with my feelings", "1"], ["Not sure", "1"],
    ]
    assert tables["How soon you responded"] == [
        ["Right away", "2"], ["Within a few minutes", "1"], ["Later", "1"], ["Not this time", "0"],
    ]
    # Routine, days, typical time, planned time, days on rhythm; kinds with no entries are left out.
    assert tables["Routine figures"] == [
        ["Wake-up", "4", "07:15", "–", "3"],
        ["Bedtime", "4", "19:45", "19:30", "3"],
        ["Special time", "3", "16:00", "–", "3"],
    ]
    by_day = dict(tables["Routines per day"])
    assert len(by_day) == 7
    assert by_day["Sun 22"] == "Nothing logged"
    assert "Wake-up 06:50" in by_day["Tue 17"] and "Wake-up 09:00" in by_day["Tue 17"]


def test_the_page_compares_with_last_week_in_neutral_sentences(client, seeded):
    text = flashed(client.get(page_url(seeded)))
    changes = re.search(r'<ul class="changes">(.*?)</ul>', text).group(1)

    assert re.findall(r"<li>(.*?)</li>", changes) == [
        "Moments: 6 this week, 2 last week.",
        "Secure base moments: 1 this week, 1 last week.",
        "Safe haven moments: 4 this week, 1 last week.",
        "Delight in me: 1 this week, 0 last week.",
        "Enjoy with me: 0 this week, 1 last week.",
        "Protect me: 1 this week, 0 last week.",
        "Comfort me: 2 this week, 1 last week.",
        "Help me with my feelings: 1 this week, 0 last week.",
        "Not sure: 1 this week, 0 last week.",
        "Times it went sideways: 3 this week, 1 last week.",
        "Times you reconnected: 2 this week, 1 last week.",
        "Days with special time: 2 this week, 0 last week.",
        "Wake-up days: 4 this week, 0 last week.",
        "Bedtime nights: 4 this week, 1 last week.",
        "Special time days: 3 this week, 0 last week.",
    ]


def test_the_page_offers_the_week_prompt(client, seeded):
    text = flashed(client.get(page_url(seeded)))
    prompt = prompts.week_prompt(THIS_WEEK, seeded)

    assert "week" in prompt.contexts
    assert "Reflection of the week" in text
    assert prompt.text in text
    assert 'name="answer"' in text


def test_an_empty_week_is_quiet_not_blank(client, mo):
    text = flashed(client.get(page_url(mo)))

    assert "A quiet week in the log — nothing logged yet." in text
    assert "Nothing marked as going sideways this week." in text
    assert "No special time logged this week." in text
    assert "Nothing to compare yet." in text


def test_charts_are_embedded_as_json_and_plotly_loads_only_through_charts_js(client, seeded):
    text = client.get(page_url(seeded)).get_data(as_text=True)

    scripts = json_scripts(text)
    # Besides the charts, every page carries its scripts' strings (parenting/i18n.py).
    assert set(scripts) == {"chart-needs-data", "chart-speed-data", "chart-rhythm-data",
                            "chart-config", "tend-i18n"}
    needs = scripts["chart-needs-data"]
    assert [t["type"] for t in needs["data"]] == ["barpolar", "barpolar"]
    # Circle order: the secure-base half, then the safe-haven half.
    assert [t["r"] for t in needs["data"]] == [[0, 1, 0, 0], [1, 2, 0, 1]]
    assert scripts["chart-speed-data"]["data"][0]["type"] == "bar"
    assert all(t["type"] == "scatter" for t in scripts["chart-rhythm-data"]["data"])
    assert scripts["chart-config"]["displayModeBar"] is False
    for element_id in ("chart-needs", "chart-speed", "chart-rhythm"):
        assert f'id="{element_id}" data-figure="{element_id}-data"' in text

    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', text)
    assert not [src for src in sources if "plotly" in src.lower()]
    loaders = re.findall(r'<script src="([^"]+)" data-plotly="([^"]+)"', text)
    # Asset names carry a content hash: charts.<hash>.js, plotly-tend.min.<hash>.js.
    assert len(loaders) == 1
    assert re.fullmatch(r"/static/js/charts\.[0-9a-f]{10}\.js", loaders[0][0])
    assert re.fullmatch(r"/static/vendor/plotly/plotly-tend\.min\.[0-9a-f]{10}\.js", loaders[0][1])
    assert text.lower().count("plotly-tend") == 1
    # Everything is served by the app itself: no CDN, font or analytics hosts.
    assert not re.search(r'(src|href)="(https?:)?//', text)


def test_pages_without_charts_do_not_load_plotly(client, mo):
    for url in ("/", "/moments/new"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True).lower()
        assert "plotly" not in text, url
        assert not re.search(r"/static/js/charts\.", text), url


def test_this_week_redirects_to_the_current_week_of_the_child(client, mo):
    response = client.get("/week")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(page_url(mo))


# Week navigation


def test_the_current_week_links_back_but_not_forward(client, mo):
    text = client.get(page_url(mo)).get_data(as_text=True)

    assert f'href="{page_url(mo, LAST_WEEK)}" aria-label="Previous week"' in text
    assert 'aria-label="Next week"' not in text


def test_an_earlier_week_links_both_ways(client, mo):
    response = client.get(page_url(mo, "2026-W40"))
    text = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Week of" in text and "28 Sep – 4 Oct 2026" in text
    assert f'href="{page_url(mo, "2026-W39")}" aria-label="Previous week"' in text
    assert f'href="{page_url(mo, "2026-W41")}" aria-label="Next week"' in text


def test_week_links_keep_the_caregiver_filter(client, ana, mo):
    text = client.get(page_url(mo, "2026-W40", caregiver=ana)).get_data(as_text=True)

    assert f'href="{page_url(mo, "2026-W39", caregiver=ana)}" aria-label="Previous week"' in text
    assert f'href="{page_url(mo, "2026-W41", caregiver=ana)}" aria-label="Next week"' in text


@pytest.mark.parametrize(
    "label", ["2026-W99", "2026-W00", "abc", "2026-13", "2026-w47", "2026-W4", "1999-W10",
              "2027-W10", "9999-W01"]
)
def test_junk_and_far_future_week_labels_are_404(client, mo, label):
    assert client.get(page_url(mo, label)).status_code == 404
    response = client.get(api_url(mo, label))
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found"}


def test_a_household_week_starting_on_sunday_is_labelled_by_its_first_day(
    app, client, ana, mo, make_moment
):
    with app.app_context():
        db.session.get(User, ana).household.week_start = 6
        db.session.commit()
    make_moment(mo, ana, occurred_at=at(15, 10), need="help_me")
    make_moment(mo, ana, occurred_at=at(14, 10), need="help_me")

    redirect = client.get("/week")
    body = client.get(api_url(mo, week=None)).get_json()
    page = client.get(page_url(mo, LAST_WEEK))

    # Sunday 15 November lies in ISO week 46, so that is the label of the week it starts.
    assert redirect.headers["Location"].endswith(page_url(mo, LAST_WEEK))
    assert (body["week"], body["week_start"], body["first_day"]) == (
        LAST_WEEK, "sunday", "2026-11-15"
    )
    assert (body["moments"], body["previous_week"]["moments"]) == (1, 1)
    assert "15 Nov – 21 Nov 2026" in flashed(page)
    assert 'aria-label="Next week"' not in page.get_data(as_text=True)


def test_a_households_own_routine_label_cannot_break_out_of_the_chart_data(
    app, client, ana, mo, make_routine
):
    # At most 40 characters, as the form allows (PostgreSQL refuses longer; SQLite would not).
    label = '</script><script>alert("hi")</script>&'
    with app.app_context():
        household_id = db.session.get(User, ana).household_id
        db.session.add(RoutineKind(household_id=household_id, key="swim", label=label,
                                   position=99))
        db.session.commit()
    make_routine(mo, ana, "swim", started_at=at(18, 17))

    text = client.get(page_url(mo)).get_data(as_text=True)

    assert '<script>alert("hi")' not in text
    rhythm = json_scripts(text)["chart-rhythm-data"]
    assert [t["name"] for t in rhythm["data"]] == [label]
    assert Tables(text).tables["Routine figures"] == [[label, "1", "17:00", "–", "1"]]
    assert client.get(api_url(mo)).get_json()["routines"]["swim"]["label"] == label


# Caregiver filter


@pytest.fixture
def bo_client(app):
    return app.test_client()


def invite(app, client, newcomer, email, name) -> int:
    """Invite someone into the signed-in caregiver's household through the real flow."""
    created = client.post("/household/invites")
    token = re.search(r"/invites/([A-Za-z0-9_-]+)", created.get_data(as_text=True)).group(1)
    assert newcomer.get(f"/invites/{token}").status_code == 200
    assert signup(newcomer, email=email, name=name).status_code == 302
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


@pytest.fixture
def two_caregivers(app, client, bo_client, ana, mo, make_moment, make_check_in):
    """Ana logs three moments (one rupture, repaired) and Bo two (one rupture, not repaired)."""
    bo = invite(app, client, bo_client, "bo@example.org", "Bo")
    make_moment(mo, ana, occurred_at=at(16, 8), need="comfort_me", feelings=["calm"])
    make_moment(mo, ana, occurred_at=at(17, 8), need="help_me")
    make_moment(mo, ana, occurred_at=at(18, 8), need="comfort_me", rupture=True,
                repaired_at=at(18, 9))
    make_moment(mo, bo, occurred_at=at(16, 20), need="protect_me", how_soon="right_away")
    make_moment(mo, bo, occurred_at=at(19, 20), need="welcome_me", rupture=True)
    make_check_in(bo, at(19, 21), "tired")
    return ana, bo


def test_one_caregiver_narrows_the_figures(client, bo_client, mo, two_caregivers):
    ana, bo = two_caregivers

    everyone = client.get(api_url(mo)).get_json()
    only_bo = client.get(api_url(mo, caregiver=bo)).get_json()
    only_ana = bo_client.get(api_url(mo, caregiver=ana)).get_json()

    assert (everyone["caregiver_id"], everyone["moments"], everyone["ruptures"]) == (None, 5, 2)
    assert everyone["repaired"] == 1
    assert everyone["feelings"] == {"calm": 1, "tired": 1}
    assert (only_bo["caregiver_id"], only_bo["moments"], only_bo["ruptures"]) == (bo, 2, 1)
    assert (only_bo["repaired"], only_bo["response_speed"]["right_away"]) == (0, 1)
    assert only_bo["feelings"] == {"tired": 1}
    assert (only_ana["caregiver_id"], only_ana["moments"], only_ana["repaired"]) == (ana, 3, 1)
    assert only_ana["needs"]["help_me"] == 1 and only_ana["needs"]["protect_me"] == 0


def test_a_caregiver_from_elsewhere_or_no_caregiver_at_all_reads_as_everyone(
        client, mo, two_caregivers, carl):
    everyone = client.get(api_url(mo)).get_data()

    for other in (carl, "junk", "-1", "0", str(2**40)):
        assert client.get(api_url(mo, caregiver=other)).get_data() == everyone, other
    assert client.get(api_url(mo)).get_json()["caregiver_id"] is None


def test_the_page_offers_the_filter_and_narrows_its_figures(client, mo, two_caregivers):
    ana, bo = two_caregivers

    everyone = client.get(page_url(mo)).get_data(as_text=True)
    only_bo = client.get(page_url(mo, caregiver=bo)).get_data(as_text=True)

    assert 'aria-label="Whose entries"' in everyone
    assert f'href="{page_url(mo)}" aria-current="true">Everyone' in everyone
    assert f'href="{page_url(mo)}?caregiver={bo}" aria-current="false">Bo' in everyone
    assert "You reconnected after 1 of 2 ruptures." in everyone
    assert f'href="{page_url(mo)}?caregiver={bo}" aria-current="true">Bo' in only_bo
    assert "1 moment went sideways this week; there is still time to reconnect." in only_bo
    assert dict(Tables(only_bo).tables["Moments per need"])["Protect me"] == "1"
    assert dict(Tables(only_bo).tables["Moments per need"])["Comfort me"] == "0"


def test_each_of_us_puts_the_caregivers_side_by_side_in_neutral_words(
    client, mo, two_caregivers
):
    ana, bo = two_caregivers

    text = client.get(page_url(mo, caregiver="each")).get_data(as_text=True)

    assert f'href="{page_url(mo)}?caregiver=each" aria-current="true">Each of us' in text
    assert f'href="{page_url(mo)}" aria-current="false">Everyone' in text
    table = Tables(text).tables["Each caregiver's figures this week"]
    assert table == [
        ["Moments noticed", "3 moments", "2 moments"],
        ["Coming back (safe haven)", "2 moments", "2 moments"],
        ["Going out (secure base)", "1 moment", "0 moments"],
        ["Responded right away", "0 times", "1 time"],
        ["Reconnected after going sideways", "1 of 1", "0 of 1"],
    ]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', text.split('id="each-h"')[1])
    assert headers == ["", "Me", "Bo"]
    # Moments that went well still lead; the other sections wait on "Everyone".
    assert text.index('id="went-well-h"') < text.index('id="each-h"')
    assert 'id="needs-h"' not in text
    for word in ("more", "less", "better", "worse", "most", "only", "should"):
        assert word not in text.split('id="each-h"')[1].split("</section>")[0].lower()
    # Moving between weeks keeps the view.
    assert f'href="{page_url(mo, "2026-W46", caregiver="each")}"' in text


def test_each_of_us_is_everyone_in_a_household_of_one(client, mo, make_moment, ana):
    make_moment(mo, ana, occurred_at=at(16, 8), need="help_me")
    text = client.get(page_url(mo, caregiver="each")).get_data(as_text=True)
    assert 'id="each-h"' not in text
    assert 'id="needs-h"' in text


@pytest.mark.parametrize("caregiver", ["9999", "abc", "", "carl"])
def test_an_unknown_caregiver_reads_as_everyone(client, mo, two_caregivers, carl, caregiver):
    caregiver = carl if caregiver == "carl" else caregiver

    body = client.get(api_url(mo, caregiver=caregiver)).get_json()
    page = client.get(page_url(mo, caregiver=caregiver)).get_data(as_text=True)

    assert (body["caregiver_id"], body["moments"]) == (None, 5)
    assert f'href="{page_url(mo)}" aria-current="true">Everyone' in page


# Reflection


def reflections(app, child_id):
    with app.app_context():
        rows = db.session.scalars(select(WeekReflection).where(WeekReflection.child_id == child_id))
        return [(r.first_day.isoformat(), r.prompt_id, r.answer, r.updated_by_id) for r in rows]


def test_a_reflection_is_saved_shown_and_edited_in_place(app, client, ana, mo):
    prompt = prompts.week_prompt(THIS_WEEK, mo)

    response = client.post(page_url(mo), data={"answer": "  Bath time was gentle.  "})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(page_url(mo) + "#reflection")
    assert reflections(app, mo) == [("2026-11-16", prompt.id, "Bath time was gentle.", ana)]
    page = flashed(client.get(page_url(mo)))
    assert "Your reflection is saved." in page
    assert re.search(r"<textarea[^>]*>\s*Bath time was gentle.</textarea>", page)

    client.post(page_url(mo), data={"answer": "Bath time, and the walk home."})

    assert reflections(app, mo) == [("2026-11-16", prompt.id, "Bath time, and the walk home.", ana)]
    assert re.search(r"<textarea[^>]*>\s*Bath time, and the walk home.</textarea>",
                     flashed(client.get(page_url(mo))))


def test_a_reflection_belongs_to_its_week(app, client, mo):
    client.post(page_url(mo, LAST_WEEK), data={"answer": "A long week."})

    assert [r[0] for r in reflections(app, mo)] == ["2026-11-09"]
    assert "A long week." in flashed(client.get(page_url(mo, LAST_WEEK)))
    assert "A long week." not in flashed(client.get(page_url(mo)))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 10_000, "Field cannot be longer than 5000 characters."),
    ],
)
def test_an_empty_or_overlong_reflection_is_refused_with_a_message(
    app, client, mo, answer, message
):
    client.post(page_url(mo), data={"answer": "Kept."})

    response = client.post(page_url(mo), data={"answer": answer})

    assert response.status_code == 200
    assert message in flashed(response)
    assert [r[2] for r in reflections(app, mo)] == ["Kept."]


# JSON


def test_the_json_gives_every_figure_for_the_week_keyed_by_domain_ids(client, seeded):
    response = client.get(api_url(seeded))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == TOP_LEVEL_KEYS
    assert {k: body[k] for k in FIGURE_KEYS} == THIS_WEEK_FIGURES
    assert body["previous_week"] == LAST_WEEK_FIGURES
    assert body["version"] == 1
    assert body["child"] == {"id": seeded, "nickname": "Mo"}
    assert body["week"] == THIS_WEEK
    assert (body["timezone"], body["week_start"], body["caregiver_id"]) == (
        "Europe/London", "monday", None
    )


def test_the_json_shape_is_the_same_for_an_empty_week(client, mo):
    body = client.get(api_url(mo, "2025-W01")).get_json()

    assert set(body) == TOP_LEVEL_KEYS
    assert set(body["previous_week"]) == FIGURE_KEYS
    for figures in (body, body["previous_week"]):
        assert set(figures["needs"]) == {n.id for n in domain.ALL_NEEDS}
        assert len(figures["needs"]) == 9
        assert set(figures["halves"]) == {"secure_base", "safe_haven"}
        assert set(figures["response_speed"]) == {c.id for c in domain.HOW_SOON}
        assert set(figures["supportive_responses"]) == {"supportive", "out_of"}
        assert set(figures["routines"]) == {k.id for k in domain.DEFAULT_ROUTINE_KINDS}
        assert all(set(r) == ROUTINE_KEYS for r in figures["routines"].values())
        assert set(figures["special_time"]) == {"days", "skills"}
        assert set(figures["special_time"]["skills"]) == {s.id for s in domain.SPECIAL_TIME_SKILLS}
        assert figures["moments"] == figures["ruptures"] == figures["repaired"] == 0
        assert figures["time_to_repair_minutes_median"] is None
        assert figures["feelings"] == {} and figures["hard_feeling_needs"] == []
    assert body["week"] == "2025-W01"
    assert body["first_day"] == "2024-12-30"


def test_the_json_without_a_week_is_the_current_week(client, seeded):
    body = client.get(api_url(seeded, week=None)).get_json()

    assert body["week"] == THIS_WEEK
    assert body["moments"] == 6


def test_a_rupture_counts_as_repaired_once_the_repair_has_happened(
    app, client, clock, make_user, make_child, make_moment
):
    clock.move_to(at(17, 12))
    ana = make_user()
    mo = make_child(ana)
    moment = make_moment(mo, ana, occurred_at=at(10, 8), need="comfort_me", rupture=True)

    before = client.get(api_url(mo, LAST_WEEK)).get_json()
    clock.move_to(at(18, 9))
    with app.app_context():
        db.session.get(Moment, moment).repaired_at = at(18, 9)
        db.session.commit()
    clock.move_to(at(20, 12))
    login(client)  # three days on, the sign-up's login has ended
    after = client.get(api_url(mo, LAST_WEEK)).get_json()

    assert (before["ruptures"], before["repaired"]) == (1, 0)
    assert before["time_to_repair_minutes_median"] is None
    assert (after["ruptures"], after["repaired"]) == (1, 1)
    assert after["time_to_repair_minutes_median"] == 8 * 24 * 60 + 60
    assert after["week"] == LAST_WEEK and after["previous_week"]["ruptures"] == 0


def test_the_json_asks_anonymous_callers_to_log_in_without_a_redirect(app, mo):
    response = app.test_client().get(api_url(mo))

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "login_required"
    assert "Location" not in response.headers


def test_the_page_sends_anonymous_visitors_to_log_in(app, mo):
    response = app.test_client().get(page_url(mo))

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_another_households_child_is_404_everywhere(app, client, other_client, seeded, carl):
    with app.app_context():
        pip = db.session.scalar(select(Child.id).where(Child.nickname == "Pip"))

    assert client.get(page_url(pip)).status_code == 404
    response = client.get(api_url(pip))
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found"}
    assert client.post(page_url(pip), data={"answer": "Not mine."}).status_code == 404
    assert other_client.get(api_url(seeded)).status_code == 404
    assert client.get(api_url(987654)).status_code == 404
    assert reflections(app, pip) == []


# Queries


def add_many(app, child_id, user_id, moments, routines):
    """Add many rows over this week and last week in one transaction."""
    with app.app_context():
        kinds = [kind_by_key(child_id, k.id).id for k in domain.DEFAULT_ROUTINE_KINDS]
        needs = [n.id for n in domain.ALL_NEEDS]
        start = at(9, 6)
        db.session.add_all(
            Moment(child_id=child_id, caregiver_id=user_id, need=needs[i % len(needs)],
                   occurred_at=start + timedelta(minutes=390 * i), responses=["held_comforted"],
                   how_soon="right_away", feelings=["worried"], rupture=i % 3 == 0,
                   repaired_at=start + timedelta(minutes=390 * i + 20) if i % 6 == 0 else None)
            for i in range(moments)
        )
        db.session.add_all(
            Routine(child_id=child_id, kind_id=kinds[i % len(kinds)], caregiver_id=user_id,
                    started_at=start + timedelta(minutes=780 * i),
                    ended_at=start + timedelta(minutes=780 * i + 10), skills=["praise"])
            for i in range(routines)
        )
        db.session.add_all(
            CheckIn(household_id=db.session.get(Child, child_id).household_id, user_id=user_id,
                    at=start + timedelta(hours=7 * i), feeling="calm")
            for i in range(routines)
        )
        db.session.commit()


def statements(app, client, url) -> int:
    """Return how many SQL statements one GET of `url` runs."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_page_and_json_run_a_small_constant_number_of_queries(
    app, client, ana, mo, plan, make_check_in
):
    plan(mo, "bedtime", 19 * 60 + 30)
    add_many(app, mo, ana, moments=40, routines=20)
    urls = (page_url(mo), api_url(mo), page_url(mo, caregiver=ana))
    client.get(urls[0])  # warm up: first-use work (e.g. loading prompts) is not per request

    few = [statements(app, client, url) for url in urls]
    add_many(app, mo, ana, moments=40, routines=20)
    many = [statements(app, client, url) for url in urls]

    body = client.get(api_url(mo)).get_json()
    assert body["moments"] + body["previous_week"]["moments"] == 80
    assert few == many
    assert all(n <= 12 for n in few), few


# Help


DOMAIN_FIGURES = (
    "moments", "needs", "supportive responses", "response speed", "ruptures", "repaired",
    "time to repair", "routine days", "typical time", "on rhythm", "special time", "feelings",
    "hard-feeling needs", "compared with last week",
)


def test_the_help_page_defines_every_figure(app):
    response = app.test_client().get("/help/weekly-summary")

    assert response.status_code == 200
    terms = " | ".join(
        re.sub(r"<[^>]+>", "", t).lower()
        for t in re.findall(r"<dt>(.*?)</dt>", response.get_data(as_text=True), re.S)
    )
    missing = [name for name in DOMAIN_FIGURES if name not in terms]
    assert not missing, f"figures without a definition: {missing}"
    text = flashed(response)
    assert "23:50 and 00:10 average to 00:00" in text
    assert "within 30 minutes" in text
    assert all(word in text for word in domain.HARD_FEELINGS)


def test_a_spanish_reader_sees_default_routines_in_spanish_and_the_json_stays_english(
        client, seeded):
    spanish = {"Accept-Language": "es"}

    page = client.get(page_url(seeded), headers=spanish).get_data(as_text=True)
    body = client.get(api_url(seeded), headers=spanish).get_json()

    # The rhythm chart's text equivalent names the planned bedtime in the reader's language.
    assert "Hora de dormir 19:30" in page
    assert "Bedtime" not in page
    assert "Wake-up" not in page
    assert {r["label"] for r in body["routines"].values()} >= {"Bedtime", "Wake-up"}
