"""Reminders: which ones a caregiver wants, the devices that get them, the calendar address,
and the weekly email's one-click unsubscribe. Everything is off until turned on."""

from datetime import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from . import calendar_feed, i18n, push, security
from .access import current_household, require_id
from .extensions import csrf, db
from .forms import ButtonForm, PushSubscriptionForm, ReminderSettingsForm
from .links import coarse_device
from .models import CalendarFeed, PushSubscription, ReminderSettings, User, utcnow

bp = Blueprint("reminders", __name__)

UNSUBSCRIBE_SALT = "tend-weekly-email-unsubscribe"


def settings_for(user_id: int) -> ReminderSettings:
    """Return a caregiver's reminder settings, or new ones with everything off (not added)."""
    return db.session.scalar(
        select(ReminderSettings).where(ReminderSettings.user_id == user_id)
    ) or ReminderSettings(user_id=user_id, week_ready=False, group_tomorrow=False,
                          weekly_email=False)


def own_devices():
    return db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == current_user.id)
        .order_by(PushSubscription.created_at)
    ).all()


def active_feed(household_id: int) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.household_id == household_id, CalendarFeed.revoked_at.is_(None)
        )
    )


def render_page(form: ReminderSettingsForm) -> str:
    household = current_household()
    return render_template(
        "reminders/index.html",
        form=form,
        devices=own_devices(),
        subscribe_form=PushSubscriptionForm(),
        button=ButtonForm(),
        vapid_key=push.public_key(current_app),
        feed=active_feed(household.id),
        timezone=household.timezone,
    )


@bp.route("/reminders", methods=["GET", "POST"])
@login_required
def index():
    current_household()
    settings = settings_for(current_user.id)
    form = ReminderSettingsForm()
    if request.method == "GET":
        minute = settings.special_time_minute
        form.special_time.data = minute is not None
        form.special_time_at.data = time(minute // 60, minute % 60) if minute is not None \
            else time(17, 0)
        form.week_ready.data = settings.week_ready
        form.group_tomorrow.data = settings.group_tomorrow
        form.weekly_email.data = settings.weekly_email
    if form.validate_on_submit():
        at = form.special_time_at.data
        settings.special_time_minute = at.hour * 60 + at.minute if form.special_time.data \
            else None
        settings.week_ready = form.week_ready.data
        settings.group_tomorrow = form.group_tomorrow.data
        settings.weekly_email = form.weekly_email.data
        db.session.add(settings)
        db.session.commit()
        flash(_("Reminders saved."), "success")
        return redirect(url_for("reminders.index"))
    return render_page(form)


@bp.post("/reminders/devices")
@login_required
def add_device():
    current_household()
    form = PushSubscriptionForm()
    if not form.validate_on_submit():
        abort(400)
    endpoint, p256dh, auth = (form.endpoint.data or ""), (form.p256dh.data or ""), \
        (form.auth.data or "")
    problem = push.subscription_problem(endpoint, p256dh, auth, current_app.testing)
    if problem:
        flash(problem, "error")
        return redirect(url_for("reminders.index"))
    endpoint_hash = security.token_hash(endpoint)
    # A browser has one subscription per site: on a shared phone it follows whoever turned
    # reminders on last.
    device = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint_hash == endpoint_hash)
    ) or PushSubscription(endpoint=endpoint, endpoint_hash=endpoint_hash)
    device.user_id = current_user.id
    device.p256dh, device.auth = p256dh, auth
    device.device = coarse_device(request.user_agent.string)
    db.session.add(device)
    db.session.commit()
    flash(_("Reminders are on for this device. Choose which ones below."), "success")
    return redirect(url_for("reminders.index"))


@bp.post("/reminders/devices/<int:device_id>/remove")
@login_required
def remove_device(device_id: int):
    require_id(device_id)
    device = db.one_or_404(
        select(PushSubscription).where(
            PushSubscription.id == device_id, PushSubscription.user_id == current_user.id
        )
    )
    if ButtonForm().validate_on_submit():
        db.session.delete(device)
        db.session.commit()
        flash(_("That device won't get reminders any more."), "info")
    return redirect(url_for("reminders.index"))


@bp.post("/reminders/calendar")
@login_required
def new_feed():
    household = current_household()
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("reminders.index"))
    # One address per household: a new one switches the old one off.
    db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.household_id == household.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    token = security.new_token()
    db.session.add(CalendarFeed(household_id=household.id, created_by_id=current_user.id,
                                token_hash=security.token_hash(token)))
    db.session.commit()
    security.log_event("calendar_feed_created", current_user.id)
    # The only time the address exists outside a calendar app: never stored.
    url = url_for("reminders.calendar", token=token, _external=True)
    return render_template("reminders/feed_created.html", url=url,
                           webcal_url="webcal://" + url.split("://", 1)[1])


@bp.post("/reminders/calendar/off")
@login_required
def revoke_feed():
    household = current_household()
    if ButtonForm().validate_on_submit():
        db.session.execute(
            update(CalendarFeed)
            .where(CalendarFeed.household_id == household.id, CalendarFeed.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
        flash(_("The calendar address is switched off. Calendars using it get nothing now."),
              "info")
    return redirect(url_for("reminders.index"))


@bp.get("/calendar/<token>.ics")
def calendar(token: str):
    """Serve a household's calendar to whoever holds its live address; 404 for any other."""
    feed = None
    if token and len(token) <= 100:
        feed = db.session.scalar(
            select(CalendarFeed).where(CalendarFeed.token_hash == security.token_hash(token))
        )
    if feed is None or feed.revoked_at is not None:
        abort(404)
    maker = db.session.get(User, feed.created_by_id) if feed.created_by_id else None
    with force_locale(i18n.valid(maker.locale if maker else None) or i18n.DEFAULT):
        body = calendar_feed.household_calendar(feed.household_id)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="tend.ics"'
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def unsubscriber() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """Return the signed token of a weekly email's unsubscribe link (it never expires)."""
    # The account's creation time too: a later account given the same id is not this one.
    return unsubscriber().dumps([user.id, int(user.created_at.timestamp())])


def user_for_unsubscribe(token: str) -> User:
    """Return the account an unsubscribe token was made for, or 404."""
    try:
        user_id, created = unsubscriber().loads(token)
    except (BadSignature, TypeError, ValueError):
        abort(404)
    if not isinstance(user_id, int) or not isinstance(created, int):
        abort(404)
    require_id(user_id)
    user = db.get_or_404(User, user_id)
    if int(user.created_at.timestamp()) != created:
        abort(404)
    return user


# RFC 8058: the mail provider's one-click POST carries no CSRF token, and a link scanner's GET
# must change nothing, so GET asks and POST does it. Turning an email off is all it can do.
@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    user = user_for_unsubscribe(token)
    # In the language the email was written in, whatever the browser that opens the link.
    with force_locale(i18n.valid(user.locale) or i18n.current()):
        if request.method == "POST":
            db.session.execute(
                update(ReminderSettings).where(ReminderSettings.user_id == user.id)
                .values(weekly_email=False)
            )
            db.session.commit()
            return render_template("reminders/unsubscribed.html")
        return render_template("reminders/unsubscribe.html", token=token)
