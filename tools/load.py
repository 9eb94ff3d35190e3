"""`make load`: seed 1,000 households, serve them with gunicorn on 127.0.0.1, run Locust, check.

Steps: a fresh database (SQLite in bench-data/, or PostgreSQL from --database-url or
DATABASE_URL) gets the schema through the migrations, then the bench households
(tools/bench.py's generator, the ordinary households' four weeks moved to end yesterday) with one
known password hashed with the production argon2id parameters. gunicorn starts with
gunicorn.conf.py on a free port of 127.0.0.1, with a random SECRET_KEY and without FLASK_DEBUG.
Locust runs tools/load/locustfile.py headless for a bounded time and stops by itself; then
gunicorn is stopped, its log searched for "database is locked", tracebacks and 5xx answers, the
new rows counted against the saves Locust saw succeed, and the budgets checked.
"""

import argparse
import csv
import json
import os
import re
import resource
import secrets
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import bench
from flask_migrate import upgrade
from hostinfo import cpu_summary, free_port, stop, wait_until_up
from sqlalchemy import func, inspect, select, text

from parenting import create_app, security
from parenting.extensions import db
from parenting.models import Moment, Routine

ROOT = bench.ROOT
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "tools" / "load" / "locustfile.py"
# p95 budgets in milliseconds (issue 6); "zero errors" is checked separately.
BUDGETS_MS = {"log moment": 150.0, "log routine": 150.0, "week summary": 300.0}
ORDER = ["login", "log moment", "log routine", "today", "week summary",
         "login form", "home", "moment form", "prompt"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}


def parse_duration(value: str) -> int:
    """Return seconds for Locust-style durations: 90, 90s, 2m, 1m30s, 1h."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", value.strip())
    if not value.strip() or not match:
        raise argparse.ArgumentTypeError(f"not a duration: {value!r}")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not 1 <= total <= 3600:
        raise argparse.ArgumentTypeError("the duration must be between 1 s and 1 h")
    return total


def machine() -> str:
    return (f"{cpu_summary()}, Python {sys.version.split()[0]}, "
            f"SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.2f}")


def prepare_database(url: str | None, data_dir: Path) -> tuple[str, Path | None]:
    """Return the database URL to load and the SQLite file, removing an old one."""
    if url is None:
        data_dir.mkdir(exist_ok=True)
        path = data_dir / "load.sqlite3"
        for old in data_dir.glob("load.sqlite3*"):
            old.unlink()
        return f"sqlite:///{path}", path
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load a database on {host!r}: only 127.0.0.1 or a socket")
    return url, None


def seed(reset: bool) -> dict:
    """Create the schema through the migrations and insert the bench households."""
    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        if tables and not reset:
            raise SystemExit("the database already has tables; --reset drops them first "
                             "(everything in it is lost)")
        if tables:
            quote = db.engine.dialect.identifier_preparer.quote
            with db.engine.begin() as conn:
                for table in tables:
                    conn.execute(text(f"DROP TABLE IF EXISTS {quote(table)} CASCADE"))
        upgrade(directory=str(ROOT / "migrations"))
        # The production parameters (no ARGON2_PARAMS): each login costs what it would live.
        password_hash = security.hash_password(bench.PASSWORD)
        db.session.remove()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    gen, _ = bench.generate(password_hash, ordinary_until=yesterday)
    bench.insert_rows(app, gen)
    counts = gen.rows.counts()
    print(f"Seeded in {time.perf_counter() - started:.1f} s: {counts['household']:,} households, "
          f"{counts['moment']:,} moments, {counts['routine']:,} routines; every caregiver's "
          f"password is {bench.PASSWORD!r}.", flush=True)
    return counts


def entry_counts() -> dict[str, tuple[int, int]]:
    """Return (rows, distinct uuids) of moments and routines."""
    app = create_app()
    with app.app_context():
        result = {
            model.__tablename__: tuple(db.session.execute(
                select(func.count(), func.count(model.uuid.distinct()))
            ).one())
            for model in (Moment, Routine)
        }
        db.session.remove()
        db.engine.dispose()
    return result


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time of a process and its children so far, or None without psutil.

    Children that have exited count too: once gunicorn has waited for a worker it replaced (after
    max_requests), the kernel adds the worker's time to the master's children_* times.
    """
    try:
        import psutil
    except ImportError:
        return None
    try:
        parent = psutil.Process(pid)
        children = parent.children(recursive=True)
        times = parent.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
    except psutil.Error:
        return None
    for proc in children:
        try:
            times = proc.cpu_times()
        except psutil.Error:  # exited since: counted in the master's children_* times
            continue
        total += times.user + times.system
    return total


ACCESS = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ (?P<seconds>[\d.]+)s'
)
# Access-log paths grouped like the Locust names, to tell time in the app from time queued.
ROUTES = [
    ("POST", re.compile(r"/login$"), "login"),
    ("POST", re.compile(r"/moments/new$"), "log moment"),
    ("POST", re.compile(r"/routines$"), "log routine"),
    ("GET", re.compile(r"/children/\d+/days/[\d-]+$"), "today (day page)"),
    ("GET", re.compile(r"/children/\d+/weeks/[\w-]+$"), "week summary (page)"),
    ("GET", re.compile(r"/$"), "home"),
    ("GET", re.compile(r"/moments/new$"), "moment form"),
]


def scan_log(path: Path) -> dict:
    """Count answers by status, 5xx, tracebacks and "database is locked" in the gunicorn log."""
    statuses: dict[str, int] = {}
    server_errors: list[str] = []
    seconds: dict[str, list[float]] = {}
    locked = tracebacks = 0
    for line in path.read_text(errors="replace").splitlines():
        if "database is locked" in line:
            locked += 1
        if line.startswith("Traceback"):
            tracebacks += 1
        match = ACCESS.search(line)
        if match:
            status = match["status"]
            statuses[status] = statuses.get(status, 0) + 1
            if status.startswith("5"):
                server_errors.append(line)
            for method, pattern, name in ROUTES:
                if match["method"] == method and pattern.match(match["path"]):
                    seconds.setdefault(name, []).append(float(match["seconds"]) * 1000)
    in_app = {name: {"n": len(times), "p50": bench.percentile(times, 0.5),
                     "p95": bench.percentile(times, 0.95)} for name, times in seconds.items()}
    return {"statuses": statuses, "server_errors": server_errors, "locked": locked,
            "tracebacks": tracebacks, "in_app": in_app}


def read_samples(path: Path) -> list[tuple[float, str, float, bool]]:
    """Return every request Locust made: (start time, name, milliseconds, failed)."""
    with open(path, newline="") as handle:
        return [(float(r["start"]), r["name"], float(r["ms"]), r["failed"] == "1")
                for r in csv.DictReader(handle)]


def read_failures(prefix: Path) -> list[dict]:
    try:
        with open(f"{prefix}_failures.csv", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []


def summarise(samples: list[tuple[float, str, float, bool]], since: float = 0.0) -> dict:
    """Return n, failures and percentiles per request name (and "all") from `since` on."""
    by_name: dict[str, list[tuple[float, bool]]] = {}
    for start, name, elapsed, failed in samples:
        if start >= since:
            by_name.setdefault(name, []).append((elapsed, failed))
            by_name.setdefault("all", []).append((elapsed, failed))
    rank = {name: i for i, name in enumerate([*ORDER, "all"])}
    table = {}
    for name in sorted(by_name, key=lambda n: rank.get(n, len(ORDER))):
        times = [elapsed for elapsed, _ in by_name[name]]
        table[name] = {
            "n": len(times), "failures": sum(failed for _, failed in by_name[name]),
            "p50": bench.percentile(times, 0.5), "p95": bench.percentile(times, 0.95),
            "p99": bench.percentile(times, 0.99), "max": max(times),
        }
    return table


def print_table(table: dict, seconds: float) -> None:
    print("\n| request | n | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in table.items():
        shown_name = f"**{name}**" if name == "all" or name in BUDGETS_MS else name
        print(f"| {shown_name} | {r['n']:,} | {r['failures']} | {r['n'] / seconds:.1f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |")


def verdicts(table: dict, log: dict, saved: dict, created: dict,
             users: int) -> list[tuple[bool, str]]:
    """Return (passed, message) for each budget."""
    failures = table.get("all", {}).get("failures", 0)
    results = [
        (failures == 0, f"{failures} failed requests (budget 0)"),
        (not log["server_errors"], f"{len(log['server_errors'])} 5xx in the log (budget 0)"),
        (log["locked"] == 0, f"{log['locked']} \"database is locked\" in the log (budget 0)"),
        (log["tracebacks"] == 0, f"{log['tracebacks']} tracebacks in the log (budget 0)"),
    ]
    for name, budget in BUDGETS_MS.items():
        row = table.get(name)
        if row is None:
            results.append((False, f"{name}: no requests made"))
            continue
        results.append((row["p95"] <= budget,
                        f"{name} p95 {row['p95']:.1f} ms (budget {budget:.0f} ms)"))
    for table, name in (("moment", "log moment"), ("routine", "log routine")):
        # A save still in flight when Locust stops can land without being counted: at most one
        # a user.
        rows_added, uuids_added = created[table]
        results.append((
            rows_added == uuids_added and saved[name] <= rows_added <= saved[name] + users,
            f"{rows_added} new {table} rows with {uuids_added} distinct uuids for "
            f"{saved[name]} saves Locust saw succeed",
        ))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or None,
                        help="PostgreSQL URL on 127.0.0.1 (default: DATABASE_URL, else a fresh "
                             "SQLite file in bench-data/)")
    parser.add_argument("--reset", action="store_true",
                        help="drop every table of a PostgreSQL database that has some first")
    parser.add_argument("--users", type=int, default=50, help="simulated caregivers (50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second (10)")
    parser.add_argument("--duration", type=parse_duration, default="2m",
                        help="how long Locust runs: 2m, 90s … (2m)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--data-dir", type=Path, default=bench.DATA_DIR,
                        help="where the SQLite database, logs and CSVs go (bench-data/)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= bench.ORDINARY_HOUSEHOLDS:
        parser.error(f"--users must be 1 to {bench.ORDINARY_HOUSEHOLDS}: one household each")

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(exist_ok=True)
    url, sqlite_path = prepare_database(args.database_url, data_dir)
    kind = "sqlite" if sqlite_path else "postgresql"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    for name in ("FLASK_DEBUG", "PROXY_COUNT", "SECURE_COOKIES"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TRUSTED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "TEND_LOAD_PASSWORD": bench.PASSWORD,
        "TEND_LOAD_EMAIL": bench.ORDINARY_EMAIL,
        "TEND_LOAD_HOUSEHOLDS": str(bench.ORDINARY_HOUSEHOLDS),
    })
    # The seeding below goes through create_app() and so reads the same settings.
    os.environ.clear()
    os.environ.update(env)

    print(f"Machine: {machine()}")
    print(f"Database: {kind} ({sqlite_path.relative_to(ROOT) if sqlite_path else 'from the URL'})")
    seed(args.reset)
    before = entry_counts()

    log_path = data_dir / f"load-{kind}-gunicorn.log"
    prefix = data_dir / f"load-{kind}"
    samples_path = data_dir / f"load-{kind}_samples.csv"
    samples_path.unlink(missing_ok=True)
    env["TEND_LOAD_SAMPLES"] = str(samples_path)
    workers = env.get("GUNICORN_WORKERS", "gunicorn.conf.py's default")
    threads = env.get("GUNICORN_THREADS", "gunicorn.conf.py's default")
    print(f"Starting gunicorn on {base} (workers: {workers}, threads: {threads}); "
          f"log in {bench.shown(log_path)}", flush=True)
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "app:app"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, process_group=0,
        )
    try:
        wait_until_up(base, server)
        cpu_before = cpu_seconds(server.pid)
        load_before = os.getloadavg()[0]
        print(f"Running Locust: {args.users} users, {args.spawn_rate:g} a second, "
              f"{args.duration} s against {base} …", flush=True)
        started = time.monotonic()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
             "--host", base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, timeout=args.duration + 120, check=False,
        )
        elapsed = time.monotonic() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = (children_after.ru_utime + children_after.ru_stime
                      - children_before.ru_utime - children_before.ru_stime)
        cpu_after = cpu_seconds(server.pid)
        load_after = os.getloadavg()[0]
    finally:
        stop(server)

    samples = read_samples(samples_path) if samples_path.exists() else []
    if not samples:
        raise SystemExit(f"Locust made no requests (exit code {locust.returncode})")
    table = summarise(samples)
    first = samples[0][0]
    seconds = max(samples[-1][0] - first, 1.0)
    # The logins (argon2id, 64 MiB each) crowd the first seconds; after the last one the run is
    # in its steady state.
    logins = [start + elapsed / 1000 for start, name, elapsed, _ in samples if name == "login"]
    steady_from = max(logins, default=first)
    steady = summarise(samples, since=steady_from)
    log = scan_log(log_path)
    after = entry_counts()
    created = {name: (after[name][0] - before[name][0], after[name][1] - before[name][1])
               for name in after}
    saved = {name: table[name]["n"] - table[name]["failures"] if name in table else 0
             for name in ("log moment", "log routine")}

    print(f"\nLocust exited with {locust.returncode} after {elapsed:.0f} s; load average "
          f"{load_before:.2f} before, {load_after:.2f} at the end.")
    if cpu_before is not None and cpu_after is not None:
        print(f"gunicorn used {cpu_after - cpu_before:.0f} CPU seconds "
              f"({(cpu_after - cpu_before) / elapsed:.2f} cores on average), Locust "
              f"{locust_cpu:.0f} ({locust_cpu / elapsed:.2f} cores).")
    print(f"\nThe whole run ({seconds:.0f} s of requests):")
    print_table(table, seconds)
    steady_seconds = max(samples[-1][0] - steady_from, 1.0)
    print(f"\nAfter the last login ({steady_from - first:.0f} s in; {steady_seconds:.0f} s):")
    print_table({name: row for name, row in steady.items() if name != "login"}, steady_seconds)
    print("\nTime in gunicorn's access log (from the worker reading the request to the answer; "
          "excludes time queued before a worker thread picks it up):")
    print("\n| request | n | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for _method, _pattern, name in ROUTES:
        if name in log["in_app"]:
            row = log["in_app"][name]
            print(f"| {name} | {row['n']:,} | {row['p50']:.0f} | {row['p95']:.0f} |")
    answers = ", ".join(f"{n:,} × {s}" for s, n in sorted(log["statuses"].items()))
    print(f"\ngunicorn answered: {answers or 'nothing logged'}")
    for failure in read_failures(prefix)[:10]:
        print(f"  failure ×{failure['Occurrences']}: {failure['Name']}: {failure['Error']}")
    for line in log["server_errors"][:5]:
        print(f"  5xx: {line}")

    results = verdicts(table, log, saved, created, args.users)
    print()
    for passed, message in results:
        print(f"{'PASS' if passed else 'FAIL'}  {message}")
    summary = {
        "database": kind, "users": args.users, "duration_s": args.duration,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "gunicorn_cpu_s": None if cpu_after is None else round(cpu_after - cpu_before, 1),
        "locust_cpu_s": round(locust_cpu, 1), "in_app_ms": log["in_app"],
        "statuses": log["statuses"], "locked": log["locked"], "created": created,
        "requests": table, "steady_from_s": round(steady_from - first, 1),
        "steady": steady, "results": [[passed, message] for passed, message in results],
    }
    (data_dir / f"load-{kind}.json").write_text(json.dumps(summary, indent=2) + "\n")
    ok = all(passed for passed, _ in results)
    print(f"\n{'All budgets held.' if ok else 'Some budgets were missed.'} CSVs: "
          f"{bench.shown(prefix)}_*.csv, summary: {bench.shown(data_dir / f'load-{kind}.json')}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
