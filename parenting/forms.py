"""One form per screen. Every field is validated on the server."""

from datetime import UTC, date, datetime, timedelta
from functools import cache

from babel import support
from babel.dates import get_day_names, get_month_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF  # the form CSRF FlaskForm uses; extended below
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from . import domain, i18n
from .nudges import is_quiet
from .security import MAX_PASSWORD, password_problem
from .timefmt import known_timezones

NOTE_MAX = 5000
FUTURE_SLACK = timedelta(minutes=5)
REPAIR_BEFORE_MOMENT = _l("Reconnecting can't come before the moment itself.")


class MultiCheckboxField(SelectMultipleField):
    """A set of chips: checkboxes sharing one name."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {str(value) for value, _label in self.choices}
        unknown = [value for value in self.data or [] if str(value) not in known]
        if unknown:
            raise ValidationError(_("Choose from the options shown."))


class ChoiceField(RadioField):
    """Radio buttons whose unknown values get a plain-words message."""

    def process_formdata(self, valuelist):
        # A blank answer is no answer. Optional() clears pre_validate's error for blank input,
        # so "  " would otherwise reach the view as a value (int("  ") fails there).
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.data is None and self.raw_data:
            raise ValidationError(_("Choose from the options shown."))
        if self.data is not None and str(self.data) not in {str(v) for v, _l in self.choices}:
            raise ValidationError(_("Choose from the options shown."))


def choices(items) -> list[tuple[str, str]]:
    """Turn domain choices into WTForms (value, label) pairs, labels translated when shown."""
    return [(c.id, c.name) for c in items]


def valid_timezone(form, field):
    if field.data not in known_timezones():
        raise ValidationError(_("Choose a time zone from the list, such as Europe/London."))


def not_in_future(form, field):
    """Refuse a time more than five minutes ahead of now (a naive time is the form's local)."""
    if field.data is None:
        return
    when = field.data if field.data.tzinfo else field.data.replace(tzinfo=form.tz)
    if when > datetime.now(UTC) + FUTURE_SLACK:
        raise ValidationError(_("That time is in the future. Pick a time up to now."))


def reasonable_past(form, field):
    if field.data is not None and field.data.year < 2000:
        raise ValidationError(_("That date is too far back. Check the year."))


@cache
def wtforms_catalogue(language: str) -> support.Translations:
    """Return WTForms' own messages ("Not a valid choice.") in `language`, read once per process."""
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class WTFormsMessages:
    """WTForms' own messages in the request's language, as Flask-WTF gives them."""

    def gettext(self, string):
        return wtforms_catalogue(i18n.current()).ugettext(string)

    def ngettext(self, singular, plural, n):
        return wtforms_catalogue(i18n.current()).ungettext(singular, plural, n)


class LazyToken:
    """A form's CSRF token, signed when the page shows it."""

    def __init__(self, make):
        self._make = make
        self._token = None

    def __str__(self) -> str:
        if self._token is None:
            self._token = self._make()
        return self._token


class LazyTokenCSRF(_FlaskFormCSRF):
    """Flask-WTF's form CSRF, signing the token only when it is shown.

    Flask-WTF signs one on every form it builds (~40 us, an HMAC); a POST that passes never
    shows it, and CSRFProtect has already checked the one it carried.
    """

    def generate_csrf_token(self, csrf_token_field):
        return LazyToken(lambda: super(LazyTokenCSRF, self).generate_csrf_token(csrf_token_field))


class TendForm(FlaskForm):
    """Every form's base."""

    class Meta:
        csrf_class = LazyTokenCSRF

        # Flask-WTF reads WTForms' catalogue from disk in every request that builds a form
        # (a .mo parse, five stats, the plural rule compiled with exec); this reads it once.
        def get_translations(self, form):
            return WTFORMS_MESSAGES


WTFORMS_MESSAGES = WTFormsMessages()


class SignupForm(TendForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(
        _l("Your name, as others in the household will see it"),
        validators=[DataRequired(), Length(max=60)],
    )
    password = PasswordField(
        _l("Password (at least 10 characters)"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD)],
    )
    timezone = StringField(
        _l("Time zone"), default="UTC", validators=[DataRequired(), Length(max=64), valid_timezone]
    )
    role = ChoiceField(
        _l("I'm here as"),
        choices=[("parent", _l("A parent or carer")), ("facilitator", _l("A group facilitator"))],
        default="parent",
        validators=[Optional()],
    )
    submit = SubmitField(_l("Create my account"))

    def validate_password(self, field):
        problem = password_problem(field.data or "", email=self.email.data or "")
        if problem:
            raise ValidationError(problem)


class LoginForm(TendForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField(_l("Remember me on this phone"))
    submit = SubmitField(_l("Log in"))


class AccountForm(TendForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=60)])
    timezone = StringField(_l("Your time zone"), validators=[DataRequired(), valid_timezone])
    submit = SubmitField(_l("Save"))


class LanguageForm(TendForm):
    """The language picker under Account; blank follows the browser."""

    language = SelectField(_l("Tend speaks to you in"), validate_choice=False)
    submit = SubmitField(_l("Use this language"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [("", _l("The browser's language"))] + [
            (code, i18n.NAMES.get(code, code)) for code in i18n.languages()]

    def validate_language(self, field):
        if field.data not in {code for code, _label in self.language.choices}:
            raise ValidationError(_l("Choose one of the languages listed."))


def capitalised(name: str) -> str:
    """Return a day or month name with a capital first letter, as a list of choices shows it."""
    return name[:1].upper() + name[1:]


def day_choices() -> list[tuple[str, str]]:
    """Return the weekdays, Monday first, named in the current language."""
    names = get_day_names("wide", context="stand-alone", locale=get_locale())
    return [(str(i), capitalised(names[i])) for i in range(7)]


def month_choices() -> list[tuple[str, str]]:
    """Return the months, January first, named in the current language."""
    names = get_month_names("wide", context="stand-alone", locale=get_locale())
    return [(str(m), capitalised(names[m])) for m in range(1, 13)]


# The colours' names as a person reads them; the ids are what is stored.
COLOUR_NAMES = {
    "#4f7cac": _l("Blue"),
    "#5b8c5a": _l("Green"),
    "#b5651d": _l("Amber"),
    "#8e5ea2": _l("Plum"),
    "#c05673": _l("Rose"),
    "#3a8f8f": _l("Teal"),
}


class HouseholdForm(TendForm):
    name = StringField(_l("Household name"), validators=[DataRequired(), Length(max=80)])
    timezone = StringField(
        _l("Household time zone (days and weeks are cut here)"),
        validators=[DataRequired(), valid_timezone],
    )
    week_start = SelectField(_l("Weeks start on"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.week_start.choices = day_choices()


class ChildForm(TendForm):
    nickname = StringField(
        _l("Nickname (no full names needed)"), validators=[DataRequired(), Length(max=40)]
    )
    birth_month = SelectField(_l("Birth month"), coerce=int)
    birth_year = IntegerField(
        _l("Birth year"),
        validators=[
            InputRequired(_l("Enter the year they were born.")),
            NumberRange(min=1990, max=2100, message=_l("Enter a year like 2023.")),
        ],
    )
    colour = ChoiceField(_l("Colour"), default="#4f7cac")
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_month.choices = month_choices()
        self.colour.choices = [(c.id, COLOUR_NAMES.get(c.id, c.label))
                               for c in domain.CHILD_COLOURS]

    def validate_birth_year(self, field):
        if field.data and field.data > datetime.now(UTC).year:
            raise ValidationError(_("That year hasn't come yet."))


class RoutineKindForm(TendForm):
    label = StringField(_l("Name"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Save"))


class ButtonForm(TendForm):
    """A form with only a CSRF token: one-tap POST actions."""

    submit = SubmitField("OK")


class MomentForm(TendForm):
    child_id = RadioField(_l("Child"), coerce=int, validate_choice=False)
    need = ChoiceField(
        _l("What did they need?"),
        choices=choices(domain.ALL_NEEDS),
        validators=[InputRequired(_l("Choose what they needed — “not sure” is always fine."))],
    )
    responses = MultiCheckboxField(_l("What I did"), choices=choices(domain.RESPONSES))
    when = ChoiceField(
        _l("When"),
        choices=[("0", _l("Now")), ("5", _l("5 min ago")), ("15", _l("15 min ago")),
                 ("30", _l("30 min ago")), ("at", _l("Another time"))],
        default="0",
    )
    at = DateTimeLocalField(
        _l("Time"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), not_in_future, reasonable_past],
    )
    cues = MultiCheckboxField(_l("What they did (the cue)"), choices=choices(domain.CUES))
    cue_text = StringField(_l("In a few words"), validators=[Optional(), Length(max=200)])
    miscue = BooleanField(_l("The behaviour didn't match the need"))
    intensity = ChoiceField(
        _l("How big was it?"), choices=[(str(i), str(i)) for i in range(1, 6)],
        validators=[Optional()],
    )
    how_soon = ChoiceField(
        _l("How soon I responded"), choices=choices(domain.HOW_SOON), validators=[Optional()]
    )
    feelings = MultiCheckboxField(
        _l("What I felt"), choices=domain.FEELING_LABELS.choices()
    )
    rupture = BooleanField(_l("It went sideways"))
    repaired = ChoiceField(
        _l("Did you reconnect?"), choices=[("yes", _l("Yes")), ("not_yet", _l("Not yet"))],
        validators=[Optional()],
    )
    repaired_at = DateTimeLocalField(
        _l("When we reconnected"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), not_in_future, reasonable_past],
    )
    repair_ways = MultiCheckboxField(_l("How"), choices=choices(domain.REPAIR_WAYS))
    repair_note = StringField(_l("Anything else about it"),
                              validators=[Optional(), Length(max=500)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def validate_child_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose one of your children."))

    def validate_when(self, field):
        if field.data == "at" and self.at.data is None and not self.at.errors:
            raise ValidationError(_("Pick the time, or choose “Now”."))

    def occurred_at(self, now: datetime) -> datetime:
        """Return the moment's UTC time from the shortcut or the picked local time."""
        if self.when.data == "at" and self.at.data is not None:
            return self.at.data.replace(tzinfo=self.tz).astimezone(UTC)
        return now - timedelta(minutes=int(self.when.data or 0))

    def validate_repaired_at(self, field):
        if field.data is None or self.at.data is None or self.when.data != "at":
            return
        if field.data < self.at.data:
            raise ValidationError(str(REPAIR_BEFORE_MOMENT))


class PromptAnswerForm(TendForm):
    prompt_id = HiddenField(validators=[DataRequired(), Length(max=60)])
    answer = TextAreaField(_l("Your thoughts"),
                           validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save my answer"))


class ReconnectForm(TendForm):
    repaired_at = DateTimeLocalField(
        _l("When"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), not_in_future, reasonable_past],
    )
    repair_ways = MultiCheckboxField(_l("How"), choices=choices(domain.REPAIR_WAYS))
    repair_note = StringField(_l("Anything else"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("We reconnected"))

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz


class RoutineTapForm(TendForm):
    child_id = HiddenField(validators=[DataRequired()])
    kind_id = HiddenField(validators=[DataRequired()])


class RoutineForm(TendForm):
    started_at = DateTimeLocalField(
        _l("Started"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter when it started.")), not_in_future, reasonable_past],
    )
    ended_at = DateTimeLocalField(
        _l("Ended (optional)"), format="%Y-%m-%dT%H:%M",
        validators=[Optional(), not_in_future, reasonable_past],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def validate_ended_at(self, field):
        if field.data and self.started_at.data and field.data < self.started_at.data:
            raise ValidationError(_("The end can't be before the start."))


class IsoDateTimeField(Field):
    """An exact time as ISO 8601 text with its UTC offset, read as aware UTC."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0]:
            return
        try:
            when = datetime.fromisoformat(valuelist[0])
        except ValueError:
            raise ValueError(_(
                "Give the time as ISO 8601 with its offset, like 2024-07-04T18:30:00+01:00."
            )) from None
        if when.tzinfo is None:
            raise ValueError(_("Give the time with its offset from UTC, like +01:00 or Z."))
        try:
            self.data = when.astimezone(UTC)
        except OverflowError:
            raise ValueError(_("That date is out of range. Check the year.")) from None


class MomentEntryForm(MomentForm):
    """The moment form as the JSON API fills it: exact times instead of the shortcuts.

    The child is not a field: the API looks it up first, so another household's child is a 404.
    """

    class Meta:
        # The API is CSRF-exempt and checks the request's origin instead (see api.py).
        csrf = False

    child_id = None
    when = None
    at = None
    repaired = None
    submit = None
    # Labelled, though the API shows no labels: an unlabelled field translates a made-up one
    # when the form is built, and that looked up the request's language on every POST.
    occurred_at = IsoDateTimeField(
        _l("Time"),
        validators=[InputRequired(_l("Give the moment's time.")), not_in_future, reasonable_past],
    )
    repaired_at = IsoDateTimeField(
        _l("When we reconnected"), validators=[Optional(), not_in_future, reasonable_past]
    )

    def validate_repaired_at(self, field):
        if field.data is None:
            return
        if not self.rupture.data:
            raise ValidationError(
                _("Only a moment that went sideways (rupture) can be reconnected."))
        if self.occurred_at.data is not None and field.data < self.occurred_at.data:
            raise ValidationError(str(REPAIR_BEFORE_MOMENT))

    def validate_repair_ways(self, field):
        # raw_data, not errors: repaired_at is declared later, so it is validated later.
        if field.data and not any(self.repaired_at.raw_data or []):
            raise ValidationError(_("Give repaired_at, the time you reconnected, with these."))

    def validate_repair_note(self, field):
        self.validate_repair_ways(field)


class RoutineEntryForm(RoutineForm):
    """The routine form as the JSON API fills it: exact times with their offsets."""

    class Meta:
        csrf = False

    started_at = IsoDateTimeField(
        validators=[InputRequired(_l("Enter when it started.")), not_in_future, reasonable_past]
    )
    ended_at = IsoDateTimeField(validators=[Optional(), not_in_future, reasonable_past])
    submit = None


class SpecialTimeStartForm(TendForm):
    child_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Start 5 minutes"))


class SkillsForm(TendForm):
    skills = MultiCheckboxField(
        _l("Which did you use?"), choices=choices(domain.SPECIAL_TIME_SKILLS)
    )
    note = TextAreaField(_l("Anything you noticed"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save"))


class PlannedTimesForm(TendForm):
    """Fields are added per routine kind by the view (planned_<kind id>)."""

    submit = SubmitField(_l("Save planned times"))


def planned_time_field(label: str) -> TimeField:
    """Return an optional time field for one routine kind's planned time."""
    return TimeField(label, validators=[Optional()], format="%H:%M")


class CheckInForm(TendForm):
    feeling = ChoiceField(
        _l("One word for how I feel"), choices=domain.FEELING_LABELS.choices(),
        validators=[Optional()],
    )
    energy = ChoiceField(
        _l("My energy (1 low – 5 high)"), choices=[(str(i), str(i)) for i in range(1, 6)],
        validators=[Optional()],
    )
    feel_text = StringField(_l("I feel…"), validators=[Optional(), Length(max=200)])
    need_text = StringField(_l("because I need…"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save my check-in"))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        # Spaces alone are not a line: they would be saved as an empty check-in.
        if not (self.feeling.data or self.energy.data or (self.feel_text.data or "").strip()
                or (self.need_text.data or "").strip()):
            self.feeling.errors.append(
                _("Pick a word, your energy, or write a line — any one will do.")
            )
            return False
        return True


class WeekReflectionForm(TendForm):
    answer = TextAreaField(_l("Your reflection"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save my reflection"))


class GroupForm(TendForm):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=80)])
    start_date = DateField(_l("First session"),
                           validators=[InputRequired(_l("Enter the start date."))])
    weeks = IntegerField(
        _l("Number of weeks (optional)"),
        validators=[Optional(),
                    NumberRange(min=1, max=104, message=_l("Between 1 and 104 weeks."))],
    )
    submit = SubmitField(_l("Save"))

    def validate_start_date(self, field):
        if field.data and not date(2000, 1, 1) <= field.data <= date(2100, 1, 1):
            raise ValidationError(_("Check the year of that date."))


class ThemeForm(TendForm):
    week = IntegerField(_l("Week"), validators=[InputRequired(_l("Enter the week number."))])
    theme = StringField(
        _l("Theme (leave blank to clear the week)"),
        validators=[Optional(), Length(max=80, message=_l("Keep the theme to 80 characters."))],
    )
    focus = SelectField(
        _l("Prompts lean towards"),
        choices=[("", _l("No particular focus")), *choices(domain.THEME_FOCUSES)],
        default="",
    )
    submit = SubmitField(_l("Save this week"))

    def __init__(self, *args, weeks: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.weeks = weeks

    def validate_week(self, field):
        if self.weeks is None:
            raise ValidationError(_("Set the number of weeks first, under Change dates."))
        if field.data is not None and not 1 <= field.data <= self.weeks:
            raise ValidationError(
                _("Week %(week)s is outside the programme (weeks 1–%(weeks)s).",
                  week=field.data, weeks=self.weeks)
            )


class JoinGroupForm(TendForm):
    code = StringField(_l("Invite code from your facilitator"), validators=[DataRequired(),
                                                                       Length(max=32)])
    submit = SubmitField(_l("Continue"))


class ShareWeekForm(TendForm):
    include_notes = BooleanField(_l("Include my notes on moments"))
    include_reflection = BooleanField(_l("Include my reflection of the week"))
    submit = SubmitField(_l("Share this week"))


class EveryWeekForm(TendForm):
    share_every_week = BooleanField(_l("Share every week automatically"))
    include_notes = BooleanField(_l("Include my notes on moments"))
    include_reflection = BooleanField(_l("Include my reflection of the week"))
    submit = SubmitField(_l("Save"))


QUESTION_MAX = 300


class ShareQuestionForm(TendForm):
    question = TextAreaField(
        _l("Something I'd like to bring to the group"),
        validators=[Optional(), Length(max=QUESTION_MAX,
                                       message=_l("Keep it to %(num)s characters.",
                                                  num=QUESTION_MAX))],
    )
    submit = SubmitField(_l("Save"))


class MomentCommentForm(TendForm):
    starter = ChoiceField(_l("Start with"), choices=choices(domain.COMMENT_STARTERS))
    # No Optional(): it would stop validate_text, which also covers a starter alone.
    text = TextAreaField(_l("In your own words"))
    submit = SubmitField(_l("Send"))

    def comment(self) -> str:
        """Return the starter and the words together, as the parent will read them."""
        starter = str(domain.COMMENT_STARTER_TEXT.get(self.starter.data or "", ""))
        return " ".join(part for part in (starter, (self.text.data or "").strip()) if part)

    def validate_text(self, field):
        comment = self.comment()
        if not comment:
            raise ValidationError(_("Pick a starter or write a few words."))
        if len(comment) > domain.COMMENT_MAX:
            raise ValidationError(
                _("Keep it to %(max)s characters, starter included (this is %(length)s).",
                  max=domain.COMMENT_MAX, length=len(comment))
            )


class FacilitatorNoteForm(TendForm):
    text = TextAreaField(_l("A short note back"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Send note"))


class NeedLabelsForm(TendForm):
    """Fields are added per need by the view (label_<need id>)."""

    submit = SubmitField(_l("Save labels"))


def need_label_field(default: str) -> StringField:
    """Return an optional relabelling field for one need."""
    return StringField(default, validators=[Optional(), Length(max=40)])


class ShareLinkForm(TendForm):
    first_week = SelectField(_l("From the week of"), validate_choice=True)
    last_week = SelectField(_l("To the week of"), validate_choice=True)
    days = IntegerField(
        _l("Expires after (days)"),
        default=14,
        validators=[
            InputRequired(_l("Enter how many days the link should work.")),
            NumberRange(min=1, max=90, message=_l("Between 1 and 90 days.")),
        ],
    )
    label = StringField(_l("Who is it for? (only you see this)"), validators=[Optional(),
                                                                        Length(max=80)])
    include_notes = BooleanField(_l("Include my notes on moments"))
    include_reflection = BooleanField(_l("Include my reflection of the week"))
    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=MAX_PASSWORD)])
    submit = SubmitField(_l("Create link"))

    def validate_last_week(self, field):
        if self.first_week.data and field.data and field.data < self.first_week.data:
            raise ValidationError(_("The last week can't be before the first."))


class DeleteAccountForm(TendForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    understand = BooleanField(
        _l("I understand this can't be undone"),
        validators=[DataRequired(_l("Tick the box to say you understand."))],
    )
    submit = SubmitField(_l("Delete my account"))


class NewPasswordForm(TendForm):
    """A new password, checked against the policy and the account's email; a reset's form."""

    new_password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[DataRequired(_l("Enter a new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    remember = BooleanField(_l("Remember me on this phone"))
    submit = SubmitField(_l("Save my new password"))

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", email=self.email)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = None  # this browser keeps the login it has
    submit = SubmitField(_l("Change my password"))


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


class ChangeEmailForm(TendForm):
    email = EmailField(
        _l("New email"),
        # Phone keyboards add a space after a suggested address.
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the new email.")), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change my email"))


class ResetRequestForm(TendForm):
    email = EmailField(
        _l("Your email"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your email.")), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a link"))


class ConfirmSignupForm(TendForm):
    # Most parents finish signing up on their own phone.
    remember = BooleanField(_l("Remember me on this phone"), default=True)
    submit = SubmitField(_l("Create my account"))


class ClockTimeField(TimeField):
    """A time of day, HH:MM, with a plain message for anything else."""

    def process_formdata(self, valuelist):
        if valuelist and not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a time between 00:00 and 23:59, like 17:30.")) from error


class ReminderSettingsForm(TendForm):
    special_time = BooleanField(_l("A daily nudge for special time"))
    special_time_at = ClockTimeField(_l("At"), format="%H:%M")
    week_ready = BooleanField(_l("“Your week is ready”, on the first morning of each week"))
    group_tomorrow = BooleanField(
        _l("“Group tomorrow”, the day before your parenting group meets"))
    weekly_email = BooleanField(_l("A weekly email: the week's headline and what went well"))
    submit = SubmitField(_l("Save reminders"))

    def validate_special_time_at(self, field):
        if not self.special_time.data:
            return
        if field.data is None:
            raise ValidationError(_("Choose a time for the nudge, between 07:00 and 20:59."))
        if is_quiet(field.data.hour * 60 + field.data.minute):
            raise ValidationError(
                _("Reminders stay quiet from 21:00 to 07:00: choose a time between 07:00 and "
                  "20:59.")
            )


class PushSubscriptionForm(TendForm):
    """Filled in by static/js/reminders.js from the browser's push subscription."""

    endpoint = HiddenField()
    p256dh = HiddenField()
    auth = HiddenField()
