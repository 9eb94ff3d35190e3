"""Which weeks a parent shares with which group: one answer, used by every view that asks."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from . import domain, metrics
from .extensions import db
from .forms import ShareWeekForm
from .models import Child, FacilitatorNote, Membership, Moment, MomentComment, WeekShare
from .timefmt import zone


def week_share(membership: Membership, child_id: int, first_day: date) -> WeekShare | None:
    """Return the row that shares one child's week with a group, if there is one."""
    return db.session.scalar(
        select(WeekShare).where(
            WeekShare.membership_id == membership.id,
            WeekShare.child_id == child_id,
            WeekShare.first_day == first_day,
        )
    )


def share_settings(membership: Membership, child_id: int, first_day: date):
    """Return (include_notes, include_reflection) if the week is shared, else None."""
    share = week_share(membership, child_id, first_day)
    if share is not None:
        return share.include_notes, share.include_reflection
    if membership.share_every_week:
        return membership.every_week_notes, membership.every_week_reflection
    return None


def share_question(membership: Membership, child_id: int, first_day: date) -> str:
    """Return what the parent would like to bring to the group this week, if shared."""
    if share_settings(membership, child_id, first_day) is None:
        return ""
    share = week_share(membership, child_id, first_day)
    return share.question if share is not None else ""


@dataclass
class SharedMoment:
    """One moment as a group sees it: starred by the parent, or carrying a shared note."""

    id: int
    at: datetime
    need: str
    responses: list[str]
    rupture: bool
    repaired: bool
    starred: bool
    note: str


def shared_moments(child: Child, first_day: date, settings, need_labels: dict[str, str] | None,
                   *, starred_only: bool = False) -> list[SharedMoment]:
    """Return the moments of a shared week a group may see, in time order.

    Starred moments go with the week they belong to; notes only when the parent ticked them.
    """
    if settings is None:
        return []
    include_notes = settings[0]
    labels = {**domain.NEED_LABELS, **(need_labels or {})}
    tz = zone(child.household.timezone)
    start, end = metrics.week_bounds(first_day, tz)
    wanted = Moment.starred.is_(True)
    if include_notes and not starred_only:
        wanted = wanted | (Moment.note != "")
    rows = db.session.scalars(
        select(Moment)
        .where(Moment.child_id == child.id, Moment.occurred_at >= start,
               Moment.occurred_at < end, wanted)
        .order_by(Moment.occurred_at)
    )
    return [
        SharedMoment(
            id=m.id, at=m.occurred_at.astimezone(tz), need=labels.get(m.need, m.need),
            responses=[domain.RESPONSE_LABELS.get(r, r) for r in m.responses or []],
            rupture=m.rupture, repaired=m.repaired_at is not None, starred=m.starred,
            note=m.note if include_notes else "",
        )
        for m in rows
    ]


def visible_comments(moment_ids: list[int], membership: Membership | None = None,
                     *, for_parent: bool = False) -> dict[int, list[MomentComment]]:
    """Return the comments on these moments that are still shared, oldest first, by moment id.

    ``membership`` narrows them to one member's group; ``for_parent`` to the signed-in parent's
    own memberships, leaving out the comments they hid.
    """
    if not moment_ids:
        return {}
    query = (
        select(MomentComment)
        .options(selectinload(MomentComment.membership).selectinload(Membership.group),
                 selectinload(MomentComment.moment).selectinload(Moment.child))
        .where(MomentComment.moment_id.in_(moment_ids))
        .order_by(MomentComment.created_at)
    )
    if membership is not None:
        query = query.where(MomentComment.membership_id == membership.id)
    if for_parent:
        query = query.join(Membership).where(
            Membership.user_id == current_user.id, MomentComment.hidden_at.is_(None)
        )
    shown: dict[int, list[MomentComment]] = {}
    for comment in db.session.scalars(query):
        if comment_is_shared(comment):
            shown.setdefault(comment.moment_id, []).append(comment)
    return shown


def comment_is_shared(comment: MomentComment) -> bool:
    """Whether a comment's moment is still shared: starred or noted, in a week shared with notes."""
    moment = comment.moment
    if not (moment.starred or moment.note):
        return False
    household = moment.child.household
    local_day = moment.occurred_at.astimezone(zone(household.timezone)).date()
    first_day = metrics.week_start_for(local_day, household.week_start)
    settings = share_settings(comment.membership, moment.child_id, first_day)
    return settings is not None and settings[0]


def prune_comments(membership: Membership) -> None:
    """Delete a member's comments on moments no longer shared with notes; the caller commits."""
    comments = db.session.scalars(
        select(MomentComment)
        .options(selectinload(MomentComment.moment).selectinload(Moment.child))
        .where(MomentComment.membership_id == membership.id)
    ).all()
    for comment in comments:
        if not comment_is_shared(comment):
            db.session.delete(comment)


# Built once: the summary page asks on every view, most parents belong to no group, and building
# this select with its loader option cost more than running it.
MEMBERSHIPS = (
    select(Membership).options(selectinload(Membership.group))
    .where(Membership.user_id == bindparam("user_id"))
)


def sharing_panel(child: Child, first_day: date) -> list[dict]:
    """Return, per group the parent belongs to, whether this week is shared and notes back."""
    memberships = db.session.scalars(MEMBERSHIPS, {"user_id": current_user.id}).all()
    tz = zone(child.household.timezone)
    start, end = metrics.week_bounds(first_day, tz)
    week_moments = list(db.session.scalars(
        select(Moment.id).where(Moment.child_id == child.id, Moment.occurred_at >= start,
                                Moment.occurred_at < end)
    )) if memberships else []
    panel = []
    for m in memberships:
        notes = db.session.scalars(
            select(FacilitatorNote).where(
                FacilitatorNote.membership_id == m.id,
                FacilitatorNote.child_id == child.id,
                FacilitatorNote.first_day == first_day,
            ).order_by(FacilitatorNote.created_at)
        ).all()
        settings = share_settings(m, child.id, first_day)
        share = week_share(m, child.id, first_day) if settings is not None else None
        panel.append({"membership": m, "settings": settings, "notes": notes,
                      "question": share.question if share is not None else "",
                      "comments": sorted(
                          (c for found in visible_comments(week_moments, m, for_parent=True)
                           .values() for c in found),
                          key=lambda c: c.moment.occurred_at),
                      "form": ShareWeekForm()})
    return panel
