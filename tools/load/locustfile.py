"""The `make load` scenario: caregivers log moments and routines, and look at today and the week.

Each simulated caregiver takes a household of its own from the seeded ones (parent0001@bench.test,
parent0002@bench.test, …), logs in once through the login form, then keeps its session cookie and
works through the pages like a browser: it reads the CSRF token and the form's choices from the
HTML it was served and posts them back. Task weights: log a moment 4, log a routine 3, open today
2, open the week's summary 1.

Requests are named by kind in Locust's statistics: "login", "log moment", "log routine", "today",
"week summary", and the pages around them ("login form", "home", "moment form", "prompt").
"log moment" and "log routine" time the POST alone (the redirect after it is its own request,
like a browser's); "today" and "week summary" time the redirect and the page it leads to.

Settings come from the environment (tools/load.py sets them): TEND_LOAD_PASSWORD,
TEND_LOAD_EMAIL (a format string for the household number), TEND_LOAD_HOUSEHOLDS (how many are
seeded), TEND_LOAD_FIRST (the number the first user takes) and TEND_LOAD_SAMPLES (a CSV file
that gets every request's start time, name, response time and outcome when the run ends, so the
percentiles can be taken again over part of the run).
"""

import csv
import html
import itertools
import os
import random
import re
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PASSWORD = os.environ.get("TEND_LOAD_PASSWORD", "a slow bench password")
EMAIL = os.environ.get("TEND_LOAD_EMAIL", "parent{:04d}@bench.test")
HOUSEHOLDS = int(os.environ.get("TEND_LOAD_HOUSEHOLDS", "1000"))
FIRST = int(os.environ.get("TEND_LOAD_FIRST", "1"))
SAMPLES = os.environ.get("TEND_LOAD_SAMPLES", "")

_samples: list[tuple[float, str, float, int]] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None,
            start_time=None, **_kwargs):
    if SAMPLES:
        _samples.append((start_time or 0.0, name, response_time, int(exception is not None)))


@events.quitting.add_listener
def _write_samples(**_kwargs):
    if not SAMPLES:
        return
    with open(SAMPLES, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["start", "name", "ms", "failed"])
        writer.writerows(sorted(_samples))

# Users are greenlets in one process: a plain counter hands each a household of its own.
_next_number = itertools.count()

INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
NEED_LINK = re.compile(r'href="(/moments/new\?[^"]+)"')


def inputs(page: str) -> list[dict[str, str]]:
    """Return the attributes of every <input> on a page, unescaped."""
    found = []
    for tag in INPUT.findall(page):
        attrs = {key.lower(): html.unescape(value) for key, value in ATTR.findall(tag)}
        if re.search(r"\schecked[\s/>]", ATTR.sub("", tag), re.IGNORECASE):
            attrs["checked"] = "checked"
        found.append(attrs)
    return found


def csrf_token(page: str) -> str | None:
    """Return the CSRF token of the first form on a page."""
    for attrs in inputs(page):
        if attrs.get("name") == "csrf_token":
            return attrs.get("value")
    return None


def routine_forms(page: str) -> list[dict[str, str]]:
    """Return the hidden fields of each one-tap routine form on the home page."""
    forms = []
    for form in FORM.findall(page):
        if 'action="/routines"' not in form:
            continue
        fields = {a["name"]: a.get("value", "") for a in inputs(form) if a.get("name")}
        if {"csrf_token", "child_id", "kind_id"} <= fields.keys():
            forms.append(fields)
    return forms


def status(response) -> str:
    """Return the status code, or the error when there was no answer at all."""
    return str(response.status_code or getattr(response, "error", None) or "no answer")


def local_path(location: str) -> str:
    """Return the path and query of a redirect's Location (relative or absolute)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Caregiver(HttpUser):
    """One parent with one child, busy with the app in short bursts."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        # A new connection for each request, as nginx makes to gunicorn by default
        # (docs/deploying.md): with keep-alive straight to gunicorn, a request sent just as a
        # worker restarts after max_requests finds its connection closed, an error no browser
        # would show (it retries) and no proxied deployment meets.
        self.client.headers["Connection"] = "close"
        self.routines: list[dict[str, str]] = []
        self.need_links: list[str] = []
        self.number = FIRST + next(_next_number) % HOUSEHOLDS
        self.email = EMAIL.format(self.number)
        self.log_in()
        self.open_home()
        if not self.routines or not self.need_links:
            raise StopUser()

    def log_in(self) -> None:
        with self.client.get("/login", name="login form", catch_response=True) as response:
            token = csrf_token(response.text or "")
            if response.status_code != 200 or not token:
                response.failure(f"login form: {status(response)}, no CSRF token")
                raise StopUser()
        data = {"csrf_token": token, "email": self.email, "password": PASSWORD}
        with self.client.post("/login", data=data, name="login", allow_redirects=False,
                              catch_response=True) as response:
            where = response.headers.get("Location", "")
            if response.status_code != 302 or local_path(where).startswith("/login"):
                # A failed login counts toward the throttle: stop rather than try again.
                response.failure(f"login as {self.email} failed: {status(response)}")
                raise StopUser()

    def open_home(self, path: str = "/") -> None:
        """Load the home page and keep its routine forms and need links, as a browser shows."""
        with self.client.get(path, name="home", catch_response=True) as response:
            page = response.text or ""
            if response.status_code != 200:
                response.failure(f"home: {status(response)}")
                return
            self.routines = routine_forms(page)
            self.need_links = [html.unescape(link) for link in NEED_LINK.findall(page)]
            if not self.routines or not self.need_links:
                response.failure("home: no routine forms or need links")

    def follow(self, response, name: str) -> None:
        """GET where a POST redirected to, as a browser would."""
        path = local_path(response.headers.get("Location", "/"))
        if urlsplit(path).path == "/":
            self.open_home(path)
        else:
            self.page(path, name)

    def page(self, path: str, name: str, lands_on: str = "") -> None:
        """GET a page, following redirects; fail unless it ends logged in on a URL with lands_on."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: {status(response)}")
            elif 'name="password"' in (response.text or ""):
                response.failure(f"{name}: sent to the login page")
            elif lands_on not in urlsplit(response.url or "").path:
                response.failure(f"{name}: landed on {response.url}")

    @task(4)
    def log_moment(self) -> None:
        with self.client.get(random.choice(self.need_links), name="moment form",
                             catch_response=True) as response:
            page = response.text or ""
            fields = inputs(page)
            token = csrf_token(page)
            if response.status_code != 200 or not token:
                response.failure(f"moment form: {status(response)}, no CSRF token")
                return
        child = next((a["value"] for a in fields if a.get("name") == "child_id"
                      and (a.get("type") == "hidden" or "checked" in a)), None)
        need = next((a["value"] for a in fields if a.get("name") == "need" and "checked" in a),
                    None)
        responses = [a["value"] for a in fields if a.get("name") == "responses"]
        data = [("csrf_token", token), ("child_id", child or ""), ("need", need or "not_sure"),
                ("when", "0")]
        data += [("responses", r) for r in random.sample(responses, k=min(2, len(responses)))]
        with self.client.post("/moments/new", data=data, name="log moment",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"log moment: {status(response)}, not a redirect")
                return
        self.follow(response, "prompt")

    @task(3)
    def log_routine(self) -> None:
        form = random.choice(self.routines)
        with self.client.post("/routines", data=form, name="log routine",
                              allow_redirects=False, catch_response=True) as response:
            # A refused tap redirects home too, but only a saved one says which routine it was.
            if response.status_code != 302 or "logged=" not in response.headers.get("Location", ""):
                response.failure(f"log routine: {status(response)}, not saved")
                return
        self.follow(response, "home")

    @task(2)
    def today(self) -> None:
        self.page("/today", "today", lands_on="/days/")

    @task(1)
    def week(self) -> None:
        self.page("/week", "week summary", lands_on="/weeks/")
