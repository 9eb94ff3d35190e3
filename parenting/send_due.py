"""`flask reminders send-due`: send the reminders and weekly emails that are due, once each.

Meant for cron or a systemd timer every 5 to 15 minutes (docs/deploying.md). A reminder is
claimed (a reminder_sent row, unique per caregiver, channel and local day) and committed before
anything is sent: a second run, or two at once, finds the claim and sends nothing. A push that
fails for a passing reason is not retried that day; one reminder missed beats one sent twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from . import domain, i18n, mail, metrics, nudges, push
from .access import children_query
from .extensions import db
from .models import (
    Child,
    Group,
    Household,
    Membership,
    PushSubscription,
    ReminderSent,
    ReminderSettings,
    Routine,
    RoutineKind,
    User,
    utcnow,
)
from .timefmt import day_bounds, zone

log = logging.getLogger("tend.reminders")

PUSH = "push"
EMAIL = "email"
WEEKLY = "weekly"


@dataclass
class Report:
    pushed: int = 0
    devices_removed: int = 0
    emails: int = 0
    notes: list[str] = field(default_factory=list)


def claim(user_id: int, channel: str, local_day: date, kind: str) -> bool:
    """Record that a reminder goes out today; return False if one already has."""
    taken = db.session.scalar(select(exists().where(
        ReminderSent.user_id == user_id, ReminderSent.channel == channel,
        ReminderSent.local_day == local_day,
    )))
    if taken:
        return False
    db.session.add(ReminderSent(user_id=user_id, channel=channel, local_day=local_day, kind=kind))
    try:
        db.session.commit()
    except IntegrityError:
        # Another run claimed it between our look and our write.
        db.session.rollback()
        return False
    return True


def group_meets(user_id: int, day: date) -> bool:
    """Return whether a group the caregiver belongs to has a session on a day."""
    groups = db.session.execute(
        select(Group.start_date, Group.weeks).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user_id)
    ).all()
    return any(nudges.has_session_on(day, start, weeks) for start, weeks in groups)


def had_special_time(household: Household, today: date) -> bool:
    """Return whether anyone in the household has logged special time today."""
    start, end = day_bounds(today, zone(household.timezone))
    return bool(db.session.scalar(select(exists().where(
        Routine.child_id == Child.id, Child.household_id == household.id,
        Routine.kind_id == RoutineKind.id, RoutineKind.key == domain.SPECIAL_TIME,
        Routine.started_at >= start, Routine.started_at < end,
    ))))


def last_week_first_day(today: date, week_start: int) -> date:
    return metrics.week_start_for(today, week_start) - timedelta(days=7)


def chosen_child(user: User, household: Household) -> Child | None:
    """Return the child the caregiver logged for last, or the household's first."""
    children = list(db.session.scalars(children_query(household.id)))
    by_id = {c.id: c for c in children}
    return by_id.get(user.last_child_id) or (children[0] if children else None)


def nudge_path(nudge: nudges.Nudge, user: User, household: Household, today: date) -> str:
    """Return the page a tap on the notification opens."""
    if nudge.kind == nudges.WEEK_READY:
        child = chosen_child(user, household)
        if child is not None:
            week = metrics.iso_week_label(last_week_first_day(today, household.week_start))
            return url_for("summary.week", child_id=child.id, week=week)
    if nudge.kind == nudges.GROUP_TOMORROW:
        return url_for("groups.index")
    if nudge.kind == nudges.SPECIAL_TIME:
        return url_for("log.special_time")
    return url_for("log.home")


def language(user: User) -> str:
    """Return the language a caregiver reads reminders in: their own choice, else English.

    Reminders are sent by the command line, where no browser says what it prefers.
    """
    return i18n.valid(user.locale) or i18n.DEFAULT


def send_push(user: User, nudge: nudges.Nudge, path: str, report: Report) -> None:
    """Send a reminder to each of the caregiver's devices; forget the ones that are gone."""
    with force_locale(language(user)):
        message = {"title": str(nudge.title), "body": str(nudge.body), "url": path,
                   "tag": f"tend-{nudge.kind}"}
    devices = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user.id)
    ).all()
    for device in devices:
        result = push.send(push.Subscription(device.endpoint, device.p256dh, device.auth),
                           message)
        if result == push.GONE:
            db.session.delete(device)
            report.devices_removed += 1
        elif result == push.SENT:
            report.pushed += 1
    db.session.commit()


def send_weekly_email(user: User, household: Household, today: date) -> None:
    """Email last week's headline and what went well, per child, with no names or notes."""
    from .reminders import unsubscribe_token
    from .summary import load_week

    first_day = last_week_first_day(today, household.week_start)
    children = []
    for child in db.session.scalars(children_query(household.id)):
        figures = load_week(child, first_day, [], None, with_checkins=False)
        with force_locale(language(user)):
            children.append({
                # The headline names the child only as "your child": an email passes through
                # other people's servers.
                "headline": metrics.headline(figures.this, kind_labels=figures.kind_labels,
                                             child_name=_("your child")),
                "went_well": metrics.went_well(figures.this),
            })
    child = chosen_child(user, household)
    summary_url = mail.external_url(
        "summary.week", child_id=child.id, week=metrics.iso_week_label(first_day)
    ) if child is not None else mail.external_url("summary.this_week")
    token = unsubscribe_token(user)
    unsubscribe_url = mail.external_url("reminders.unsubscribe", token=token)
    mail.send(
        user.email, "weekly", locale=language(user),
        extra_headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        name=user.display_name, children=children, first_day=first_day,
        summary_url=summary_url,
        settings_url=mail.external_url("reminders.index"),
        unsubscribe_url=unsubscribe_url,
    )


def send_due(now: datetime) -> Report:
    """Send every reminder and weekly email due at this moment, each at most once."""
    report = Report()
    can_email = bool(current_app.config.get("BASE_URL") or current_app.config.get("SERVER_NAME"))
    rows = db.session.execute(
        select(User, ReminderSettings, Household)
        .join(ReminderSettings, ReminderSettings.user_id == User.id)
        .join(Household, Household.id == User.household_id)
        .order_by(User.id)
    ).all()
    for user, settings, household in rows:
        local = now.astimezone(zone(household.timezone))
        today = local.date()
        wants_push = settings.special_time_minute is not None or settings.week_ready \
            or settings.group_tomorrow
        if wants_push and db.session.scalar(
            select(exists().where(PushSubscription.user_id == user.id))
        ):
            # A nudge for something already done today would be nagging.
            special = settings.special_time_minute
            if special is not None and had_special_time(household, today):
                special = None
            nudge = nudges.due_nudge(
                local,
                special_time_minute=special,
                week_ready_today=settings.week_ready and local.weekday() == household.week_start,
                group_tomorrow=settings.group_tomorrow
                and group_meets(user.id, today + timedelta(days=1)),
            )
            if nudge is not None:
                path = nudge_path(nudge, user, household, today)
                if claim(user.id, PUSH, today, nudge.kind):
                    send_push(user, nudge, path, report)
        if settings.weekly_email and nudges.weekly_email_due(local, household.week_start):
            if not can_email:
                report.notes.append("weekly emails wait for BASE_URL to be set")
                continue
            if claim(user.id, EMAIL, today, WEEKLY):
                send_weekly_email(user, household, today)
                report.emails += 1
    return report


def public_base(config) -> str:
    """Return the site's address for building links outside a request."""
    if config.get("BASE_URL"):
        return config["BASE_URL"]
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    # Only a trusted host may be asked for: any address will do for building paths.
    trusted = config.get("TRUSTED_HOSTS") or ["localhost"]
    return f"https://{trusted[0]}"


@click.group("reminders")
def reminders_cli() -> None:
    """Reminders and the weekly email."""


@reminders_cli.command("send-due")
@with_appcontext
def send_due_command() -> None:
    """Send the reminders and weekly emails due now; running it twice sends nothing twice."""
    app = current_app._get_current_object()
    # Paths and email links are built as in a request to the public address.
    with app.test_request_context("/", base_url=public_base(app.config)):
        report = send_due(utcnow())
    for note in sorted(set(report.notes)):
        click.echo(f"Note: {note}.")
    click.echo(f"Sent {nudges.plural(report.pushed, 'push notification')} and "
               f"{nudges.plural(report.emails, 'weekly email')}; "
               f"removed {nudges.plural(report.devices_removed, 'expired device')}.")
    log.info("reminders sent push=%s emails=%s removed=%s", report.pushed, report.emails,
             report.devices_removed)
