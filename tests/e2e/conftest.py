"""Browser tests: gunicorn on 127.0.0.1 with a fresh SQLite database, driven by Debian's chromium.

`make e2e` runs them (`make test` never collects this folder). Without /usr/bin/chromium they
are skipped on a developer's machine and fail in CI (CI=true), where they must run.
"""

import datetime
import email
import email.policy
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]
PASSWORD = "a quiet morning walk"
PHONE = {"width": 390, "height": 844}
TIMEZONE = "Europe/London"
OUTBOX: Path | None = None  # the session's server's mail outbox


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(what: str) -> None:
    """Skip on a developer's machine; fail in CI, where these tests must run."""
    if IN_CI:
        pytest.fail(f"{what} is missing, and CI must run the browser tests", pytrace=False)
    pytest.skip(f"{what} is missing")


class Server:
    """gunicorn serving the app on a free port of 127.0.0.1; it can be stopped and started again
    on the same port and the same SQLite file, to make an outage."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = workdir / "tend.sqlite3"
        self.log_path = workdir / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **{k: v for k, v in os.environ.items()
               if k not in ("FLASK_DEBUG", "TEST_DATABASE_URL", "TRUSTED_HOSTS", "PROXY_COUNT")},
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SECURE_COOKIES": "0",
            "FLASK_APP": "app.py",
            # No mail server: emails land here, and sign_up() reads its link from there.
            "MAIL_OUTBOX": str(workdir / "outbox"),
            # Every test signs up from 127.0.0.1.
            "EMAILS_PER_IP_PER_HOUR": "100000",
        }
        self.outbox = workdir / "outbox"

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        assert not self.running
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s:\n" + self.log_tail())

    def stop(self) -> None:
        """Stop at once (SIGINT: gunicorn's quick shutdown), and wait until the port is shut."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"port {self.port} still answers after gunicorn stopped")

    @contextmanager
    def down(self):
        """Stop the server for the length of the block, then start it again."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_since(max(0, self.log_size() - chars))

    # What the server holds, read straight from its SQLite file.

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=10) as con:
            return con.execute(sql, params).fetchall()

    def rows(self, child_id: int) -> "Rows":
        """Return the moments and routines stored for one child."""
        moments = self.query("SELECT uuid, need FROM moment WHERE child_id = ?", child_id)
        routines = self.query("SELECT uuid, kind_id FROM routine WHERE child_id = ?", child_id)
        return Rows(dict(moments), dict(routines))

    def totals(self) -> tuple[int, int]:
        """Return the number of moments and of routines in the whole database."""
        (counts,) = self.query(
            "SELECT (SELECT count(*) FROM moment), (SELECT count(*) FROM routine)"
        )
        return counts


@dataclass
class Rows:
    moments: dict[str, str] = field(default_factory=dict)  # uuid -> need
    routines: dict[str, int] = field(default_factory=dict)  # uuid -> routine kind id

    @property
    def uuids(self) -> set[str]:
        return set(self.moments) | set(self.routines)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Serve a freshly migrated SQLite database with gunicorn for the whole session."""
    global OUTBOX
    srv = Server(tmp_path_factory.mktemp("e2e"))
    OUTBOX = srv.outbox
    srv.flask("db", "upgrade")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def live(server):
    """The server, running; a test that stopped it gets it back, and the log must stay clean."""
    if not server.running:
        server.start()
    mark = server.log_size()
    yield server
    if not server.running:
        server.start()
    log = server.log_since(mark)
    problems = [line for line in log.splitlines()
                if "Traceback" in line or "database is locked" in line
                or any(f'" {code}' in line for code in ("500 ", "502 ", "503 "))]
    assert not problems, "the server logged errors:\n" + log[-6000:]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing(str(CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("The playwright package")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live):
    """Open phone-sized browser contexts on the server; all are closed after the test."""
    opened = []

    def make(*, service_workers: str = "block", **options):
        ctx = browser.new_context(
            base_url=live.url, viewport=PHONE, timezone_id=TIMEZONE, locale="en-GB",
            service_workers=service_workers, **options,
        )
        ctx.set_default_timeout(15_000)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


@dataclass
class Account:
    email: str
    password: str
    child_id: int | None = None


def sign_up(page, *, name: str = "Ana", child: str | None = "Robin") -> Account:
    """Create an account (a parent) through the pages, and add a child unless told not to."""
    account = Account(f"e2e-{uuid.uuid4().hex[:10]}@example.org", PASSWORD)
    if not page.url.endswith("/signup"):
        page.goto("/signup")
    page.fill("#email", account.email)
    page.fill("#display_name", name)
    page.fill("#password", account.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/signup/check-email")
    page.goto(emailed_link(account.email, "/signup/confirm/"))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/children/new")
    if child:
        add_child(page, account, child)
    return account


def emailed_link(to: str, path_start: str) -> str:
    """Return the link starting with path_start in the newest email the server wrote for `to`."""
    for path in sorted(OUTBOX.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            found = re.search(r"https?://\S+" + re.escape(path_start) + r"\S+",
                              message.get_content())
            assert found, f"no {path_start} link in the newest email to {to}"
            return found.group(0)
    raise AssertionError(f"no email to {to} in {OUTBOX}")


def add_child(page, account: Account, nickname: str) -> None:
    page.fill("#nickname", nickname)
    page.fill("#birth_year", str(datetime.date.today().year - 2))
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/"))
    account.child_id = int(page.get_attribute("form[data-queue=routine] input[name=child_id]",
                                              "value"))


def log_in(page, account: Account, *, remember: bool = False) -> None:
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    if remember:
        page.check("#remember")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


# The page runs under a CSP without 'unsafe-eval', so page.wait_for_function can't be used:
# these poll with page.evaluate (Playwright's own world) instead.

QUEUE_JS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("tend");
  let absent = false;
  // No database yet: don't make one (queue.js creates its store only when it makes it).
  open.onupgradeneeded = () => { absent = true; open.transaction.abort(); };
  open.onerror = () => (absent ? resolve([]) : reject(open.error));
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("queue")) { db.close(); resolve([]); return; }
    const req = db.transaction("queue", "readonly").objectStore("queue").getAll();
    req.onsuccess = () => { db.close(); resolve(req.result); };
    req.onerror = () => { db.close(); reject(req.error); };
  };
})"""


def queued(page) -> list[dict]:
    """Return the entries waiting in this page's IndexedDB queue."""
    return page.evaluate(QUEUE_JS)


def poll(page, check, *, timeout: float = 15, what: str = "the condition"):
    """Call check() until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {value!r}")
        page.wait_for_timeout(100)


def wait_for_queue(page, count: int, *, timeout: float = 15) -> list[dict]:
    """Wait until exactly `count` entries wait in the queue; return them."""
    seen = []

    def check():
        seen[:] = queued(page)
        return len(seen) == count

    try:
        poll(page, check, timeout=timeout, what=f"{count} queued entries")
    except AssertionError as error:
        raise AssertionError(f"{error}; there were {len(seen)}") from None
    return seen


SW_READY_JS = """async () => {
  if (!navigator.serviceWorker) return "none";
  await navigator.serviceWorker.ready;
  return navigator.serviceWorker.controller ? "controls" : "active";
}"""


def wait_for_service_worker(page) -> None:
    """Wait until the service worker is installed, active and controls the page.

    A page whose navigation began just before the worker activated can miss clients.claim():
    like a person's next visit, a reload brings it under the worker.
    """
    state = poll(page, lambda: page.evaluate(SW_READY_JS), what="the service worker")
    if state == "active":
        page.reload()
        state = poll(page, lambda: page.evaluate(SW_READY_JS), what="the service worker")
    assert state == "controls", state
