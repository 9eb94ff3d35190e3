"""Typed models. Every entry hangs off a child; every child off a household."""

import uuid as uuid_lib
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """Return a random UUID as text."""
    return str(uuid_lib.uuid4())


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC; SQLite drops the zone, so re-attach it on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Household(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    week_start: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["User"]] = relationship(back_populates="household")
    children: Mapped[list["Child"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Child.id"
    )
    routine_kinds: Mapped[list["RoutineKind"]] = relationship(
        back_populates="household",
        cascade="all, delete-orphan",
        order_by="(RoutineKind.position, RoutineKind.id)",
    )


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language the user picked under Account ("en", "es"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(16))
    # Part of get_id(): bumping it makes every old session and remember cookie stale.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    last_child_id: Mapped[int | None] = mapped_column(
        ForeignKey("child.id", ondelete="SET NULL", use_alter=True)
    )
    # Home's visits: when it was last opened, and where the visit before this one ended;
    # "while you were away" lists what others logged since then.
    home_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    away_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Invite(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    household: Mapped[Household] = relationship()


class Child(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    nickname: Mapped[str] = mapped_column(String(40))
    birth_month: Mapped[int] = mapped_column(Integer)
    birth_year: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship(back_populates="children")
    planned_times: Mapped[list["PlannedTime"]] = relationship(
        back_populates="child", cascade="all, delete-orphan"
    )


class RoutineKind(db.Model):
    __table_args__ = (UniqueConstraint("household_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(40))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    household: Mapped[Household] = relationship(back_populates="routine_kinds")


class PlannedTime(db.Model):
    __table_args__ = (UniqueConstraint("child_id", "kind_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("routine_kind.id", ondelete="CASCADE"))
    minute: Mapped[int] = mapped_column(Integer)

    child: Mapped[Child] = relationship(back_populates="planned_times")
    kind: Mapped[RoutineKind] = relationship()


# What the week's figures read of a moment and of a routine besides the child and the time
# (summary_rows selects exactly these): the child-and-time indexes carry them.
MOMENT_WEEK_COLUMNS = (
    "caregiver_id", "need", "responses", "how_soon", "feelings", "rupture", "repaired_at",
)
ROUTINE_WEEK_COLUMNS = ("kind_id", "caregiver_id", "ended_at", "skills")


def covering_index(name: str, keys: tuple[str, ...], carried: tuple[str, ...]) -> tuple:
    """Return an index on `keys` that also carries `carried`, so a query of only these columns
    reads the index and not the table, where a family's rows sit among every other family's (a
    table page for each row once there are many). SQLite takes them as more key columns,
    PostgreSQL as INCLUDE columns (its JSON columns can't be keys): each database builds its own
    spelling, and Alembic compares only that one (`built_here`)."""
    return (
        db.Index(name, *keys, *carried, info={"dialect": "sqlite"}).ddl_if(dialect="sqlite"),
        db.Index(name, *keys, postgresql_include=list(carried),
                 info={"dialect": "postgresql"}).ddl_if(dialect="postgresql"),
    )


def built_here(dialect: str):
    """Return an Alembic `include_object` that leaves out the indexes spelt for other databases."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return reflected or type_ != "index" or obj.info.get("dialect", dialect) == dialect

    return include


class Moment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    caregiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    need: Mapped[str] = mapped_column(String(32))
    cues: Mapped[list] = mapped_column(JSON, default=list)
    cue_text: Mapped[str] = mapped_column(String(200), default="")
    miscue: Mapped[bool] = mapped_column(Boolean, default=False)
    intensity: Mapped[int | None] = mapped_column(Integer)
    responses: Mapped[list] = mapped_column(JSON, default=list)
    how_soon: Mapped[str | None] = mapped_column(String(20))
    feelings: Mapped[list] = mapped_column(JSON, default=list)
    rupture: Mapped[bool] = mapped_column(Boolean, default=False)
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repair_ways: Mapped[list] = mapped_column(JSON, default=list)
    repair_note: Mapped[str] = mapped_column(String(500), default="")
    loop_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    prompt_id: Mapped[str | None] = mapped_column(String(60))
    prompt_answer: Mapped[str] = mapped_column(Text, default="")
    # "I'd like to talk about this": shown to a group only with the week it belongs to.
    starred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    child: Mapped[Child] = relationship()
    caregiver: Mapped[User | None] = relationship()

    __table_args__ = (
        *covering_index("ix_moment_child_time", ("child_id", "occurred_at"), MOMENT_WEEK_COLUMNS),
        # "While you were away" on home: what was logged since a time, not the whole history.
        db.Index("ix_moment_child_created", "child_id", "created_at"),
    )

    @property
    def is_open_loop(self) -> bool:
        return self.rupture and self.repaired_at is None and self.loop_closed_at is None


def open_loop_condition():
    """Return the SQL condition of an open loop: a rupture not yet repaired nor let go.

    The partial index below is declared with this very condition, so SQLite and PostgreSQL
    match a query that uses it to the index: home reads the few open loops, not the history.
    """
    return and_(
        Moment.rupture.is_(True), Moment.repaired_at.is_(None), Moment.loop_closed_at.is_(None)
    )


# rupture is always true in this index, but as a column it matches one more term of the query
# than ix_moment_child_time does, so SQLite picks this index without statistics to go on (on a
# tie it may take either, and the other reads the child's whole history).
db.Index(
    "ix_moment_open_loop",
    Moment.child_id,
    Moment.rupture,
    Moment.occurred_at,
    sqlite_where=open_loop_condition(),
    postgresql_where=open_loop_condition(),
)


class Routine(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    kind_id: Mapped[int] = mapped_column(ForeignKey("routine_kind.id", ondelete="CASCADE"))
    caregiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Special time: the end is fixed when the timer starts, so a locked screen loses nothing.
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    kind: Mapped[RoutineKind] = relationship()
    caregiver: Mapped[User | None] = relationship()

    __table_args__ = (
        *covering_index("ix_routine_child_time", ("child_id", "started_at"), ROUTINE_WEEK_COLUMNS),
        db.Index("ix_routine_child_created", "child_id", "created_at"),
    )


class CheckIn(db.Model):
    # Household, then time: a week's check-ins are read without the household's whole history.
    __table_args__ = (db.Index("ix_check_in_household_at", "household_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    feeling: Mapped[str | None] = mapped_column(String(20))
    energy: Mapped[int | None] = mapped_column(Integer)
    feel_text: Mapped[str] = mapped_column(String(200), default="")
    need_text: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User | None] = relationship()


class PromptShown(db.Model):
    # A caregiver, then time: a save reads the last week's prompts, not every one ever shown.
    __table_args__ = (db.Index("ix_prompt_shown_user_at", "user_id", "shown_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    prompt_id: Mapped[str] = mapped_column(String(60))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WeekReflection(db.Model):
    __table_args__ = (UniqueConstraint("child_id", "first_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    prompt_id: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LoginFailure(db.Model):
    """One failed login, kept in the database so throttling spans workers and restarts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Group(db.Model):
    """A facilitator's parenting group; parents join with its invite code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    start_date: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int | None] = mapped_column(Integer)
    invite_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Need id -> the group's own label; the parent's own screens keep theirs.
    need_labels: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitator: Mapped[User] = relationship()
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    themes: Mapped[list["GroupTheme"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupTheme.week"
    )


class Membership(db.Model):
    """A parent in a group, with the consent they gave and their share-every-week choice."""

    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    share_every_week: Mapped[bool] = mapped_column(Boolean, default=False)
    every_week_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    every_week_reflection: Mapped[bool] = mapped_column(Boolean, default=False)

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
    shares: Mapped[list["WeekShare"]] = relationship(
        back_populates="membership", cascade="all, delete-orphan"
    )


class WeekShare(db.Model):
    """One child's week shared with a group, with what the parent ticked."""

    __table_args__ = (UniqueConstraint("membership_id", "child_id", "first_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    include_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    include_reflection: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Something I'd like to bring to the group", for this week's session.
    question: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    membership: Mapped[Membership] = relationship(back_populates="shares")
    child: Mapped[Child] = relationship()


class FacilitatorNote(db.Model):
    """A short, kind note a facilitator leaves on a shared week; the parent sees it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MomentComment(db.Model):
    """A facilitator's short, kind comment on one moment a parent shared with notes.

    Shown only while that moment's week is shared with notes; the parent may hide it.
    """

    __table_args__ = (UniqueConstraint("membership_id", "moment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True
    )
    moment_id: Mapped[int] = mapped_column(
        ForeignKey("moment.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(200))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    membership: Mapped[Membership] = relationship()
    moment: Mapped[Moment] = relationship()


class GroupTheme(db.Model):
    """One week of a group's programme: a short theme and the prompts it leans towards."""

    __table_args__ = (UniqueConstraint("group_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    week: Mapped[int] = mapped_column(Integer)
    theme: Mapped[str] = mapped_column(String(80))
    focus: Mapped[str | None] = mapped_column(String(32))

    group: Mapped[Group] = relationship(back_populates="themes")


class ShareLink(db.Model):
    """A read-only, expiring link to one child's weeks for someone without an account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Only the SHA-256 of the token is kept: the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    first_day: Mapped[date] = mapped_column(Date)
    last_first_day: Mapped[date] = mapped_column(Date)
    include_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    include_reflection: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship()
    views: Mapped[list["ShareView"]] = relationship(
        back_populates="link", cascade="all, delete-orphan", order_by="ShareView.at.desc()"
    )

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ShareView(db.Model):
    """One view of a share link: when, and a coarse description of the device."""

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("share_link.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str] = mapped_column(String(60), default="")

    link: Mapped[ShareLink] = relationship(back_populates="views")


class EmailToken(db.Model):
    """One email Tend sent: a link to finish signing up, reset a password or confirm a new
    address, or a notice with no link. Only the SHA-256 of a link's token is kept.

    Every email leaves a row, so sending can be limited per address and per IP, and an email
    that has an account costs the same work as one that hasn't.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    # A pending sign-up: name, time zone, role, password hash, household invite id.
    payload: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def is_usable(self, purpose: str, now: datetime) -> bool:
        return self.purpose == purpose and self.used_at is None and self.expires_at > now


class ReminderSettings(db.Model):
    """One caregiver's reminders and weekly email: every one is off until they turn it on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # Minutes after local midnight for the daily special-time nudge; None is off.
    special_time_minute: Mapped[int | None] = mapped_column(Integer)
    week_ready: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    group_tomorrow: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    weekly_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PushSubscription(db.Model):
    """One device a caregiver asked to get reminders on (a browser's Web Push subscription)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    # Endpoints are long URLs: the unique index is on their SHA-256.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderSent(db.Model):
    """A reminder sent (or being sent) on one local day: the row is what makes it once only."""

    __table_args__ = (UniqueConstraint("user_id", "channel", "local_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # "push" (one a day at most) or "email" (the weekly email, on the week's first day).
    channel: Mapped[str] = mapped_column(String(8))
    local_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CalendarFeed(db.Model):
    """A household's secret calendar address: planned routine times and group sessions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Only the SHA-256 of the token is kept: the address is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
