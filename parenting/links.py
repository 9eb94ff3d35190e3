"""Share links: a read-only, expiring view of one child's weeks for someone without an account."""

import re
from datetime import date, timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_fresh, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import metrics, security
from .access import current_household, get_child_or_404, require_id
from .extensions import db
from .forms import ButtonForm, ShareLinkForm
from .models import ShareLink, ShareView, utcnow
from .summary import shared_week_context
from .timefmt import local_date_filter, local_today, zone

bp = Blueprint("links", __name__)

COOKIE_PATH = "/s/"
DEFAULT_DAYS = 14
MAX_DAYS = 90
WEEKS_OFFERED = 12


def week_choices(week_start: int) -> list[tuple[str, str]]:
    """Return the last weeks as (first day ISO, label) choices, newest first."""
    this_week = metrics.week_start_for(local_today(), week_start)
    weeks = [this_week - timedelta(days=7 * i) for i in range(WEEKS_OFFERED)]
    return [(d.isoformat(), f"{local_date_filter(d, 'day_month')} – "
                            f"{local_date_filter(d + timedelta(days=6), 'date')}") for d in weeks]


def get_link_or_404(link_id: int) -> ShareLink:
    """Return a share link of the current household, or 404."""
    require_id(link_id)
    return db.one_or_404(
        select(ShareLink).where(
            ShareLink.id == link_id, ShareLink.household_id == current_household().id
        )
    )


@bp.route("/children/<int:child_id>/share-links/new", methods=["GET", "POST"])
@login_required
def new_link(child_id: int):
    child = get_child_or_404(child_id)
    household = current_household()
    form = ShareLinkForm()
    form.first_week.choices = form.last_week.choices = week_choices(household.week_start)
    if request.method == "GET":
        form.first_week.data = form.last_week.data = form.first_week.choices[0][0]
    fresh = login_fresh()
    if form.validate_on_submit():
        # A remembered session is not enough to hand out a child's data: ask again, and count
        # wrong answers like failed logins, so a stolen cookie cannot guess the password.
        ok, wait = (True, 0) if fresh else security.recheck_password(
            current_user, form.password.data
        )
        if wait:
            form.password.errors.append(security.TOO_MANY_TRIES)
            page = render_template("links/new.html", form=form, child=child, fresh=fresh,
                                   max_days=MAX_DAYS)
            return page, 429, {"Retry-After": str(wait)}
        if not ok:
            form.password.errors.append(_("Enter your password to create a link."))
        else:
            token = security.new_token()
            link = ShareLink(
                household_id=household.id,
                child_id=child.id,
                created_by_id=current_user.id,
                token_hash=security.token_hash(token),
                label=(form.label.data or "").strip(),
                first_day=date.fromisoformat(form.first_week.data),
                last_first_day=date.fromisoformat(form.last_week.data),
                include_notes=form.include_notes.data,
                include_reflection=form.include_reflection.data,
                expires_at=utcnow() + timedelta(days=form.days.data),
            )
            db.session.add(link)
            db.session.commit()
            security.log_event("share_link_created", current_user.id, link_id=link.id)
            url = url_for("links.open_link", token=token, _external=True)
            # The only time the token exists outside the visitor's browser: never stored.
            return render_template("links/created.html", url=url, link=link)
    return render_template("links/new.html", form=form, child=child, fresh=fresh,
                           max_days=MAX_DAYS)


@bp.route("/share-links")
@login_required
def list_links():
    household = current_household()
    links = db.session.scalars(
        select(ShareLink)
        .options(selectinload(ShareLink.views), selectinload(ShareLink.child))
        .where(ShareLink.household_id == household.id)
        .order_by(ShareLink.created_at.desc())
    ).all()
    return render_template("links/list.html", links=links, now=utcnow(), button=ButtonForm())


@bp.post("/share-links/<int:link_id>/revoke")
@login_required
def revoke_link(link_id: int):
    link = get_link_or_404(link_id)
    if ButtonForm().validate_on_submit() and link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.commit()
        flash(_("The link is switched off. Anyone who opens it now sees nothing."), "info")
    return redirect(url_for("links.list_links"))


def active_link(token: str | None) -> ShareLink | None:
    """Return the active link for a token, or None (unknown, revoked or expired alike)."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(
        select(ShareLink).where(ShareLink.token_hash == security.token_hash(token))
    )
    if link is None or not link.is_active(utcnow()):
        return None
    return link


@bp.after_app_request
def share_headers(response):
    """Keep share pages (refused requests too) out of caches, search engines and Referers."""
    if request.path.startswith(COOKIE_PATH):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def gone():
    return render_template("links/gone.html"), 404


@bp.get("/s/<token>")
def open_link(token: str):
    """Swap the token in the URL for a cookie on the share pages, then go to a clean URL."""
    link = active_link(token)
    if link is None:
        return gone()
    response = redirect(url_for("links.shared_week"), code=303)
    response.set_cookie(
        current_app.config["SHARE_COOKIE_NAME"],
        token,
        max_age=int((link.expires_at - utcnow()).total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
    return response


# A device is stored in English (it is data, also in exports); these are shown in the page's
# language. Names of products (iPhone, Mac, Chromebook…) read the same everywhere.
DEVICE_NAMES = {
    "Android phone": _l("Android phone"),
    "Android tablet": _l("Android tablet"),
    "Windows computer": _l("Windows computer"),
    "Linux computer": _l("Linux computer"),
    "Unknown device": _l("Unknown device"),
}


@bp.app_template_filter("device")
def device_filter(stored: str | None) -> str:
    """Name a stored device ("Android phone, Chrome") in the page's language."""
    device, comma, browser = (stored or "").partition(", ")
    return f"{DEVICE_NAMES.get(device, device)}{comma}{browser}"


def coarse_device(user_agent: str) -> str:
    """Describe a browser as a coarse kind of device, never the full user agent."""
    ua = user_agent or ""
    kinds = (
        (r"iPhone", "iPhone"), (r"iPad", "iPad"), (r"Android.*Mobile", "Android phone"),
        (r"Android", "Android tablet"), (r"Macintosh|Mac OS X", "Mac"),
        (r"Windows", "Windows computer"), (r"CrOS", "Chromebook"), (r"Linux", "Linux computer"),
    )
    device = next((name for pattern, name in kinds if re.search(pattern, ua)), "Unknown device")
    browsers = (
        (r"Edg/", "Edge"), (r"Firefox/|FxiOS", "Firefox"), (r"Chrome/|CriOS", "Chrome"),
        (r"Safari/", "Safari"),
    )
    browser = next((name for pattern, name in browsers if re.search(pattern, ua)), None)
    return f"{device}, {browser}" if browser else device


def link_weeks(link: ShareLink) -> list[date]:
    """Return the first days of the weeks a link covers, oldest first."""
    weeks, day = [], link.first_day
    while day <= link.last_first_day and len(weeks) < 53:
        weeks.append(day)
        day += timedelta(days=7)
    return weeks


@bp.get("/s/")
@bp.get("/s/weeks/<week>")
def shared_week(week: str | None = None):
    link = active_link(request.cookies.get(current_app.config["SHARE_COOKIE_NAME"]))
    if link is None:
        return gone()
    weeks = link_weeks(link)
    first_day = weeks[-1]
    if week is not None:
        by_label = {metrics.iso_week_label(d): d for d in weeks}
        if week not in by_label:
            # The share page's own "not available", never the app's error page with its links.
            return gone()
        first_day = by_label[week]
    db.session.add(ShareView(link_id=link.id, device=coarse_device(request.user_agent.string)))
    db.session.commit()
    index = weeks.index(first_day)
    g.share_zone = zone(link.child.household.timezone)
    context = shared_week_context(
        link.child, first_day, need_labels=None,
        include_notes=link.include_notes, include_reflection=link.include_reflection,
    )
    if index == 0:
        # The week before the link's first is not shared: "since last week" would show it.
        context["changes"] = []

    def week_url(i: int) -> str | None:
        if 0 <= i < len(weeks):
            return url_for("links.shared_week", week=metrics.iso_week_label(weeks[i]))
        return None

    return render_template(
        "summary/shared.html",
        layout="share_base.html",
        prev_url=week_url(index - 1),
        next_url=week_url(index + 1),
        expires_at=link.expires_at.astimezone(g.share_zone),
        intro=None,
        **context,
    )
