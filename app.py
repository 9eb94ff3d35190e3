"""Entry point: `flask run` and gunicorn find `app` here."""

from parenting import create_app

app = create_app()
