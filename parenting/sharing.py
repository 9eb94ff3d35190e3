"""Which weeks a parent shares with which group: one answer, used by every view that asks."""

from datetime import date

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .forms import ShareWeekForm
from .models import Child, FacilitatorNote, Membership, WeekShare


def share_settings(membership: Membership, child_id: int, first_day: date):
    """Return (include_notes, include_reflection) if the week is shared, else None."""
    share = db.session.scalar(
        select(WeekShare).where(
            WeekShare.membership_id == membership.id,
            WeekShare.child_id == child_id,
            WeekShare.first_day == first_day,
        )
    )
    if share is not None:
        return share.include_notes, share.include_reflection
    if membership.share_every_week:
        return membership.every_week_notes, membership.every_week_reflection
    return None


def sharing_panel(child: Child, first_day: date) -> list[dict]:
    """Return, per group the parent belongs to, whether this week is shared and notes back."""
    memberships = db.session.scalars(
        select(Membership).options(selectinload(Membership.group))
        .where(Membership.user_id == current_user.id)
    ).all()
    panel = []
    for m in memberships:
        notes = db.session.scalars(
            select(FacilitatorNote).where(
                FacilitatorNote.membership_id == m.id,
                FacilitatorNote.child_id == child.id,
                FacilitatorNote.first_day == first_day,
            ).order_by(FacilitatorNote.created_at)
        ).all()
        panel.append({"membership": m, "settings": share_settings(m, child.id, first_day),
                      "notes": notes, "form": ShareWeekForm()})
    return panel

