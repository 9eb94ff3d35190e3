"""Reflective prompts: loaded once from prompts.json and picked by a moment's context."""

import hashlib
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import gettext

from parenting import domain

PROMPTS_FILE = Path(__file__).with_name("prompts.json")

REPAIRED = "repaired"
RUPTURE = "rupture"
MISCUE = "miscue"
HARD_FEELING = "hard_feeling"
NOT_SURE = domain.NOT_SURE.id
WEEK = "week"
ANY = "any"
CONTEXTS: tuple[str, ...] = (
    domain.SAFE_HAVEN,
    domain.SECURE_BASE,
    NOT_SURE,
    RUPTURE,
    REPAIRED,
    HARD_FEELING,
    MISCUE,
    WEEK,
    ANY,
)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


TAGS = frozenset(domain.THEME_FOCUS_LABELS)


@dataclass(frozen=True)
class Prompt:
    id: str
    # As written in prompts.json; catalogued for translation through prompt_texts.py.
    english: str
    contexts: tuple[str, ...]
    # Programme themes the prompt suits (domain.THEME_FOCUSES).
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Return the prompt in the reader's language (English outside a request)."""
        return gettext(self.english)


def parse_prompts(entries: object) -> tuple[Prompt, ...]:
    """Build prompts from decoded JSON, raising ValueError on anything malformed."""
    if not isinstance(entries, list):
        raise ValueError("prompts must be a JSON list")
    prompts: list[Prompt] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"prompt #{index} is not an object")
        prompt_id, text, contexts = entry.get("id"), entry.get("text"), entry.get("contexts")
        if not isinstance(prompt_id, str) or not _SLUG.fullmatch(prompt_id):
            raise ValueError(f"prompt #{index} has an invalid id: {prompt_id!r}")
        if prompt_id in seen:
            raise ValueError(f"duplicate prompt id: {prompt_id}")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"prompt {prompt_id} has no text")
        if not isinstance(contexts, list) or not contexts:
            raise ValueError(f"prompt {prompt_id} has no contexts")
        unknown = [c for c in contexts if c not in CONTEXTS]
        if unknown:
            raise ValueError(f"prompt {prompt_id} has unknown contexts: {unknown}")
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or any(t not in TAGS for t in tags):
            raise ValueError(f"prompt {prompt_id} has unknown tags: {tags!r}")
        seen.add(prompt_id)
        prompts.append(Prompt(prompt_id, text.strip(), tuple(contexts), tuple(tags)))
    return tuple(prompts)


@cache
def load_prompts() -> tuple[Prompt, ...]:
    """Return every prompt in prompts.json, validated once per process."""
    with PROMPTS_FILE.open(encoding="utf-8") as f:
        return parse_prompts(json.load(f))


@cache
def prompts_by_context() -> dict[str, tuple[Prompt, ...]]:
    """Return each context's prompts, in file order; a save looks through a few contexts."""
    return {context: tuple(p for p in load_prompts() if context in p.contexts)
            for context in CONTEXTS}


@cache
def tagged_prompts() -> tuple[Prompt, ...]:
    """Return the prompts that suit a programme theme, in file order."""
    return tuple(p for p in load_prompts() if p.tags)


def moment_contexts(
    *, need: str, rupture: bool, repaired: bool, feelings: Iterable[str], miscue: bool
) -> list[str]:
    """Return the contexts that fit a moment, most specific first, ending with "any"."""
    contexts: list[str] = []
    # A repaired rupture gets repair prompts only: "how might you reconnect" no longer fits.
    if repaired:
        contexts.append(REPAIRED)
    elif rupture:
        contexts.append(RUPTURE)
    if miscue:
        contexts.append(MISCUE)
    if any(f in domain.HARD_FEELINGS for f in feelings):
        contexts.append(HARD_FEELING)
    # An unrecognised need is treated like "not sure": the prompt is optional, never an error.
    contexts.append(domain.NEED_HALF.get(need, NOT_SURE))
    contexts.append(ANY)
    return contexts


def pick_prompt(
    contexts: list[str],
    recently_shown: set[str],
    rng: random.Random | None = None,
    prefer: Iterable[str] = (),
) -> Prompt | None:
    """Pick an unseen prompt from the first context that still has one, or None.

    With ``prefer`` (this week's programme themes), an unseen prompt of the moment's contexts
    tagged with one of them comes first, from the earliest context that has one.
    """
    unknown = [c for c in contexts if c not in CONTEXTS]
    if unknown:
        raise ValueError(f"unknown prompt contexts: {unknown}")
    # The module's generator, not a new one: seeding a Random from the OS cost ~15 us a save.
    choose = rng.choice if rng is not None else random.choice
    preferred = set(prefer)
    if preferred:
        for context in contexts:
            tagged = [p for p in prompts_by_context()[context]
                      if p.id not in recently_shown and preferred.intersection(p.tags)]
            if tagged:
                return choose(tagged)
    for context in (*contexts, ANY):
        unseen = [p for p in prompts_by_context()[context] if p.id not in recently_shown]
        if unseen:
            return choose(unseen)
    return None


def themes_can_tip(contexts: list[str], recently_shown: set[str]) -> bool:
    """Return whether an unseen prompt of these contexts has a tag: only then can this week's
    themes change what pick_prompt picks."""
    wanted = set(contexts)
    return any(p.id not in recently_shown and not wanted.isdisjoint(p.contexts)
               for p in tagged_prompts())


def week_prompt(week_label: str, child_id: int) -> Prompt:
    """Return the summary prompt for one child and week, the same in every process."""
    week_prompts = [p for p in load_prompts() if WEEK in p.contexts]
    if not week_prompts:
        raise ValueError("prompts.json has no week prompts")
    # hash() is salted per process; a digest keeps the pick stable across restarts.
    digest = hashlib.sha256(f"{child_id}:{week_label}".encode()).digest()
    return week_prompts[int.from_bytes(digest[:8], "big") % len(week_prompts)]
