"""Facilitator groups: create, invite, see what parents shared; parents join, share and leave."""

import secrets
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import auth, domain, metrics
from .access import (
    children_query,
    current_household,
    get_child_or_404,
    require_id,
    week_or_404,
)
from .extensions import db
from .forms import (
    ButtonForm,
    EveryWeekForm,
    FacilitatorNoteForm,
    GroupForm,
    JoinGroupForm,
    MomentCommentForm,
    NeedLabelsForm,
    ShareQuestionForm,
    ShareWeekForm,
    ThemeForm,
    need_label_field,
)
from .models import (
    Child,
    FacilitatorNote,
    Group,
    GroupTheme,
    Membership,
    Moment,
    MomentComment,
    WeekShare,
    utcnow,
)
from .programme import session_week, theme_for
from .sharing import (
    prune_comments,
    share_question,
    share_settings,
    shared_moments,
    visible_comments,
    week_share,
)
from .summary import load_week, shared_week_context
from .timefmt import local_today, zone

bp = Blueprint("groups", __name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MIN_FOR_BREAKDOWN = 3


@bp.before_request
@login_required
def require_login():
    """Every group page needs a signed-in user."""


def new_invite_code() -> str:
    """Return an unused invite code, easy to read aloud (no 0/O or 1/I/L)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Group.id).where(Group.invite_code == code)) is None:
            return code


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH * 2]


def get_own_group_or_404(group_id: int) -> Group:
    """Return a group this facilitator runs, or 404."""
    require_id(group_id)
    return db.one_or_404(
        select(Group).where(Group.id == group_id, Group.facilitator_id == current_user.id)
    )


def get_own_membership_or_404(membership_id: int) -> Membership:
    """Return one of the current parent's memberships, or 404."""
    require_id(membership_id)
    return db.one_or_404(
        select(Membership).where(
            Membership.id == membership_id, Membership.user_id == current_user.id
        )
    )


def group_weeks(group: Group, week_start: int) -> list[date]:
    """Return the first days of the group's weeks up to this week, newest first."""
    first = metrics.week_start_for(group.start_date, week_start)
    last = metrics.week_start_for(local_today(), week_start)
    if group.weeks:
        last = min(last, first + timedelta(days=7 * (group.weeks - 1)))
    weeks, day = [], first
    while day <= last and len(weeks) < 104:
        weeks.append(day)
        day += timedelta(days=7)
    return list(reversed(weeks))


@bp.route("/groups")
def index():
    groups = db.session.scalars(
        select(Group).where(Group.facilitator_id == current_user.id).order_by(Group.id)
    ).all()
    memberships = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.group))
        .where(Membership.user_id == current_user.id)
    ).all()
    return render_template(
        "groups/index.html", groups=groups, memberships=memberships,
        join_form=JoinGroupForm(), button=ButtonForm(),
    )


@bp.post("/groups/start-household")
def start_household():
    """Let a facilitator who also cares for a child keep a log of their own."""
    if ButtonForm().validate_on_submit() and current_user.household is None:
        auth.create_household(current_user)
        db.session.commit()
        flash(_("Your own household is ready. Add your child to start."), "success")
        return redirect(url_for("household.new_child"))
    return redirect(url_for("groups.index"))


@bp.route("/groups/new", methods=["GET", "POST"])
def new_group():
    if not current_user.is_facilitator:
        abort(404)
    form = GroupForm()
    if request.method == "GET":
        form.start_date.data = local_today()
    if form.validate_on_submit():
        group = Group(
            facilitator_id=current_user.id,
            name=form.name.data.strip(),
            start_date=form.start_date.data,
            weeks=form.weeks.data,
            invite_code=new_invite_code(),
        )
        db.session.add(group)
        db.session.commit()
        flash(_("Your group is ready. Share the invite code with the parents."), "success")
        return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/group_form.html", form=form)


@bp.route("/groups/<int:group_id>")
def show_group(group_id: int):
    group = get_own_group_or_404(group_id)
    memberships = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.user), selectinload(Membership.shares))
        .where(Membership.group_id == group.id)
        .order_by(Membership.id)
    ).all()
    household_ids = {m.household_id for m in memberships}
    children = db.session.scalars(
        select(Child).where(Child.household_id.in_(household_ids)).order_by(Child.id)
    ).all() if household_ids else []
    weeks = group_weeks(group, 0)
    rows = []
    for m in memberships:
        shared = {(s.child_id, s.first_day) for s in m.shares}
        for child in (c for c in children if c.household_id == m.household_id):
            child_weeks = [
                metrics.week_start_for(w, child.household.week_start) for w in weeks
            ]
            rows.append({
                "membership": m,
                "child": child,
                "weeks": [
                    (w, metrics.iso_week_label(w), m.share_every_week or (child.id, w) in shared)
                    for w in child_weeks
                ],
            })
    return render_template(
        "groups/show.html", group=group, rows=rows,
        this_week=metrics.iso_week_label(weeks[0]) if weeks else None,
        invite_url=url_for("groups.join_with_code", code=group.invite_code, _external=True),
    )


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: int):
    """Change a group's name, first session and number of weeks."""
    group = get_own_group_or_404(group_id)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        group.name = form.name.data.strip()
        group.start_date = form.start_date.data
        group.weeks = form.weeks.data
        db.session.commit()
        flash(_("Saved. The programme's weeks follow the new dates."), "success")
        return redirect(url_for("groups.programme", group_id=group.id))
    return render_template("groups/group_form.html", form=form, group=group)


@bp.route("/groups/<int:group_id>/programme", methods=["GET", "POST"])
def programme(group_id: int):
    """Set a short theme for each week of the group's programme."""
    group = get_own_group_or_404(group_id)
    form = ThemeForm(weeks=group.weeks)
    if request.method == "GET":
        week = request.args.get("week", type=int)
        if group.weeks and week is not None and 1 <= week <= group.weeks:
            form.week.data = week
            existing = theme_for(group, week)
            if existing is not None:
                form.theme.data, form.focus.data = existing.theme, existing.focus or ""
    if form.validate_on_submit():
        existing = theme_for(group, form.week.data)
        text = (form.theme.data or "").strip()
        if not text:
            if existing is not None:
                db.session.delete(existing)
            message = _("Week %(week)s has no theme now.", week=form.week.data)
        else:
            existing = existing or GroupTheme(group_id=group.id, week=form.week.data)
            existing.theme, existing.focus = text, form.focus.data or None
            db.session.add(existing)
            message = _("Week %(week)s's theme is saved. Members see it on their home page.",
                        week=form.week.data)
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("groups.programme", group_id=group.id))
    themes = {t.week: t for t in group.themes}
    weeks = [
        (n, group.start_date + timedelta(days=7 * (n - 1)), themes.get(n))
        for n in range(1, (group.weeks or 0) + 1)
    ]
    return render_template("groups/programme.html", group=group, form=form, weeks=weeks,
                           focus_labels=domain.THEME_FOCUS_LABELS)


@bp.route("/groups/<int:group_id>/labels", methods=["GET", "POST"])
def edit_labels(group_id: int):
    group = get_own_group_or_404(group_id)

    class Form(NeedLabelsForm):
        pass

    for need in domain.NEEDS:
        setattr(Form, f"label_{need.id}", need_label_field(need.label))
    form = Form()
    fields = [getattr(form, f"label_{n.id}") for n in domain.NEEDS]
    if request.method == "GET":
        for need, field in zip(domain.NEEDS, fields, strict=True):
            field.data = (group.need_labels or {}).get(need.id, "")
    if form.validate_on_submit():
        group.need_labels = {
            need.id: field.data.strip()
            for need, field in zip(domain.NEEDS, fields, strict=True)
            if field.data and field.data.strip()
        }
        db.session.commit()
        flash(_("Labels saved for this group. Parents' own screens keep theirs."), "success")
        return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/labels.html", form=form, fields=fields, group=group)


def member_child_or_404(group: Group, membership_id: int, child_id: int):
    """Return a member of this group and one of their children, or 404."""
    require_id(membership_id)
    require_id(child_id)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.group_id == group.id
        )
    )
    if membership is None:
        abort(404)
    child = db.session.scalar(
        select(Child).where(Child.id == child_id, Child.household_id == membership.household_id)
    )
    if child is None:
        abort(404)
    return membership, child


@bp.route(
    "/groups/<int:group_id>/members/<int:membership_id>/children/<int:child_id>/weeks/<week>",
    methods=["GET", "POST"],
)
def shared_week(group_id: int, membership_id: int, child_id: int, week: str):
    """Show a facilitator one week a parent shared, read-only, and take a short note back."""
    group = get_own_group_or_404(group_id)
    membership, child = member_child_or_404(group, membership_id, child_id)
    first_day = week_or_404(week, child.household.week_start)
    settings = share_settings(membership, child.id, first_day)
    if settings is None or first_day > local_today():
        abort(404)
    form = FacilitatorNoteForm()
    if form.validate_on_submit():
        db.session.add(FacilitatorNote(
            membership_id=membership.id, child_id=child.id, first_day=first_day,
            text=form.text.data.strip(),
        ))
        db.session.commit()
        flash(_("Your note is sent. The parent will see it on their summary."), "success")
        return redirect(request.path)
    include_notes, include_reflection = settings
    context = shared_week_context(
        child, first_day, need_labels=group.need_labels,
        include_notes=include_notes, include_reflection=include_reflection,
    )
    if share_settings(membership, child.id, first_day - timedelta(days=7)) is None:
        # "Since last week" would give away the figures of a week that isn't shared.
        context["changes"] = []
    notes = db.session.scalars(
        select(FacilitatorNote).where(
            FacilitatorNote.membership_id == membership.id,
            FacilitatorNote.child_id == child.id,
            FacilitatorNote.first_day == first_day,
        ).order_by(FacilitatorNote.created_at)
    ).all()
    moments = shared_moments(child, first_day, settings, group.need_labels)
    return render_template(
        "groups/shared_week.html", layout="base.html", group=group, membership=membership,
        form=form, facilitator_notes=notes, prev_url=None, next_url=None,
        question=share_question(membership, child.id, first_day),
        starred=[m for m in moments if m.starred],
        noted=[m for m in moments if m.note],
        comments=visible_comments([m.id for m in moments], membership),
        can_comment=include_notes, child=child,
        intro=_("Shared with %(group)s by %(name)s.", group=group.name,
                name=membership.user.display_name), **context,
    )


@bp.route("/groups/<int:group_id>/weeks/<week>")
def group_week(group_id: int, week: str):
    """Sum the figures of the members who shared this week; no per-family view under three."""
    group = get_own_group_or_404(group_id)
    first_day = week_or_404(week, 0)
    memberships = db.session.scalars(
        select(Membership).options(selectinload(Membership.user))
        .where(Membership.group_id == group.id)
    ).all()
    totals = {"needs": dict.fromkeys([n.id for n in domain.ALL_NEEDS], 0), "ruptures": 0,
              "repaired": 0, "special_time_days": 0}
    families = []
    sharing_members = set()
    for m in memberships:
        for child in db.session.scalars(children_query(m.household_id)):
            child_first = metrics.week_start_for(first_day, child.household.week_start)
            if share_settings(m, child.id, child_first) is None:
                continue
            s = load_week(child, child_first, [], None, with_checkins=False).this
            for need, n in s.needs.items():
                totals["needs"][need] = totals["needs"].get(need, 0) + n
            totals["ruptures"] += s.ruptures
            totals["repaired"] += s.repaired
            totals["special_time_days"] += s.special_time_days
            families.append((m.user.display_name, child.nickname, s))
            sharing_members.add(m.id)
    labels = {**domain.NEED_LABELS, **(group.need_labels or {})}
    return render_template(
        "groups/week.html", group=group, first_day=first_day, totals=totals,
        # Count families, not children: two families sharing three children's weeks must not
        # be picked apart.
        families=families if len(sharing_members) >= MIN_FOR_BREAKDOWN else [],
        shared_count=len(families), labels=labels, needs=domain.ALL_NEEDS,
        min_for_breakdown=MIN_FOR_BREAKDOWN,
        prev_label=metrics.iso_week_label(first_day - timedelta(days=7)),
        next_label=(metrics.iso_week_label(first_day + timedelta(days=7))
                    if first_day + timedelta(days=7) <= local_today() else None),
    )


def commentable_moment(membership: Membership, child: Child, moment_id: int):
    """Return a moment of this child shared with notes, with its week's first day, or None."""
    require_id(moment_id)
    moment = db.session.scalar(
        select(Moment).where(Moment.id == moment_id, Moment.child_id == child.id)
    )
    if moment is None:
        return None, None
    household = child.household
    local_day = moment.occurred_at.astimezone(zone(household.timezone)).date()
    first_day = metrics.week_start_for(local_day, household.week_start)
    settings = share_settings(membership, child.id, first_day)
    if settings is None or not settings[0]:
        return None, None
    if not any(m.id == moment.id for m in shared_moments(child, first_day, settings, None)):
        return None, None
    return moment, first_day


@bp.route(
    "/groups/<int:group_id>/members/<int:membership_id>/children/<int:child_id>"
    "/shared-moments/<int:moment_id>/comment",
    methods=["GET", "POST"],
)
def comment_moment(group_id: int, membership_id: int, child_id: int, moment_id: int):
    """Let a facilitator leave a short, kind comment on one moment shared with notes."""
    group = get_own_group_or_404(group_id)
    membership, child = member_child_or_404(group, membership_id, child_id)
    moment, first_day = commentable_moment(membership, child, moment_id)
    if moment is None:
        # The same answer for a moment that isn't shared and one that doesn't exist.
        return render_template("groups/comment_gone.html", group=group), 404
    comment = db.session.scalar(
        select(MomentComment).where(
            MomentComment.membership_id == membership.id, MomentComment.moment_id == moment.id
        )
    )
    form = MomentCommentForm()
    if request.method == "GET" and comment is not None:
        form.text.data = comment.text
    if form.validate_on_submit():
        if comment is None:
            comment = MomentComment(membership_id=membership.id, moment_id=moment.id)
            db.session.add(comment)
        comment.text = form.comment()
        db.session.commit()
        flash(_("Your comment is sent. The parent sees it on that moment."), "success")
        return redirect(url_for(
            "groups.shared_week", group_id=group.id, membership_id=membership.id,
            child_id=child.id, week=metrics.iso_week_label(first_day),
        ))
    shown = shared_moments(child, first_day, share_settings(membership, child.id, first_day),
                           group.need_labels)
    return render_template(
        "groups/comment.html", group=group, membership=membership, child=child, form=form,
        moment=next(m for m in shown if m.id == moment.id), comment=comment,
        week=metrics.iso_week_label(first_day), starters=domain.COMMENT_STARTERS,
        comment_max=domain.COMMENT_MAX,
    )


@bp.post("/groups/comments/<int:comment_id>/hide")
def hide_comment(comment_id: int):
    """Let a parent hide a facilitator's comment on one of their moments."""
    require_id(comment_id)
    comment = db.one_or_404(
        select(MomentComment).join(Membership).where(
            MomentComment.id == comment_id, Membership.user_id == current_user.id
        )
    )
    moment = comment.moment
    if ButtonForm().validate_on_submit() and comment.hidden_at is None:
        comment.hidden_at = utcnow()
        db.session.commit()
        flash(_("Hidden. It won't show on your moments again."), "info")
    target = request.form.get("next", "")
    # Only a path of this site: never another host ("//host", "/\\host").
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        tz = zone(moment.child.household.timezone)
        target = url_for("log.day", child_id=moment.child_id,
                         day=moment.occurred_at.astimezone(tz).date().isoformat())
    return redirect(target)


@bp.route("/groups/<int:group_id>/prep/<week>")
def session_prep(group_id: int, week: str):
    """Gather, for one session week, what each family chose to bring; printable on A4."""
    group = get_own_group_or_404(group_id)
    first_day = week_or_404(week, 0)
    if first_day.year < 2000 or first_day > local_today():
        abort(404)
    memberships = db.session.scalars(
        select(Membership).options(selectinload(Membership.user))
        .where(Membership.group_id == group.id)
    ).all()
    families, others = [], []
    for m in memberships:
        shared_any = False
        for child in db.session.scalars(children_query(m.household_id)):
            child_first = metrics.week_start_for(first_day, child.household.week_start)
            settings = share_settings(m, child.id, child_first)
            if settings is None:
                continue
            shared_any = True
            s = load_week(child, child_first, [], None, with_checkins=False).this
            families.append({
                "parent": m.user.display_name, "child": child.nickname,
                "question": share_question(m, child.id, child_first),
                "starred": shared_moments(child, child_first, settings, group.need_labels,
                                          starred_only=True),
                "s": s,
            })
        if not shared_any:
            others.append(m.user.display_name)
    # Alphabetical, never by any figure: no family is ranked above another.
    families.sort(key=lambda f: (f["parent"].casefold(), f["child"].casefold()))
    week_number = session_week(group.start_date, group.weeks, first_day)
    return render_template(
        "groups/prep.html", group=group, first_day=first_day, families=families,
        week_number=week_number, theme=theme_for(group, week_number),
        others=sorted(others, key=str.casefold),
        prev_label=metrics.iso_week_label(first_day - timedelta(days=7)),
        next_label=(metrics.iso_week_label(first_day + timedelta(days=7))
                    if first_day + timedelta(days=7) <= local_today() else None),
    )


@bp.route("/join/<code>")
def join_with_code(code: str):
    return redirect(url_for("groups.consent", code=normalise_code(code)))


@bp.post("/groups/join")
def join():
    form = JoinGroupForm()
    if not form.validate_on_submit():
        flash(_("Enter the invite code your facilitator gave you."), "error")
        return redirect(url_for("groups.index"))
    return redirect(url_for("groups.consent", code=normalise_code(form.code.data)))


@bp.route("/groups/consent/<code>", methods=["GET", "POST"])
def consent(code: str):
    """Show exactly what the facilitator will and won't see, then join on consent."""
    group = db.session.scalar(select(Group).where(Group.invite_code == normalise_code(code)))
    if group is None:
        flash(_("We couldn't find a group with that code. Check it with your facilitator."),
              "error")
        return redirect(url_for("groups.index"))
    if current_user.household is None:
        flash(_("Groups are for parents and carers: start your own household first."), "info")
        return redirect(url_for("groups.index"))
    existing = db.session.scalar(
        select(Membership).where(
            Membership.group_id == group.id, Membership.user_id == current_user.id
        )
    )
    if existing is not None:
        return redirect(url_for("groups.membership", membership_id=existing.id))
    form = ButtonForm()
    if form.validate_on_submit():
        membership = Membership(group_id=group.id, user_id=current_user.id,
                                household_id=current_household().id)
        db.session.add(membership)
        db.session.commit()
        flash(_("You've joined %(group)s. Nothing is shared until you choose to.",
                group=group.name), "success")
        return redirect(url_for("groups.membership", membership_id=membership.id))
    return render_template("groups/consent.html", group=group, form=form)


@bp.route("/groups/memberships/<int:membership_id>", methods=["GET", "POST"])
def membership(membership_id: int):
    membership = get_own_membership_or_404(membership_id)
    form = EveryWeekForm(obj=membership)
    if request.method == "GET":
        form.include_notes.data = membership.every_week_notes
        form.include_reflection.data = membership.every_week_reflection
    if form.validate_on_submit():
        membership.share_every_week = form.share_every_week.data
        membership.every_week_notes = form.include_notes.data
        membership.every_week_reflection = form.include_reflection.data
        db.session.flush()
        prune_comments(membership)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("groups.membership", membership_id=membership.id))
    shares = db.session.scalars(
        select(WeekShare).options(selectinload(WeekShare.child))
        .where(WeekShare.membership_id == membership.id)
        .order_by(WeekShare.first_day.desc())
    ).all()
    return render_template("groups/membership.html", membership=membership, form=form,
                           shares=shares, button=ButtonForm())


@bp.post("/groups/memberships/<int:membership_id>/leave")
def leave(membership_id: int):
    membership = get_own_membership_or_404(membership_id)
    if ButtonForm().validate_on_submit():
        name = membership.group.name
        db.session.delete(membership)
        db.session.commit()
        flash(_("You've left %(group)s. Nothing of yours is visible there any more.", group=name),
              "info")
    return redirect(url_for("groups.index"))


@bp.post("/groups/memberships/<int:membership_id>/children/<int:child_id>/weeks/<week>/share")
def share_week(membership_id: int, child_id: int, week: str):
    membership = get_own_membership_or_404(membership_id)
    child = get_child_or_404(child_id)
    first_day = week_or_404(week, child.household.week_start)
    form = ShareWeekForm()
    if form.validate_on_submit() and first_day <= local_today():
        share = db.session.scalar(
            select(WeekShare).where(
                WeekShare.membership_id == membership.id,
                WeekShare.child_id == child.id,
                WeekShare.first_day == first_day,
            )
        ) or WeekShare(membership_id=membership.id, child_id=child.id, first_day=first_day)
        share.include_notes = form.include_notes.data
        share.include_reflection = form.include_reflection.data
        db.session.add(share)
        db.session.flush()
        prune_comments(membership)
        db.session.commit()
        flash(_("This week is shared with %(group)s.", group=membership.group.name), "success")
    return redirect(url_for("summary.week", child_id=child.id, week=week) + "#sharing")


@bp.route(
    "/groups/memberships/<int:membership_id>/children/<int:child_id>/weeks/<week>/question",
    methods=["GET", "POST"],
)
def share_question_page(membership_id: int, child_id: int, week: str):
    """Let a parent bring a question to the session with a week they share."""
    membership = get_own_membership_or_404(membership_id)
    child = get_child_or_404(child_id)
    first_day = week_or_404(week, child.household.week_start)
    settings = share_settings(membership, child.id, first_day)
    back = url_for("summary.week", child_id=child.id, week=week) + "#sharing"
    if settings is None or first_day > local_today():
        flash(_("Share this week first; then you can add something to bring to the group."),
              "info")
        return redirect(back)
    share = week_share(membership, child.id, first_day)
    form = ShareQuestionForm()
    if request.method == "GET":
        form.question.data = share.question if share is not None else ""
    if form.validate_on_submit():
        if share is None:
            # Shared through "every week": this week gets its own row, with the same ticks.
            share = WeekShare(membership_id=membership.id, child_id=child.id,
                              first_day=first_day, include_notes=settings[0],
                              include_reflection=settings[1])
            db.session.add(share)
        share.question = (form.question.data or "").strip()
        db.session.commit()
        flash(_("Saved for the group.") if share.question else _("Question taken off."), "success")
        return redirect(back)
    return render_template("groups/question.html", form=form, membership=membership,
                           child=child, first_day=first_day, back=back)


@bp.post("/groups/memberships/<int:membership_id>/children/<int:child_id>/weeks/<week>/unshare")
def unshare_week(membership_id: int, child_id: int, week: str):
    membership = get_own_membership_or_404(membership_id)
    child = get_child_or_404(child_id)
    first_day = week_or_404(week, child.household.week_start)
    if ButtonForm().validate_on_submit():
        share = db.session.scalar(
            select(WeekShare).where(
                WeekShare.membership_id == membership.id,
                WeekShare.child_id == child.id,
                WeekShare.first_day == first_day,
            )
        )
        if share is not None:
            db.session.delete(share)
            db.session.flush()
            prune_comments(membership)
        if membership.share_every_week:
            flash(_("You share every week with this group: switch that off to stop sharing "
                    "this one."), "info")
        else:
            flash(_("This week is no longer shared with %(group)s.", group=membership.group.name),
                  "info")
        db.session.commit()
    return redirect(url_for("summary.week", child_id=child.id, week=week) + "#sharing")
