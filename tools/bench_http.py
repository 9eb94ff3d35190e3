"""`make bench-http`: time Tend over HTTP as a new user would run it, at several history lengths.

For each database, gunicorn with gunicorn.conf.py and 2 sync workers (GUNICORN_WORKERS=2,
GUNICORN_THREADS=1) serves a copy of it on a free port of 127.0.0.1, all of them at once. One
sequential client logs in to each as the heavy household's first caregiver (back after a day
away, so home shows what the other caregiver logged meanwhile), warms up, then times
every endpoint of every database round-robin, so a busy moment on the machine falls on all of them
alike. Every figure is a median divided by the median of the anonymous login page of the same
server in the same run.

Databases (tools/bench.py's generator, cached in bench-data/ and built only when missing):
  1m   1,000 ordinary households, the heavy household's history one month long (December 2025)
  1y   the same, a year long (2025: `make bench`'s database)
  5y   the same, five years long (2021-2025)
  20k  the 1y database with the ordinary households copied to 20,000, ids interleaved

On 1y everything is timed, then write throughput: 8 concurrent clients POST moments to Tend's
API and, in turn, to a bare Flask + SQLite insert endpoint (tools/bench_bare.py) served the same
way on the same file. On the others the reads (home, day view, summary page and JSON) and the
API save are timed for the growth ratios: 5y ÷ 1m and 20k ÷ 1y.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import bench
from bench_bare import stamp
from hostinfo import cpu_summary, free_port, stop, wait_until_up
from load import cpu_seconds, scan_log

ROOT = bench.ROOT
BIN = Path(sys.executable).parent
BUILD_VERSION_20K = "1"
WEEK = "2025-W50"  # Mon 8 - Sun 14 December 2025: it and the week before are in every history
DAY = "2025-12-10"
SIZES = {
    "1m": {"heavy_first_day": date(2025, 12, 1), "heavy_days": 31},
    "1y": {},
    "5y": {"heavy_first_day": date(2021, 1, 1), "heavy_days": 1826},
    "20k": None,  # made from 1y
}
COPIES_20K = 20
# Issue 10's targets: the median of each, divided by the login page's median.
TARGETS = {
    "home": 2.5,
    "summary page": 4.0,
    "summary JSON": 2.5,
    "day view": 2.0,
    "moment POST (API)": 1.5,
    "moment POST (form)": 1.5,
}
THROUGHPUT_TARGET = 0.6
GROWTH_TARGET = 1.2
GROWTH_ENDPOINTS = ("home", "summary page", "summary JSON", "day view")
# Over HTTP a save is timed on every database too: it reads its caregiver's recent prompts.
HTTP_GROWTH_ENDPOINTS = (*GROWTH_ENDPOINTS, "moment POST (API)")
ORDER = ("login page", "home", "moment form", "day view", "summary page", "summary JSON",
         "moment POST (API)", "moment POST (form)")


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    status: int
    body: object = None  # a callable returning (content type, bytes) for a POST
    login: bool = True
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return bench.percentile(self.samples, 0.95)


class Client:
    """One HTTP/1.1 connection a request (sync workers close it), with a cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None, cookies: bool = True) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if content_type:
            headers["Content-Type"] = content_type
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if cookies:
                for header in response.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(header).items():
                        if morsel["max-age"] == "0" or not morsel.value:
                            self.cookies.pop(name, None)
                        else:
                            self.cookies[name] = morsel.value
            return response.status, data
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        status, body = self.request("GET", path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', body)
        if status != 200 or not match:
            raise SystemExit(f"no CSRF token in {path} (status {status})")
        return match[1].decode()

    def login(self, email: str, password: str) -> None:
        token = self.csrf_token("/login")
        data = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                       "password": password}).encode()
        status, _ = self.request("POST", "/login", data, "application/x-www-form-urlencoded")
        if status != 302:
            raise SystemExit(f"logging in as {email} answered {status}")


def api_moment_body(child_id: int) -> tuple[str, bytes]:
    """Return a new moment for the JSON API, a minute ago, with a fresh UUID."""
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    return "application/json", json.dumps({
        "uuid": str(uuid.uuid4()), "child_id": child_id, "occurred_at": at,
        "need": "comfort_me", "responses": ["held_comforted"], "how_soon": "right_away",
        "feelings": ["tender"], "cues": ["cried"], "intensity": 3,
    }).encode()


def form_moment_body(child_id: int, token: str) -> tuple[str, bytes]:
    return "application/x-www-form-urlencoded", urllib.parse.urlencode([
        ("csrf_token", token), ("child_id", child_id), ("when", "0"), ("need", "comfort_me"),
        ("responses", "held_comforted"), ("how_soon", "right_away"), ("feelings", "tender"),
        ("cues", "cried"), ("intensity", "3"),
    ]).encode()


def endpoints_for(child_id: int, full: bool, token: str) -> list[Endpoint]:
    """Return the endpoints timed on one database: all of them, or the reads only."""
    endpoints = [
        Endpoint("login page", "GET", "/login", 200, login=False),
        Endpoint("home", "GET", "/", 200),
        Endpoint("moment form", "GET", "/moments/new", 200),
        Endpoint("day view", "GET", f"/children/{child_id}/days/{DAY}", 200),
        Endpoint("summary page", "GET", f"/children/{child_id}/weeks/{WEEK}", 200),
        Endpoint("summary JSON", "GET", f"/api/v1/children/{child_id}/summary?week={WEEK}", 200),
        Endpoint("moment POST (API)", "POST", "/api/v1/moments", 201,
                 body=lambda: api_moment_body(child_id)),
        Endpoint("moment POST (form)", "POST", "/moments/new", 302,
                 body=lambda: form_moment_body(child_id, token)),
    ]
    if not full:
        endpoints = [e for e in endpoints
                     if e.name in ("login page", *HTTP_GROWTH_ENDPOINTS)]
    return endpoints


def timed(client: Client, endpoint: Endpoint) -> float:
    body = content_type = None
    if endpoint.body is not None:
        content_type, body = endpoint.body()
    started = time.perf_counter()
    status, data = client.request(endpoint.method, endpoint.path, body, content_type,
                                  cookies=endpoint.login)
    elapsed = (time.perf_counter() - started) * 1000
    if status != endpoint.status:
        raise SystemExit(f"{endpoint.name}: {endpoint.method} {endpoint.path} answered "
                         f"{status}, not {endpoint.status}: {data[:300]!r}")
    return elapsed


def server_env(db_path: Path, port: int, log: Path) -> dict:
    env = dict(os.environ)
    for name in ("FLASK_DEBUG", "PROXY_COUNT", "SECURE_COOKIES", "GUNICORN_ACCESS_LOG"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": f"sqlite:///{db_path}",
        "BENCH_BARE_DATABASE": str(db_path),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TRUSTED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "1",
    })
    return env


def serve(app: str, db_path: Path, log: Path) -> tuple[subprocess.Popen, int]:
    """Start gunicorn with gunicorn.conf.py for app on a free port; return it and the port."""
    port = free_port()
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
             "--pythonpath", str(ROOT / "tools"), app],
            cwd=ROOT, env=server_env(db_path, port, log), stdout=log_file,
            stderr=subprocess.STDOUT, process_group=0,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
    except BaseException:
        stop(server)
        raise
    return server, port


def copy_database(source: Path, target: Path) -> None:
    """Copy a cached database for one run: the run writes moments into it."""
    for old in target.parent.glob(f"{target.name}*"):
        old.unlink()
    shutil.copyfile(source, target)


def throughput(port: int, path: str, child_id: int, cookies: dict[str, str], clients: int,
               seconds: float) -> tuple[int, int]:
    """POST moments from `clients` threads for `seconds`; return (created, failed)."""
    deadline = time.monotonic() + seconds
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def work() -> None:
        client = Client(port)
        client.cookies = dict(cookies)
        ok = failed = 0
        while time.monotonic() < deadline:
            content_type, body = api_moment_body(child_id)
            try:
                status, _ = client.request("POST", path, body, content_type,
                                           cookies=bool(cookies))
            except OSError:
                status = 0
            if status == 201:
                ok += 1
            else:
                failed += 1
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"], counts["failed"]


@dataclass
class SizeResult:
    name: str
    endpoints: list[Endpoint]
    rows: dict
    throughput: dict | None = None

    def median(self, name: str) -> float:
        return next(e for e in self.endpoints if e.name == name).median

    def ratio(self, name: str) -> float:
        return self.median(name) / self.median("login page")


@dataclass
class Served:
    """One database served by its own gunicorn, with a logged-in client and its endpoints."""

    name: str
    meta: dict
    run_db: Path
    server: subprocess.Popen
    port: int
    client: Client
    endpoints: list[Endpoint]


def returning_caregiver(run_db: Path, email: str, child_id: int) -> None:
    """Make the heavy caregiver a returning one: their last visit home was a day ago, and the
    other caregiver has logged a few moments since, so home shows "While you were away"."""
    now = datetime.now(UTC)
    conn = sqlite3.connect(run_db)
    try:
        me, household = conn.execute("SELECT id, household_id FROM user WHERE email = ?",
                                     (email,)).fetchone()
        other = conn.execute("SELECT id FROM user WHERE household_id = ? AND id != ?",
                             (household, me)).fetchone()[0]
        conn.execute("UPDATE user SET home_seen_at = ?, away_since = NULL WHERE id = ?",
                     (stamp(now - timedelta(days=1)), me))
        for hours in (20, 9, 3, 1):
            at = stamp(now - timedelta(hours=hours))
            conn.execute(
                "INSERT INTO moment (uuid, child_id, caregiver_id, occurred_at, need, cues, "
                "cue_text, miscue, responses, feelings, rupture, repair_ways, repair_note, note, "
                "prompt_answer, created_at, updated_at) VALUES (?, ?, ?, ?, 'comfort_me', '[]', "
                "'', 0, '[\"held_comforted\"]', '[]', 0, '[]', '', '', '', ?, ?)",
                (str(uuid.uuid4()), child_id, other, at, at, at))
        conn.commit()
    finally:
        conn.close()


def serve_size(name: str, db_path: Path, meta: dict, args, full: bool) -> Served:
    """Serve a copy of one database and log in as the heavy household's first caregiver, back
    after a day away."""
    run_db = args.data_dir / f"run-{name}.sqlite3"
    copy_database(db_path, run_db)
    returning_caregiver(run_db, meta["email"], meta["child_id"])
    server, port = serve("app:app", run_db, args.data_dir / f"run-{name}-gunicorn.log")
    try:
        client = Client(port)
        client.login(meta["email"], bench.PASSWORD)
        token = client.csrf_token("/moments/new")
    except BaseException:
        stop(server)
        raise
    return Served(name, meta, run_db, server, port, client,
                  endpoints_for(meta["child_id"], full, token))


def time_rounds(served: list[Served], args) -> None:
    """Warm up, then time every endpoint of every database round-robin.

    All the databases are served at once and timed in the same rounds, so a busy spell on the
    machine falls on each of them alike and the growth ratios compare like with like.
    """
    for rounds, keep in ((args.warmup, False), (args.rounds, True)):
        for _ in range(rounds):
            for size in served:
                for endpoint in size.endpoints:
                    elapsed = timed(size.client, endpoint)
                    if keep:
                        endpoint.samples.append(elapsed)


def measure_throughput(size: Served, args) -> dict:
    """POST moments from concurrent clients to Tend and to the bare endpoint, in turns."""
    bare, bare_port = serve("bench_bare:app", size.run_db,
                            args.data_dir / f"run-{size.name}-bare.log")
    try:
        totals = {"app": [0, 0, 0.0, 0.0], "bare": [0, 0, 0.0, 0.0]}
        # Alternating halves, so a busy spell on the machine falls on both.
        for _ in range(2):
            for kind, target, target_port, path, cookies in (
                ("bare", bare, bare_port, "/moments", {}),
                ("app", size.server, size.port, "/api/v1/moments", size.client.cookies),
            ):
                started, cpu_before = time.monotonic(), cpu_seconds(target.pid)
                ok, failed = throughput(target_port, path, size.meta["child_id"], cookies,
                                        args.clients, args.seconds / 2)
                cpu_after = cpu_seconds(target.pid)
                totals[kind][0] += ok
                totals[kind][1] += failed
                totals[kind][2] += time.monotonic() - started
                if None in (cpu_before, cpu_after):  # no psutil
                    totals[kind][3] = float("nan")
                else:
                    totals[kind][3] += cpu_after - cpu_before
    finally:
        stop(bare)
    return {
        kind: {"created": ok, "failed": failed, "seconds": seconds,
               "per_second": ok / seconds,
               # gunicorn's CPU time per saved moment: what bounds the rate on 2 cores.
               "cpu_ms": cpu * 1000 / ok if ok and cpu and cpu == cpu else None}
        for kind, (ok, failed, seconds, cpu) in totals.items()
    }


GROWTH_PAIRS = (("5y", "1m", "5 years ÷ 1 month"), ("20k", "1y", "20,000 ÷ 1,000 households"))
IN_PROCESS: dict[tuple[str, str], dict[str, float]] = {}


def in_process_growth(served: list[Served], rounds: int) -> dict[tuple[str, str], dict[str, float]]:
    """Time the growth endpoints of two databases in this process, alternating request by
    request (Flask's test client, no gunicorn); return plain median over plain median.

    Both databases meet the same moments of the machine and no login baseline comes in, so this
    is the steadiest growth figure on a busy machine. Not a verdict: issue 10 asks for HTTP.
    """
    from parenting import create_app

    by_name = {size.name: size for size in served}
    growth = {}
    for a, b, _ in GROWTH_PAIRS:
        if a not in by_name or b not in by_name:
            continue
        print(f"In process, {a} against {b}: {rounds} alternating rounds …", flush=True)
        clients = {}
        for name in (a, b):
            app = create_app(bench.bench_config(by_name[name].run_db))
            client = app.test_client()
            client.post("/login", data={"email": by_name[name].meta["email"],
                                        "password": bench.PASSWORD})
            paths = {e.name: e.path for e in by_name[name].endpoints if e.name in GROWTH_ENDPOINTS}
            clients[name] = (client, paths)
        samples: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):
            for endpoint in GROWTH_ENDPOINTS:
                for name, (client, paths) in clients.items():
                    started = time.perf_counter()
                    response = client.get(paths[endpoint])
                    samples.setdefault((name, endpoint), []).append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise SystemExit(f"in process, {name} {paths[endpoint]} answered "
                                         f"{response.status_code}")
        growth[(a, b)] = {
            endpoint: statistics.median(samples[(a, endpoint)])
            / statistics.median(samples[(b, endpoint)])
            for endpoint in GROWTH_ENDPOINTS
        }
    return growth


def run_all(databases: dict[str, tuple[Path, dict]], args) -> dict[str, SizeResult]:
    """Serve every database at once, time them in shared rounds, then the 1y throughput."""
    served: list[Served] = []
    for old in args.data_dir.glob("run-*.log"):
        old.unlink()
    try:
        for name, (db_path, meta) in databases.items():
            served.append(serve_size(name, db_path, meta, args, full=name == "1y"))
        print(f"\nTiming {', '.join(s.name for s in served)} round-robin: gunicorn, 2 sync "
              f"workers each, {args.warmup} warm-up + {args.rounds} timed rounds …", flush=True)
        time_rounds(served, args)
        results = {s.name: SizeResult(s.name, s.endpoints, s.meta.get("counts", {}))
                   for s in served}
        if args.in_process_rounds > 0:
            IN_PROCESS.update(in_process_growth(served, args.in_process_rounds))
        if "1y" in results and args.seconds > 0:
            print(f"Write throughput on 1y: {args.clients} clients, {args.seconds:g} s for Tend "
                  "and for the bare endpoint …", flush=True)
            # The other servers sit idle meanwhile; stop them so they hold no memory or CPU.
            for size in served:
                if size.name != "1y":
                    stop(size.server)
            results["1y"].throughput = measure_throughput(
                next(s for s in served if s.name == "1y"), args)
        return results
    finally:
        for size in served:
            stop(size.server)
            for leftover in args.data_dir.glob(f"{size.run_db.name}*"):
                leftover.unlink()


def build_20k(data_dir: Path, rebuild: bool) -> tuple[Path, dict]:
    """Return the 20,000-household database, made from 1y by copying its ordinary households."""
    source, meta = bench.cached_database(data_dir, rebuild)
    key = f"{source.stem.rsplit('-', 1)[1]}x{COPIES_20K}v{BUILD_VERSION_20K}"
    db_path = data_dir / f"http-20k-{key}.sqlite3"
    meta_path = db_path.with_suffix(".json")
    if not rebuild and db_path.exists() and meta_path.exists():
        print(f"Using the cached database {bench.shown(db_path)}.")
        return db_path, json.loads(meta_path.read_text())
    for old in [*data_dir.glob("http-20k-*.sqlite3*"), *data_dir.glob("http-20k-*.json")]:
        old.unlink()
    print(f"Building {bench.shown(db_path)} from {bench.shown(source)} …", flush=True)
    started = time.perf_counter()
    partial = data_dir / f"building-{key}.sqlite3"
    for leftover in data_dir.glob(f"{partial.name}*"):
        leftover.unlink()
    counts = multiply_households(source, partial, COPIES_20K)
    partial.rename(db_path)
    meta = {**meta, "child_id": meta["child_id"] * COPIES_20K, "counts": counts,
            "build_seconds": round(time.perf_counter() - started, 2),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"Built in {meta['build_seconds']:.1f} s.")
    return db_path, meta


def multiply_households(source: Path, target: Path, copies: int) -> dict[str, int]:
    """Write source's rows into an empty copy of its schema, every ordinary household `copies`
    times, in SQL.

    Every id and foreign key becomes id * copies + k (k = 0 for the original, 1… for the
    copies), so each table stays numbered in the order its rows were written, and one family's
    rows stay spread among everyone else's, as in the source; the heavy household is not
    copied. UUIDs and emails of copies get k written into them to stay unique.
    """
    src = sqlite3.connect(source)
    schema = [sql for (sql,) in src.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY type = 'index'")]
    src.close()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    tables = [sql for sql in schema if sql.startswith("CREATE TABLE")]
    for sql in tables:
        conn.execute(sql)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    heavy = ",".join(str(h) for (h,) in conn.execute(
        "SELECT DISTINCT household_id FROM src.user WHERE email LIKE 'heavy%'"))
    heavy_children = ",".join(str(c) for (c,) in conn.execute(
        f"SELECT id FROM src.child WHERE household_id IN ({heavy})"))  # nosec B608  # ids
    conn.execute("BEGIN")
    counts = {}
    for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        keys = {row[3] for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')}
        names = [row[1] for row in info]
        exprs = []
        for column in names:
            quoted = f'"{column}"'
            if column == "id" or column in keys or column == "last_child_id":
                exprs.append(f"{quoted} * {copies} + k")
            elif column == "uuid":
                # "k01…" is not hex, so no copy can meet an original.
                exprs.append("CASE k WHEN 0 THEN uuid ELSE printf('k%02d', k) || substr(uuid, 4) "
                             "END")
            elif column == "email":
                exprs.append("CASE k WHEN 0 THEN email ELSE replace(email, '@', '+c' || k || '@') "
                             "END")
            else:
                exprs.append(quoted)
        if table == "household":
            ordinary = f"id NOT IN ({heavy})"
        elif "household_id" in names:
            ordinary = f"household_id NOT IN ({heavy})"
        elif "child_id" in names:
            ordinary = f"child_id NOT IN ({heavy_children})"
        else:
            ordinary = "0"
        columns = ", ".join(f'"{c}"' for c in names)
        conn.execute(
            f'INSERT INTO "{table}" ({columns}) '  # nosec B608  # names from the schema
            f"WITH RECURSIVE copy(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM copy "
            f"WHERE k < {copies - 1}) "
            f"SELECT {', '.join(exprs)} FROM src.\"{table}\" JOIN copy "
            f"ON k = 0 OR {ordinary} ORDER BY 1"
        )
        counts[table] = conn.execute(
            f'SELECT count(*) FROM "{table}"'  # nosec B608  # a table name from the schema
        ).fetchone()[0]
    conn.execute("COMMIT")
    for sql in schema:
        if not sql.startswith("CREATE TABLE"):
            conn.execute(sql)
    conn.execute("DETACH DATABASE src")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return {table: n for table, n in counts.items() if n}


def check_logs(data_dir: Path, results: dict) -> bool:
    """Print what the gunicorn logs hold: answers, 5xx, tracebacks, "database is locked"."""
    clean = True
    for name in results:
        for log in sorted(data_dir.glob(f"run-{name}-*.log")):
            found = scan_log(log)
            bad = len(found["server_errors"]) + found["tracebacks"] + found["locked"]
            clean &= not bad
            print(f"{verdict(not bad)}  {log.name}: {sum(found['statuses'].values())} answers, "
                  f"{len(found['server_errors'])} 5xx, {found['tracebacks']} tracebacks, "
                  f"{found['locked']} \"database is locked\"")
    return clean


def machine() -> str:
    return (f"{cpu_summary()}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        load = os.getloadavg()
        return f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, SizeResult]) -> bool:
    """Print the tables, the growth ratios and every verdict; return whether all hold."""
    ok = True
    for name, result in results.items():
        base = next(e for e in result.endpoints if e.name == "login page").median
        print(f"\n{name}: {describe(name)}")
        print(f"| {'endpoint':<19} | {'n':>3} | {'median ms':>9} | {'p95 ms':>8} | "
              f"{'× login':>7} | {'target':>6} |      |")
        print(f"|{'-' * 21}|{'-' * 5}|{'-' * 11}|{'-' * 10}|{'-' * 9}|{'-' * 8}|------|")
        for e in result.endpoints:
            ratio = e.median / base
            target = TARGETS.get(e.name) if name == "1y" else None
            mark = ""
            if target is not None:
                passed = ratio <= target
                ok &= passed
                mark = verdict(passed)
            print(f"| {e.name:<19} | {len(e.samples):>3} | {e.median:>9.2f} | {e.p95:>8.2f} | "
                  f"{ratio:>7.2f} | {'≤ ' + format(target, 'g') if target else '':>6} | "
                  f"{mark:<4} |")
        if result.throughput:
            t = result.throughput
            share = t["app"]["per_second"] / t["bare"]["per_second"]
            passed = share >= THROUGHPUT_TARGET and not t["app"]["failed"]
            ok &= passed
            print(f"\nWrite throughput, {ARGS.clients} concurrent clients, "
                  f"{ARGS.seconds:g} s each, in alternating halves:")
            for kind, label in (("bare", "bare Flask + SQLite insert (tools/bench_bare.py)"),
                                ("app", "Tend POST /api/v1/moments")):
                row = t[kind]
                cpu = (f", {row['cpu_ms']:.2f} ms of server CPU each" if row["cpu_ms"]
                       else ", CPU not measured: install psutil")
                print(f"  {label:<48} {row['per_second']:7.1f} /s  ({row['created']} created, "
                      f"{row['failed']} failed{cpu})")
            print(f"  {verdict(passed)}  Tend ÷ bare = {share:.2f} (target ≥ {THROUGHPUT_TARGET})")
    growth = [(a, b, label) for a, b, label in GROWTH_PAIRS if a in results and b in results]
    if growth:
        print("\nGrowth: each endpoint's × login on one database over its × login on the other "
              f"(target ≤ {GROWTH_TARGET}),\nand in brackets its plain median over its plain "
              "median: the databases share every round, so that one\nleaves out the noise of "
              "two login medians.")
        print(f"| {'endpoint':<17} | " + " | ".join(f"{label:>25}" for _, _, label in growth)
              + " |")
        print(f"|{'-' * 19}|" + "|".join("-" * 27 for _ in growth) + "|")
        for name in HTTP_GROWTH_ENDPOINTS:
            cells = []
            for a, b, _ in growth:
                ratio = results[a].ratio(name) / results[b].ratio(name)
                plain = results[a].median(name) / results[b].median(name)
                passed = ratio <= GROWTH_TARGET
                ok &= passed
                cells.append(f"{ratio:>5.2f} {verdict(passed)} ({plain:.2f})".rjust(25))
            print(f"| {name:<17} | " + " | ".join(cells) + " |")
    if IN_PROCESS:
        print("\nGrowth in process (Flask's test client, the two databases alternating request by "
              "request, plain medians; no verdict):")
        for (a, b), ratios in IN_PROCESS.items():
            label = next(label for x, y, label in GROWTH_PAIRS if (x, y) == (a, b))
            print(f"  {label:<26} " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    return ok


def describe(name: str) -> str:
    return {
        "1m": "the heavy household with 1 month of history, among 1,000 households",
        "1y": "the heavy household with 1 year of history, among 1,000 households",
        "5y": "the heavy household with 5 years of history, among 1,000 households",
        "20k": "the heavy household with 1 year of history, among 20,000 households",
    }[name]


ARGS: argparse.Namespace


def main(argv: list[str] | None = None) -> int:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--rebuild", action="store_true", help="build the databases afresh")
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help="databases to time, comma-separated (default: all of "
                             f"{','.join(SIZES)})")
    parser.add_argument("--rounds", type=int, default=40,
                        help="timed rounds of every endpoint (default 40)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed rounds first (default 5)")
    parser.add_argument("--clients", type=int, default=8,
                        help="concurrent clients for the throughput run (default 8)")
    parser.add_argument("--seconds", type=float, default=10,
                        help="seconds of POSTs for each of Tend and the bare endpoint "
                             "(default 10; 0 skips the throughput run)")
    parser.add_argument("--in-process-rounds", type=int, default=100,
                        help="alternating in-process rounds for the steadier growth check "
                             "(default 100; 0 skips it)")
    parser.add_argument("--data-dir", type=Path, default=bench.DATA_DIR,
                        help="where the databases are cached (default bench-data/)")
    args = ARGS = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown or not sizes:
        parser.error(f"--sizes takes some of {','.join(SIZES)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(exist_ok=True)

    print(f"Machine: {machine()}")
    print(f"Before: {uptime()}", flush=True)
    databases = {}
    for name in sizes:
        if name == "20k":
            databases[name] = build_20k(args.data_dir, args.rebuild)
        elif name == "1y":
            databases[name] = bench.cached_database(args.data_dir, args.rebuild)
        else:
            databases[name] = bench.cached_database(args.data_dir, args.rebuild,
                                                    name=f"http-{name}", **SIZES[name])
    print(f"After building: {uptime()}", flush=True)
    results = run_all(databases, args)
    print(f"\nAfter: {uptime()}")
    clean = check_logs(args.data_dir, results)
    print(f"Week {WEEK}, day {DAY}; every ratio is a median over the login page's median "
          "on the same server in the same run.")
    ok = report(results) and clean
    print(f"\n{'All targets met.' if ok else 'Some targets are not met (FAIL above).'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
