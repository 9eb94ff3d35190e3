"""The household: children, co-caregivers, routine kinds and planned times."""

from datetime import time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from . import domain, security
from .access import current_household, get_child_or_404, get_kind_or_404
from .extensions import db
from .forms import (
    ButtonForm,
    ChildForm,
    HouseholdForm,
    PlannedTimesForm,
    RoutineKindForm,
    planned_time_field,
)
from .models import Child, Invite, PlannedTime, RoutineKind, User, utcnow

bp = Blueprint("household", __name__)

INVITE_DAYS = 7


@bp.before_request
@login_required
def require_login():
    """Every household page needs a signed-in caregiver."""


@bp.route("/household", methods=["GET", "POST"])
def settings():
    household = current_household()
    form = HouseholdForm(obj=household)
    if form.validate_on_submit():
        household.name = form.name.data.strip()
        household.timezone = form.timezone.data
        household.week_start = form.week_start.data
        db.session.commit()
        flash(_("Household saved."), "success")
        return redirect(url_for("household.settings"))
    members = db.session.scalars(
        select(User).where(User.household_id == household.id).order_by(User.id)
    ).all()
    return render_template(
        "household/settings.html",
        form=form,
        household=household,
        members=members,
        button=ButtonForm(),
        invite_link=request.args.get("invite_link"),
    )


@bp.post("/household/invites")
def create_invite():
    household = current_household()
    if not ButtonForm().validate_on_submit():
        flash(_("That didn't go through. Please try again."), "error")
        return redirect(url_for("household.settings"))
    token = security.new_token()
    db.session.add(
        Invite(
            household_id=household.id,
            token_hash=security.token_hash(token),
            created_by_id=current_user.id,
            expires_at=utcnow() + timedelta(days=INVITE_DAYS),
        )
    )
    db.session.commit()
    link = url_for("auth.open_invite", token=token, _external=True)
    # Shown once on the next page; only its hash is stored.
    return render_template("household/invite_created.html", link=link, days=INVITE_DAYS)


@bp.route("/children")
def list_children():
    household = current_household()
    children = db.session.scalars(
        select(Child).where(Child.household_id == household.id).order_by(Child.id)
    ).all()
    return render_template("household/children.html", children=children, button=ButtonForm())


@bp.route("/children/new", methods=["GET", "POST"])
def new_child():
    household = current_household()
    form = ChildForm()
    if form.validate_on_submit():
        child = Child(household_id=household.id)
        form.populate_obj(child)
        child.nickname = child.nickname.strip()
        db.session.add(child)
        db.session.flush()
        current_user.last_child_id = child.id
        db.session.commit()
        flash(_("%(name)s is added. Tap a need on the circle to log a moment.",
                name=child.nickname), "success")
        return redirect(url_for("log.home"))
    return render_template("household/child_form.html", form=form, child=None)


@bp.route("/children/<int:child_id>/edit", methods=["GET", "POST"])
def edit_child(child_id: int):
    child = get_child_or_404(child_id)
    form = ChildForm(obj=child)
    if form.validate_on_submit():
        form.populate_obj(child)
        child.nickname = child.nickname.strip()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("household.list_children"))
    return render_template(
        "household/child_form.html", form=form, child=child, button=ButtonForm()
    )


@bp.post("/children/<int:child_id>/delete")
def delete_child(child_id: int):
    child = get_child_or_404(child_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        flash(_("That didn't go through. Please try again."), "error")
        return redirect(url_for("household.edit_child", child_id=child.id))
    if request.form.get("confirm") != child.nickname:
        flash(_("To remove %(name)s and their whole log, type their nickname.",
                name=child.nickname), "error")
        return redirect(url_for("household.edit_child", child_id=child.id))
    db.session.delete(child)
    db.session.commit()
    flash(_("Removed, with everything logged for them."), "info")
    return redirect(url_for("household.list_children"))


@bp.route("/children/<int:child_id>/planned-times", methods=["GET", "POST"])
def planned_times(child_id: int):
    child = get_child_or_404(child_id)
    kinds = [k for k in current_household().routine_kinds if not k.hidden]
    existing = {p.kind_id: p for p in child.planned_times}

    class Form(PlannedTimesForm):
        pass

    for kind in kinds:
        setattr(Form, f"planned_{kind.id}",
                planned_time_field(domain.kind_label(kind.key, kind.label)))
    form = Form()
    if request.method == "GET":
        for kind in kinds:
            if kind.id in existing:
                minute = existing[kind.id].minute
                field = getattr(form, f"planned_{kind.id}")
                field.data = time(minute // 60, minute % 60)
    if form.validate_on_submit():
        for kind in kinds:
            value = getattr(form, f"planned_{kind.id}").data
            row = existing.get(kind.id)
            if value is None:
                if row is not None:
                    db.session.delete(row)
                continue
            minute = value.hour * 60 + value.minute
            if row is None:
                db.session.add(PlannedTime(child_id=child.id, kind_id=kind.id, minute=minute))
            else:
                row.minute = minute
        db.session.commit()
        flash(_("Planned times saved."), "success")
        return redirect(url_for("household.list_children"))
    fields = [getattr(form, f"planned_{kind.id}") for kind in kinds]
    return render_template(
        "household/planned_times.html", form=form, child=child, fields=fields
    )


@bp.route("/routine-kinds", methods=["GET", "POST"])
def routine_kinds():
    household = current_household()
    form = RoutineKindForm()
    if form.validate_on_submit():
        label = form.label.data.strip()
        taken = {k.label.lower() for k in household.routine_kinds}
        if label.lower() in taken:
            form.label.errors.append(_("You already have a routine with that name."))
        else:
            position = db.session.scalar(
                select(func.coalesce(func.max(RoutineKind.position), 0)).where(
                    RoutineKind.household_id == household.id
                )
            )
            kind = RoutineKind(household_id=household.id, key="", label=label,
                               position=position + 1)
            db.session.add(kind)
            db.session.flush()
            kind.key = f"custom_{kind.id}"
            db.session.commit()
            flash(_("“%(label)s” added to your routine buttons.", label=label), "success")
            return redirect(url_for("household.routine_kinds"))
    return render_template(
        "household/routine_kinds.html",
        form=form,
        kinds=household.routine_kinds,
        button=ButtonForm(),
        special_time=domain.SPECIAL_TIME,
    )


@bp.route("/routine-kinds/<int:kind_id>/edit", methods=["GET", "POST"])
def edit_routine_kind(kind_id: int):
    kind = get_kind_or_404(kind_id)
    form = RoutineKindForm(obj=kind)
    if form.validate_on_submit():
        label = form.label.data.strip()
        taken = {k.label.lower() for k in current_household().routine_kinds if k.id != kind.id}
        if label.lower() in taken:
            form.label.errors.append(_("You already have a routine with that name."))
        else:
            kind.label = label
            db.session.commit()
            flash(_("Renamed."), "success")
            return redirect(url_for("household.routine_kinds"))
    return render_template("household/routine_kind_form.html", form=form, kind=kind)


@bp.post("/routine-kinds/<int:kind_id>/toggle")
def toggle_routine_kind(kind_id: int):
    kind = get_kind_or_404(kind_id)
    if ButtonForm().validate_on_submit():
        kind.hidden = not kind.hidden
        db.session.commit()
        label = domain.kind_label(kind.key, kind.label)
        if kind.hidden:
            flash(_("“%(label)s” is hidden.", label=label), "info")
        else:
            flash(_("“%(label)s” is shown.", label=label), "info")
    return redirect(url_for("household.routine_kinds"))
