"""The weekly responsiveness summary: a page, a reflection, and the same figures as JSON."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from werkzeug.exceptions import NotFound

from . import charts, domain, metrics, prompts
from .access import (
    MAX_ID,
    current_household,
    get_child_and_siblings_or_404,
    get_child_or_404,
    household_children,
    week_or_404,
)
from .extensions import db
from .forms import ButtonForm, WeekReflectionForm
from .models import (
    Child,
    Moment,
    User,
    WeekReflection,
    utcnow,
)
from .sharing import sharing_panel
from .summary_rows import WeekRows, load_week_rows
from .timefmt import local_today, minutes_to_hhmm, zone

bp = Blueprint("summary", __name__)

# The page's other selects, built once: building one costs about what SQLite takes to run it.
# The caregivers as (id, display_name) rows: all the page shows of them, at half an ORM load's cost.
CAREGIVERS = (
    select(User.id, User.display_name)
    .where(User.household_id == bindparam("household_id"))
    .order_by(User.id)
)
REFLECTION = select(WeekReflection).where(
    WeekReflection.child_id == bindparam("child_id"),
    WeekReflection.first_day == bindparam("first_day"),
)


@dataclass
class WeekFigures:
    """Everything the page and the JSON need for one child, week and caregiver filter."""

    child: Child
    label: str
    first_day: date
    this: metrics.WeekSummary
    # The week before: all its figures for the JSON, what the comparison reads for a page.
    last: metrics.WeekSummary | metrics.WeekCounts
    kinds: list  # rows of (id, key, label, position), in the household's order
    kind_labels: dict[str, str]
    planned: dict[str, int]
    caregivers: list  # rows of (id, display_name), in household order
    caregiver_id: int | None
    timezone: str
    rows: WeekRows
    now: datetime

    def for_caregiver(self, caregiver_id: int) -> metrics.WeekSummary:
        """Return this week's figures for one caregiver, from the rows already loaded."""
        return metrics.summarise_week(
            self.rows.moments, self.rows.routines, self.rows.checkins, first_day=self.first_day,
            tz=zone(self.timezone), planned=self.planned, now=self.now,
            caregiver_id=caregiver_id,
        )


def caregiver_filter(household_id: int) -> tuple[list, int | None]:
    """Return the household's caregivers, as (id, display_name) rows, and the one asked for
    (None for all)."""
    # Read first thing in the view, with nothing pending to flush: on the session's connection.
    caregivers = db.session.connection().execute(
        CAREGIVERS, {"household_id": household_id}
    ).all()
    wanted = asked_caregiver()
    # A caregiver id from elsewhere (or a former member) reads as "all": it reveals nothing.
    return caregivers, wanted if wanted in {c.id for c in caregivers} else None


def asked_caregiver() -> int | None:
    """Return the caregiver id the request asks for (?caregiver=), or None for none or junk."""
    try:
        wanted = int(request.args.get("caregiver", ""))
    except ValueError:
        return None
    return wanted if 0 < wanted <= MAX_ID else None


def wanted_caregiver(household_id: int) -> int | None:
    """Return the caregiver asked for when they belong to the household, else None (all).

    What caregiver_filter answers, for a caller that needs no list: no query without one asked.
    """
    wanted = asked_caregiver()
    if wanted is None:
        return None
    return db.session.scalar(
        select(User.id).where(User.id == wanted, User.household_id == household_id)
    )


def load_week(
    child: Child,
    first_day: date,
    caregivers: list,
    caregiver_id: int | None,
    *,
    with_checkins: bool = True,
    full_last_week: bool = False,
) -> WeekFigures:
    """Fetch the rows of this week and last week in a handful of queries, then compute.

    Shared summaries pass with_checkins=False: check-ins are each caregiver's own. The week
    before is only counted for the comparison unless full_last_week asks for all its figures.
    """
    household = child.household
    tz = zone(household.timezone)
    prev_first = first_day - timedelta(days=7)
    start, _ = metrics.week_bounds(prev_first, tz)
    _, end = metrics.week_bounds(first_day, tz)

    rows = load_week_rows(child.id, household.id, start, end, with_checkins=with_checkins)
    kinds, planned = rows.kinds, rows.planned
    now = utcnow()

    def summarise(day: date) -> metrics.WeekSummary:
        return metrics.summarise_week(
            rows.moments, rows.routines, rows.checkins, first_day=day, tz=tz, planned=planned,
            now=now, caregiver_id=caregiver_id,
        )

    return WeekFigures(
        child=child,
        label=metrics.iso_week_label(first_day),
        first_day=first_day,
        this=summarise(first_day),
        last=summarise(prev_first) if full_last_week else metrics.count_week(
            rows.moments, rows.routines, first_day=prev_first, tz=tz, planned=planned,
            now=now, caregiver_id=caregiver_id,
        ),
        kinds=sorted(kinds, key=lambda k: (k.position, k.id)),
        kind_labels={k.key: k.label for k in kinds},
        planned=planned,
        caregivers=caregivers,
        caregiver_id=caregiver_id,
        timezone=household.timezone,
        rows=rows,
        now=now,
    )


def week_first_day(label: str) -> date:
    """Return the first day of the household week for a label, or 404 for junk."""
    first_day = week_or_404(label, current_household().week_start)
    if first_day.year < 2000 or first_day > local_today():
        abort(404)
    return first_day


def current_week_label() -> str:
    household = current_household()
    return metrics.iso_week_label(metrics.week_start_for(local_today(), household.week_start))


@bp.route("/week")
@login_required
def this_week():
    children = household_children()
    if not children:
        return redirect(url_for("household.new_child"))
    by_id = {c.id: c for c in children}
    child = by_id.get(current_user.last_child_id) or children[0]
    return redirect(url_for("summary.week", child_id=child.id, week=current_week_label()))


@bp.route("/children/<int:child_id>/weeks/<week>", methods=["GET", "POST"])
@login_required
def week(child_id: int, week: str):
    child, children = get_child_and_siblings_or_404(child_id)
    first_day = week_first_day(week)
    caregivers, caregiver_id = caregiver_filter(child.household_id)
    label = metrics.iso_week_label(first_day)
    prompt = prompts.week_prompt(label, child.id)
    reflection = db.session.scalar(REFLECTION, {"child_id": child.id, "first_day": first_day})
    form = WeekReflectionForm(answer=reflection.answer if reflection else "")
    if form.validate_on_submit():
        if reflection is None:
            reflection = WeekReflection(child_id=child.id, first_day=first_day,
                                        prompt_id=prompt.id)
            db.session.add(reflection)
        reflection.answer = form.answer.data.strip()
        reflection.updated_by_id = current_user.id
        db.session.commit()
        flash(_("Your reflection is saved."), "success")
        return redirect(url_for("summary.week", child_id=child.id, week=label) + "#reflection")
    figures = load_week(child, first_day, caregivers, caregiver_id)
    each = request.args.get("caregiver") == EACH_OF_US and len(caregivers) > 1
    return render_template(
        "summary/week.html",
        f=figures,
        each_of_us=each_of_us(figures) if each else None,
        caregiver_arg=EACH_OF_US if each else caregiver_id,
        children=children,
        form=form,
        prompt=prompt,
        reflection=reflection,
        sharing=sharing_panel(child, first_day),
        button=ButtonForm(),
        **page_context(figures),
    )


EACH_OF_US = "each"


def each_of_us(f: WeekFigures) -> dict:
    """Return every caregiver's figures for the week, side by side, in household order."""
    # From the rows the page has loaded already, not a fresh load of them per caregiver.
    summaries = [f.for_caregiver(c.id) for c in f.caregivers]
    return {"people": f.caregivers, "rows": metrics.side_by_side(summaries)}


def page_context(f: WeekFigures, need_labels: dict[str, str] | None = None) -> dict:
    """Turn figures into headline, sentences, charts and text equivalents for the page."""
    s = f.this
    need_labels = {**domain.NEED_LABELS, **(need_labels or {})}
    # The page shows a default routine in the reader's language; the JSON keeps what is stored.
    kind_labels = {key: domain.kind_label(key, label) for key, label in f.kind_labels.items()}
    needs_sentence, needs_rows = charts.describe_needs(s.needs, need_labels)
    rhythm_sentence, rhythm_rows = charts.describe_rhythm(s.days, s.marks, f.planned,
                                                          kind_labels)
    speed_sentence, speed_rows = charts.describe_speed(s.speed, domain.HOW_SOON_LABELS)
    today = local_today(zone(f.timezone))
    this_week_first = metrics.week_start_for(today, f.child.household.week_start)
    prev_label = metrics.iso_week_label(f.first_day - timedelta(days=7))
    next_label = (
        metrics.iso_week_label(f.first_day + timedelta(days=7))
        if f.first_day < this_week_first else None
    )
    routine_table = [
        {
            "label": kind_labels.get(key, key),
            "days": s.routine_days.get(key, 0),
            "typical": minutes_to_hhmm(s.typical_time.get(key)),
            "planned": minutes_to_hhmm(f.planned[key]) if key in f.planned else "–",
            "on_rhythm": s.on_rhythm.get(key, 0),
        }
        for key in [k.key for k in f.kinds]
        if s.routine_days.get(key)
    ]
    return {
        "went_well": metrics.went_well(s),
        "headline": metrics.headline(s, kind_labels=kind_labels, child_name=f.child.nickname),
        "patterns": metrics.patterns(s, need_labels),
        "changes": metrics.compare_weeks(s, f.last, need_labels, kind_labels),
        # Plain figure dicts: the same JSON as the go.Figure builders, without the cost of
        # plotly.py's validation (see docs/benchmarks.md).
        "needs_json": charts.figure_json(charts.needs_circle_dict(s.needs, need_labels)),
        "rhythm_json": charts.figure_json(
            charts.week_rhythm_dict(s.days, s.marks, f.planned, kind_labels)
        ),
        "speed_json": charts.figure_json(
            charts.response_speed_dict(s.speed, domain.HOW_SOON_LABELS)
        ),
        "chart_config": charts.CHART_CONFIG,
        "needs_sentence": needs_sentence,
        "needs_rows": needs_rows,
        "rhythm_sentence": rhythm_sentence,
        "rhythm_rows": rhythm_rows,
        "speed_sentence": speed_sentence,
        "speed_rows": speed_rows,
        "routine_table": routine_table,
        "prev_label": prev_label,
        "next_label": next_label,
        "is_this_week": f.first_day == this_week_first,
        "last_day": f.first_day + timedelta(days=6),
        "need_labels": need_labels,
        "skill_labels": {c.id: str(c.label) for c in domain.SPECIAL_TIME_SKILLS},
        "secure_needs": domain.NEEDS[:4],
        "safe_needs": domain.NEEDS[4:],
    }


def figures_json(s: metrics.WeekSummary, planned: dict[str, int],
                 kind_labels: dict[str, str]) -> dict:
    """Return one week's figures keyed by domain ids (the documented API shape)."""
    kinds = sorted(set(s.routine_days) | set(s.typical_time) | set(planned))
    return {
        "first_day": s.first_day.isoformat(),
        "last_day": s.days[-1].isoformat(),
        "moments": s.moments,
        "needs": dict(s.needs),
        "halves": dict(s.halves),
        "supportive_responses": {
            "supportive": s.supportive,
            "out_of": s.safe_haven_with_response,
        },
        "response_speed": dict(s.speed),
        "ruptures": s.ruptures,
        "repaired": s.repaired,
        "time_to_repair_minutes_median": s.repair_minutes_median,
        "routines": {
            key: {
                "label": kind_labels.get(key, key),
                "days": s.routine_days.get(key, 0),
                "typical_time": (minutes_to_hhmm(s.typical_time[key])
                                 if s.typical_time.get(key) is not None else None),
                "planned_time": minutes_to_hhmm(planned[key]) if key in planned else None,
                "on_rhythm_days": s.on_rhythm.get(key, 0),
            }
            for key in kinds
        },
        "special_time": {"days": s.special_time_days, "skills": dict(s.skills)},
        "feelings": dict(s.feelings),
        "hard_feeling_needs": list(s.hard_feeling_needs),
    }


# The API's names for the days a week may start on: ids, English in every language.
WEEK_START_IDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@bp.route("/api/v1/children/<int:child_id>/summary")
@login_required
def summary_json(child_id: int):
    try:
        child = get_child_or_404(child_id)
        first_day = week_first_day(request.args.get("week") or current_week_label())
    except NotFound:
        # API callers get JSON for every error, as they do for 401, never the HTML error page.
        return jsonify({"error": "not_found"}), 404
    caregiver_id = wanted_caregiver(child.household_id)
    f = load_week(child, first_day, [], caregiver_id, full_last_week=True)
    body = {
        "version": 1,
        "child": {"id": child.id, "nickname": child.nickname},
        "week": f.label,
        "timezone": f.timezone,
        "week_start": WEEK_START_IDS[current_household().week_start],
        "caregiver_id": caregiver_id,
        **figures_json(f.this, f.planned, f.kind_labels),
        "previous_week": figures_json(f.last, f.planned, f.kind_labels),
    }
    return jsonify(body)


@bp.route("/help/weekly-summary")
def help_page():
    return render_template("summary/help.html", hard_feelings=sorted(domain.HARD_FEELINGS))


def shared_week_context(
    child: Child,
    first_day: date,
    *,
    need_labels: dict[str, str] | None,
    include_notes: bool,
    include_reflection: bool,
) -> dict:
    """Build a read-only summary of one week: figures, and notes or reflection only if ticked."""
    figures = load_week(child, first_day, [], None, with_checkins=False)
    context = {"f": figures, **page_context(figures, need_labels)}
    labels = context["need_labels"]
    context["notes"] = []
    if include_notes:
        tz = zone(child.household.timezone)
        start, end = metrics.week_bounds(first_day, tz)
        context["notes"] = [
            (at.astimezone(tz), labels.get(need, need), note)
            for at, need, note in db.session.execute(
                select(Moment.occurred_at, Moment.need, Moment.note)
                .where(
                    Moment.child_id == child.id,
                    Moment.occurred_at >= start,
                    Moment.occurred_at < end,
                    Moment.note != "",
                )
                .order_by(Moment.occurred_at)
            )
        ]
    context["reflection_text"] = None
    context["week_prompt"] = prompts.week_prompt(figures.label, child.id)
    if include_reflection:
        context["reflection_text"] = db.session.scalar(
            select(WeekReflection.answer).where(
                WeekReflection.child_id == child.id, WeekReflection.first_day == first_day
            )
        )
    context["include_notes"] = include_notes
    context["include_reflection"] = include_reflection
    return context
