"""Numbers -> plotly figures and their text equivalents. Pure: no Flask, no db.

Words and day names speak the request's language; outside a request they are English.
"""

import json
import math
import textwrap
from collections.abc import Iterable, Mapping
from datetime import date

import plotly.graph_objects as go
import plotly.io as pio
from flask_babel import get_locale

from parenting import domain
from parenting.i18n import gettext as _
from parenting.i18n import ngettext
from parenting.timefmt import day_text

# Embedding config: no toolbar and no zoom or drag, so a finger scrolls the page; a tap still
# shows the hover value.
CHART_CONFIG = {
    "displayModeBar": False,
    "staticPlot": False,
    "scrollZoom": False,
    "doubleClick": False,
    "responsive": True,
}

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# Mid-grey text and faint grey lines read on both the light and the dark page background,
# which shows through the transparent paper.
INK = "#8b8f98"
GRID = "rgba(139, 143, 152, 0.28)"

SECURE_BASE_COLOUR = "#6f9fc4"
SAFE_HAVEN_COLOUR = "#d39b6a"
HALF_COLOURS = {domain.SECURE_BASE: SECURE_BASE_COLOUR, domain.SAFE_HAVEN: SAFE_HAVEN_COLOUR}
# One quiet, neutral colour: response speed is a description, never a verdict.
NEUTRAL_COLOUR = "#8ea3b8"

# Fixed colours for the default routine kinds keep each kind recognisable week to week.
ROUTINE_COLOURS = {
    "wake_up": "#d9a741",
    "nap": "#9aa6d8",
    "bedtime": "#6f7fc4",
    "meal": "#cf8a5c",
    "bath": "#4fa7b8",
    "reading": "#a887c8",
    "play": "#6fae7e",
    "outdoor": "#8fae57",
    domain.SPECIAL_TIME: "#d27aa0",
}
# Households add their own kinds; they take these in turn.
EXTRA_COLOURS = ("#7fb3a8", "#c49a7a", "#9b9bd0", "#b8a24f", "#c58fb2", "#6fa0b0")

DAY_MINUTES = 24 * 60
HOUR_TICKS = (0, 6 * 60, 12 * 60, 18 * 60, DAY_MINUTES)

# Without a template plotly.py embeds its full default theme (~6 KB) in every figure.
_NO_TEMPLATE = go.layout.Template()
# The empty template as plotly.py writes it into a figure, for the plain figure dicts.
_NO_TEMPLATE_JSON = go.Figure(layout={"template": _NO_TEMPLATE}).layout.template.to_plotly_json()


def _base_layout(**overrides) -> dict:
    """Return the layout every Tend chart shares, updated with ``overrides``."""
    layout = {
        "template": _NO_TEMPLATE_JSON,
        "height": 320,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8, "pad": 0},
        "font": {"family": FONT_FAMILY, "size": 12, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "dragmode": False,
        "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}},
    }
    layout.update(overrides)
    return layout


def _axis(**overrides) -> dict:
    """Return the shared cartesian axis style: fixed range, faint grid, no zero line."""
    axis = {
        "fixedrange": True,
        "showgrid": True,
        "gridcolor": GRID,
        "zeroline": False,
        "showline": False,
        "ticks": "",
        "automargin": True,
    }
    axis.update(overrides)
    return axis


def _balanced_wrap(label: str, width: int) -> str:
    """Break ``label`` into as few lines as ``width`` needs, each about as long."""
    if len(label) <= width:
        return label
    lines_needed = math.ceil(len(label) / width)
    step = math.ceil(len(label) / lines_needed)
    lines = textwrap.wrap(label, step, break_long_words=False)
    while len(lines) > lines_needed:
        step += 1
        lines = textwrap.wrap(label, step, break_long_words=False)
    return "<br>".join(lines)


def _count_step(top: int) -> int:
    """Return a whole-number tick step giving at most about four ticks up to ``top``."""
    raw = max(1, math.ceil(top / 4))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100):
        if raw <= nice:
            return nice
    return raw


def _need_label(labels: Mapping[str, str], need_id: str) -> str:
    # str(): default labels may be lazy strings, and figures are written out as JSON.
    return str(labels.get(need_id) or domain.NEED_LABELS[need_id])


def _half_label(half: str) -> str:
    return str(domain.HALF_LABELS[half])


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


# The circle starts at 9 o'clock and runs clockwise: the four secure-base needs sweep over the
# top (0-180 degrees of the axis), the four safe-haven needs come back round the bottom.
# 9 o'clock is written -180, as plotly.py normalises angles to [-180, 180).
NEEDS_ANGULAR_AXIS = {"rotation": -180, "direction": "clockwise"}
SEGMENT_DEGREES = 360 / len(domain.NEEDS)


def needs_circle(needs: Mapping[str, int], labels: Mapping[str, str]) -> go.Figure:
    """Draw the week's needs as a circle: secure base on top, safe haven below."""
    return go.Figure(needs_circle_dict(needs, labels))


def needs_circle_dict(needs: Mapping[str, int], labels: Mapping[str, str]) -> dict:
    """Return the needs circle as a plain figure dict, unvalidated (see figure_json)."""
    counts = [int(needs.get(n.id, 0)) for n in domain.NEEDS]
    centres = [SEGMENT_DEGREES * (i + 0.5) for i in range(len(domain.NEEDS))]
    names = [_need_label(labels, n.id) for n in domain.NEEDS]
    data = []
    # One trace per half, so each half has one colour and one name.
    for half in (domain.SECURE_BASE, domain.SAFE_HAVEN):
        members = [i for i, n in enumerate(domain.NEEDS) if domain.NEED_HALF[n.id] == half]
        data.append(
            {
                "type": "barpolar",
                "name": _half_label(half),
                "r": [counts[i] for i in members],
                "theta": [centres[i] for i in members],
                "width": [SEGMENT_DEGREES] * len(members),
                "customdata": [names[i] for i in members],
                "marker": {"color": HALF_COLOURS[half], "line": {"width": 1, "color": GRID}},
                "opacity": 0.9,
                "hovertemplate": "%{customdata}: %{r}<extra></extra>",
            }
        )
    top = max(counts, default=0)
    step = _count_step(top)
    # A little headroom past the largest count keeps its segment from touching the rim.
    radial_max = max(step, top) + step * 0.15
    return {
        "data": data,
        "layout": _base_layout(
            height=340,
            # Side margins hold the wrapped need labels; polar axes cannot grow margins themselves.
            margin={"l": 62, "r": 62, "t": 44, "b": 44, "pad": 0},
            polar={
                "bgcolor": "rgba(0,0,0,0)",
                "hole": 0.06,
                "radialaxis": {
                    "range": [0, radial_max],
                    # No "0" label: it would sit on the hole in the middle.
                    "tickmode": "array",
                    "tickvals": list(range(step, int(radial_max) + 1, step)),
                    "angle": 90,
                    "tickangle": 90,
                    "showline": False,
                    "ticks": "",
                    "gridcolor": GRID,
                    "tickfont": {"size": 10},
                },
                "angularaxis": {
                    **NEEDS_ANGULAR_AXIS,
                    "thetaunit": "degrees",
                    "tickmode": "array",
                    "tickvals": centres,
                    "ticktext": [_balanced_wrap(name, 10) for name in names],
                    "tickfont": {"size": 11},
                    "showgrid": False,
                    "showline": False,
                    "ticks": "",
                },
            },
            annotations=[
                _half_note(domain.SECURE_BASE, y=1.0, yanchor="bottom", yshift=24),
                _half_note(domain.SAFE_HAVEN, y=0.0, yanchor="top", yshift=-24),
            ],
        ),
    }


def _half_note(half: str, *, y: float, yanchor: str, yshift: int) -> dict:
    """Return a small caption naming a half of the circle, in that half's colour."""
    return {
        "text": _half_label(half),
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": y,
        "yanchor": yanchor,
        "yshift": yshift,
        "showarrow": False,
        "font": {"size": 12, "color": HALF_COLOURS[half]},
    }


def day_label(day: date) -> str:
    """Return the short label for ``day`` in the request's language, like "Mon 3"."""
    # Through timefmt's cache of written days: each summary page labels its seven days twice.
    return day_text(day, "EEE d", str(get_locale() or "en"))


def clock(minute: int) -> str:
    """Return minute-of-day ``minute`` as a 24-hour clock time, like "19:35"."""
    hours, minutes = divmod(int(minute), 60)
    return f"{hours:02d}:{minutes:02d}"


def _kind_label(kind_labels: Mapping[str, str], kind: str) -> str:
    return kind_labels.get(kind) or kind.replace("_", " ").capitalize()


def _kind_order(kind_labels: Mapping[str, str], kinds: Iterable[str]) -> list[str]:
    """Return the kinds present, in the household's order; unknown kinds follow."""
    present = list(dict.fromkeys(kinds))
    known = [k for k in kind_labels if k in present]
    return known + [k for k in present if k not in kind_labels]


def routine_colours(kinds: Iterable[str]) -> dict[str, str]:
    """Map each routine kind to its colour: fixed for default kinds, in turn for the rest."""
    colours = {}
    extra = 0
    for kind in kinds:
        if kind in ROUTINE_COLOURS:
            colours[kind] = ROUTINE_COLOURS[kind]
        else:
            colours[kind] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return colours


def week_rhythm(
    days: list[date],
    marks: list[tuple[date, int, str]],
    planned: Mapping[str, int],
    kind_labels: Mapping[str, str],
) -> go.Figure:
    """Draw each day's routine starts on a 24-hour line, with planned times as dotted lines."""
    return go.Figure(week_rhythm_dict(days, marks, planned, kind_labels))


def week_rhythm_dict(
    days: list[date],
    marks: list[tuple[date, int, str]],
    planned: Mapping[str, int],
    kind_labels: Mapping[str, str],
) -> dict:
    """Return the week's rhythm as a plain figure dict, unvalidated (see figure_json)."""
    data = []
    day_set = set(days)
    shown = [m for m in marks if m[0] in day_set]
    kinds = _kind_order(kind_labels, [k for _, _, k in shown] + list(planned))
    colours = routine_colours(kinds)
    # One babel lookup per day, not one per mark: a busy week has dozens of marks.
    labels = {d: day_label(d) for d in days}

    for kind in kinds:
        points = sorted((d, minute) for d, minute, k in shown if k == kind)
        if not points:
            continue
        label = _kind_label(kind_labels, kind)
        data.append(
            {
                "type": "scatter",
                "name": label,
                # Rows are keyed by ISO date so two days never share a row, whatever their label.
                "y": [d.isoformat() for d, _ in points],
                "x": [minute for _, minute in points],
                "mode": "markers",
                "marker": {"color": colours[kind], "size": 10, "line": {"width": 0}},
                "cliponaxis": False,
                "text": [f"{labels[d]} · {label} {clock(minute)}" for d, minute in points],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )

    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": minute,
            "x1": minute,
            "y0": 0,
            "y1": 1,
            "layer": "below",
            "line": {"color": colours[kind], "width": 1.5, "dash": "dot"},
            "opacity": 0.7,
        }
        for kind, minute in planned.items()
    ]
    if planned:
        # One grey key for every dotted line: a legend entry per kind's plan would double the
        # legend for little gain.
        data.append(
            {
                "type": "scatter",
                "name": _("Planned time"),
                "x": [None],
                "y": [None],
                "mode": "lines",
                "line": {"color": INK, "width": 1.5, "dash": "dot"},
                "hoverinfo": "skip",
            }
        )

    rows = [d.isoformat() for d in days]
    layout = _base_layout(
        height=340,
        # The right margin leaves room for half of the "24:00" label.
        margin={"l": 4, "r": 20, "t": 8, "b": 4, "pad": 0},
        showlegend=bool(data),
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.1,
            "yanchor": "top",
            "font": {"size": 11},
            # A stray tap on the key would hide a kind; the key here only explains colours.
            "itemclick": False,
            "itemdoubleclick": False,
        },
        xaxis=_axis(
            # A little room either side so a mark at 00:10 or 23:55 is not cut in half.
            range=[-20, DAY_MINUTES + 20],
            tickmode="array",
            tickvals=list(HOUR_TICKS),
            ticktext=[clock(m) for m in HOUR_TICKS],
        ),
        yaxis=_axis(
            type="category",
            categoryorder="array",
            categoryarray=rows,
            tickmode="array",
            tickvals=rows,
            ticktext=[labels[d] for d in days],
            # Every day keeps its row even when nothing was logged, first day at the top.
            range=[len(days) - 0.5, -0.5],
        ),
    )
    # plotly.py leaves an empty list of shapes out of the figure, and so do we.
    if shapes:
        layout["shapes"] = shapes
    return {"data": data, "layout": layout}


def response_speed(speed: Mapping[str, int], labels: Mapping[str, str]) -> go.Figure:
    """Draw how soon responses came as small horizontal bars, in the form's order."""
    return go.Figure(response_speed_dict(speed, labels))


def response_speed_dict(speed: Mapping[str, int], labels: Mapping[str, str]) -> dict:
    """Return the response speed bars as a plain figure dict, unvalidated (see figure_json)."""
    names = [str(labels.get(c.id) or c.label) for c in domain.HOW_SOON]
    counts = [int(speed.get(c.id, 0)) for c in domain.HOW_SOON]
    bar = {
        "type": "bar",
        "orientation": "h",
        "y": names,
        "x": counts,
        # As text, the way plotly.py's validation would store the counts.
        "text": [str(count) for count in counts],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": NEUTRAL_COLOUR},
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    top = max(counts, default=0)
    return {
        "data": [bar],
        "layout": _base_layout(
            height=200,
            margin={"l": 4, "r": 28, "t": 4, "b": 4, "pad": 0},
            bargap=0.35,
            xaxis=_axis(visible=False, range=[0, max(top, 1) * 1.08]),
            yaxis=_axis(autorange="reversed", showgrid=False, ticksuffix="  "),
        ),
    }


def figure_json(fig: go.Figure | dict) -> str:
    """Return a figure or plain figure dict as compact JSON for Plotly.newPlot, script-safe."""
    if isinstance(fig, go.Figure):
        bare = go.Figure(fig)
        bare.update_layout(template=_NO_TEMPLATE)
        text = pio.to_json(bare, validate=False, pretty=False, remove_uids=True)
    else:
        # The page's fast path: a go.Figure costs 10-20 ms a chart to build and validate, a
        # plain dict well under one. "/" is escaped as plotly.py does; tests hold both paths
        # to the same bytes.
        bare = {**fig, "layout": {**fig.get("layout", {}), "template": _NO_TEMPLATE_JSON}}
        text = _plotly_ordered_json(bare).replace("/", "\\u002f")
    # Labels are user text (routine names): never let one close the script element.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plotly_ordered_json(fig: dict) -> str:
    """Return compact JSON with keys as plotly.py writes them: sorted, a trace's type last.

    The encoder sorts: a week's charts hold thousands of values, and walking them in Python to
    reorder the keys cost more than the encoding itself.
    """
    parts = []
    for key in sorted(fig):
        if key == "data":
            value = "[" + ",".join(_trace_json(trace) for trace in fig[key]) + "]"
        else:
            value = json.dumps(fig[key], separators=(",", ":"), sort_keys=True)
        parts.append(json.dumps(key) + ":" + value)
    return "{" + ",".join(parts) + "}"


def _trace_json(trace: dict) -> str:
    if "type" not in trace:
        return json.dumps(trace, separators=(",", ":"), sort_keys=True)
    rest = {key: value for key, value in trace.items() if key != "type"}
    kind = json.dumps("type") + ":" + json.dumps(trace["type"], separators=(",", ":"),
                                                  sort_keys=True)
    body = json.dumps(rest, separators=(",", ":"), sort_keys=True)
    return body[:-1] + ("," if rest else "") + kind + "}"


def describe_needs(
    needs: Mapping[str, int], labels: Mapping[str, str]
) -> tuple[str, list[tuple[str, int]]]:
    """Say in words what the needs circle shows, with a row per need and one for Not sure."""
    rows = [(_need_label(labels, n.id), int(needs.get(n.id, 0))) for n in domain.ALL_NEEDS]
    half_total = {
        half: sum(int(needs.get(n, 0)) for n, h in domain.NEED_HALF.items() if h == half)
        for half in (domain.SECURE_BASE, domain.SAFE_HAVEN)
    }
    secure, haven = half_total[domain.SECURE_BASE], half_total[domain.SAFE_HAVEN]
    not_sure = int(needs.get(domain.NOT_SURE.id, 0))
    total = secure + haven + not_sure
    if total == 0:
        return _("No moments logged."), rows

    parts = [
        _("%(n)d on the secure-base half (going out to explore)", n=secure),
        _("%(n)d on the safe-haven half (coming back)", n=haven),
    ]
    if not_sure:
        parts.append(_("%(n)d not sure", n=not_sure))
    sentence = ngettext("%(num)d moment: %(parts)s.", "%(num)d moments: %(parts)s.", total,
                        parts=_join(parts))
    need_rows = rows[: len(domain.NEEDS)]
    most = max(count for _name, count in need_rows)
    if most:
        leaders = [name for name, count in need_rows if count == most]
        if len(leaders) > 1:
            sentence += " " + _("%(needs)s came up most often (%(n)d each).",
                                needs=_join(leaders), n=most)
        else:
            sentence += " " + _("%(needs)s came up most often (%(n)d).", needs=leaders[0], n=most)
    return sentence, rows


def describe_rhythm(
    days: list[date],
    marks: list[tuple[date, int, str]],
    planned: Mapping[str, int],
    kind_labels: Mapping[str, str],
) -> tuple[str, list[tuple[str, str]]]:
    """Say in words what the week's rhythm shows, with a row per day listing its routines."""
    kinds = _kind_order(kind_labels, [k for _, _, k in marks] + list(planned))
    rank = {kind: i for i, kind in enumerate(kinds)}
    rows = []
    days_with_routines = 0
    for day in days:
        # In the order they happened, so a row reads like the day did.
        todays = sorted((minute, rank[k], k) for d, minute, k in marks if d == day)
        if todays:
            days_with_routines += 1
            entries = [f"{_kind_label(kind_labels, k)} {clock(m)}" for m, _, k in todays]
            rows.append((day_label(day), ", ".join(entries)))
        else:
            rows.append((day_label(day), _("Nothing logged")))

    if days_with_routines:
        sentence = ngettext("Routines logged on %(some)d of %(num)d day.",
                            "Routines logged on %(some)d of %(num)d days.", len(days),
                            some=days_with_routines)
    else:
        sentence = _("No routines logged.")
    if planned:
        plans = [
            f"{_kind_label(kind_labels, k)} {clock(planned[k])}" for k in kinds if k in planned
        ]
        sentence += " " + _("Planned times (dotted lines): %(plans)s.", plans=", ".join(plans))
    return sentence, rows


def describe_speed(
    speed: Mapping[str, int], labels: Mapping[str, str]
) -> tuple[str, list[tuple[str, int]]]:
    """Say in words how soon responses came, with a row per answer."""
    rows = [(str(labels.get(c.id) or c.label), int(speed.get(c.id, 0))) for c in domain.HOW_SOON]
    total = sum(count for _name, count in rows)
    if total == 0:
        return _("No “how soon” answers logged."), rows
    answered = ", ".join(f"{name} {count}" for name, count in rows if count)
    return ngettext("%(num)d moment with a “how soon” answer: %(answers)s.",
                    "%(num)d moments with a “how soon” answer: %(answers)s.", total,
                    answers=answered), rows
