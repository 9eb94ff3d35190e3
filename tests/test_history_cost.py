"""Issue 10: home, the weekly summary, the day view and a saved moment cost the same whatever the
history, a saved moment commits once, and the summary's figures are exactly the old loader's.

The data is tools/bench.py's heavy household (two caregivers, two children, 25 moments and ten
routines a day each), over a few weeks of December 2025, then with months more history before.
"""

import json
import random
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, login
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from summary_reference import reference_week_rows

from parenting import config, security, summary
from parenting.extensions import db
from parenting.log import AWAY_MOMENTS, AWAY_ROUTINES, RECENT_PROMPTS, open_loops_query
from parenting.models import Moment
from parenting.summary_rows import WEEK_MOMENTS, WEEK_ROUTINES, as_utc, checkins_query, ids

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import bench  # noqa: E402  (tools/ is not a package)

FIRST_DAY = date(2025, 11, 17)
DAYS = 28  # to Sun 14 December 2025
WEEKS = ["2025-W47", "2025-W48", "2025-W49", "2025-W50"]
DAY = "2025-12-10"


@pytest.fixture
def heavy(app):
    """Seed the bench's heavy household; return its generator, ids and a way to add history."""
    with app.app_context():
        password_hash = security.hash_password(PASSWORD)
    gen = bench.Generator(random.Random(10), password_hash, heavy_first_day=FIRST_DAY,
                          heavy_days=DAYS)
    target = bench.add_heavy(gen)
    bench.insert_rows(app, gen)
    children = [target["child_id"], target["child_id"] + 1]
    carers = [1, 2]  # add_heavy numbers the household's rows from 1

    def add_history(days: int) -> None:
        """Log `days` more busy days before the seeded ones, a third of the moments ruptures
        (many left open), for both children."""
        gen.rows.tables.clear()
        for offset in range(1, days + 1):
            day = FIRST_DAY - timedelta(days=offset)
            for child_id in children:
                for minute in range(7 * 60, 20 * 60, 30):
                    gen.moment(child_id, random.choice(carers),
                               bench.local(day, minute, bench.ZoneInfo(bench.HEAVY_ZONE)),
                               rupture_odds=0.3)
        bench.insert_rows(app, gen)

    return {"email": target["email"], "children": children, "carers": carers,
            "add_history": add_history}


def moment_body(child_id: int) -> dict:
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    return {"uuid": str(uuid.uuid4()), "child_id": child_id, "occurred_at": at,
            "need": "comfort_me", "responses": ["held_comforted"], "feelings": ["tender"]}


def requests(client, child_id: int) -> dict:
    """Return each request of the issue as a callable that checks its answer."""

    def get(url):
        def run():
            assert client.get(url).status_code == 200, url
        return run

    def post_api():
        assert client.post("/api/v1/moments", json=moment_body(child_id)).status_code == 201

    def post_form():
        response = client.post("/moments/new", data={
            "child_id": child_id, "when": "0", "need": "comfort_me",
            "responses": "held_comforted", "feelings": "tender",
        })
        assert response.status_code == 302

    return {
        "home": get("/"),
        "summary page": get(f"/children/{child_id}/weeks/2025-W50"),
        "summary JSON": get(f"/api/v1/children/{child_id}/summary?week=2025-W50"),
        "day view": get(f"/children/{child_id}/days/{DAY}"),
        "moment POST (API)": post_api,
        "moment POST (form)": post_form,
    }


def statements_and_commits(app, run) -> tuple[list[str], int]:
    """Run one request; return the SQL statements it sent and how many times it committed."""
    statements: list[str] = []
    commits = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    def on_commit(conn):
        commits.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return statements, len(commits)


def test_home_the_summary_the_day_and_a_saved_moment_send_as_many_statements_with_more_history(
    app, client, heavy
):
    login(client, heavy["email"])
    calls = requests(client, heavy["children"][0])
    for run in calls.values():
        run()  # once first: a new prompt, a session refresh and the like settle

    before = {name: statements_and_commits(app, run) for name, run in calls.items()}
    heavy["add_history"](120)
    after = {name: statements_and_commits(app, run) for name, run in calls.items()}

    for name in calls:
        assert len(after[name][0]) == len(before[name][0]), (name, after[name][0])
        assert after[name][1] == before[name][1], name


def test_a_saved_moment_commits_once_and_reads_nothing_back(app, client, heavy):
    login(client, heavy["email"])
    calls = requests(client, heavy["children"][0])

    for name in ("moment POST (API)", "moment POST (form)"):
        statements, commits = statements_and_commits(app, calls[name])

        assert commits == 1, name
        inserted = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO moment"))
        # Nothing is selected again once the moment is written: the answer is built from it.
        assert not [s for s in statements[inserted:] if s.startswith("SELECT")], statements
        assert len(statements) <= 8, statements


def test_an_api_save_reads_the_user_alone_and_a_page_with_its_household(app, client, heavy):
    login(client, heavy["email"])
    calls = requests(client, heavy["children"][0])
    for name in ("moment POST (API)", "home"):
        calls[name]()  # once first: the first prompt and the visit's stamp settle

    def user_reads(name):
        statements, _ = statements_and_commits(app, calls[name])
        unquoted = [s.replace('"', "") for s in statements]  # PostgreSQL quotes "user"
        return [s for s in unquoted if s.startswith("SELECT user.id") and " WHERE user.id = " in s
                and " AND " not in s], unquoted

    # The API's saves never read the household: joining it cost a save 4% of its time.
    api, statements = user_reads("moment POST (API)")
    assert len(api) == 1 and "household" not in api[0].split(" FROM ")[1], api
    assert not [s for s in statements if "FROM household" in s], statements
    # Nearly every page shows the household's zone or children: one statement reads both.
    home, _ = user_reads("home")
    assert len(home) == 1 and "JOIN household" in home[0], home


WEEK_START = datetime(2025, 12, 1, tzinfo=UTC)
WEEK_END = datetime(2025, 12, 15, tzinfo=UTC)


def query_plan(conn, query) -> str:
    """Return the database's plan for a query with its values written in, as one line."""
    sqlite_db = conn.dialect.name == "sqlite"
    compiled = query.compile(dialect=sqlite.dialect() if sqlite_db else postgresql.dialect(),
                             compile_kwargs={"literal_binds": True})
    if sqlite_db:
        return " ".join(str(row[-1]) for row in
                        conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    return " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize(
    ("query", "index"),
    [
        # Home's open loops: the index of the open ones, not the household's history.
        (lambda: open_loops_query(1, limit=5), "ix_moment_open_loop"),
        # The summary's check-ins: the weeks asked for, not every check-in of the household.
        (lambda: checkins_query(1, WEEK_START, WEEK_END), "ix_check_in_household_at"),
        # Home's "While you were away": what was logged since the last visit, not the history.
        (lambda: AWAY_MOMENTS.params(household_id=1, user_id=1, since=WEEK_END),
         "ix_moment_child_created"),
        (lambda: AWAY_ROUTINES.params(household_id=1, user_id=1, since=WEEK_END),
         "ix_routine_child_created"),
        # A save's prompt: the prompts this caregiver saw in the last week, not all of them.
        (lambda: RECENT_PROMPTS.params(user_id=1, since=WEEK_END), "ix_prompt_shown_user_at"),
    ],
    ids=["open loops", "week check-ins", "away moments", "away routines", "recent prompts"],
)
def test_history_bound_queries_read_through_their_index(app, heavy, query, index):
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            # A table this small is cheaper to scan; the point is that the index matches.
            # Fresh statistics, so the planner knows how few rows the condition leaves
            # (without them it may walk another index of the same table).
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("SET enable_seqscan = off")
        steps = query_plan(conn, query())

    assert index in steps, steps


@pytest.mark.parametrize(
    ("query", "index"),
    [(WEEK_MOMENTS, "ix_moment_child_time"), (WEEK_ROUTINES, "ix_routine_child_time")],
    ids=["moments", "routines"],
)
def test_the_week_figures_read_their_index_and_not_the_table(app, heavy, query, index):
    """A family's rows sit among every other family's in the table, a page for each row once
    there are many: the week's moments and routines are answered from the index alone."""
    heavy["add_history"](3)
    params = {"child_id": heavy["children"][0], "start": WEEK_START, "end": WEEK_END}
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            index_alone = f"USING COVERING INDEX {index} "
        else:
            # An index-only scan needs the visibility map that VACUUM writes, outside a
            # transaction; a table this small is cheaper to scan, or to read through a bitmap.
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f"VACUUM ANALYZE {query.get_final_froms()[0].name}")
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            index_alone = f"Index Only Scan using {index} "
        plan = query_plan(conn, query.params(**params))

    assert index_alone in plan, plan


def test_the_open_loops_on_home_are_the_newest_five_still_open(app, client, heavy):
    heavy["add_history"](3)
    with app.app_context():
        open_ones = [
            m for m in db.session.scalars(db.select(Moment).order_by(Moment.occurred_at.desc()))
            if m.is_open_loop
        ]
        links = [f'/moments/{m.id}/' for m in open_ones]
    login(client, heavy["email"])

    page = client.get("/").get_data(as_text=True)

    assert len(links) > 5
    for link in links[:5]:
        assert link in page
    for link in links[5:]:
        assert link not in page


@pytest.mark.parametrize("week", WEEKS)
def test_the_summary_figures_are_byte_for_byte_the_old_loaders(client, heavy, monkeypatch, week):
    """Every week, both children, all caregivers and each: JSON and page as before issue 10."""
    login(client, heavy["email"])
    urls = []
    for child_id in heavy["children"]:
        for carer in ("", *(f"caregiver={c}" for c in heavy["carers"])):
            urls.append(f"/api/v1/children/{child_id}/summary?week={week}&{carer}")
            urls.append(f"/children/{child_id}/weeks/{week}?{carer}")

    new = [client.get(url).get_data() for url in urls]
    monkeypatch.setattr(summary, "load_week_rows", reference_week_rows)
    old = [client.get(url).get_data() for url in urls]

    for url, new_body, old_body in zip(urls, new, old, strict=True):
        assert new_body == old_body, url
    assert json.loads(new[0])["moments"] > 100  # a busy week: there is something to compare


GOLDEN = Path(__file__).resolve().parent / "data" / "summary_golden.json"


def test_the_summary_json_is_byte_for_byte_what_the_code_before_issue_10_answered(client, heavy):
    """The golden file was written by the code of 8d63f0b (loader and metrics before issue 10)
    from this same seeded household; regenerating it with newer code would prove nothing."""
    golden = json.loads(GOLDEN.read_text())["answers"]
    login(client, heavy["email"])

    answers = {url: client.get(url).get_data(as_text=True) for url in golden}

    assert len(golden) == len(WEEKS) * 2 * 3
    for url, body in answers.items():
        # Figure by figure, each written out exactly (2 and 2.0 differ): a figure added to the
        # summary later does not make every old one suspect.
        old, new = json.loads(golden[url]), json.loads(body)
        assert old["moments"] > 0
        for key in old:
            assert exact(new.get(key)) == exact(old[key]), (url, key)


def exact(value) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2025-06-23 07:12:00.000000", datetime(2025, 6, 23, 7, 12, tzinfo=UTC)),
        ("2025-06-23 07:12:00.123456", datetime(2025, 6, 23, 7, 12, 0, 123456, tzinfo=UTC)),
        (datetime(2025, 6, 23, 8, 12, tzinfo=bench.ZoneInfo("Europe/London")),
         datetime(2025, 6, 23, 7, 12, tzinfo=UTC)),
        (datetime(2025, 6, 23, 7, 12), datetime(2025, 6, 23, 7, 12, tzinfo=UTC)),
        (None, None),
    ],
)
def test_stored_times_come_back_as_aware_utc(stored, expected):
    result = as_utc(stored)

    assert result == expected
    assert result is None or result.tzinfo is UTC


@pytest.mark.parametrize(
    ("stored", "expected"),
    [('["held_comforted", "named_feeling"]', ("held_comforted", "named_feeling")),
     ("[]", ()), ("null", ()), ("", ()), (None, ())],
)
def test_stored_lists_come_back_as_tuples(stored, expected):
    assert ids(stored) == expected


@pytest.mark.parametrize(
    ("url", "pinged"),
    [
        ("", False),  # the SQLite file in the instance folder
        ("sqlite:////srv/tend/tend.sqlite3", False),
        ("postgres://tend:secret@db.internal/tend", True),
    ],
)
def test_only_a_database_server_is_pinged_before_each_request(monkeypatch, tmp_path, url, pinged):
    # A server's connection can drop while the pool holds it; a SQLite file can't, so pinging it
    # would only add a statement to every signed-in request.
    monkeypatch.setenv("DATABASE_URL", url)
    options = config.load(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is pinged
