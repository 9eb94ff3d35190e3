"""Pages that hold no family data: about, help, health check."""

from flask import Blueprint, render_template

from . import domain

bp = Blueprint("pages", __name__)


@bp.route("/about")
def about():
    return render_template("pages/about.html")


@bp.route("/help")
def help_page():
    return render_template(
        "pages/help.html",
        needs=domain.NEEDS,
        hard_feelings=sorted(domain.HARD_FEELINGS),
    )


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
