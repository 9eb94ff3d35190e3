"""`make bench`: build a big SQLite database once, then time the weekly summary against /healthz.

The database holds 1,000 ordinary households (one caregiver, one child, four light weeks each)
and one heavy household (two caregivers, two children, a year of 25 moments and 10 routines a
day per child). It is built once, through the app factory and SQLAlchemy Core executemany, and
cached in bench-data/ under a key made from the schema and the generator version, so a second
run goes straight to the timings. `make load` (tools/load.py) seeds its database with the same
generate() and insert_rows().
"""

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import random
import sqlite3
import statistics
import sys
import sysconfig
import time as clock
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, text
from sqlalchemy.schema import CreateIndex, CreateTable

from parenting import create_app, domain, metrics, prompts, security
from parenting.extensions import db
from parenting.models import (
    CheckIn,
    Child,
    Household,
    Moment,
    PlannedTime,
    PromptShown,
    Routine,
    RoutineKind,
    User,
    WeekReflection,
)

# Bump when the generated data changes; schema changes invalidate the cache by themselves.
GENERATOR_VERSION = "3"
ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench-data"
PASSWORD = "a slow bench password"
# Cheap argon2id: the bench times the summary, not password hashing.
BENCH_ARGON2 = (1, 8, 1)
SEED = 3

ORDINARY_HOUSEHOLDS = 1000
ORDINARY_DAYS = 28
ORDINARY_MOMENTS_PER_DAY = 3
ORDINARY_ROUTINES = ("wake_up", "meal", "bedtime")
ORDINARY_EMAIL = "parent{:04d}@bench.test"  # numbered from 1
ORDINARY_ZONES = (
    "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
    "Australia/Sydney", "Asia/Tokyo", "UTC",
)

HEAVY_ZONE = "Europe/London"
HEAVY_FIRST_DAY = date(2025, 1, 1)
HEAVY_DAYS = 365
HEAVY_MOMENTS_PER_DAY = 25  # per child
HEAVY_ROUTINES_PER_DAY = 10  # per child: the ten slots of heavy_day_routines()
HEAVY_CAREGIVERS = ("heavy1@bench.test", "heavy2@bench.test")
# A week in the middle of the heavy year (Monday 23 June 2025), well clear of DST changes.
BENCH_WEEK = "2025-W26"
# (nickname, colour, planned minute of the day per routine kind, naps)
HEAVY_CHILDREN = (
    ("Robin", "#4f7cac", {"wake_up": 7 * 60, "bedtime": 19 * 60 + 30}),
    ("Pip", "#b5651d", {"wake_up": 6 * 60 + 45, "nap": 12 * 60 + 30, "bedtime": 19 * 60}),
)

BATCH = 20_000
WARMUP = 5
REQUESTS = 30
BUDGET_MS = {"page": 60.0, "json": 30.0}

NEED_WEIGHTS = {
    "watch_over_me": 3, "delight_in_me": 3, "help_me": 3, "enjoy_with_me": 3.5,
    "protect_me": 1, "comfort_me": 2, "welcome_me": 1, "help_with_feelings": 2,
    "not_sure": 0.8,
}
SUPPORTIVE_BY_HALF = {
    domain.SECURE_BASE: ("watched_delighted", "joined_in", "encouraged_try", "helped_solve"),
    domain.SAFE_HAVEN: ("held_comforted", "named_feeling", "stayed_with_feeling", "kept_safe",
                        "kind_limit", "helped_solve"),
    domain.NOT_SURE.id: ("stayed_with_feeling", "named_feeling", "held_comforted"),
}
OTHER_RESPONSES = ("got_cross", "distracted", "couldnt_respond", "no_big_deal", "got_overwhelmed")
HOW_SOON_WEIGHTS = {"right_away": 62, "few_minutes": 26, "later": 7, "not_this_time": 5}
EASY_FEELINGS = ("calm", "tender", "proud", "joyful", "tired")
HARD_FEELINGS = sorted(domain.HARD_FEELINGS)
CUE_IDS = [c.id for c in domain.CUES]
REPAIR_IDS = [w.id for w in domain.REPAIR_WAYS]
SKILL_IDS = ("praise", "reflect", "imitate", "describe")
NOTES = (
    "Long wobble at the nursery gate; waved from the window in the end.",
    "Built a den out of sofa cushions and invited me in.",
    "Big bump at soft play. Settled quickly once I sat down with them.",
    "Couldn't work out what was up. Maybe teeth?",
)


@dataclass
class Rows:
    """Plain row dicts per table, ready for Core executemany."""

    tables: dict[type, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, model: type, **values) -> None:
        self.tables[model].append(values)

    def counts(self) -> dict[str, int]:
        return {model.__tablename__: len(rows) for model, rows in self.tables.items()}


@dataclass
class Generator:
    """Make up every household's rows from one seeded Random, with explicit ids."""

    rng: random.Random
    password_hash: str
    # When set, every ordinary household's four weeks end on this day instead of falling
    # somewhere in 2025 (`make load` wants "today" and "this week" to hold something).
    ordinary_until: date | None = None
    # The heavy household's history (`make bench-http` builds a month, a year and five years).
    heavy_first_day: date = HEAVY_FIRST_DAY
    heavy_days: int = HEAVY_DAYS
    rows: Rows = field(default_factory=Rows)
    next_id: dict[type, int] = field(default_factory=lambda: defaultdict(int))

    def new_id(self, model: type) -> int:
        self.next_id[model] += 1
        return self.next_id[model]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def household(self, name: str, zone: str, joined: datetime) -> tuple[int, dict[str, int]]:
        """Add a household with the default routine kinds; return its id and kind ids by key."""
        household_id = self.new_id(Household)
        self.rows.add(Household, id=household_id, name=name, timezone=zone, week_start=0,
                      created_at=joined)
        kinds = {}
        for position, kind in enumerate(domain.DEFAULT_ROUTINE_KINDS):
            kinds[kind.id] = kind_id = self.new_id(RoutineKind)
            self.rows.add(RoutineKind, id=kind_id, household_id=household_id, key=kind.id,
                          label=kind.label, hidden=False, position=position)
        return household_id, kinds

    def child(self, household_id: int, nickname: str, colour: str, joined: datetime) -> int:
        child_id = self.new_id(Child)
        self.rows.add(Child, id=child_id, household_id=household_id, nickname=nickname,
                      birth_month=self.rng.randint(1, 12), birth_year=self.rng.randint(2020, 2024),
                      colour=colour, created_at=joined)
        return child_id

    def user(self, household_id: int, email: str, name: str, zone: str, child_id: int,
             joined: datetime) -> int:
        user_id = self.new_id(User)
        self.rows.add(User, id=user_id, email=email, display_name=name,
                      password_hash=self.password_hash, timezone=zone, session_version=1,
                      household_id=household_id, last_child_id=child_id, created_at=joined)
        return user_id

    def planned(self, child_id: int, kinds: dict[str, int], planned: dict[str, int]) -> None:
        for key, minute in planned.items():
            self.rows.add(PlannedTime, id=self.new_id(PlannedTime), child_id=child_id,
                          kind_id=kinds[key], minute=minute)

    def moment(self, child_id: int, caregiver_id: int, occurred: datetime, *,
               rupture_odds: float) -> None:
        """Add one moment: a need, cues, responses, feelings, sometimes a rupture and repair."""
        rng = self.rng
        need = pick(rng, NEED_WEIGHTS)
        half = domain.NEED_HALF.get(need, domain.NOT_SURE.id)
        responses: list[str] = []
        how_soon = None
        if rng.random() < 0.93:
            responses = rng.sample(SUPPORTIVE_BY_HALF[half], k=rng.choice((1, 1, 2)))
            if rng.random() < 0.17:
                responses.append(rng.choice(OTHER_RESPONSES))
            how_soon = pick(rng, HOW_SOON_WEIGHTS)
        feelings = []
        if rng.random() < 0.65:
            feelings.append(rng.choice(EASY_FEELINGS))
        if rng.random() < 0.15:
            feelings.append(rng.choice(HARD_FEELINGS))
        rupture = rng.random() < rupture_odds
        repaired_at = loop_closed_at = None
        repair_ways: list[str] = []
        if rupture:
            if not set(responses) - domain.SUPPORTIVE_IDS:
                responses.append(rng.choice(("got_cross", "got_overwhelmed", "distracted")))
                how_soon = how_soon or "few_minutes"
            feelings.append(rng.choice(("irritated", "overwhelmed", "guilty")))
            odds = rng.random()
            if odds < 0.75:
                repaired_at = occurred + timedelta(minutes=round(rng.triangular(5, 180, 25)))
            elif odds < 0.85:
                # Repaired the next day or later: sometimes in the following week.
                repaired_at = occurred + timedelta(hours=rng.randint(12, 60))
            elif odds < 0.92:
                loop_closed_at = occurred + timedelta(days=1)
            if repaired_at is not None:
                repair_ways = rng.sample(REPAIR_IDS, k=rng.randint(1, 3))
        created = occurred + timedelta(minutes=rng.choice((0, 1, 2, 5, 15, 40)))
        self.rows.add(
            Moment, uuid=self.uuid(), child_id=child_id,
            caregiver_id=caregiver_id, occurred_at=occurred, need=need,
            cues=rng.sample(CUE_IDS, k=rng.choice((1, 1, 2))),
            cue_text="kept checking I was still there" if rng.random() < 0.3 else "",
            miscue=half == domain.SAFE_HAVEN and rng.random() < 0.08,
            intensity=rng.randint(1, 5) if half == domain.SAFE_HAVEN else None,
            responses=responses, how_soon=how_soon,
            feelings=sorted(set(feelings), key=domain.FEELINGS.index),
            rupture=rupture, repaired_at=repaired_at, repair_ways=repair_ways,
            repair_note="Said sorry; we built the tower again together." if repair_ways else "",
            loop_closed_at=loop_closed_at,
            note=rng.choice(NOTES) if rng.random() < 0.1 else "",
            prompt_id=None, prompt_answer="", created_at=created,
            updated_at=max(created, repaired_at or created),
        )

    def routine(self, child_id: int, kind_id: int, caregiver_id: int, started: datetime,
                minutes: int | None, *, special: bool = False) -> None:
        ended = started + timedelta(minutes=minutes) if minutes is not None else None
        skills = []
        if special:
            skills = ["enjoy", *self.rng.sample(SKILL_IDS, k=self.rng.randint(1, 3))]
            skills.sort(key=[s.id for s in domain.SPECIAL_TIME_SKILLS].index)
        self.rows.add(
            Routine, uuid=self.uuid(), child_id=child_id,
            kind_id=kind_id, caregiver_id=caregiver_id, started_at=started, ended_at=ended,
            timer_ends_at=(started + timedelta(minutes=domain.SPECIAL_TIME_MINUTES)
                           if special else None),
            skills=skills, note="", created_at=ended or started,
        )

    def check_in(self, household_id: int, user_id: int, at: datetime) -> None:
        self.rows.add(
            CheckIn, household_id=household_id, user_id=user_id, at=at,
            feeling=self.rng.choice((*EASY_FEELINGS, *HARD_FEELINGS[:4])),
            energy=self.rng.randint(1, 5), feel_text="", need_text="",
        )


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    """Return one key of weights, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Return UTC for a local day and minute; minutes past 24:00 fall on the next day."""
    day += timedelta(days=minute // (24 * 60))
    minute %= 24 * 60
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def add_ordinary(gen: Generator, number: int) -> None:
    """Add one ordinary household: a caregiver, a child, four light weeks somewhere in 2025."""
    rng = gen.rng
    zone_name = rng.choice(ORDINARY_ZONES)
    tz = ZoneInfo(zone_name)
    first = HEAVY_FIRST_DAY + timedelta(days=rng.randint(0, HEAVY_DAYS - ORDINARY_DAYS))
    if gen.ordinary_until is not None:
        first = gen.ordinary_until - timedelta(days=ORDINARY_DAYS - 1)
    joined = local(first, 8 * 60, tz) - timedelta(days=1)
    household_id, kinds = gen.household(f"Household {number}", zone_name, joined)
    child_id = gen.child(household_id, f"Kid {number}", rng.choice(domain.CHILD_COLOURS).id,
                         joined)
    user_id = gen.user(household_id, ordinary_email(number), f"Parent {number}",
                       zone_name, child_id, joined)
    if rng.random() < 0.5:
        gen.planned(child_id, kinds, {"wake_up": 7 * 60, "bedtime": 19 * 60 + 30})
    for offset in range(ORDINARY_DAYS):
        day = first + timedelta(days=offset)
        for minute in sorted(rng.sample(range(7 * 60, 20 * 60), ORDINARY_MOMENTS_PER_DAY)):
            gen.moment(child_id, user_id, local(day, minute, tz), rupture_odds=0.05)
        starts = (7 * 60 + rng.randint(-20, 20), 12 * 60 + rng.randint(-30, 30),
                  19 * 60 + 30 + rng.randint(-30, 30))
        for key, minute in zip(ORDINARY_ROUTINES, starts, strict=True):
            gen.routine(child_id, kinds[key], user_id, local(day, minute, tz),
                        None if key == "wake_up" else 20)
        if rng.random() < 0.5:
            gen.check_in(household_id, user_id, local(day, 21 * 60, tz))


def heavy_day_routines(rng: random.Random, planned: dict[str, int], day: date, *,
                       late: bool) -> list[tuple[str, int, int | None]]:
    """Return one child's ten routines of a day as (kind, local start minute, length)."""
    weekend = day.weekday() >= 5
    wake = planned["wake_up"] + (20 if weekend else 0) + round(rng.gauss(0, 15))
    if late:
        # A late night: bedtime just past midnight (or just before), drawn where it happened.
        bedtime = 24 * 60 + rng.randint(-40, 45)
    else:
        bedtime = planned["bedtime"] + (15 if weekend else 0) + round(rng.gauss(0, 12))
    middle = ("nap", planned["nap"] + round(rng.gauss(0, 20)), rng.randint(55, 120)) \
        if "nap" in planned else ("play", rng.randint(13 * 60, 15 * 60), rng.randint(20, 60))
    return [
        ("wake_up", wake, None),
        ("meal", wake + 35 + round(rng.gauss(0, 8)), rng.randint(10, 20)),
        ("outdoor", rng.randint(9 * 60 + 30, 11 * 60), rng.randint(30, 90)),
        ("meal", 12 * 60 + round(rng.gauss(0, 15)), rng.randint(20, 30)),
        middle,
        # Some sessions stop short of five minutes: those days do not count as special time.
        (domain.SPECIAL_TIME, rng.randint(15 * 60 + 30, 17 * 60), rng.randint(3, 12)),
        ("meal", 17 * 60 + 15 + round(rng.gauss(0, 15)), rng.randint(25, 35)),
        ("bath", bedtime - rng.randint(40, 55), rng.randint(15, 25)),
        ("reading", bedtime - rng.randint(15, 25), rng.randint(8, 15)),
        ("bedtime", bedtime, rng.randint(10, 40)),
    ]


def add_heavy(gen: Generator) -> dict:
    """Add the heavy household: two caregivers, two children, a year (by default) of busy days."""
    rng = gen.rng
    tz = ZoneInfo(HEAVY_ZONE)
    joined = local(gen.heavy_first_day, 8 * 60, tz) - timedelta(days=3)
    household_id, kinds = gen.household("The Heavy household", HEAVY_ZONE, joined)
    child_ids = [gen.child(household_id, name, colour, joined)
                 for name, colour, _ in HEAVY_CHILDREN]
    carer_ids = [
        gen.user(household_id, email, f"Carer {i + 1}", HEAVY_ZONE, child_ids[0], joined)
        for i, email in enumerate(HEAVY_CAREGIVERS)
    ]
    days = [gen.heavy_first_day + timedelta(days=n) for n in range(gen.heavy_days)]
    for child_id, (_, _, planned) in zip(child_ids, HEAVY_CHILDREN, strict=True):
        gen.planned(child_id, kinds, planned)
        late_nights = set(rng.sample(days, max(1, len(days) * 30 // 365)))
        for day in days:
            night = rng.random() < 0.15
            minutes = sorted(
                [rng.randint(30, 4 * 60 + 30)] * night
                + rng.sample(range(6 * 60, 21 * 60 + 30), HEAVY_MOMENTS_PER_DAY - night)
            )
            for minute in minutes:
                gen.moment(child_id, rng.choice(carer_ids), local(day, minute, tz),
                           rupture_odds=0.06)
            routines = heavy_day_routines(rng, planned, day, late=day in late_nights)
            for key, minute, length in routines:
                gen.routine(child_id, kinds[key], rng.choice(carer_ids), local(day, minute, tz),
                            length, special=key == domain.SPECIAL_TIME)
        # A reflection on about half of the weeks, the bench week among them.
        first_days = {metrics.week_start_for(day, 0) for day in days}
        bench_first = metrics.parse_week_label(BENCH_WEEK, 0)
        for first_day in sorted(first_days):
            if first_day == bench_first or rng.random() < 0.5:
                label = metrics.iso_week_label(first_day)
                gen.rows.add(
                    WeekReflection, id=gen.new_id(WeekReflection), child_id=child_id,
                    first_day=first_day, prompt_id=prompts.week_prompt(label, child_id).id,
                    answer="More cuddles at the door helped.", updated_by_id=carer_ids[0],
                    updated_at=local(first_day + timedelta(days=6), 21 * 60, tz),
                )
    for day in days:
        for carer_id in carer_ids:
            if rng.random() < 0.8:
                gen.check_in(household_id, carer_id, local(day, rng.randint(20 * 60, 22 * 60), tz))
    # The prompts offered after saves, a few a day each: every save reads its caregiver's last
    # week of them. From their own Random, so every other row stays as it was.
    shown_rng = random.Random(SEED + 1)
    prompt_ids = [prompt.id for prompt in prompts.load_prompts()]
    for day in days:
        for carer_id in carer_ids:
            for _ in range(shown_rng.randint(0, 4)):
                gen.rows.add(PromptShown, id=gen.new_id(PromptShown), user_id=carer_id,
                             prompt_id=shown_rng.choice(prompt_ids),
                             shown_at=local(day, shown_rng.randint(6 * 60, 21 * 60), tz))
    return {"email": HEAVY_CAREGIVERS[0], "child_id": child_ids[0], "week": BENCH_WEEK}


def bench_config(db_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "WTF_CSRF_ENABLED": False,
        "ARGON2_PARAMS": BENCH_ARGON2,
        # The test client's host is "localhost", whatever the environment trusts.
        "TRUSTED_HOSTS": None,
    }


def cache_key(**spec) -> str:
    """Return a short key that changes with the schema or the generated data (spec: the
    keyword arguments given to generate())."""
    app = create_app(bench_config(Path(os.devnull)))
    with app.app_context():
        dialect = db.engine.dialect
        ddl = [str(CreateTable(t).compile(dialect=dialect)) for t in db.metadata.sorted_tables]
        ddl += [str(CreateIndex(i).compile(dialect=dialect))
                for t in db.metadata.sorted_tables for i in sorted(t.indexes, key=str)]
    spec = repr((GENERATOR_VERSION, SEED, ORDINARY_HOUSEHOLDS, ORDINARY_DAYS,
                 ORDINARY_MOMENTS_PER_DAY, HEAVY_FIRST_DAY, HEAVY_DAYS, HEAVY_MOMENTS_PER_DAY,
                 HEAVY_ROUTINES_PER_DAY, HEAVY_CHILDREN, BENCH_WEEK, sorted(spec.items())))
    return hashlib.sha256("\n".join([spec, *ddl]).encode()).hexdigest()[:12]


def generate(password_hash: str, *, ordinary_until: date | None = None,
             heavy_first_day: date = HEAVY_FIRST_DAY,
             heavy_days: int = HEAVY_DAYS) -> tuple[Generator, dict]:
    """Make up the 1,000 ordinary households and the heavy one, every caregiver with
    password_hash; return the rows and what the timing step needs (the heavy caregiver's email,
    child and week)."""
    gen = Generator(random.Random(SEED), password_hash, ordinary_until=ordinary_until,
                    heavy_first_day=heavy_first_day, heavy_days=heavy_days)
    # Spread the heavy household into the middle of the ids, like any other family.
    for number in range(1, ORDINARY_HOUSEHOLDS // 2 + 1):
        add_ordinary(gen, number)
    target = add_heavy(gen)
    for number in range(ORDINARY_HOUSEHOLDS // 2 + 1, ORDINARY_HOUSEHOLDS + 1):
        add_ordinary(gen, number)
    # A real database numbers entries in the order they were written, across households, so
    # one family's week is spread among everyone else's rows rather than packed together.
    for model, key in ((Moment, "created_at"), (Routine, "created_at"), (CheckIn, "at")):
        rows = gen.rows.tables[model]
        rows.sort(key=lambda row, key=key: row[key])
        for row_id, row in enumerate(rows, start=1):
            row["id"] = row_id
    return gen, target


def ordinary_email(number: int) -> str:
    """Return the email of ordinary household number's caregiver (1-based)."""
    return ORDINARY_EMAIL.format(number)


def insert_rows(app: Flask, gen: Generator) -> None:
    """Insert every generated row into the app's (empty) database in one transaction.

    The rows carry explicit ids, so on PostgreSQL each id sequence is moved past the largest
    id afterwards; SQLite carries on from the largest rowid by itself.
    """
    with app.app_context():
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                model = next((m for m in gen.rows.tables if m.__table__ is table), None)
                rows = gen.rows.tables.get(model, [])
                for i in range(0, len(rows), BATCH):
                    conn.execute(insert(table), rows[i:i + BATCH])
            if conn.dialect.name == "postgresql":
                quote = conn.dialect.identifier_preparer.quote
                for table in db.metadata.sorted_tables:
                    column = table.autoincrement_column
                    if column is None:
                        continue
                    name, key = quote(table.name), quote(column.name)
                    conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:table, :column), "  # nosec B608  # names quoted above
                             f"(SELECT COALESCE(MAX({key}), 0) + 1 FROM {name}), false)"),
                        {"table": name, "column": column.name},
                    )
        db.session.remove()
        db.engine.dispose()


def build(db_path: Path, **spec) -> dict:
    """Build the bench database at db_path; return what the timing step needs and counts."""
    started = clock.perf_counter()
    app = create_app(bench_config(db_path))
    with app.app_context():
        db.create_all()
        password_hash = security.hash_password(PASSWORD)
    gen, target = generate(password_hash, **spec)
    generated = clock.perf_counter() - started
    insert_rows(app, gen)
    return {
        **target,
        "build_seconds": round(clock.perf_counter() - started, 2),
        "generate_seconds": round(generated, 2),
        "counts": gen.rows.counts(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def cached_database(data_dir: Path, rebuild: bool, name: str = "bench",
                    **spec) -> tuple[Path, dict]:
    """Return the bench database and its metadata, building it when missing or stale.

    name and spec (keyword arguments for generate()) tell the databases of `make bench-http`
    apart: each is cached as bench-data/<name>-<key>.sqlite3.
    """
    key = cache_key(**spec)
    db_path = data_dir / f"{name}-{key}.sqlite3"
    meta_path = db_path.with_suffix(".json")
    if not rebuild and db_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        print(f"Using the cached database {shown(db_path)} (built {meta['built_at']}, "
              f"key {key}); --rebuild builds it afresh.")
        return db_path, meta
    data_dir.mkdir(exist_ok=True)
    for old in [*data_dir.glob(f"{name}-*.sqlite3*"), *data_dir.glob(f"{name}-*.json")]:
        old.unlink()
    print(f"Building {shown(db_path)} …", flush=True)
    partial = data_dir / f"building-{key}.sqlite3"
    for leftover in data_dir.glob(f"{partial.name}*"):
        leftover.unlink()
    meta = build(partial, **spec)
    partial.rename(db_path)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"Built in {meta['build_seconds']:.1f} s (generating rows "
          f"{meta['generate_seconds']:.1f} s).")
    return db_path, meta


def shown(path: Path) -> str:
    """Return path relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def print_counts(meta: dict) -> None:
    counts = meta["counts"]
    width = max(map(len, counts))
    print("Rows:")
    for table, n in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"  {table:<{width}}  {n:>9,}")


def percentile(samples: list[float], fraction: float) -> float:
    """Return the linearly interpolated percentile of samples (fraction in 0..1)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Endpoint:
    key: str
    name: str
    url: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)


def timed_get(client, endpoint: Endpoint) -> float:
    started = clock.perf_counter()
    response = client.get(endpoint.url)
    elapsed = (clock.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{endpoint.name}: {endpoint.url} answered {response.status_code}")
    response.close()
    return elapsed


def profile_request(client, endpoint: Endpoint, top: int = 14) -> None:
    """Profile one request and say where its time goes: by package, then by function."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(endpoint.url).close()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _, _), row in stats.stats.items():
        by_package[package_of(filename)] += row[2]
    print(f"\nProfile of one {endpoint.name} request ({total * 1000:.1f} ms under cProfile, "
          "which inflates it):")
    print("  own time by package")
    for package, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:8]:
        print(f"    {package:<26} {seconds * 1000:7.1f} ms  {seconds / total:6.1%}")
    print(f"  top {top} calls by cumulative time")
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][3])
    shown = 0
    for (filename, line, func), (_, calls, _, cumulative, _) in rows:
        # The request plumbing wraps everything; the view and what it calls are the news.
        if package_of(filename) in PLUMBING or func.startswith("<"):
            continue
        where = f"{package_of(filename)}:{Path(filename).name}:{line} {func}"
        print(f"    {cumulative * 1000:7.1f} ms  {calls:>6} calls  {where}")
        shown += 1
        if shown == top:
            break


PLUMBING = {"builtins", "werkzeug", "flask", "flask_login"}


def package_of(filename: str) -> str:
    """Name the package a source file belongs to, for grouping profile rows."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    path = Path(filename)
    site = Path(sysconfig.get_paths()["purelib"])
    if path.is_relative_to(site):
        return path.relative_to(site).parts[0].removesuffix(".py")
    if path.is_relative_to(ROOT):
        return "/".join(path.relative_to(ROOT).parts[:1]) + " (Tend)"
    return "stdlib"


def run(
    db_path: Path, meta: dict, requests: int, warmup: int
) -> tuple[FlaskClient, list[Endpoint]]:
    """Log in as a heavy-household caregiver and time the three endpoints, interleaved."""
    app = create_app(bench_config(db_path))
    client = app.test_client()
    response = client.post("/login", data={"email": meta["email"], "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login failed with {response.status_code}")
    child, week = meta["child_id"], meta["week"]
    endpoints = [
        Endpoint("healthz", "GET /healthz", "/healthz"),
        Endpoint("page", "summary page", f"/children/{child}/weeks/{week}"),
        Endpoint("json", "summary JSON", f"/api/v1/children/{child}/summary?week={week}"),
    ]
    for _ in range(warmup):
        for endpoint in endpoints:
            timed_get(client, endpoint)
    figures = client.get(endpoints[2].url).get_json()
    if not figures["moments"]:
        raise SystemExit(f"week {week} of child {child} is empty: nothing worth timing")
    kinds = sum(1 for r in figures["routines"].values() if r["days"])
    print(f"The week holds {figures['moments']} moments ({figures['ruptures']} ruptures, "
          f"{figures['repaired']} repaired) and {kinds} kinds of routine.")
    # Interleaved, so a noisy moment on the machine falls on every endpoint alike.
    for _ in range(requests):
        for endpoint in endpoints:
            endpoint.samples.append(timed_get(client, endpoint))
    return client, endpoints


def report(endpoints: list[Endpoint]) -> bool:
    """Print the results table and the budget verdicts; return whether all budgets hold."""
    base = endpoints[0].median
    print(f"\n| {'endpoint':<14} | {'n':>3} | {'median ms':>9} | {'p95 ms':>7} | "
          f"{'× /healthz':>10} |")
    print(f"|{'-' * 16}|{'-' * 5}|{'-' * 11}|{'-' * 9}|{'-' * 12}|")
    for e in endpoints:
        print(f"| {e.name:<14} | {len(e.samples):>3} | {e.median:>9.2f} | {e.p95:>7.2f} | "
              f"{e.median / base:>10.1f} |")
    ok = True
    print()
    for e in endpoints:
        budget = BUDGET_MS.get(e.key)
        if budget is None:
            continue
        passed = e.median <= budget
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  {e.name} median {e.median:.1f} ms "
              f"(budget {budget:.0f} ms)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build the database afresh")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget fails")
    parser.add_argument("--profile", action="store_true",
                        help="profile one summary request even when the budgets hold")
    parser.add_argument("--requests", type=int, default=REQUESTS,
                        help=f"timed requests per endpoint (default {REQUESTS})")
    parser.add_argument("--warmup", type=int, default=WARMUP,
                        help=f"untimed requests per endpoint first (default {WARMUP})")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the cache lives")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # Other work on the machine shows up in the p95 first: say how busy it was.
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs, load average {load:.2f}")
    db_path, meta = cached_database(args.data_dir.resolve(), args.rebuild)
    print_counts(meta)
    print(f"\nTiming as {meta['email']}: child {meta['child_id']}, week {meta['week']}, "
          f"{args.warmup} warm-up + {args.requests} timed requests per endpoint …", flush=True)
    client, endpoints = run(db_path, meta, args.requests, args.warmup)
    ok = report(endpoints)
    slow: list[Endpoint] = [
        e for e in endpoints if e.key in BUDGET_MS and (args.profile or e.median > BUDGET_MS[e.key])
    ]
    for endpoint in slow:
        profile_request(client, endpoint)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
