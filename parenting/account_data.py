"""Export everything of a household as JSON and as CSV, and delete an account with its data."""

import csv
import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import Column, Date, Select, Table, delete, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from . import security
from .extensions import db
from .forms import DeleteAccountForm
from .models import (
    CalendarFeed,
    CheckIn,
    Child,
    EmailToken,
    FacilitatorNote,
    Group,
    GroupTheme,
    Household,
    Invite,
    LoginFailure,
    Membership,
    Moment,
    MomentComment,
    PlannedTime,
    PromptShown,
    PushSubscription,
    ReminderSent,
    ReminderSettings,
    Routine,
    RoutineKind,
    ShareLink,
    ShareView,
    User,
    UTCDateTime,
    WeekReflection,
    WeekShare,
    utcnow,
)

bp = Blueprint("account_data", __name__, url_prefix="/account")
log = logging.getLogger("tend.account")

FORMAT_VERSION = 1
# OWASP: a spreadsheet runs a cell starting with one of these as a formula (or, for tab and
# carriage return, may strip the character and then run the rest).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Scope:
    """Whose data an export holds: the signed-in user and their household (if any)."""

    user_id: int
    household_id: int | None


@dataclass(frozen=True)
class Section:
    """One kind of entry in the export: a JSON list and a CSV file of one table's rows."""

    name: str
    model: Any
    rows: Callable[[Scope], Select]
    # Columns never exported: secrets, and what belongs to someone else.
    omit: frozenset[str] = frozenset()
    # When set, only these columns are exported (rows that are another person's).
    only: tuple[str, ...] = ()
    single: bool = False
    needs_household: bool = True

    def columns(self) -> list[Column]:
        """Return the exported columns, in table order."""
        return [
            column
            for column in self.model.__table__.columns
            if column.key not in self.omit and (not self.only or column.key in self.only)
        ]


def _children(scope: Scope) -> Select:
    return select(Child.id).where(Child.household_id == scope.household_id)


def _memberships(scope: Scope) -> Select:
    return select(Membership.id).where(Membership.household_id == scope.household_id)


def _by_id(model, *criteria) -> Select:
    return select(model).where(*criteria).order_by(model.id)


SECTIONS: tuple[Section, ...] = (
    Section(
        "account",
        User,
        lambda s: _by_id(User, User.id == s.user_id),
        omit=frozenset({"password_hash", "session_version"}),
        single=True,
        needs_household=False,
    ),
    Section(
        "household",
        Household,
        lambda s: _by_id(Household, Household.id == s.household_id),
        single=True,
    ),
    Section(
        "members",
        User,
        lambda s: _by_id(User, User.household_id == s.household_id),
        only=("id", "display_name"),
    ),
    Section("children", Child, lambda s: _by_id(Child, Child.household_id == s.household_id)),
    Section(
        "routine_kinds",
        RoutineKind,
        lambda s: _by_id(RoutineKind, RoutineKind.household_id == s.household_id),
    ),
    Section(
        "planned_times",
        PlannedTime,
        lambda s: _by_id(PlannedTime, PlannedTime.child_id.in_(_children(s))),
    ),
    Section("moments", Moment, lambda s: _by_id(Moment, Moment.child_id.in_(_children(s)))),
    Section("routines", Routine, lambda s: _by_id(Routine, Routine.child_id.in_(_children(s)))),
    # Check-ins are each caregiver's own ("just for you"): a co-caregiver's are not exported.
    Section(
        "check_ins",
        CheckIn,
        lambda s: _by_id(CheckIn, CheckIn.user_id == s.user_id),
        needs_household=False,
    ),
    Section(
        "prompts_shown",
        PromptShown,
        lambda s: _by_id(PromptShown, PromptShown.user_id == s.user_id),
        needs_household=False,
    ),
    Section(
        "week_reflections",
        WeekReflection,
        lambda s: _by_id(WeekReflection, WeekReflection.child_id.in_(_children(s))),
    ),
    Section(
        "invites",
        Invite,
        lambda s: _by_id(Invite, Invite.household_id == s.household_id),
        omit=frozenset({"token_hash"}),
    ),
    Section(
        "share_links",
        ShareLink,
        lambda s: _by_id(ShareLink, ShareLink.household_id == s.household_id),
        omit=frozenset({"token_hash"}),
    ),
    Section(
        "share_views",
        ShareView,
        lambda s: _by_id(
            ShareView,
            ShareView.link_id.in_(
                select(ShareLink.id).where(ShareLink.household_id == s.household_id)
            ),
        ),
    ),
    Section(
        "memberships",
        Membership,
        lambda s: _by_id(Membership, Membership.household_id == s.household_id),
    ),
    # The groups the household joined belong to their facilitator: only what a member sees.
    Section(
        "groups",
        Group,
        lambda s: _by_id(
            Group,
            Group.id.in_(
                select(Membership.group_id).where(Membership.household_id == s.household_id)
            ),
        ),
        only=("id", "name", "start_date", "weeks"),
    ),
    Section(
        "week_shares",
        WeekShare,
        lambda s: _by_id(WeekShare, WeekShare.membership_id.in_(_memberships(s))),
    ),
    Section(
        "facilitator_notes",
        FacilitatorNote,
        lambda s: _by_id(FacilitatorNote, FacilitatorNote.membership_id.in_(_memberships(s))),
    ),
    Section(
        "reminder_settings",
        ReminderSettings,
        lambda s: _by_id(ReminderSettings, ReminderSettings.user_id == s.user_id),
        needs_household=False,
    ),
    # A push address is a capability for the push service, not something a person reads.
    Section(
        "reminder_devices",
        PushSubscription,
        lambda s: _by_id(PushSubscription, PushSubscription.user_id == s.user_id),
        only=("id", "user_id", "device", "created_at"),
        needs_household=False,
    ),
    Section(
        "reminders_sent",
        ReminderSent,
        lambda s: _by_id(ReminderSent, ReminderSent.user_id == s.user_id),
        needs_household=False,
    ),
    Section(
        "calendar_feeds",
        CalendarFeed,
        lambda s: _by_id(CalendarFeed, CalendarFeed.household_id == s.household_id),
        omit=frozenset({"token_hash"}),
    ),
    Section(
        "moment_comments",
        MomentComment,
        lambda s: _by_id(MomentComment, MomentComment.membership_id.in_(_memberships(s))),
    ),
    Section(
        "groups_i_run",
        Group,
        lambda s: _by_id(Group, Group.facilitator_id == s.user_id),
        needs_household=False,
    ),
    Section(
        "programme_themes_i_set",
        GroupTheme,
        lambda s: _by_id(
            GroupTheme,
            GroupTheme.group_id.in_(select(Group.id).where(Group.facilitator_id == s.user_id)),
        ),
        needs_household=False,
    ),
)
SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}


def to_json_value(value: Any) -> Any:
    """Return a stored value as JSON: times as ISO 8601 in UTC, dates as ISO dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json_value(column: Column, value: Any) -> Any:
    """Return a JSON value as the column's Python value."""
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def section_rows(section: Section, scope: Scope) -> list[dict[str, Any]]:
    """Return a section's rows for a scope as dicts of JSON values."""
    if section.needs_household and scope.household_id is None:
        return []
    columns = section.columns()
    return [
        {column.key: to_json_value(getattr(row, column.key)) for column in columns}
        for row in db.session.scalars(section.rows(scope))
    ]


def export_data(scope: Scope, now: datetime) -> dict[str, Any]:
    """Return everything of a user's household, and their own entries, as one JSON object."""
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "exported_at": to_json_value(now),
    }
    for section in SECTIONS:
        rows = section_rows(section, scope)
        data[section.name] = (rows[0] if rows else None) if section.single else rows
    return data


def rows_from_export(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Turn an exported JSON object back into rows: column values per section."""
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unknown export format_version: {data.get('format_version')!r}")
    rows: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        raw = data.get(section.name)
        if section.single:
            raw = [] if raw is None else [raw]
        columns = {column.key: column for column in section.columns()}
        parsed = []
        for item in raw or []:
            unknown = set(item) - set(columns)
            if unknown:
                raise ValueError(f"{section.name}: unknown fields {sorted(unknown)}")
            parsed.append({key: from_json_value(columns[key], item.get(key)) for key in columns})
        rows[section.name] = parsed
    return rows


def csv_cell(value: Any) -> str:
    """Return a JSON value as CSV text, lists joined with "; ", formulas defused."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "; ".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def section_csv(section: Section, rows: list[dict[str, Any]]) -> str:
    """Return one section as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [column.key for column in section.columns()]
    writer.writerow(keys)
    for row in rows:
        writer.writerow([csv_cell(row.get(key)) for key in keys])
    return out.getvalue()


README_TXT = """Tend export, format version {version}, made {exported_at}.

One CSV file per kind of entry. Times are ISO 8601 in UTC; household.csv holds the household's
time zone. Lists are joined with "; ". Cells that would start with = + - or @ begin with a single
quote, so a spreadsheet shows them as text instead of running them. The JSON export holds the
same entries and can be read back by a program.
"""


def export_zip(data: dict[str, Any]) -> bytes:
    """Return a zip of one CSV file per section."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README_TXT.format(version=data["format_version"], exported_at=data["exported_at"]),
        )
        for section in SECTIONS:
            value = data[section.name]
            rows = ([value] if value else []) if section.single else value
            # A byte-order mark, so spreadsheet apps read the file as UTF-8 (accents, emoji).
            archive.writestr(f"{section.name}.csv", section_csv(section, rows).encode("utf-8-sig"))
    return buffer.getvalue()


def current_scope() -> Scope:
    return Scope(user_id=current_user.id, household_id=current_user.household_id)


def download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export")
@login_required
def export():
    return render_template("account/export.html")


@bp.get("/export.json")
@login_required
def export_json():
    now = utcnow()
    body = json.dumps(export_data(current_scope(), now), ensure_ascii=False, indent=2)
    log.info("export json user_id=%s", current_user.id)
    return download(body.encode("utf-8"), "application/json", f"tend-export-{now:%Y-%m-%d}.json")


@bp.get("/export.zip")
@login_required
def export_csv_zip():
    now = utcnow()
    body = export_zip(export_data(current_scope(), now))
    log.info("export zip user_id=%s", current_user.id)
    return download(body, "application/zip", f"tend-export-{now:%Y-%m-%d}.zip")


def delete_rows(table: Table, where: ColumnElement, depth: int = 0) -> None:
    """Delete rows and, first, every row hanging off them, as the foreign keys' ON DELETE says.

    SQLite and PostgreSQL would cascade by themselves; doing it here in order gives the same
    result on both, whatever a connection's settings. A key marked SET NULL is emptied; any
    other key (CASCADE, or none) takes its rows with it: they are the deleted rows' data.
    """
    if depth > 10:
        raise RuntimeError(f"foreign keys nest too deep below {table.name}")
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            # No auto-correlation: each subquery stands alone, whatever encloses it.
            referencing = fk.parent.in_(select(fk.column).where(where).correlate(None))
            if fk.ondelete == "SET NULL":
                db.session.execute(update(other).where(referencing).values({fk.parent.name: None}))
            else:
                delete_rows(other, referencing, depth + 1)
    db.session.execute(delete(table).where(where))


def other_members(user: User) -> list[User]:
    """Return the other caregivers of the user's household."""
    if user.household_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.household_id == user.household_id, User.id != user.id)
            .order_by(User.id)
        )
    )


def erase_account(user: User) -> bool:
    """Delete a user and their own rows, and their household if no one else is in it.

    Return whether the household was deleted. The caller commits.
    """
    user_id, household_id, email = user.id, user.household_id, user.email
    if household_id is not None:
        # Two caregivers leaving at once: the second waits here, then sees it is the last.
        db.session.execute(
            select(Household.id).where(Household.id == household_id).with_for_update()
        )
    # Check-ins, prompts shown, memberships and the groups they run go with the user (CASCADE);
    # what they logged in a household that stays keeps existing, by "a former caregiver".
    delete_rows(User.__table__, User.__table__.c.id == user_id)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    # Emailed links and notices for this address (a sign-up link's row kept the password hash).
    db.session.execute(delete(EmailToken).where(EmailToken.email == email))
    household_goes = household_id is not None and not db.session.scalar(
        select(func.count()).select_from(User).where(User.household_id == household_id)
    )
    if household_goes:
        delete_rows(Household.__table__, Household.__table__.c.id == household_id)
    return household_goes


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    others = other_members(current_user)
    if form.validate_on_submit():
        ok, wait = security.recheck_password(current_user, form.password.data,
                                             refused_event="account_delete_refused")
        if wait:
            form.password.errors.append(
                _("Too many tries in a short time. Please wait a few minutes. Nothing was deleted.")
            )
            page = render_delete_page(form, others)
            return page, 429, {"Retry-After": str(wait)}
        if not ok:
            form.password.errors.append(_("That password isn't right. Nothing was deleted."))
            return render_delete_page(form, others)
        user_id = current_user.id
        # In their language, worked out while they are still logged in.
        farewell = _("Your account is deleted. Thank you for the care you gave — go gently.")
        household_deleted = erase_account(current_user)
        db.session.commit()
        security.log_event("account_deleted", user_id, household_deleted=household_deleted)
        session.clear()
        logout_user()
        flash(farewell, "success")
        response = redirect(url_for("log.home"))
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    return render_delete_page(form, others)


def render_delete_page(form: DeleteAccountForm, others: list[User]) -> str:
    household_id = current_user.household_id
    children = (
        db.session.scalar(
            select(func.count()).select_from(Child).where(Child.household_id == household_id)
        )
        if household_id is not None
        else 0
    )
    groups_run = db.session.scalar(
        select(func.count()).select_from(Group).where(Group.facilitator_id == current_user.id)
    )
    return render_template(
        "account/delete_account.html",
        form=form,
        others=others,
        children=children,
        groups_run=groups_run,
    )
