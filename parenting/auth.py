"""Sign up, log in and out, account settings, and joining a household by invite."""

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from . import domain, security
from .extensions import db, login_manager
from .forms import AccountForm, ButtonForm, LoginForm, SignupForm
from .models import Child, Household, Invite, RoutineKind, User, utcnow

bp = Blueprint("auth", __name__)
log = logging.getLogger("tend.auth")

INVITE_SESSION_KEY = "invite_token"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load a user from "id:session_version"; a stale version is no session at all."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to log in; tell API callers 401 in JSON, never a redirect."""
    if request.path.startswith("/api/"):
        return jsonify({"error": "login_required", "login_url": url_for("auth.login")}), 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_household(owner: User) -> Household:
    """Create a household for a new caregiver, with the default routine kinds."""
    household = Household(name=f"{owner.display_name}'s household", timezone=owner.timezone)
    for position, kind in enumerate(domain.DEFAULT_ROUTINE_KINDS):
        household.routine_kinds.append(
            RoutineKind(key=kind.id, label=kind.label, position=position)
        )
    db.session.add(household)
    owner.household = household
    return household


def pending_invite() -> Invite | None:
    """Return the usable invite carried in the session, if any."""
    token = session.get(INVITE_SESSION_KEY)
    if not token:
        return None
    return usable_invite(token)


def usable_invite(token: str) -> Invite | None:
    """Return an unused, unexpired invite for a token, or None."""
    invite = db.session.scalar(
        select(Invite).where(Invite.token_hash == security.token_hash(token))
    )
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        return None
    return invite


def join_household(user: User, invite: Invite) -> bool:
    """Move a user into the invite's household; refuse when their own has children."""
    old = user.household
    if old is not None and old.id != invite.household_id:
        has_children = db.session.scalar(
            select(func.count()).select_from(Child).where(Child.household_id == old.id)
        )
        if has_children:
            return False
    user.household_id = invite.household_id
    user.last_child_id = None
    invite.used_at = utcnow()
    invite.used_by_id = user.id
    db.session.flush()
    if old is not None and old.id != invite.household_id:
        others = db.session.scalar(
            select(func.count()).select_from(User).where(User.household_id == old.id)
        )
        if not others:
            db.session.delete(old)
    return True


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("log.home"))
    form = SignupForm()
    invite = pending_invite()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            # The same words as success would reveal nothing, but a parent needs to know
            # what to do next; this message does not say whose account it is.
            form.email.errors.append(
                "We couldn't create an account with that email. If it is yours, log in instead."
            )
        else:
            user = User(
                email=email,
                display_name=form.display_name.data.strip(),
                password_hash=security.hash_password(form.password.data),
                timezone=form.timezone.data,
            )
            db.session.add(user)
            db.session.flush()
            facilitator = form.role.data == "facilitator" and invite is None
            user.is_facilitator = facilitator
            if invite is not None:
                join_household(user, invite)
                session.pop(INVITE_SESSION_KEY, None)
            elif not facilitator:
                # A facilitator has no household unless they also care for a child.
                create_household(user)
            db.session.commit()
            session.clear()
            login_user(user, remember=False)
            log.info("signup user_id=%s ip=%s", user.id, security.client_ip())
            if invite is not None:
                flash(f"Welcome! You've joined {invite.household.name}.", "success")
                return redirect(url_for("log.home"))
            if facilitator:
                flash("Welcome to Tend. Create your first group.", "success")
                return redirect(url_for("groups.index"))
            flash("Welcome to Tend. Add your child to start.", "success")
            return redirect(url_for("household.new_child"))
    return render_template("auth/signup.html", form=form, invite=invite)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("log.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        ip = security.client_ip()
        wait = security.throttle_wait(email, ip)
        if wait:
            log.warning("login throttled ip=%s", ip)
            response = render_template("auth/login.html", form=form, throttled=True)
            return response, 429, {"Retry-After": str(wait)}
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None or not security.check_password(user.password_hash, form.password.data):
            security.record_login_failure(email, ip)
            log.info("login failed ip=%s", ip)
            form.password.errors.append("That email and password don't match. Try again.")
            return render_template("auth/login.html", form=form), 200
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(form.password.data)
        security.clear_login_failures(email)
        db.session.commit()
        invite_token = session.get(INVITE_SESSION_KEY)
        # A fresh session id at login: nothing from before carries over but the invite.
        session.clear()
        login_user(user, remember=form.remember.data, duration=timedelta(days=30))
        log.info("login user_id=%s ip=%s", user.id, ip)
        if invite_token:
            session[INVITE_SESSION_KEY] = invite_token
            return redirect(url_for("auth.accept_invite"))
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def safe_next(target: str | None) -> str:
    """Return a local path to go to after login, never another site."""
    # Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"), and a newline
    # can't go in a header at all, so any control character disqualifies the target.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return url_for("log.home")


@bp.post("/logout")
def logout():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        # Bumping the version kills every copy of this session and remember cookie.
        current_user.session_version += 1
        db.session.commit()
        log.info("logout user_id=%s ip=%s", current_user.id, security.client_ip())
    logout_user()
    session.clear()
    flash("You're logged out. See you soon.", "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash("Saved.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, button=ButtonForm())


@bp.route("/invites/<token>")
def open_invite(token: str):
    """Keep the invite in the session, then sign up or log in to accept it."""
    invite = usable_invite(token[:100])
    if invite is None:
        return render_template("auth/invite_gone.html"), 404
    session[INVITE_SESSION_KEY] = token
    if current_user.is_authenticated:
        return redirect(url_for("auth.accept_invite"))
    return render_template("auth/invite.html", invite=invite)


@bp.route("/invites/accept", methods=["GET", "POST"])
@login_required
def accept_invite():
    invite = pending_invite()
    if invite is None:
        session.pop(INVITE_SESSION_KEY, None)
        return render_template("auth/invite_gone.html"), 404
    form = ButtonForm()
    if form.validate_on_submit():
        if not join_household(current_user, invite):
            db.session.rollback()
            flash(
                "Your account already keeps a log for a child, so it can't join another "
                "household. Sign up with another email to join this one.",
                "error",
            )
            return redirect(url_for("log.home"))
        db.session.commit()
        session.pop(INVITE_SESSION_KEY, None)
        flash(f"You've joined {invite.household.name}.", "success")
        return redirect(url_for("log.home"))
    return render_template("auth/accept_invite.html", invite=invite, form=form)
