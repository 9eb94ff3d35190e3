import json
import math
from datetime import date, timedelta

import pytest

from parenting import charts, domain

WEEK = [date(2025, 3, 3) + timedelta(days=i) for i in range(7)]
KIND_LABELS = {k.id: k.label for k in domain.DEFAULT_ROUTINE_KINDS}
NEEDS = {
    "watch_over_me": 3,
    "delight_in_me": 5,
    "help_me": 2,
    "enjoy_with_me": 4,
    "protect_me": 1,
    "comfort_me": 6,
    "welcome_me": 2,
    "help_with_feelings": 3,
    "not_sure": 2,
}
SPEED = {"right_away": 9, "few_minutes": 4, "later": 0, "not_this_time": 1}


def typical_marks():
    """Return a busy but ordinary week: wake-up, meal, nap, bath, bedtime most days."""
    marks = []
    for i, day in enumerate(WEEK):
        marks.append((day, 7 * 60 + i * 5, "wake_up"))
        marks.append((day, 12 * 60 + 30 + i * 3, "meal"))
        marks.append((day, 13 * 60 + i * 4, "nap"))
        marks.append((day, 18 * 60 + 45, "bath"))
        marks.append((day, 19 * 60 + 30 + i * 2, "bedtime"))
        marks.append((day, 16 * 60 + 30, domain.SPECIAL_TIME))
    return marks


def screen_angle(fig, theta: float) -> float:
    """Return where ``theta`` lands on screen, counterclockwise from 3 o'clock, in degrees."""
    axis = fig.layout.polar.angularaxis
    sign = -1 if axis.direction == "clockwise" else 1
    return (axis.rotation + sign * theta) % 360


def test_needs_circle_is_two_barpolar_traces_one_per_half():
    fig = charts.needs_circle(NEEDS, domain.NEED_LABELS)

    assert [trace.type for trace in fig.data] == ["barpolar", "barpolar"]
    secure, haven = fig.data
    assert secure.marker.color == charts.SECURE_BASE_COLOUR
    assert haven.marker.color == charts.SAFE_HAVEN_COLOUR
    assert charts.SECURE_BASE_COLOUR != charts.SAFE_HAVEN_COLOUR


def test_needs_circle_segments_follow_circle_order_with_counts_as_radius():
    fig = charts.needs_circle(NEEDS, domain.NEED_LABELS)

    names = [*fig.data[0].customdata, *fig.data[1].customdata]
    radii = [*fig.data[0].r, *fig.data[1].r]
    assert names == [n.label for n in domain.NEEDS]
    assert radii == [NEEDS[n.id] for n in domain.NEEDS]
    assert "Not sure" not in names
    thetas = [*fig.data[0].theta, *fig.data[1].theta]
    assert thetas == sorted(thetas)
    assert list(fig.layout.polar.angularaxis.tickvals) == thetas


def test_needs_circle_puts_secure_base_on_top_and_safe_haven_below():
    fig = charts.needs_circle(NEEDS, domain.NEED_LABELS)
    angular = fig.layout.polar.angularaxis

    # plotly.py stores the 180 degrees (9 o'clock) as -180.
    assert angular.rotation % 360 == 180
    assert angular.direction == "clockwise"
    assert angular.thetaunit == "degrees"
    secure, haven = fig.data
    for theta, width in zip(secure.theta, secure.width, strict=True):
        for edge in (theta - width / 2, theta + width / 2):
            assert math.sin(math.radians(screen_angle(fig, edge))) >= -1e-9
        assert math.sin(math.radians(screen_angle(fig, theta))) > 0
    for theta in haven.theta:
        assert math.sin(math.radians(screen_angle(fig, theta))) < 0


def test_needs_circle_starts_on_the_left_and_runs_clockwise_over_the_top():
    fig = charts.needs_circle(NEEDS, domain.NEED_LABELS)
    first = fig.data[0].theta[0]
    second = fig.data[0].theta[1]

    assert 90 < screen_angle(fig, first) < 180
    assert screen_angle(fig, second) < screen_angle(fig, first)


def test_needs_circle_uses_a_facilitators_labels():
    labels = {**domain.NEED_LABELS, "comfort_me": "Soothe me"}

    fig = charts.needs_circle(NEEDS, labels)

    assert "Soothe me" in fig.data[1].customdata
    assert "Soothe me" in fig.layout.polar.angularaxis.ticktext


def test_needs_circle_with_no_moments_still_draws():
    fig = charts.needs_circle({}, domain.NEED_LABELS)

    assert list(fig.data[0].r) == [0, 0, 0, 0]
    assert fig.layout.polar.radialaxis.range[1] > 0


def test_week_rhythm_has_a_row_per_day_and_a_24_hour_axis():
    fig = charts.week_rhythm(WEEK, typical_marks(), {"bedtime": 19 * 60 + 30}, KIND_LABELS)

    assert {trace.type for trace in fig.data} == {"scatter"}
    assert list(fig.layout.yaxis.tickvals) == [d.isoformat() for d in WEEK]
    assert fig.layout.yaxis.ticktext[0] == "Mon 3"
    assert list(fig.layout.xaxis.tickvals) == [0, 360, 720, 1080, 1440]
    assert list(fig.layout.xaxis.ticktext) == ["00:00", "06:00", "12:00", "18:00", "24:00"]
    assert fig.layout.xaxis.range[0] <= 0 and fig.layout.xaxis.range[1] >= 1440


def test_week_rhythm_colours_each_kind_and_shows_a_horizontal_legend():
    fig = charts.week_rhythm(WEEK, typical_marks(), {}, KIND_LABELS)

    names = [trace.name for trace in fig.data]
    assert names == ["Wake-up", "Nap", "Bedtime", "Meal", "Bath", "Special time"]
    colours = [trace.marker.color for trace in fig.data]
    assert len(set(colours)) == len(colours)
    assert fig.layout.showlegend is True
    assert fig.layout.legend.orientation == "h"
    assert fig.layout.legend.y < 0


def test_week_rhythm_draws_a_midnight_bedtime_on_the_day_it_happened():
    friday = WEEK[4]
    marks = [(WEEK[3], 19 * 60 + 40, "bedtime"), (friday, 10, "bedtime")]

    fig = charts.week_rhythm(WEEK, marks, {}, KIND_LABELS)

    (bedtime,) = fig.data
    points = list(zip(bedtime.y, bedtime.x, strict=True))
    assert (friday.isoformat(), 10) in points
    assert (WEEK[3].isoformat(), 19 * 60 + 40) in points
    assert "Fri 7 · Bedtime 00:10" in bedtime.text


def test_week_rhythm_draws_planned_times_as_faint_dotted_lines_in_the_kinds_colour():
    planned = {"bedtime": 19 * 60 + 30, "wake_up": 7 * 60}

    fig = charts.week_rhythm(WEEK, typical_marks(), planned, KIND_LABELS)

    lines = {shape.x0: shape for shape in fig.layout.shapes}
    assert set(lines) == {19 * 60 + 30, 7 * 60}
    bedtime_line = lines[19 * 60 + 30]
    assert bedtime_line.x1 == bedtime_line.x0
    assert bedtime_line.line.dash == "dot"
    assert bedtime_line.line.color == charts.ROUTINE_COLOURS["bedtime"]
    assert bedtime_line.opacity < 1
    assert "Planned time" in [trace.name for trace in fig.data]


def test_week_rhythm_leaves_out_marks_from_other_days():
    marks = [(WEEK[0] - timedelta(days=1), 19 * 60, "bedtime")]

    fig = charts.week_rhythm(WEEK, marks, {}, KIND_LABELS)

    assert fig.data == ()
    assert fig.layout.showlegend is False
    assert list(fig.layout.yaxis.range) == [6.5, -0.5], "every day keeps its row, Monday on top"


def test_household_kinds_get_a_colour_and_their_own_label():
    labels = {**KIND_LABELS, "swim": "Swimming"}
    marks = [(WEEK[0], 10 * 60, "swim"), (WEEK[1], 10 * 60, "piano")]

    fig = charts.week_rhythm(WEEK, marks, {}, labels)

    assert [trace.name for trace in fig.data] == ["Swimming", "Piano"]
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_response_speed_is_one_neutral_horizontal_bar_in_form_order():
    fig = charts.response_speed(SPEED, domain.HOW_SOON_LABELS)

    (bar,) = fig.data
    assert bar.type == "bar"
    assert bar.orientation == "h"
    assert list(bar.y) == [c.label for c in domain.HOW_SOON]
    assert list(bar.x) == [9, 4, 0, 1]
    assert bar.marker.color == charts.NEUTRAL_COLOUR
    assert fig.layout.yaxis.autorange == "reversed"


def all_charts():
    return {
        "needs": charts.needs_circle(NEEDS, domain.NEED_LABELS),
        "rhythm": charts.week_rhythm(WEEK, typical_marks(), {"bedtime": 1170}, KIND_LABELS),
        "speed": charts.response_speed(SPEED, domain.HOW_SOON_LABELS),
    }


@pytest.mark.parametrize("name", ["needs", "rhythm", "speed"])
def test_every_chart_shares_the_calm_base_layout(name):
    layout = all_charts()[name].layout

    assert 150 <= layout.height <= 360
    assert layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert layout.font.family.startswith("system-ui")
    assert layout.font.color == charts.INK
    assert layout.dragmode is False


@pytest.mark.parametrize("name", ["rhythm", "speed"])
def test_cartesian_charts_fix_their_axes_so_a_finger_scrolls_the_page(name):
    layout = all_charts()[name].layout

    assert layout.xaxis.fixedrange is True
    assert layout.yaxis.fixedrange is True


def test_chart_config_hides_the_mode_bar_and_leaves_scrolling_to_the_page():
    assert charts.CHART_CONFIG["displayModeBar"] is False
    assert charts.CHART_CONFIG["scrollZoom"] is False
    assert charts.CHART_CONFIG["doubleClick"] is False
    assert charts.CHART_CONFIG["staticPlot"] is False
    assert charts.CHART_CONFIG["responsive"] is True


def test_figure_json_is_small_and_carries_no_default_theme():
    fig = charts.week_rhythm(WEEK, typical_marks(), {"bedtime": 1170}, KIND_LABELS)

    text = charts.figure_json(fig)

    assert len(text.encode()) < 20_000
    data = json.loads(text)
    assert set(data) >= {"data", "layout"}
    assert "layout" not in data["layout"].get("template", {})
    assert all("uid" not in trace for trace in data["data"])


def test_figure_json_strips_a_template_without_touching_the_figure():
    fig = charts.response_speed(SPEED, domain.HOW_SOON_LABELS)
    fig.update_layout(template="plotly")

    data = json.loads(charts.figure_json(fig))

    assert "layout" not in data["layout"].get("template", {})
    assert fig.layout.template.layout.colorway


def test_describe_needs_sums_the_halves_and_lists_every_need_and_not_sure():
    sentence, rows = charts.describe_needs(NEEDS, domain.NEED_LABELS)

    assert sentence.startswith("28 moments: 14 on the secure-base half")
    assert "12 on the safe-haven half" in sentence
    assert "2 not sure" in sentence
    assert "Comfort me came up most often (6)" in sentence
    assert rows[0] == ("Watch over me", 3)
    assert rows[-1] == ("Not sure", 2)
    assert len(rows) == 9


def test_describe_needs_names_every_need_that_ties_for_most():
    sentence, _ = charts.describe_needs({"help_me": 2, "comfort_me": 2}, domain.NEED_LABELS)

    assert "Help me and Comfort me came up most often (2 each)." in sentence


def test_describe_needs_with_nothing_logged():
    sentence, rows = charts.describe_needs({}, domain.NEED_LABELS)

    assert sentence == "No moments logged."
    assert all(count == 0 for _, count in rows)


def test_describe_rhythm_lists_each_days_routines_in_the_order_they_happened():
    marks = [
        (WEEK[0], 19 * 60 + 35, "bedtime"),
        (WEEK[0], 18 * 60 + 50, "bath"),
        (WEEK[1], 10, "bedtime"),
        (WEEK[1], 7 * 60, "wake_up"),
    ]

    sentence, rows = charts.describe_rhythm(WEEK, marks, {"bedtime": 1170}, KIND_LABELS)

    assert rows[0] == ("Mon 3", "Bath 18:50, Bedtime 19:35")
    assert rows[1] == ("Tue 4", "Bedtime 00:10, Wake-up 07:00")
    assert rows[2] == ("Wed 5", "Nothing logged")
    assert len(rows) == 7
    assert sentence == (
        "Routines logged on 2 of 7 days. Planned times (dotted lines): Bedtime 19:30."
    )


def test_describe_speed_counts_answers_in_form_order():
    sentence, rows = charts.describe_speed(SPEED, domain.HOW_SOON_LABELS)

    assert sentence == (
        "14 moments with a “how soon” answer: Right away 9, Within a few minutes 4, "
        "Not this time 1."
    )
    assert rows == [
        ("Right away", 9),
        ("Within a few minutes", 4),
        ("Later", 0),
        ("Not this time", 1),
    ]


@pytest.mark.parametrize(
    "describe",
    [
        lambda: charts.describe_needs(NEEDS, domain.NEED_LABELS),
        lambda: charts.describe_rhythm(WEEK, typical_marks(), {"bedtime": 1170}, KIND_LABELS),
        lambda: charts.describe_speed(SPEED, domain.HOW_SOON_LABELS),
        lambda: charts.describe_speed({}, domain.HOW_SOON_LABELS),
    ],
)
def test_text_equivalents_never_judge(describe):
    sentence, rows = describe()
    words = " ".join([sentence, *(str(cell) for row in rows for cell in row)]).lower()

    for judging in ("should", "good", "bad", "poor", "score", "grade", "fail"):
        assert judging not in words


# User text that JSON and a script element both care about: markup, quotes, a slash,
# non-ASCII and a line separator.
ODD_LABEL = "<b>&\"'/ Baño 🛁 \u2028</script>"


@pytest.mark.parametrize(
    ("figure", "plain", "args"),
    [
        (charts.needs_circle, charts.needs_circle_dict, (NEEDS, domain.NEED_LABELS)),
        (charts.needs_circle, charts.needs_circle_dict, ({}, domain.NEED_LABELS)),
        (
            charts.needs_circle,
            charts.needs_circle_dict,
            ({"comfort_me": 137, "not_sure": 4}, {**domain.NEED_LABELS, "comfort_me": ODD_LABEL}),
        ),
        (
            charts.week_rhythm,
            charts.week_rhythm_dict,
            (WEEK, typical_marks(), {"bedtime": 1170, "wake_up": 420}, KIND_LABELS),
        ),
        (charts.week_rhythm, charts.week_rhythm_dict, (WEEK, [], {}, KIND_LABELS)),
        (
            charts.week_rhythm,
            charts.week_rhythm_dict,
            (
                WEEK,
                [(WEEK[i % 7], 60 * i + 5, f"kind{i}") for i in range(9)],
                {"kind1": 65, "swim": 600},
                {**KIND_LABELS, "kind1": ODD_LABEL},
            ),
        ),
        (charts.response_speed, charts.response_speed_dict, (SPEED, domain.HOW_SOON_LABELS)),
        (
            charts.response_speed,
            charts.response_speed_dict,
            ({"later": 1234}, {**domain.HOW_SOON_LABELS, "later": ODD_LABEL}),
        ),
    ],
)
def test_plain_figure_dicts_give_the_same_json_as_the_validated_figures(figure, plain, args):
    assert charts.figure_json(plain(*args)) == charts.figure_json(figure(*args))


def test_figure_json_keeps_user_text_from_closing_the_script_element():
    labels = {**domain.HOW_SOON_LABELS, "later": ODD_LABEL}

    text = charts.figure_json(charts.response_speed_dict(SPEED, labels))

    assert "<" not in text and ">" not in text and "&" not in text
    assert ODD_LABEL in json.loads(text)["data"][0]["y"]
