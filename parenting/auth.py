"""Sign up, log in and out, account settings, and joining a household by invite."""


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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from . import domain, i18n, mail, security, tokens
from .extensions import db, login_manager
from .forms import (
    AccountForm,
    ButtonForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmSignupForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from .models import Child, EmailToken, Household, Invite, RoutineKind, User, utcnow

bp = Blueprint("auth", __name__)

INVITE_SESSION_KEY = "invite_token"
SENT_TO_KEY = "mail_sent_to"


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to log in; tell API callers 401 in JSON, never a redirect."""
    if request.path.startswith("/api/"):
        return jsonify({"error": "login_required", "login_url": url_for("auth.login")}), 401
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def account_id(email: str) -> int | None:
    """Return the id of the account with this (normalised) email, or None."""
    return db.session.scalar(select(User.id).where(User.email == email))


def commit_then_send(email: str, message: tuple[str, dict] | None) -> None:
    """Commit, then send the email chosen, if any: no link goes out for a row not stored."""
    db.session.commit()
    if message:
        template, context = message
        mail.send(email, template, **context)


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
        wait = tokens.ip_wait()
        if wait:
            security.log_event("signup_throttled")
            form.email.errors.append(security.TOO_MANY_TRIES)
            return throttled_page("auth/signup.html", wait, form=form, invite=invite)
        # Whether or not the address has an account, this costs one argon2 hash, one row and
        # one email, and the answer is the same page: only the mailbox's owner learns which.
        password_hash = security.hash_password(form.password.data)
        existing = account_id(email)
        tokens.forget_old()
        message = None
        if not tokens.address_allows(email):
            pass  # This address has had its emails for the hour; the page reads the same.
        elif existing is not None:
            tokens.record_notice(email, existing)
            message = ("signup_exists", {
                "locale": db.session.scalar(select(User.locale).where(User.id == existing)),
                "login_link": mail.external_url("auth.login"),
                "reset_link": mail.external_url("auth.reset_request"),
            })
        else:
            name = form.display_name.data.strip()
            token = tokens.issue(tokens.SIGNUP, email, payload={
                "display_name": name,
                "timezone": form.timezone.data,
                "facilitator": form.role.data == "facilitator" and invite is None,
                "password_hash": password_hash,
                "invite_id": invite.id if invite is not None else None,
                # A language picked on the logged-out pages carries over to the account.
                "locale": i18n.valid(request.cookies.get(i18n.COOKIE)),
            })
            message = ("signup_link", {
                "name": name, "link": mail.external_url("auth.confirm_signup", token=token),
            })
        commit_then_send(email, message)
        security.log_event("signup_requested")
        session[SENT_TO_KEY] = email
        return redirect(url_for("auth.check_email"))
    return render_template("auth/signup.html", form=form, invite=invite)


@bp.route("/signup/check-email")
def check_email():
    return sent_page(reset=False)


def sent_page(*, reset: bool):
    """The "check your email" page: the same whether or not the address has an account."""
    return render_template(
        "auth/check_email.html", email=session.get(SENT_TO_KEY), reset=reset,
        mail_server=mail.backend(current_app) == "smtp",
    )


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    """Create the account from a sign-up link (a GET only shows the button: mail scanners
    open links)."""
    row = tokens.find(token, tokens.SIGNUP)
    if row is None:
        return link_gone(url_for("auth.signup"))
    payload = row.payload or {}
    form = ConfirmSignupForm()
    if form.validate_on_submit():
        user = create_account(row)
        if user is None:
            flash(_("This email has a Tend account already. Log in with it."), "info")
            return redirect(url_for("auth.login"))
        session.clear()
        login_user(user, remember=form.remember.data)
        security.log_event("signup", user.id)
        invited = payload.get("invite_id")
        if invited and user.household is not None and invited == joined_invite_id(user):
            flash(_("Welcome! You've joined %(household)s.", household=user.household.name),
                  "success")
            return redirect(url_for("log.home"))
        if invited:
            flash(_("Welcome to Tend. The invite had expired or been used, so this is a "
                    "household of your own: ask for a new invite to join theirs."), "info")
        if user.is_facilitator:
            flash(_("Welcome to Tend. Create your first group."), "success")
            return redirect(url_for("groups.index"))
        flash(_("Welcome to Tend. Add your child to start."), "success")
        return redirect(url_for("household.new_child"))
    return render_template("auth/confirm_signup.html", form=form, email=row.email,
                           name=payload.get("display_name", ""))


def create_account(row) -> User | None:
    """Create the user a sign-up link stands for, and use the link; None if the email has an
    account by now."""
    payload = dict(row.payload or {})
    tokens.use(row)
    # The password hash has done its job here; it lives on only in the user row.
    row.payload = None
    if account_id(row.email) is not None:
        db.session.commit()
        return None
    facilitator = bool(payload.get("facilitator"))
    user = User(
        email=row.email,
        display_name=str(payload.get("display_name", ""))[:60] or row.email.split("@")[0][:60],
        password_hash=payload["password_hash"],
        timezone=payload.get("timezone") or "UTC",
        is_facilitator=facilitator,
        locale=i18n.valid(payload.get("locale")),
    )
    db.session.add(user)
    db.session.flush()
    invite = db.session.get(Invite, payload["invite_id"]) if payload.get("invite_id") else None
    if invite is not None and invite.used_at is None and invite.expires_at > utcnow():
        join_household(user, invite)
    elif not facilitator:
        # A facilitator has no household unless they also care for a child.
        create_household(user)
    try:
        db.session.commit()
    except IntegrityError:
        # The same address finished signing up in another tab a moment ago.
        db.session.rollback()
        return None
    return user


def joined_invite_id(user: User) -> int | None:
    return db.session.scalar(select(Invite.id).where(Invite.used_by_id == user.id))


def link_gone(again: str | None = None):
    return render_template("auth/link_gone.html", again=again), 404


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        wait = tokens.ip_wait()
        if wait:
            security.log_event("reset_throttled")
            form.email.errors.append(security.TOO_MANY_TRIES)
            return throttled_page("auth/reset_request.html", wait, form=form)
        email = normalise_email(form.email.data)
        user = db.session.scalar(select(User).where(User.email == email))
        tokens.forget_old()
        message = None
        if user is not None and tokens.address_allows(email):
            token = tokens.issue(tokens.RESET, email, user_id=user.id)
            message = ("reset_link", {
                "locale": user.locale,
                "name": user.display_name,
                "link": mail.external_url("auth.reset_password", token=token),
            })
        else:
            # Counted against this network address like a real one; nothing is sent.
            tokens.record_notice(email)
        commit_then_send(email, message)
        security.log_event("reset_requested")
        session[SENT_TO_KEY] = email
        return redirect(url_for("auth.reset_sent"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/password/reset/sent")
def reset_sent():
    return sent_page(reset=True)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    row = tokens.find(token, tokens.RESET)
    user = db.session.get(User, row.user_id) if row is not None and row.user_id else None
    if user is None or user.email != row.email:
        return link_gone(url_for("auth.reset_request"))
    form = NewPasswordForm(email=user.email)
    if form.validate_on_submit():
        user.password_hash = security.hash_password(form.new_password.data)
        # Every session and remember cookie dies; so does every other reset link.
        user.session_version += 1
        use_all(user.id, tokens.RESET)
        security.clear_login_failures(user.email)
        db.session.commit()
        session.clear()
        login_user(user, remember=form.remember.data)
        security.log_event("password_reset", user.id)
        notify_password_changed(user)
        flash(_("Your new password is saved, and you're logged in. Any other phone or computer "
                "is logged out."), "success")
        return redirect(url_for("log.home"))
    return render_template("auth/reset_password.html", form=form, email=user.email)


def use_all(user_id: int, purpose: str) -> None:
    """Use up every outstanding link of one kind for a user."""
    db.session.execute(
        update(EmailToken)
        .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose,
               EmailToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def notify_password_changed(user: User) -> None:
    mail.send(user.email, "password_changed", locale=user.locale, name=user.display_name,
              reset_link=mail.external_url("auth.reset_request"))


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
            form.password.errors.append(_("That email and password don't match. Try again."))
            return render_template("auth/login.html", form=form), 200
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(form.password.data)
        security.clear_login_failures(email)
        db.session.commit()
        invite_token = session.get(INVITE_SESSION_KEY)
        # A fresh session id at login: nothing from before carries over but the invite.
        session.clear()
        login_user(user, remember=form.remember.data)
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
    flash(_("You're logged out. See you soon."), "info")
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
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return account_page(form, LanguageForm(language=current_user.locale or ""))


def account_page(form: AccountForm, language: LanguageForm):
    return render_template("auth/account.html", form=form, button=ButtonForm(), language=language)


@bp.post("/account/language")
@login_required
def account_language():
    """Store the language this user reads Tend in; blank follows the browser."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return account_page(AccountForm(obj=current_user), form)
    current_user.locale = form.language.data or None
    db.session.commit()
    # This request chose its language before the change: say "Saved" in the new one.
    with force_locale(current_user.locale or i18n.browser()):
        flash(_("Saved. Tend speaks your language now."), "success")
    response = redirect(url_for("auth.account"))
    response.delete_cookie(i18n.COOKIE)
    return response


@bp.get("/language/<code>")
def language(code: str):
    """Remember a language picked on a logged-out page, in a cookie, and go back."""
    # A plain link, so logged-out pages carry no form: a preference, not a change to any data.
    target = safe_next(request.args.get("next"))
    if not i18n.valid(code):
        flash(_("Choose one of the languages listed."), "error")
        return redirect(target)
    response = redirect(target)
    response.set_cookie(
        i18n.COOKIE, code, max_age=i18n.COOKIE_DAYS * 86400,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )
    return response


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
                _("Your account already keeps a log for a child, so it can't join another "
                  "household. Sign up with another email to join this one."),
                "error",
            )
            return redirect(url_for("log.home"))
        db.session.commit()
        session.pop(INVITE_SESSION_KEY, None)
        flash(_("You've joined %(household)s.", household=invite.household.name), "success")
        return redirect(url_for("log.home"))
    return render_template("auth/accept_invite.html", invite=invite, form=form)


def renew_login(user: User) -> None:
    """Log this browser in again with a fresh session after the session version changed."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    session.clear()
    login_user(user, remember=remembered)


def throttled_page(template: str, wait: int, **context):
    return render_template(template, **context), 429, {"Retry-After": str(wait)}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        ok, wait = security.recheck_password(current_user, form.current_password.data)
        if wait:
            form.current_password.errors.append(security.TOO_MANY_TRIES)
            return throttled_page("auth/change_password.html", wait, form=form)
        if not ok:
            form.current_password.errors.append(_("That isn't your current password."))
            return render_template("auth/change_password.html", form=form)
        user = current_user._get_current_object()
        user.password_hash = security.hash_password(form.new_password.data)
        # Every other session and remember cookie dies with the old version; this one renews.
        user.session_version += 1
        use_all(user.id, tokens.RESET)
        db.session.commit()
        renew_login(user)
        security.log_event("password_changed", user.id)
        notify_password_changed(user)
        flash(_("Your password is changed. Any other phone or computer is logged out."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        ok, wait = security.recheck_password(current_user, form.password.data)
        if wait:
            form.password.errors.append(security.TOO_MANY_TRIES)
            return throttled_page("auth/change_email.html", wait, form=form)
        if not ok:
            form.password.errors.append(_("That password isn't right."))
            return render_template("auth/change_email.html", form=form)
        email = normalise_email(form.email.data)
        if email == current_user.email:
            form.email.errors.append(_("That is already your email."))
            return render_template("auth/change_email.html", form=form)
        wait = tokens.ip_wait()
        if wait:
            form.email.errors.append(security.TOO_MANY_TRIES)
            return throttled_page("auth/change_email.html", wait, form=form)
        # The change waits for a link sent to the new address, so nobody can take over an
        # address that isn't theirs, and this page never says whether it has an account.
        tokens.forget_old()
        message = None
        if tokens.address_allows(email):
            if account_id(email) is not None:
                tokens.record_notice(email)
                message = ("email_change_taken", {"locale": db.session.scalar(
                    select(User.locale).where(User.email == email))})
            else:
                token = tokens.issue(tokens.NEW_EMAIL, email, user_id=current_user.id)
                message = ("email_change_link", {
                    "locale": current_user.locale,
                    "name": current_user.display_name,
                    "link": mail.external_url("auth.confirm_email", token=token),
                })
        commit_then_send(email, message)
        security.log_event("email_change_requested", current_user.id)
        flash(_("We've sent a link to %(email)s. Your email changes when you open it; until "
                "then, keep logging in with the one you have.", email=email), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Move an account to the address a link was sent to (a GET only shows the button)."""
    row = tokens.find(token, tokens.NEW_EMAIL)
    user = db.session.get(User, row.user_id) if row is not None and row.user_id else None
    if user is None:
        return link_gone()
    form = ButtonForm()
    if form.validate_on_submit():
        old_email, new_email = user.email, row.email
        use_all(user.id, tokens.NEW_EMAIL)
        if account_id(new_email) is None:
            user.email = new_email  # after the UPDATE above: it must flush inside the try
        try:
            db.session.commit()
        except IntegrityError:
            # Taken between the check and the write: the links are used up all the same.
            db.session.rollback()
            use_all(user.id, tokens.NEW_EMAIL)
            db.session.commit()
        if user.email != new_email:
            # Someone signed up with it since the link was sent.
            flash(_("That email has a Tend account of its own now, so it can't be used for this "
                    "one. Nothing was changed."), "error")
            return redirect(url_for("auth.login"))
        security.log_event("email_changed", user.id)
        mail.send(old_email, "email_changed", locale=user.locale, name=user.display_name,
                  new_email=new_email, reset_link=mail.external_url("auth.reset_request"))
        flash(_("Your email is now %(email)s. Log in with it from now on.", email=new_email),
              "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("auth.account"))
        return redirect(url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form, email=row.email)


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
