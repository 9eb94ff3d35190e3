"""Sign up, log in and out, account settings, and joining a household by invite."""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
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
from sqlalchemy.exc import IntegrityError

from . import domain, security
from .extensions import db, login_manager
from .forms import (
    AccountForm,
    ButtonForm,
    ChangeEmailForm,
    ChangePasswordForm,
    LoginForm,
    SignupForm,
)
from .models import Child, Household, Invite, RoutineKind, User, utcnow

bp = Blueprint("auth", __name__)

INVITE_SESSION_KEY = "invite_token"
REMEMBER_DAYS = 30
TOO_MANY_TRIES = "Too many tries in a short time. Please wait a few minutes and try again."
EMAIL_TAKEN = "We couldn't create an account with that email. If it is yours, log in instead."


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
        ip = security.client_ip()
        wait = security.throttle_wait(None, ip)
        if wait:
            security.log_event("signup_throttled")
            form.email.errors.append(TOO_MANY_TRIES)
            page = render_template("auth/signup.html", form=form, invite=invite)
            return page, 429, {"Retry-After": str(wait)}
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            # Without sending email, sign-up cannot hide that an address has an account: a
            # parent needs to know what to do next. The message does not say whose account it
            # is, and each such answer counts against the address like a failed login, so
            # nobody can test a list of emails.
            security.record_login_failure("", ip)
            security.log_event("signup_refused")
            form.email.errors.append(EMAIL_TAKEN)
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
            security.log_event("signup", user.id)
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
            security.log_event("login_throttled")
            response = render_template("auth/login.html", form=form, throttled=True)
            return response, 429, {"Retry-After": str(wait)}
        user = db.session.scalar(select(User).where(User.email == email))
        stored = user.password_hash if user is not None else None
        if not security.check_login(stored, form.password.data):
            security.record_login_failure(email, ip)
            security.log_event("login_failed", user.id if user is not None else None)
            form.password.errors.append("That email and password don't match. Try again.")
            return render_template("auth/login.html", form=form), 200
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(form.password.data)
        security.clear_login_failures(email)
        db.session.commit()
        invite_token = session.get(INVITE_SESSION_KEY)
        # A fresh session id at login: nothing from before carries over but the invite.
        session.clear()
        login_user(user, remember=form.remember.data, duration=timedelta(days=REMEMBER_DAYS))
        security.log_event("login", user.id)
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
        security.log_event("logout", current_user.id)
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


def renew_login(user: User) -> None:
    """Log this browser in again with a fresh session after the session version changed."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    session.clear()
    login_user(user, remember=remembered, duration=timedelta(days=REMEMBER_DAYS))


def throttled_page(template: str, wait: int, **context):
    return render_template(template, **context), 429, {"Retry-After": str(wait)}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        ok, wait = security.recheck_password(current_user, form.current_password.data)
        if wait:
            form.current_password.errors.append(TOO_MANY_TRIES)
            return throttled_page("auth/change_password.html", wait, form=form)
        if not ok:
            form.current_password.errors.append("That isn't your current password.")
            return render_template("auth/change_password.html", form=form)
        user = current_user._get_current_object()
        user.password_hash = security.hash_password(form.new_password.data)
        # Every other session and remember cookie dies with the old version; this one renews.
        user.session_version += 1
        db.session.commit()
        renew_login(user)
        security.log_event("password_changed", user.id)
        flash("Your password is changed. Any other phone or computer is logged out.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        ok, wait = security.recheck_password(current_user, form.password.data)
        if wait:
            form.password.errors.append(TOO_MANY_TRIES)
            return throttled_page("auth/change_email.html", wait, form=form)
        if not ok:
            form.password.errors.append("That password isn't right.")
            return render_template("auth/change_email.html", form=form)
        email = normalise_email(form.email.data)
        if email == current_user.email:
            form.email.errors.append("That is already your email.")
            return render_template("auth/change_email.html", form=form)
        taken = db.session.scalar(select(User.id).where(User.email == email)) is not None
        if not taken:
            current_user.email = email
            try:
                db.session.commit()
            except IntegrityError:
                # Someone took it between the check and the write.
                db.session.rollback()
                taken = True
        if taken:
            # Only someone who knows this account's password gets this far; the words still
            # do not say whose the other account is.
            form.email.errors.append(
                "That email can't be used for this account. If you have another Tend account "
                "with it, delete that one first."
            )
            return render_template("auth/change_email.html", form=form)
        security.log_event("email_changed", current_user.id)
        flash("Your email is changed. Log in with the new one from now on.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form)


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    user_id = current_user.id
    # The session version is in every session and remember cookie: all of them die at once.
    current_user.session_version += 1
    db.session.commit()
    security.log_event("logout_everywhere", user_id)
    logout_user()
    session.clear()
    flash("You're logged out on every phone and computer, this one too.", "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
