"""Log what happened: moments, routines, special time, check-ins; and read a day back."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from operator import itemgetter
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Insert, bindparam, insert, select

from . import domain, i18n, prompts
from .access import (
    HOUSEHOLD_CHILDREN,
    current_household,
    current_household_id,
    get_child_or_404,
    get_kind_or_404,
    get_moment_or_404,
    get_routine_or_404,
    household_children,
)
from .extensions import db
from .forms import (
    REPAIR_BEFORE_MOMENT,
    ButtonForm,
    CheckInForm,
    MomentForm,
    PromptAnswerForm,
    ReconnectForm,
    RoutineForm,
    RoutineTapForm,
    SkillsForm,
    SpecialTimeStartForm,
)
from .models import (
    CheckIn,
    Child,
    Moment,
    MomentComment,
    PromptShown,
    Routine,
    RoutineKind,
    User,
    open_loop_condition,
    utcnow,
)
from .programme import current_themes, member_groups, themes_of
from .sharing import visible_comments
from .timefmt import day_bounds, household_zone, local_time_filter, local_today, to_local

bp = Blueprint("log", __name__)

PROMPT_REPEAT_DAYS = 7


@bp.app_template_filter("kind_label")
def kind_label_filter(kind: RoutineKind) -> str:
    """Show a routine kind's name: a default one in the reader's language, a renamed one as is."""
    return domain.kind_label(kind.key, kind.label)


RECENT_PROMPTS = select(PromptShown.prompt_id).where(
    PromptShown.user_id == bindparam("user_id"), PromptShown.shown_at > bindparam("since")
)


# The moment form's choices and the day view's child switcher need only these columns: rows,
# not Child objects.
HOUSEHOLD_CHILD_ROWS = HOUSEHOLD_CHILDREN.with_only_columns(Child.id, Child.nickname, Child.colour)


def child_rows() -> list:
    """Return the household's children as (id, nickname, colour) rows, oldest first."""
    return rows(HOUSEHOLD_CHILD_ROWS, household_id=current_household_id())


def chosen_child(children: list[Child], wanted: int | None = None) -> Child | None:
    """Return the asked-for child, else the last used, else the first."""
    by_id = {c.id: c for c in children}
    for candidate in (wanted, current_user.last_child_id):
        if candidate in by_id:
            return by_id[candidate]
    return children[0] if children else None


def int_arg(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def open_loops_query(household_id: int, limit: int | None = None):
    """Return a select of the household's ruptures not yet repaired nor let go, newest first:
    all of them as moments, or the newest `limit` as (id, occurred_at, child's nickname) rows."""
    loops = (
        select(Moment.id if limit else Moment)
        .join(Child)
        .where(Child.household_id == household_id, open_loop_condition())
        .order_by(Moment.occurred_at.desc())
    )
    if limit:
        # The newest ids come from the open-loop index alone; only those rows are read, however
        # many loops years of use have left open.
        loops = (
            select(Moment.id, Moment.occurred_at, Child.nickname)
            .join(Child)
            .where(Moment.id.in_(loops.limit(limit).scalar_subquery()))
            .order_by(Moment.occurred_at.desc())
        )
    return loops


# Built once, like access.HOUSEHOLD_CHILDREN: home runs it on every visit.
HOME_LOOPS = open_loops_query(bindparam("household_id"), limit=5)

# Opening home again within this time continues the same visit; a longer gap starts a new one.
SAME_VISIT = timedelta(minutes=10)
# During a visit, the time it was last seen is refreshed at most this often (one write).
VISIT_REFRESH = timedelta(minutes=1)
AWAY_LIMIT = 8


# What the household's other caregivers logged since a time, newest first; through the
# (child, created_at) indexes, so only what was logged since is read, whatever the history.
AWAY_MOMENTS = (
    select(Moment.created_at, Moment.occurred_at, Moment.need, Child.nickname, User.display_name)
    .join(Child, Moment.child_id == Child.id).join(User, Moment.caregiver_id == User.id)
    .where(Child.household_id == bindparam("household_id"),
           Moment.caregiver_id != bindparam("user_id"), Moment.created_at > bindparam("since"))
    .order_by(Moment.created_at.desc()).limit(AWAY_LIMIT)
)
AWAY_ROUTINES = (
    select(Routine.created_at, Routine.started_at, RoutineKind.key, RoutineKind.label,
           Child.nickname, User.display_name)
    .join(Child, Routine.child_id == Child.id).join(User, Routine.caregiver_id == User.id)
    .join(RoutineKind, Routine.kind_id == RoutineKind.id)
    .where(Child.household_id == bindparam("household_id"),
           Routine.caregiver_id != bindparam("user_id"), Routine.created_at > bindparam("since"))
    .order_by(Routine.created_at.desc()).limit(AWAY_LIMIT)
)


def logged_by_others_since(household_id: int, user_id: int, since: datetime) -> list[dict]:
    """Return what the household's other caregivers logged after ``since``, newest first."""
    values = {"household_id": household_id, "user_id": user_id, "since": since}
    moments = db.session.execute(AWAY_MOMENTS, values)
    routines = db.session.execute(AWAY_ROUTINES, values)
    entries = [
        {"logged": logged, "at": at, "what": domain.NEED_LABELS.get(need, need),
         "child": child, "who": who}
        for logged, at, need, child, who in moments
    ] + [
        {"logged": logged, "at": at, "what": domain.kind_label(key, label), "child": child,
         "who": who}
        for logged, at, key, label, child, who in routines
    ]
    return sorted(entries, key=lambda e: (e["logged"], e["at"]), reverse=True)[:AWAY_LIMIT]


def while_you_were_away(household_id: int) -> list[dict]:
    """Return what others logged since this caregiver's visit home before this one.

    The list stays through a visit (opening home again within SAME_VISIT), so saving a moment
    and landing back home doesn't empty it.
    """
    now, user = utcnow(), current_user
    last = user.home_seen_at
    if last is None or now - last > SAME_VISIT:
        user.away_since, user.home_seen_at = last, now
        db.session.commit()
    elif now - last > VISIT_REFRESH:
        user.home_seen_at = now
        db.session.commit()
    if user.away_since is None:
        return []
    return logged_by_others_since(household_id, user.id, user.away_since)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("pages/welcome.html")
    if current_user.household is None:
        return redirect(url_for("groups.index"))
    # First: marking the visit commits, and a commit expires whatever was loaded before it.
    away = while_you_were_away(current_household().id)
    children = household_children()
    if not children:
        return redirect(url_for("household.new_child"))
    child = chosen_child(children, int_arg("child"))
    kinds = [k for k in current_household().routine_kinds if not k.hidden]
    loops = db.session.execute(HOME_LOOPS, {"household_id": current_household().id}).all()
    return render_template(
        "log/home.html",
        children=children,
        child=child,
        kinds=kinds,
        loops=loops,
        needs=domain.NEEDS,
        not_sure=domain.NOT_SURE,
        special_time=domain.SPECIAL_TIME,
        button=ButtonForm(),
        themes=current_themes(current_user.id, local_today()),
        away=away,
        reconnected_url=id_url("log.reconnected", "moment_id"),
        let_go_url=id_url("log.let_go", "moment_id"),
    )


def moment_form(children: list, moment: Moment | None = None) -> MomentForm:
    """Build the moment form with this household's children as the only choices."""
    tz = household_zone()
    form = MomentForm(obj=moment, tz=tz)
    form.child_id.choices = [(c.id, c.nickname) for c in children]
    if request.method == "GET":
        if moment is None:
            child = chosen_child(children, int_arg("child"))
            form.child_id.data = child.id if child else None
            need = request.args.get("need")
            if need in domain.NEED_LABELS:
                form.need.data = need
        else:
            form.when.data = "at"
            form.at.data = to_local(moment.occurred_at, tz).replace(tzinfo=None)
            form.repaired.data = (
                "yes" if moment.repaired_at else ("not_yet" if moment.rupture else None)
            )
            if moment.repaired_at:
                form.repaired_at.data = to_local(moment.repaired_at, tz).replace(tzinfo=None)
            form.intensity.data = str(moment.intensity) if moment.intensity else None
    return form


def moment_answers(form) -> dict:
    """Return the answers a moment form and the API's moment form share, as column values."""
    return {
        "need": form.need.data,
        "responses": list(form.responses.data or []),
        "cues": list(form.cues.data or []),
        "cue_text": (form.cue_text.data or "").strip(),
        "miscue": bool(form.miscue.data),
        "intensity": int(form.intensity.data) if form.intensity.data else None,
        "how_soon": form.how_soon.data or None,
        "feelings": list(form.feelings.data or []),
        "rupture": bool(form.rupture.data),
        "note": (form.note.data or "").strip(),
    }


def moment_values(form: MomentForm, now: datetime) -> dict:
    """Return the form's answers as a moment's column values."""
    tz = form.tz
    values = {
        "child_id": form.child_id.data,
        "occurred_at": form.occurred_at(now),
        **moment_answers(form),
    }
    occurred_at = values["occurred_at"]
    if values["rupture"] and form.repaired.data == "yes":
        when = form.repaired_at.data
        repaired_at = when.replace(tzinfo=tz).astimezone(occurred_at.tzinfo) if when else now
        if repaired_at < occurred_at:
            repaired_at = occurred_at
        values["repaired_at"] = repaired_at
        values["repair_ways"] = list(form.repair_ways.data or [])
        values["repair_note"] = (form.repair_note.data or "").strip()
    elif not values["rupture"] or form.repaired.data == "not_yet":
        values["repaired_at"] = None
        values["repair_ways"] = []
        values["repair_note"] = ""
    return values


def fill_moment(moment: Moment, form: MomentForm, now: datetime) -> None:
    """Copy the form's answers onto a moment."""
    for name, value in moment_values(form, now).items():
        setattr(moment, name, value)


@cache
def insert_into(table) -> Insert:
    """Return a table's INSERT, built once: its cache key is kept on the statement."""
    return insert(table)


def insert_entry(model: type[db.Model], values: dict) -> dict:
    """Insert a new entry with one Core INSERT and the model's column defaults; return every
    stored column, with the new id."""
    # Core, not the unit of work: for one new row, a flush cost more than the rest of a save.
    # On the session's connection (same transaction), so no autoflush first: the caregiver's
    # remembered child, if changed, is written by the commit.
    result = db.session.connection().execute(insert_into(model.__table__), values)
    return {**result.last_inserted_params(), "id": result.inserted_primary_key[0]}


def remember_child(child_id: int) -> None:
    """Preselect this child on the caregiver's next form."""
    if current_user.last_child_id != child_id:
        current_user.last_child_id = child_id


def offer_prompt(moment: dict) -> str | None:
    """Pick a prompt for a new moment (its column values) that this caregiver hasn't seen this
    week, and note it."""
    since = utcnow() - timedelta(days=PROMPT_REPEAT_DAYS)
    recent = set(db.session.connection().execute(
        RECENT_PROMPTS, {"user_id": current_user.id, "since": since}).scalars())
    contexts = prompts.moment_contexts(
        need=moment["need"],
        rupture=moment["rupture"],
        repaired=moment.get("repaired_at") is not None,
        feelings=moment["feelings"],
        miscue=moment["miscue"],
    )
    # This week's programme themes, from the caregiver's groups, tip the choice; they are looked
    # up only when they could, and today's date only for a member of a group.
    focuses = []
    if prompts.themes_can_tip(contexts, recent):
        groups = member_groups(current_user.id)
        if groups:
            focuses = [t.focus for t in themes_of(groups, local_today()) if t.focus]
    prompt = prompts.pick_prompt(contexts, recent, prefer=focuses)
    if prompt is None:
        return None
    db.session.connection().execute(insert_into(PromptShown.__table__),
                                    {"user_id": current_user.id, "prompt_id": prompt.id})
    return prompt.id


@bp.route("/moments/new", methods=["GET", "POST"])
@login_required
def new_moment():
    children = child_rows()
    if not children:
        flash(_("Add your child first — then you can log moments."), "info")
        return redirect(url_for("household.new_child"))
    form = moment_form(children)
    if form.validate_on_submit():
        values = {**moment_values(form, utcnow()), "caregiver_id": current_user.id}
        # Chosen first, so the moment goes in with its prompt in one INSERT.
        values["prompt_id"] = offer_prompt(values)
        prompted = values["prompt_id"] is not None
        # Translated before the commit, which expires the user that finding the language reads,
        # and before the INSERT: from it to the commit, other saves wait for SQLite's write lock.
        saved = None if prompted else _("Saved.")
        moment = insert_entry(Moment, values)
        remember_child(moment["child_id"])
        db.session.commit()
        if saved is not None:
            flash(saved, "success")
            return redirect(url_for("log.home", child=moment["child_id"]))
        return redirect(url_for("log.answer_prompt", moment_id=moment["id"]))
    return render_template("log/moment_form.html", form=form, moment=None, **chip_data())


def chip_data() -> dict:
    return {
        "supportive_ids": domain.SUPPORTIVE_IDS,
        "needs": domain.NEEDS,
        "not_sure": domain.NOT_SURE,
    }


@bp.route("/moments/<int:moment_id>", methods=["GET", "POST"])
@login_required
def edit_moment(moment_id: int):
    moment = get_moment_or_404(moment_id)
    form = moment_form(child_rows(), moment)
    if form.validate_on_submit():
        fill_moment(moment, form, utcnow())
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("log.day", child_id=moment.child_id,
                                day=to_local(moment.occurred_at).date().isoformat()))
    return render_template("log/moment_form.html", form=form, moment=moment, **chip_data())


@bp.route("/moments/<int:moment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_moment(moment_id: int):
    moment = get_moment_or_404(moment_id)
    form = ButtonForm()
    if form.validate_on_submit():
        child_id, day_ = moment.child_id, to_local(moment.occurred_at).date()
        db.session.delete(moment)
        db.session.commit()
        flash(_("Deleted."), "info")
        return redirect(url_for("log.day", child_id=child_id, day=day_.isoformat()))
    return render_template("log/confirm_delete.html", form=form, question=_("Delete this moment?"),
                           back=url_for("log.edit_moment", moment_id=moment.id))


@bp.route("/moments/<int:moment_id>/prompt", methods=["GET", "POST"])
@login_required
def answer_prompt(moment_id: int):
    moment = get_moment_or_404(moment_id)
    by_id = {p.id: p for p in prompts.load_prompts()}
    prompt = by_id.get(moment.prompt_id or "")
    if prompt is None:
        return redirect(url_for("log.home", child=moment.child_id))
    form = PromptAnswerForm(prompt_id=prompt.id, answer=moment.prompt_answer)
    if form.validate_on_submit():
        moment.prompt_answer = form.answer.data.strip()
        db.session.commit()
        flash(_("Saved, with your thoughts."), "success")
        return redirect(url_for("log.home", child=moment.child_id))
    return render_template("log/prompt.html", form=form, prompt=prompt, moment=moment)


@bp.post("/moments/<int:moment_id>/reconnected")
@login_required
def reconnected(moment_id: int):
    """Mark an open loop repaired now, in one tap; details can follow."""
    moment = get_moment_or_404(moment_id)
    if ButtonForm().validate_on_submit() and moment.rupture and moment.repaired_at is None:
        moment.repaired_at = max(utcnow(), moment.occurred_at)
        db.session.commit()
    return redirect(url_for("log.repair_details", moment_id=moment.id))


@bp.route("/moments/<int:moment_id>/repair", methods=["GET", "POST"])
@login_required
def repair_details(moment_id: int):
    moment = get_moment_or_404(moment_id)
    if not moment.rupture:
        abort(404)
    tz = household_zone()
    form = ReconnectForm(obj=moment, tz=tz)
    if request.method == "GET" and moment.repaired_at:
        form.repaired_at.data = to_local(moment.repaired_at, tz).replace(tzinfo=None)
    if form.validate_on_submit():
        when = form.repaired_at.data
        repaired_at = when.replace(tzinfo=tz).astimezone(moment.occurred_at.tzinfo) if when \
            else (moment.repaired_at or utcnow())
        if repaired_at < moment.occurred_at:
            form.repaired_at.errors.append(str(REPAIR_BEFORE_MOMENT))
        else:
            moment.repaired_at = repaired_at
            moment.repair_ways = list(form.repair_ways.data or [])
            moment.repair_note = (form.repair_note.data or "").strip()
            db.session.commit()
            flash(_("You found your way back. That matters."), "success")
            return redirect(url_for("log.home", child=moment.child_id))
    return render_template("log/repair.html", form=form, moment=moment)


@bp.post("/moments/<int:moment_id>/star")
@login_required
def star_moment(moment_id: int):
    """Mark a moment "I'd like to talk about this", or take the mark off, in one tap."""
    moment = get_moment_or_404(moment_id)
    if ButtonForm().validate_on_submit():
        moment.starred = not moment.starred
        db.session.commit()
        flash(_("Starred to talk about in your group, if you share this week.") if moment.starred
              else _("Star taken off."), "success")
    return redirect(url_for("log.day", child_id=moment.child_id,
                            day=to_local(moment.occurred_at).date().isoformat())
                    + f"#moment-{moment.id}")


@bp.post("/moments/<int:moment_id>/let-go")
@login_required
def let_go(moment_id: int):
    moment = get_moment_or_404(moment_id)
    if ButtonForm().validate_on_submit() and moment.is_open_loop:
        moment.loop_closed_at = utcnow()
        db.session.commit()
        flash(_("Let go. Reconnecting can still happen any time."), "info")
    return redirect(url_for("log.home", child=moment.child_id))


def tap_target(form: RoutineTapForm) -> tuple[Child, RoutineKind]:
    """Return the child and kind of a routine tap, 404 for another household's."""
    try:
        child_id, kind_id = int(form.child_id.data), int(form.kind_id.data)
    except (TypeError, ValueError):
        abort(400)
    return get_child_or_404(child_id), get_kind_or_404(kind_id)


@bp.post("/routines")
@login_required
def tap_routine():
    """Log a routine as happening now, in one tap."""
    form = RoutineTapForm()
    if not form.validate_on_submit():
        flash(_("That didn't go through. Please try again."), "error")
        return redirect(url_for("log.home"))
    child, kind = tap_target(form)
    routine = Routine(child_id=child.id, kind_id=kind.id, caregiver_id=current_user.id,
                      started_at=utcnow())
    db.session.add(routine)
    current_user.last_child_id = child.id
    db.session.flush()
    # Build the answer before the commit expires the rows it reads, so nothing is loaded again
    # after it (five queries fewer on the busiest write).
    message = _("%(kind)s logged at %(time)s.", kind=domain.kind_label(kind.key, kind.label),
                time=local_time_filter(routine.started_at))
    target = url_for("log.home", child=child.id, logged=routine.id)
    db.session.commit()
    flash(message, "success")
    return redirect(target)


@bp.route("/routines/new", methods=["GET", "POST"])
@login_required
def new_routine():
    child = get_child_or_404(int_arg("child") or 0)
    kind = get_kind_or_404(int_arg("kind") or 0)
    tz = household_zone()
    form = RoutineForm(tz=tz)
    if request.method == "GET":
        form.started_at.data = datetime.now(tz).replace(second=0, microsecond=0, tzinfo=None)
    if form.validate_on_submit():
        routine = Routine(child_id=child.id, kind_id=kind.id, caregiver_id=current_user.id)
        fill_routine(routine, form)
        db.session.add(routine)
        db.session.commit()
        flash(_("%(kind)s logged.", kind=domain.kind_label(kind.key, kind.label)), "success")
        return redirect(url_for("log.home", child=child.id))
    return render_template("log/routine_form.html", form=form, child=child, kind=kind,
                           routine=None)


def fill_routine(routine: Routine, form: RoutineForm) -> None:
    tz = form.tz
    routine.started_at = form.started_at.data.replace(tzinfo=tz).astimezone(utcnow().tzinfo)
    ended = form.ended_at.data
    routine.ended_at = ended.replace(tzinfo=tz).astimezone(utcnow().tzinfo) if ended else None
    routine.note = (form.note.data or "").strip()


@bp.route("/routines/<int:routine_id>", methods=["GET", "POST"])
@login_required
def edit_routine(routine_id: int):
    routine = get_routine_or_404(routine_id)
    tz = household_zone()
    form = RoutineForm(obj=routine, tz=tz)
    if request.method == "GET":
        form.started_at.data = to_local(routine.started_at, tz).replace(tzinfo=None)
        if routine.ended_at:
            form.ended_at.data = to_local(routine.ended_at, tz).replace(tzinfo=None)
    if form.validate_on_submit():
        fill_routine(routine, form)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("log.day", child_id=routine.child_id,
                                day=to_local(routine.started_at).date().isoformat()))
    return render_template("log/routine_form.html", form=form, child=routine.child,
                           kind=routine.kind, routine=routine)


@bp.route("/routines/<int:routine_id>/delete", methods=["GET", "POST"])
@login_required
def delete_routine(routine_id: int):
    routine = get_routine_or_404(routine_id)
    form = ButtonForm()
    if form.validate_on_submit():
        child_id, day_ = routine.child_id, to_local(routine.started_at).date()
        db.session.delete(routine)
        db.session.commit()
        flash(_("Deleted."), "info")
        return redirect(url_for("log.day", child_id=child_id, day=day_.isoformat()))
    return render_template("log/confirm_delete.html", form=form, question=_("Delete this entry?"),
                           back=url_for("log.edit_routine", routine_id=routine.id))


def special_time_kind() -> RoutineKind:
    kind = db.session.scalar(
        select(RoutineKind).where(
            RoutineKind.household_id == current_household().id,
            RoutineKind.key == domain.SPECIAL_TIME,
        )
    )
    if kind is None:
        abort(404)
    return kind


@bp.route("/special-time", methods=["GET", "POST"])
@login_required
def special_time():
    children = household_children()
    if not children:
        return redirect(url_for("household.new_child"))
    form = SpecialTimeStartForm()
    if form.validate_on_submit():
        try:
            child = get_child_or_404(int(form.child_id.data))
        except ValueError:
            abort(400)
        now = utcnow()
        routine = Routine(
            child_id=child.id,
            kind_id=special_time_kind().id,
            caregiver_id=current_user.id,
            started_at=now,
            timer_ends_at=now + timedelta(minutes=domain.SPECIAL_TIME_MINUTES),
        )
        db.session.add(routine)
        current_user.last_child_id = child.id
        db.session.commit()
        return redirect(url_for("log.special_time_timer", routine_id=routine.id))
    child = chosen_child(children, int_arg("child"))
    return render_template("log/special_time.html", form=form, children=children, child=child,
                           minutes=domain.SPECIAL_TIME_MINUTES)


@bp.route("/special-time/<int:routine_id>", methods=["GET", "POST"])
@login_required
def special_time_timer(routine_id: int):
    routine = get_routine_or_404(routine_id)
    if routine.timer_ends_at is None:
        abort(404)
    form = SkillsForm(obj=routine)
    if form.validate_on_submit():
        now = utcnow()
        if routine.ended_at is None:
            routine.ended_at = min(now, routine.timer_ends_at)
        routine.skills = list(form.skills.data or [])
        routine.note = (form.note.data or "").strip()
        db.session.commit()
        flash(_("Special time saved. Those minutes count."), "success")
        return redirect(url_for("log.home", child=routine.child_id))
    return render_template("log/special_time_timer.html", form=form, routine=routine,
                           ends_at=routine.timer_ends_at, done=utcnow() >= routine.timer_ends_at)


@bp.route("/check-in", methods=["GET", "POST"])
@login_required
def check_in():
    household = current_household()
    form = CheckInForm()
    if form.validate_on_submit():
        db.session.add(
            CheckIn(
                household_id=household.id,
                user_id=current_user.id,
                feeling=form.feeling.data or None,
                energy=int(form.energy.data) if form.energy.data else None,
                feel_text=(form.feel_text.data or "").strip(),
                need_text=(form.need_text.data or "").strip(),
            )
        )
        db.session.commit()
        flash(_("Thank you for checking in with yourself."), "success")
        return redirect(url_for("log.home"))
    recent = db.session.scalars(
        select(CheckIn).where(CheckIn.user_id == current_user.id)
        .order_by(CheckIn.at.desc()).limit(7)
    ).all()
    return render_template("log/check_in.html", form=form, recent=recent,
                           feeling_labels=domain.FEELING_LABELS)


@bp.route("/today")
@login_required
def today():
    children = household_children()
    child = chosen_child(children, int_arg("child"))
    if child is None:
        return redirect(url_for("household.new_child"))
    return redirect(url_for("log.day", child_id=child.id, day=local_today().isoformat()))


@bp.route("/children/<int:child_id>/days/<day>")
@login_required
def day(child_id: int, day: str):
    child = get_child_or_404(child_id)
    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        abort(404)
    # Near year 1 or 9999 the day's neighbours and UTC bounds overflow; nothing is logged there.
    if not date(1900, 1, 1) <= the_day <= date(9000, 1, 1):
        abort(404)
    tz = household_zone()
    start, end = day_bounds(the_day, tz)
    entries = day_entries(child.id, start, end, tz)
    today_ = local_today(tz)
    return render_template(
        "log/day.html",
        child=child,
        children=child_rows(),
        day=the_day,
        entries=entries,
        prev_day=the_day - timedelta(days=1),
        next_day=the_day + timedelta(days=1) if the_day < today_ else None,
        is_today=the_day == today_,
        button=ButtonForm(),
    )


def rows(query, **params) -> list:
    """Run a select of columns on the session's connection and return its rows."""
    # Straight to the connection (same transaction): the session's ORM handling of a select,
    # needless for plain columns, costs ~40 us a query.
    return db.session.connection().execute(query, params).all()


# The day view's selects are built once, with parameters: composing one costs more than
# running it over a busy day's rows.
# The columns the day view shows of a child's moments in [start, end).
DAY_MOMENTS = (
    select(Moment.id, Moment.occurred_at, Moment.need, Moment.responses, Moment.rupture,
           Moment.repaired_at.is_not(None).label("repaired"), Moment.starred,
           Moment.caregiver_id, User.display_name,
           # Only a starred or noted moment can show a comment (sharing.comment_is_shared).
           ((Moment.starred | (Moment.note != ""))
            & select(MomentComment.id).where(MomentComment.moment_id == Moment.id).exists()
            ).label("may_show_comments"))
    .outerjoin(User, User.id == Moment.caregiver_id)
    .where(Moment.child_id == bindparam("child_id"), Moment.occurred_at >= bindparam("start"),
           Moment.occurred_at < bindparam("end"))
    .order_by(Moment.occurred_at, Moment.id)
)
# The columns the day view shows of a child's routines in [start, end).
DAY_ROUTINES = (
    select(Routine.id, Routine.started_at, Routine.ended_at, RoutineKind.key,
           RoutineKind.label, Routine.caregiver_id, User.display_name)
    .join(RoutineKind, RoutineKind.id == Routine.kind_id)
    .outerjoin(User, User.id == Routine.caregiver_id)
    .where(Routine.child_id == bindparam("child_id"), Routine.started_at >= bindparam("start"),
           Routine.started_at < bindparam("end"))
    .order_by(Routine.started_at, Routine.id)
)


@dataclass(frozen=True, slots=True)
class DayWords:
    """The words the day view puts on every line, in one language."""

    needs: dict[str, str]
    responses: dict[str, str]
    you: str
    former: str
    reconnected: str
    sideways: str
    until: str  # "%(routine)s until %(time)s"
    # (key, label) of each default routine kind not renamed -> its name; a renamed kind shows
    # its label as typed.
    kinds: dict[tuple[str, str], str]


@cache
def day_words(language: str) -> DayWords:
    """Return the day view's words in `language`, the current one: once per language."""
    # Flask-Babel takes ~15 us a string from Python, and a day needs ~50 of them.
    return DayWords(domain.NEED_LABELS.translated(), domain.RESPONSE_LABELS.translated(),
                    _("you"), _("a former caregiver"), _("reconnected"), _("went sideways"),
                    _("%(routine)s until %(time)s"),
                    {(k.id, k.name): domain.kind_label(k.id, k.name)
                     for k in domain.DEFAULT_ROUTINE_KINDS})


@dataclass(slots=True)
class DayEntry:
    """One line of the day view, with every text and link it shows made ready."""

    kind: str  # "moment" or "routine"
    id: int
    time: str
    href: str
    what: str
    who: str
    tag: str = ""
    star_url: str = ""
    starred: bool = False
    comments: list[MomentComment] = field(default_factory=list)


# Any id no URL of the app contains otherwise.
ID_MARK = 987654321


def id_url(endpoint: str, name: str) -> Callable[[int], str]:
    """Return a function making url_for(endpoint, name=id) for any id, from one url_for call."""
    # url_for is the costliest call on a page listing dozens of entries; an int id needs no
    # quoting, so one URL built for a marker id and split there makes the same URL for any id.
    prefix, suffix = url_for(endpoint, **{name: ID_MARK}).split(str(ID_MARK))
    return lambda row_id: f"{prefix}{row_id}{suffix}"


def day_entries(child_id: int, start: datetime, end: datetime, tz: ZoneInfo) -> list[DayEntry]:
    """Return a child's entries in [start, end) in time order, each moment with the comments
    the signed-in parent's groups left on it.

    Only the columns the day view shows are read, as rows rather than ORM objects: a busy day
    lists dozens of entries.
    """
    moments = rows(DAY_MOMENTS, child_id=child_id, start=start, end=end)
    routines = rows(DAY_ROUTINES, child_id=child_id, start=start, end=end)
    comments = visible_comments([m.id for m in moments if m.may_show_comments], for_parent=True)
    words = day_words(i18n.current())
    me = current_user.id

    def who(caregiver_id: int | None, name: str | None) -> str:
        if caregiver_id == me:
            return words.you
        return words.former if name is None else name

    moment_url = id_url("log.edit_moment", "moment_id")
    star_url = id_url("log.star_moment", "moment_id")
    routine_url = id_url("log.edit_routine", "routine_id")
    entries = []
    # Rows unpacked by position: a busy day has dozens, and a Row's named access costs more.
    for (moment_id, at, need, said, rupture, repaired, starred, caregiver_id, name,
         _may_show_comments) in moments:
        what = words.needs.get(need, need)
        if said:
            what += " — " + ", ".join(words.responses.get(r, r).lower() for r in said)
        entries.append((at, DayEntry(
            "moment", moment_id, local_time_filter(at, tz=tz), moment_url(moment_id), what,
            who(caregiver_id, name),
            tag=(words.reconnected if repaired else words.sideways) if rupture else "",
            star_url=star_url(moment_id), starred=starred, comments=comments.get(moment_id, []),
        )))
    for routine_id, at, ended_at, key, label, caregiver_id, name in routines:
        what = words.kinds.get((key, label), label)  # as domain.kind_label
        if ended_at:
            what = words.until % {"routine": what, "time": local_time_filter(ended_at, tz=tz)}
        entries.append((at, DayEntry(
            "routine", routine_id, local_time_filter(at, tz=tz), routine_url(routine_id), what,
            who(caregiver_id, name),
        )))
    # Stable: at the same minute a moment comes before a routine, as it always has.
    entries.sort(key=itemgetter(0))
    return [entry for _at, entry in entries]
