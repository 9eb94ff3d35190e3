"""`make bench-web`: Lighthouse (mobile) on the demo household's pages, median of 3 runs.

Steps: a fresh SQLite database in a temporary folder gets the schema (`flask db upgrade`) and the
demo household (`flask demo --password …`); gunicorn serves it with gunicorn.conf.py on a free
port of 127.0.0.1; a login through the form (CSRF token and all) gives a session cookie, which
Lighthouse sends with every request (`--extra-headers`). Lighthouse, pinned in
tools/lighthouse/package.json, runs its default mobile preset (Moto G Power screen, simulated slow
4G and 4× CPU slowdown) against Debian's chromium (CHROME_PATH, else /usr/bin/chromium), three times
per page; the medians are checked against the budgets of issue 4. The JSON reports stay in
bench-data/web/ to find out which audit cost the points.
"""

import argparse
import contextlib
import html
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hostinfo import cpu_summary, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LIGHTHOUSE_DIR = ROOT / "tools" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
DATA_DIR = ROOT / "bench-data" / "web"
DEMO_EMAIL = "demo@example.org"
# What works for Debian's chromium as root in a container; --headless is Lighthouse's own flag.
CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--disable-dev-shm-usage",
]
CATEGORIES = ("performance", "accessibility", "best-practices")
# Lighthouse's benchmark index of the 2-CPU machine in docs/benchmarks.md when nothing else ran.
QUIET_INDEX = 2200


@dataclass(frozen=True)
class Budget:
    performance: int
    accessibility: int
    best_practices: int
    kilobytes: int
    plotly_allowed: bool


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # a path, or "last-week": the week before this one, the last full week
    budget: Budget


LIGHT = Budget(performance=95, accessibility=100, best_practices=100, kilobytes=60,
               plotly_allowed=False)
PAGES = [
    Page("home", "/", LIGHT),
    Page("moment form", "/moments/new", LIGHT),
    Page("weekly summary", "last-week",
         Budget(performance=90, accessibility=100, best_practices=100, kilobytes=500,
                plotly_allowed=True)),
]


def machine() -> str:
    return f"{cpu_summary()}, load average {os.getloadavg()[0]:.2f}"


def cpu_busy(seconds: float = 2.0) -> float:
    """Return the share of all CPUs busy over `seconds` (0 to 1), from /proc/stat."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def settle(limit: float, busy_share: float = 0.5) -> float:
    """Wait up to `limit` seconds for the machine to be less than half busy; return the share.

    Lighthouse's simulated slow phone multiplies the main-thread time it sees by 4, so other work
    on the machine (tests, a load test) turns straight into lost points.
    """
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > busy_share and time.monotonic() < deadline:
        busy = cpu_busy(5.0)
    return busy


def run(cmd: list[str], env: dict, timeout: float = 300) -> str:
    """Run a command from the project root; on failure show its output and stop."""
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"{' '.join(cmd[:3])} … exited with {result.returncode}")
    return result.stdout


class Session:
    """A cookie-keeping HTTP client for logging in and finding the pages' URLs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        """Return (final URL, body) after following redirects."""
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def login(self, email: str, password: str) -> None:
        _, body = self.get("/login")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', body)
        if not match:
            raise SystemExit("no CSRF token in the login form")
        data = urllib.parse.urlencode({
            "csrf_token": match[1], "email": email, "password": password,
        }).encode()
        request = urllib.request.Request(self.base + "/login", data=data, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": self.base,
            "Referer": self.base + "/login",
        })
        with self.opener.open(request, timeout=60) as response:
            final = urllib.parse.urlsplit(response.geturl()).path
        if final.startswith("/login"):
            raise SystemExit("logging in failed: the login form came back")

    def last_week(self) -> str:
        """Return the URL of last week's summary: /week shows this week, which may be empty."""
        _, body = self.get("/week")
        match = re.search(r'href="([^"]+)"[^>]*aria-label="Previous week"', body)
        if not match:
            raise SystemExit("no link to the previous week on the summary page")
        return self.base + html.unescape(match[1])

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def lighthouse(url: str, cookie: str, chrome: str, out: Path, attempts: int = 3) -> dict:
    """Run Lighthouse once and return its JSON report (also saved as `out`).

    A run that fails to record its trace (NO_NAVSTART and friends happen now and then on a busy
    machine) is tried again, up to `attempts` times in all.
    """
    cmd = [
        "node", str(LIGHTHOUSE), url,
        "--output=json", f"--output-path={out}", "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        "--max-wait-for-load=60000", "--no-enable-error-reporting",
    ]
    env = dict(os.environ, CHROME_PATH=chrome)
    problem = ""
    for _ in range(attempts):
        out.unlink(missing_ok=True)
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=240, check=False)
        if result.returncode == 0 and out.exists():
            report = json.loads(out.read_text())
            if not report.get("runtimeError"):
                return report
            problem = report["runtimeError"].get("message", "a runtime error")
        else:
            problem = (result.stdout[-2000:] + result.stderr[-2000:]).strip()
        print(f"    Lighthouse failed on {url}, trying again: {problem.splitlines()[-1:]}",
              flush=True)
    raise SystemExit(f"Lighthouse failed on {url} {attempts} times: {problem}")


def figures(report: dict) -> dict:
    """The numbers one Lighthouse report gives for the table."""
    audits = report["audits"]
    cats = report["categories"]

    def score(key: str) -> float:
        value = cats[key]["score"]
        return round(value * 100) if value is not None else float("nan")

    def metric(key: str) -> float:
        return audits.get(key, {}).get("numericValue", float("nan"))

    requests = audits.get("network-requests", {}).get("details", {}).get("items", [])
    # plotly.js as a script (run) or fetched ahead of time (a prefetch: resource type "Other").
    plotly = [(r["url"], r.get("resourceType") == "Script") for r in requests
              if re.search(r"/plotly[^/]*\.js$", r["url"].split("?")[0])]
    missed = {}
    for key in CATEGORIES:
        for ref in cats[key]["auditRefs"]:
            audit = audits.get(ref["id"], {})
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                missed[f"{key}: {ref['id']}"] = audit.get("displayValue") or f"{audit['score']:g}"
    return {
        "performance": score("performance"),
        "accessibility": score("accessibility"),
        "best-practices": score("best-practices"),
        "kb": metric("total-byte-weight") / 1000,
        "fcp": metric("first-contentful-paint"),
        "lcp": metric("largest-contentful-paint"),
        "tbt": metric("total-blocking-time"),
        "si": metric("speed-index"),
        "cls": metric("cumulative-layout-shift"),
        "requests": len(requests),
        # Lighthouse's own measure of this machine's CPU speed at the start of the run; a much
        # lower one than usual means a busy machine and slower figures.
        "benchmark": report.get("environment", {}).get("benchmarkIndex", float("nan")),
        "plotly": plotly,
        "missed": missed,
    }


def median_of(runs: list[dict]) -> dict:
    keys = ["performance", "accessibility", "best-practices", "kb", "fcp", "lcp", "tbt", "si",
            "cls", "requests", "benchmark", "busy"]
    result = {key: statistics.median(r[key] for r in runs) for key in keys}
    result["plotly"] = sorted({item for r in runs for item in r["plotly"]})
    missed: dict[str, list[str]] = {}
    for r in runs:
        for audit, shown in r["missed"].items():
            missed.setdefault(audit, []).append(shown)
    result["missed"] = {audit: f"{len(shown)} of {len(runs)} runs: {', '.join(shown)}"
                        for audit, shown in sorted(missed.items())}
    return result


def verdicts(page: Page, m: dict) -> list[tuple[bool, str]]:
    b = page.budget
    checks = [
        (m["performance"] >= b.performance,
         f"performance {m['performance']:.0f} (budget ≥ {b.performance})"),
        (m["accessibility"] >= b.accessibility,
         f"accessibility {m['accessibility']:.0f} (budget {b.accessibility})"),
        (m["best-practices"] >= b.best_practices,
         f"best practices {m['best-practices']:.0f} (budget {b.best_practices})"),
        (m["kb"] <= b.kilobytes, f"{m['kb']:.1f} KB transferred (budget ≤ {b.kilobytes} KB)"),
    ]
    if not b.plotly_allowed:
        checks.append((not m["plotly"], f"plotly.js requests: {len(m['plotly'])} (budget 0)"))
    return [(ok, f"{page.name}: {text}") for ok, text in checks]


def print_table(rows: list[tuple[Page, dict]], runs: int) -> None:
    index = statistics.median(m["benchmark"] for _, m in rows)
    print(f"\nMedians of {runs} Lighthouse runs (mobile preset; Lighthouse's benchmark index of "
          f"this machine: {index:.0f}):\n")
    print("| page | performance | accessibility | best practices | transferred KB | FCP ms "
          "| LCP ms | TBT ms | speed index ms | CLS | requests |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for page, m in rows:
        print(f"| {page.name} | {m['performance']:.0f} | {m['accessibility']:.0f} | "
              f"{m['best-practices']:.0f} | {m['kb']:.1f} | {m['fcp']:.0f} | {m['lcp']:.0f} | "
              f"{m['tbt']:.0f} | {m['si']:.0f} | {m['cls']:.3f} | {m['requests']:.0f} |")
    busy = statistics.median(m["busy"] for _, m in rows)
    if busy > 0.5 or index < QUIET_INDEX / 2:
        print(f"\nThe machine was busy (CPUs {busy:.0%} busy before a run, benchmark index "
              f"{index:.0f}; about {QUIET_INDEX:,} on a quiet 2-CPU machine of docs/benchmarks.md):"
              " the main-thread times, and so TBT and the performance scores, are pessimistic. "
              "Run again when it is quiet.")


@contextlib.contextmanager
def serving(log_path: Path) -> Iterator[Session]:
    """Seed the demo household into a fresh SQLite file, serve it, and yield a logged-in client."""
    password = secrets.token_urlsafe(18)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tend-bench-web-") as tmp:
        env = dict(os.environ)
        for name in ("FLASK_DEBUG", "PROXY_COUNT", "SECURE_COOKIES", "GUNICORN_ACCESS_LOG"):
            env.pop(name, None)
        env.update({
            "FLASK_APP": "app.py",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'web.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TRUSTED_HOSTS": "127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
        })
        run([str(BIN / "flask"), "db", "upgrade"], env)
        seeded = run([str(BIN / "flask"), "demo", "--password", password], env)
        print(seeded.splitlines()[0] if seeded else "demo seeded", flush=True)
        with open(log_path, "w") as log_file:
            server = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "app:app"],
                cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_up(base, server)
            session = Session(base)
            session.login(DEMO_EMAIL, password)
            yield session
        finally:
            stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (3)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--chrome-path",
                        default=os.environ.get("CHROME_PATH") or "/usr/bin/chromium",
                        help="the browser Lighthouse drives (CHROME_PATH, else /usr/bin/chromium)")
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR,
                        help="where the JSON reports and the server log go (bench-data/web/)")
    parser.add_argument("--settle", type=float, default=30,
                        help="before each run, wait up to this many seconds for the CPUs to be "
                             "less than half busy (30; 0 to not wait)")
    parser.add_argument("--page", action="append", choices=[p.name for p in PAGES],
                        help="only this page (repeatable); default all")
    args = parser.parse_args(argv)
    # A stop from outside (make, CI) still stops gunicorn: `finally` blocks run on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not 1 <= args.runs <= 15:
        parser.error("--runs must be 1 to 15")
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"Lighthouse is not installed: npm ci --prefix {LIGHTHOUSE_DIR}")
    if not shutil.which(args.chrome_path) and not Path(args.chrome_path).exists():
        raise SystemExit(f"no browser at {args.chrome_path}: apt-get install chromium")
    pages = [p for p in PAGES if not args.page or p.name in args.page]

    out_dir = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        old.unlink()
    version = subprocess.run(["node", str(LIGHTHOUSE), "--version"], capture_output=True,
                             text=True, check=False).stdout.strip()
    browser = subprocess.run([args.chrome_path, "--version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    print(f"Machine: {machine()}")
    print(f"Lighthouse {version}, {browser}, node {subprocess.run(['node', '--version'], capture_output=True, text=True, check=False).stdout.strip()}")  # noqa: E501

    rows: list[tuple[Page, dict]] = []
    with serving(out_dir / "gunicorn.log") as session:
        cookie = session.cookie_header()
        for page in pages:
            url = session.last_week() if page.path == "last-week" else session.base + page.path
            runs = []
            for i in range(1, args.runs + 1):
                slug = re.sub(r"\W+", "-", page.name)
                busy = settle(args.settle) if args.settle > 0 else cpu_busy()
                report = lighthouse(url, cookie, args.chrome_path, out_dir / f"{slug}-{i}.json")
                one = figures(report)
                one["busy"] = busy
                runs.append(one)
                print(f"  {page.name} run {i}: performance {one['performance']:.0f}, "
                      f"accessibility {one['accessibility']:.0f}, best practices "
                      f"{one['best-practices']:.0f}, {one['kb']:.1f} KB, FCP {one['fcp']:.0f} ms, "
                      f"LCP {one['lcp']:.0f} ms, TBT {one['tbt']:.0f} ms (CPUs {busy:.0%} busy "
                      f"before, benchmark index {one['benchmark']:.0f})", flush=True)
            rows.append((page, median_of(runs)))
    print(f"Load average after the runs: {os.getloadavg()[0]:.2f}")

    print_table(rows, args.runs)
    print()
    failed = 0
    for page, m in rows:
        for ok, text in verdicts(page, m):
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {text}")
        for audit, shown in m["missed"].items():
            print(f"      not at full marks: {audit} ({shown})")
        for url, ran in m["plotly"]:
            how = "loaded and run" if ran else "fetched ahead (prefetch), not run"
            print(f"      plotly.js {how}: {urllib.parse.urlsplit(url).path}")
    print(f"\nReports: {out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir}")
    if failed:
        print(f"{failed} budget(s) missed.")
        return 1 if args.strict else 0
    print("All budgets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
