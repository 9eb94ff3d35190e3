import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from parenting import domain
from parenting.programme import programme_week, session_week
from parenting.prompts import (
    CONTEXTS,
    Prompt,
    load_prompts,
    moment_contexts,
    parse_prompts,
    pick_prompt,
    themes_can_tip,
    week_prompt,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def ids_in(context):
    return {p.id for p in load_prompts() if context in p.contexts}


def test_prompts_file_loads_with_enough_prompts():
    loaded = load_prompts()
    assert len(loaded) >= 30
    assert all(isinstance(p, Prompt) for p in loaded)
    assert load_prompts() is loaded


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_context_has_prompts_to_choose_from(context):
    minimum = 8 if context == "week" else 4
    assert len(ids_in(context)) >= minimum


def test_prompt_texts_are_short_unique_and_gentle():
    texts = [p.text for p in load_prompts()]
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert len(text) <= 100, text
        assert text.endswith("?"), text
        assert "should" not in text.lower(), text
        assert "circle of security" not in text.lower(), text


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"id": "a"}, "list"),
        (["not an object"], "not an object"),
        ([{"id": "Bad Id", "text": "Hm?", "contexts": ["any"]}], "invalid id"),
        (
            [
                {"id": "same", "text": "One?", "contexts": ["any"]},
                {"id": "same", "text": "Two?", "contexts": ["any"]},
            ],
            "duplicate",
        ),
        ([{"id": "blank", "text": "  ", "contexts": ["any"]}], "no text"),
        ([{"id": "none", "text": "Hm?", "contexts": []}], "no contexts"),
        ([{"id": "odd", "text": "Hm?", "contexts": ["bedtime"]}], "unknown contexts"),
    ],
)
def test_malformed_prompts_are_rejected(entries, message):
    with pytest.raises(ValueError, match=message):
        parse_prompts(entries)


def test_valid_entries_become_prompts():
    parsed = parse_prompts([{"id": "a-b", "text": " Hm? ", "contexts": ["week", "any"]}])
    assert parsed == (Prompt("a-b", "Hm?", ("week", "any")),)


def moment(**overrides):
    fields = {
        "need": "comfort_me",
        "rupture": False,
        "repaired": False,
        "feelings": [],
        "miscue": False,
    }
    return moment_contexts(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ["safe_haven", "any"]),
        ({"need": "enjoy_with_me"}, ["secure_base", "any"]),
        ({"need": "not_sure"}, ["not_sure", "any"]),
        ({"feelings": ["calm", "proud"]}, ["safe_haven", "any"]),
        ({"feelings": ["calm", "guilty"]}, ["hard_feeling", "safe_haven", "any"]),
        ({"miscue": True, "feelings": ["sad"]}, ["miscue", "hard_feeling", "safe_haven", "any"]),
        ({"rupture": True, "miscue": True}, ["rupture", "miscue", "safe_haven", "any"]),
        (
            {"rupture": True, "repaired": True, "feelings": ["overwhelmed"], "miscue": True},
            ["repaired", "miscue", "hard_feeling", "safe_haven", "any"],
        ),
    ],
)
def test_moment_contexts_run_from_most_specific_to_any(overrides, expected):
    assert moment(**overrides) == expected


def test_pick_prompt_prefers_the_first_context():
    contexts = moment(rupture=True, repaired=True)
    for seed in range(20):
        picked = pick_prompt(contexts, set(), random.Random(seed))
        assert "repaired" in picked.contexts


def test_pick_prompt_is_reproducible_with_a_seeded_rng():
    first = pick_prompt(["safe_haven", "any"], set(), random.Random(7))
    again = pick_prompt(["safe_haven", "any"], set(), random.Random(7))
    assert first == again


def test_pick_prompt_never_repeats_a_recently_shown_prompt():
    rng = random.Random(1)
    shown: set[str] = set()
    for _ in range(len(ids_in("repaired"))):
        picked = pick_prompt(["repaired"], shown, rng)
        assert picked.id not in shown
        assert "repaired" in picked.contexts
        shown.add(picked.id)
    assert shown == ids_in("repaired")


def test_pick_prompt_moves_on_when_a_context_is_used_up():
    picked = pick_prompt(["miscue", "secure_base", "any"], ids_in("miscue"), random.Random(3))
    assert "secure_base" in picked.contexts


def test_pick_prompt_falls_back_to_any_even_when_not_asked_for():
    picked = pick_prompt(["hard_feeling"], ids_in("hard_feeling"), random.Random(5))
    assert "any" in picked.contexts


def test_pick_prompt_returns_none_when_everything_was_shown():
    everything = {p.id for p in load_prompts()}
    assert pick_prompt(moment(miscue=True, feelings=["sad"]), everything) is None


def test_pick_prompt_rejects_unknown_contexts():
    with pytest.raises(ValueError, match="unknown"):
        pick_prompt(["bedtime"], set())


def test_week_prompt_is_a_week_prompt_and_deterministic():
    picked = week_prompt("2024-W05", 3)
    assert "week" in picked.contexts
    assert all(week_prompt("2024-W05", 3) == picked for _ in range(5))


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_week_prompt_is_stable_across_processes(hash_seed):
    code = "from parenting.prompts import week_prompt; print(week_prompt('2024-W05', 3).id)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == week_prompt("2024-W05", 3).id


def test_week_prompt_usually_differs_from_week_to_week():
    weeks = [f"2024-W{n:02d}" for n in range(1, 13)]
    picks = [week_prompt(week, 3).id for week in weeks]
    assert len(set(picks)) >= 5
    children = {week_prompt("2024-W05", child_id).id for child_id in range(1, 13)}
    assert len(children) >= 5


# Programme themes


def test_every_theme_focus_has_prompts_tagged_with_it():
    for focus in domain.THEME_FOCUSES:
        assert [p for p in load_prompts() if focus.id in p.tags], focus.id


def test_unknown_or_malformed_tags_are_rejected():
    for tags in (["no_such_theme"], "comfort", [1]):
        with pytest.raises(ValueError, match="unknown tags"):
            parse_prompts([{"id": "a", "text": "Hm?", "contexts": ["any"], "tags": tags}])
    (prompt,) = parse_prompts([{"id": "a", "text": "Hm?", "contexts": ["any"]}])
    assert prompt.tags == ()


def test_pick_prompt_prefers_a_prompt_tagged_with_the_theme():
    comfort = {p.id for p in load_prompts() if "safe_haven" in p.contexts and "comfort" in p.tags}
    others = ids_in("safe_haven") - comfort
    assert comfort and others
    for seed in range(20):
        picked = pick_prompt(["safe_haven", "any"], set(), random.Random(seed), prefer=["comfort"])
        assert picked.id in comfort


def test_a_theme_reaches_past_the_first_context_but_never_outside_the_moments_contexts():
    # A rupture not yet repaired: its rupture prompts carry no "delight", the "any" ones may.
    picked = pick_prompt(["rupture", "safe_haven", "any"], set(), random.Random(1),
                         prefer=["repair"])
    assert "rupture" in picked.contexts
    picked = pick_prompt(["rupture", "any"], set(), random.Random(1), prefer=["delight"])
    assert "delight" in picked.tags and "any" in picked.contexts
    picked = pick_prompt(["rupture"], set(), random.Random(1), prefer=["exploring"])
    assert "rupture" in picked.contexts


def test_a_used_up_theme_falls_back_to_the_usual_pick():
    comfort = {p.id for p in load_prompts() if "comfort" in p.tags}
    picked = pick_prompt(["safe_haven"], comfort, random.Random(3), prefer=["comfort"])
    assert picked.id in ids_in("safe_haven") - comfort


def test_no_theme_picks_as_before():
    for seed in range(5):
        assert pick_prompt(["safe_haven"], set(), random.Random(seed)) == pick_prompt(
            ["safe_haven"], set(), random.Random(seed), prefer=[])


def test_themes_are_looked_up_only_when_an_unseen_tagged_prompt_could_be_picked():
    contexts = moment_contexts(need="comfort_me", rupture=True, repaired=False, feelings=["sad"],
                               miscue=True)
    tagged = {p.id for p in load_prompts() if p.tags}
    assert themes_can_tip(contexts, set())
    assert themes_can_tip(contexts, tagged - {next(iter(tagged & ids_in("rupture")))})
    assert not themes_can_tip(contexts, tagged)
    # Skipping the look-up then changes nothing: no theme can tip the pick.
    for focus in domain.THEME_FOCUSES:
        for seed in range(5):
            assert pick_prompt(contexts, tagged, random.Random(seed), prefer=[focus.id]) == (
                pick_prompt(contexts, tagged, random.Random(seed)))


@pytest.mark.parametrize(("day", "weeks", "expected"), [
    (date(2026, 9, 30), 8, None),  # the day before the first session
    (date(2026, 10, 1), 8, 1),
    (date(2026, 10, 7), 8, 1),
    (date(2026, 10, 8), 8, 2),
    (date(2026, 11, 25), 8, 8),
    (date(2026, 11, 26), 8, None),  # the programme is over
    (date(2027, 6, 1), None, 35),  # no number of weeks: no end
])
def test_programme_week_counts_seven_days_from_the_first_session(day, weeks, expected):
    assert programme_week(date(2026, 10, 1), weeks, day) == expected


def test_session_week_finds_the_session_day_inside_an_iso_week():
    # Sessions on Thursdays from 1 Oct 2026; the ISO week of Monday 5 Oct holds session 2.
    assert session_week(date(2026, 10, 1), 8, date(2026, 10, 5)) == 2
    assert session_week(date(2026, 10, 1), 8, date(2026, 9, 28)) == 1
    assert session_week(date(2026, 10, 1), 8, date(2026, 9, 21)) is None
