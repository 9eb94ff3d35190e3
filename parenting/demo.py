"""`flask demo`: seed a lived-in demo household."""

import random
import secrets
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, or_, select

from . import domain, prompts, security
from .auth import create_household
from .extensions import db
from .models import (
    CheckIn,
    Child,
    Household,
    LoginFailure,
    Moment,
    PlannedTime,
    PromptShown,
    Routine,
    User,
    utcnow,
)

DEMO_HOUSEHOLD = "The Demo household"
DEMO_TIMEZONE = "Europe/London"
DEMO_URL = "http://127.0.0.1:5000"
DEMO_DAYS = 28
DEFAULT_SEED = 2024
PROMPT_REPEAT_DAYS = 7


@dataclass(frozen=True)
class DemoCarer:
    email: str
    name: str
    # Needs that often stir a hard feeling in this caregiver, so the summary has a pattern to offer.
    hard_needs: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class DemoChild:
    nickname: str
    birth_month: int
    birth_year: int
    colour: str
    planned: dict[str, int]  # routine kind -> minute of the day

    @property
    def naps(self) -> bool:
        return "nap" in self.planned


CARERS = (
    DemoCarer(
        "demo@example.org",
        "Sam",
        {
            "help_with_feelings": ("frustrated", "overwhelmed", "irritated"),
            "protect_me": ("anxious",),
        },
    ),
    DemoCarer(
        "demo2@example.org",
        "Alex",
        {"comfort_me": ("worried", "guilty", "sad"), "welcome_me": ("guilty", "sad")},
    ),
)
CHILDREN = (
    DemoChild("Robin", 5, 2022, domain.CHILD_COLOURS[0].id,
              {"wake_up": 7 * 60, "bedtime": 19 * 60 + 30}),
    DemoChild("Pip", 2, 2024, domain.CHILD_COLOURS[2].id,
              {"wake_up": 7 * 60, "nap": 12 * 60 + 30, "bedtime": 19 * 60}),
)

PASSWORD_WORDS = (
    "acorn", "amber", "badger", "bramble", "breeze", "candle", "cedar", "clover", "cobble",
    "comet", "copper", "cricket", "daisy", "ember", "fern", "fable", "harbour", "hazel",
    "heron", "honey", "juniper", "kettle", "lantern", "maple", "meadow", "mitten", "moss",
    "nutmeg", "orchard", "otter", "pebble", "pepper", "plum", "puffin", "quill", "raven",
    "ribbon", "river", "saffron", "sparrow", "thistle", "timber", "tulip", "velvet", "willow",
    "wren",
)

# Situations a moment happens in; the needs they tend to bring, weighted.
NEED_WEIGHTS: dict[str, dict[str, float]] = {
    "day": {
        "watch_over_me": 3, "delight_in_me": 3, "help_me": 3, "enjoy_with_me": 3.5,
        "protect_me": 0.7, "comfort_me": 1.2, "welcome_me": 0.4, "help_with_feelings": 1.5,
        "not_sure": 0.7,
    },
    "drop_off": {
        "comfort_me": 4, "protect_me": 1, "help_with_feelings": 1.5, "watch_over_me": 0.7,
        "not_sure": 0.5,
    },
    "pickup": {
        "welcome_me": 4, "comfort_me": 1, "help_with_feelings": 1, "delight_in_me": 1.5,
        "enjoy_with_me": 1,
    },
    "bedtime": {
        "comfort_me": 3, "help_with_feelings": 2, "protect_me": 1.5, "enjoy_with_me": 1.5,
        "not_sure": 0.5,
    },
    "night": {"comfort_me": 3, "protect_me": 2, "not_sure": 1},
}

CUES_BY_NEED: dict[str, tuple[str, ...]] = {
    "watch_over_me": ("called_me_to_look", "showed_me", "ran_off"),
    "delight_in_me": ("showed_me", "called_me_to_look"),
    "help_me": ("asked_for_help", "whined", "reached_for_me"),
    "enjoy_with_me": ("showed_me", "reached_for_me", "called_me_to_look"),
    "protect_me": ("clung", "cried", "reached_for_me"),
    "comfort_me": ("cried", "clung", "reached_for_me", "whined"),
    "welcome_me": ("reached_for_me", "showed_me", "clung"),
    "help_with_feelings": ("tantrum", "hit_or_threw", "cried", "whined"),
    "not_sure": ("whined", "withdrew", "ran_off", "tantrum"),
}
# Behaviour that hides a safe-haven need.
MISCUE_CUES = ("withdrew", "ran_off", "hit_or_threw", "tantrum")

CUE_TEXTS: dict[str, tuple[str, ...]] = {
    "watch_over_me": ("Look at me on the wall!", "kept checking I was still on the bench",
                      "wanted me to watch the big jump"),
    "delight_in_me": ("danced in the kitchen and looked over at me",
                      "showed me a drawing of the cat", "\"I did it all by myself!\""),
    "help_me": ("couldn't get the lid off", "stuck on the puzzle",
                "shoe on the wrong foot, getting cross"),
    "enjoy_with_me": ("wanted me to play trains", "bubbles in the garden",
                      "giggling under the duvet"),
    "protect_me": ("the neighbour's dog barked", "hand dryer in the café",
                   "scared of the shadow on the wall"),
    "comfort_me": ("bumped head on the table", "fell off the scooter", "didn't want me to go"),
    "welcome_me": ("ran to the door when I came in", "quiet and clingy after nursery",
                   "wanted to tell me everything at once"),
    "help_with_feelings": ("tower fell down, screamed", "wanted the blue cup, not the red one",
                           "furious about leaving the park"),
    "not_sure": ("grumpy all afternoon", "whining, no obvious reason",
                 "off on their own, not wanting anything"),
}
MISCUE_TEXTS = (
    "pushed me away, then cried when I moved",
    "ran off at pickup, then wanted carrying all the way home",
    "said \"go away\" but followed me upstairs",
    "went very quiet instead of crying",
)

SUPPORTIVE_BY_HALF: dict[str, tuple[str, ...]] = {
    domain.SECURE_BASE: ("watched_delighted", "joined_in", "encouraged_try", "helped_solve"),
    domain.SAFE_HAVEN: ("held_comforted", "named_feeling", "stayed_with_feeling", "kept_safe",
                        "kind_limit", "helped_solve"),
    domain.NOT_SURE.id: ("stayed_with_feeling", "named_feeling", "held_comforted", "kind_limit"),
}
OTHER_RESPONSE_WEIGHTS = {
    "got_cross": 3, "distracted": 3, "couldnt_respond": 2, "no_big_deal": 2, "got_overwhelmed": 1,
}
HOW_SOON_WEIGHTS = {"right_away": 62, "few_minutes": 26, "later": 7, "not_this_time": 5}
EASY_FEELINGS: dict[str, tuple[str, ...]] = {
    domain.SECURE_BASE: ("joyful", "proud", "tender", "calm"),
    domain.SAFE_HAVEN: ("tender", "calm", "tired"),
    domain.NOT_SURE.id: ("tired", "calm"),
}
RUPTURE_RESPONSES = ("got_cross", "got_overwhelmed", "distracted")

NOTES: dict[str, tuple[str, ...]] = {
    "drop_off": (
        "Long wobble at the nursery gate. Their key worker took over and they waved from the "
        "window.",
        "Easier today: walked in holding the teddy.",
        "Cried at the door; nursery rang to say they were fine within five minutes.",
    ),
    "pickup": (
        "Very chatty on the walk home, all about the sandpit.",
        "Ignored me at pickup, then wanted carrying all the way home.",
        "Ran over with a painting that was still wet.",
    ),
    "bedtime": (
        "Needed three extra cuddles and the landing light on.",
        "Asked about the dark again. We made a \"brave torch\" together.",
        "Sang the boat song twice, then out like a light.",
    ),
    "night": ("Woke at 3 and only settled on my chest.", "Bad dream about a crocodile."),
    domain.SECURE_BASE: (
        "Spent ages at the pond pointing at every duck.",
        "Built a den out of sofa cushions and invited me in.",
        "First go on the big slide; looked back at me from the top.",
        "Fed the ducks and counted them out loud.",
    ),
    domain.SAFE_HAVEN: (
        "Big bump at soft play. Settled quickly once I sat down with them.",
        "Meltdown in the supermarket over the trolley. We stepped outside for a minute.",
        "Very tired and everything was too much today.",
    ),
    domain.NOT_SURE.id: ("Couldn't work out what was up. Maybe teeth?",),
}
REPAIR_NOTES = (
    "Said sorry for snapping; we built the tower again together.",
    "Sat on the stairs and talked about the shouting. Big hug after.",
    "Came back after a breather. They wanted a story on my lap.",
    "Told them it wasn't their fault I got cross.",
)

# Answers for a handful of prompts in prompts.json; only these prompts are used.
PROMPT_ANSWERS: dict[str, tuple[str, ...]] = {
    "safe-haven-beneath": ("Tired and missing me after a long day, I think.",
                           "Maybe scared the dog would jump up again."),
    "safe-haven-settle": ("Sitting on my lap with the blanket, not talking.",
                          "Me going slower and quieter."),
    "safe-haven-being-there": ("Yes. I stopped trying to fix it and just sat on the floor "
                               "with them.",),
    "secure-base-finding-out": ("That the puddle is deeper at one end!",
                                "How the torch makes shadows on the ceiling."),
    "secure-base-glance-back": ("Whether I was still watching. I was.",),
    "secure-base-lit-up": ("Finding a snail on the wall.", "Me cheering when the tower stayed up."),
    "secure-base-proud": ("Doing their own zip for the first time.",),
    "not-sure-one-guess": ("Maybe hungry and not able to say it.",),
    "not-sure-out-or-back": ("Coming back, I think, just in a roundabout way.",),
    "rupture-coming-together": ("A cuddle and a story once we've both calmed down.",),
    "rupture-small-way": ("Offering to build the train track together after tea.",),
    "rupture-want-them-to-know": ("That I was cross about the rush, not about them.",),
    "repaired-what-helped": ("Saying sorry first, then a silly game.",
                             "Sitting on the stairs together and naming what happened."),
    "repaired-their-response": ("They climbed straight into my lap.",
                                "A big grin and \"again!\""),
    "repaired-how-it-felt": ("Relief. And a bit teary, honestly.",),
    "repaired-reach-out": ("A cup of tea and five minutes in the kitchen first.",),
    "hard-feeling-came-up": ("Panic that I'd be late for work again.",
                             "Embarrassed. Everyone in the café was looking."),
    "hard-feeling-familiar": ("It's how I felt being left at school.",),
    "hard-feeling-steady": ("Three slow breaths and my hand on the counter.",),
    "hard-feeling-kindness": ("It was a long day. I can go easy on myself.",),
    "miscue-need-behind": ("They kept coming back to push me, so I guessed they wanted me "
                           "close.",),
    "miscue-message": ("\"Don't leave me\", even though it looked like \"go away\".",),
    "any-remember": ("The way they said \"you came back!\"",),
    "any-went-well": ("I stayed calm for longer than last time.",),
}

SPECIAL_TIME_NOTES = (
    "A tea party for the teddies; I just followed along.",
    "Drew rockets together. Lots of describing.",
    "Trains round the kitchen. They were in charge.",
    "Play dough pizzas.",
)
# (feeling, lowest energy, highest energy, "I feel…", "because I need…")
CHECK_INS: tuple[tuple[str, int, int, str, str], ...] = (
    ("tired", 1, 2, "tired and a bit flat", "an early night"),
    ("tired", 1, 3, "worn out after the night wakings", "a lie-in at the weekend"),
    ("calm", 3, 4, "settled", "more evenings like this one"),
    ("proud", 3, 5, "proud of how bedtime went", "to remember this on the hard days"),
    ("overwhelmed", 1, 2, "stretched thin", "help with the mornings"),
    ("joyful", 4, 5, "light", "nothing much, today was good"),
    ("worried", 2, 3, "worried about drop-offs", "to talk it over with {other}"),
    ("frustrated", 2, 3, "frustrated with myself", "some patience for me too"),
    ("guilty", 2, 3, "guilty about snapping earlier", "to remember that coming back counts"),
    ("tender", 3, 4, "soft after the bedtime cuddles", "to slow down more often"),
    ("anxious", 2, 3, "anxious about work tomorrow", "half an hour to myself"),
    ("irritated", 2, 3, "irritable", "food and a sit down"),
)
CHECK_IN_WEIGHTS = (4, 2, 3, 2, 2, 2, 2, 1, 1, 2, 1, 1)


@click.command("demo")
@click.option("--password", help="Use this password for both accounts instead of a random one.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed for the made-up log, so a run can be repeated.")
@with_appcontext
def demo_command(password: str | None, seed: int) -> None:
    """Seed the demo household: two caregivers, two children, four weeks of entries."""
    started = clock.perf_counter()
    if password is None:
        password = random_password()
    elif problem := security.password_problem(password):
        raise click.BadParameter(problem, param_hint="--password")
    remove_demo()
    household, carers, children = create_demo_household(password, utcnow())
    writer = LogWriter(random.Random(seed), ZoneInfo(DEMO_TIMEZONE), utcnow(), carers,
                       {k.key: k.id for k in household.routine_kinds})
    for child, spec in zip(children, CHILDREN, strict=True):
        writer.write_child(child, spec)
    writer.write_check_ins()
    writer.settle_ruptures()
    writer.answer_prompts()
    db.session.add_all(writer.rows())
    db.session.commit()
    elapsed = clock.perf_counter() - started
    click.echo(
        f"{DEMO_HOUSEHOLD} is ready ({DEMO_TIMEZONE}): {len(children)} children, "
        f"{len(writer.moments)} moments, {len(writer.routines)} routines, "
        f"{len(writer.check_ins)} check-ins over {DEMO_DAYS} days, in {elapsed:.1f} s."
    )
    click.echo(f"Open {DEMO_URL} and log in as either caregiver:")
    for carer in CARERS:
        click.echo(f"  {carer.email:<18} ({carer.name})")
    click.echo(f"  password: {password}")


def random_password() -> str:
    """Return three random words and a number, e.g. "otter-maple-lantern-42"."""
    words = [secrets.choice(PASSWORD_WORDS) for _ in range(3)]
    return "-".join([*words, str(10 + secrets.randbelow(90))])


def remove_demo() -> None:
    """Delete the demo accounts, their households, those households' members and logs."""
    emails = [carer.email for carer in CARERS]
    household_ids = [
        hid for hid in db.session.scalars(select(User.household_id).where(User.email.in_(emails)))
        if hid is not None
    ]
    user_ids = list(
        db.session.scalars(
            select(User.id).where(or_(User.email.in_(emails), User.household_id.in_(household_ids)))
        )
    )
    # Children, moments, routines, kinds, check-ins and invites go by ON DELETE CASCADE.
    db.session.execute(delete(Household).where(Household.id.in_(household_ids)))
    db.session.execute(delete(User).where(User.id.in_(user_ids)))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email.in_(emails)))


def create_demo_household(
    password: str, now: datetime
) -> tuple[Household, list[User], list[Child]]:
    """Add the demo household, its caregivers, children and planned times; flush for ids."""
    joined = now - timedelta(days=DEMO_DAYS + 1)
    carers = [
        User(email=c.email, display_name=c.name, timezone=DEMO_TIMEZONE, created_at=joined,
             password_hash=security.hash_password(password))
        for c in CARERS
    ]
    db.session.add_all(carers)
    household = create_household(carers[0])
    household.name = DEMO_HOUSEHOLD
    household.created_at = joined
    carers[1].household = household
    children = [
        Child(household=household, nickname=c.nickname, birth_month=c.birth_month,
              birth_year=c.birth_year, colour=c.colour, created_at=joined)
        for c in CHILDREN
    ]
    db.session.add_all(children)
    db.session.flush()
    kind_ids = {k.key: k.id for k in household.routine_kinds}
    for child, spec in zip(children, CHILDREN, strict=True):
        db.session.add_all(
            PlannedTime(child_id=child.id, kind_id=kind_ids[key], minute=minute)
            for key, minute in spec.planned.items()
        )
    for carer in carers:
        carer.last_child_id = children[0].id
    return household, carers, children


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    """Return one key of ``weights``, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def in_domain_order(ids: Sequence[str], choices: Sequence[domain.Choice]) -> list[str]:
    """Return unique ids in the order the domain lists them."""
    order = [c.id for c in choices]
    return sorted(set(ids), key=order.index)


@dataclass
class LogWriter:
    """Make up four weeks of a household's log, entirely from one seeded Random."""

    rng: random.Random
    tz: ZoneInfo
    now: datetime
    carers: list[User]
    kind_ids: dict[str, int]
    moments: list[Moment] = field(default_factory=list)
    routines: list[Routine] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    prompts_shown: list[PromptShown] = field(default_factory=list)

    @property
    def days(self) -> list[date]:
        today = self.now.astimezone(self.tz).date()
        return [today - timedelta(days=n) for n in range(DEMO_DAYS - 1, -1, -1)]

    def at(self, day: date, minute: int) -> datetime:
        """Return UTC for a local day and minute; minutes past 24:00 fall on the next day."""
        day = day + timedelta(days=minute // (24 * 60))
        minute %= 24 * 60
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def jitter(self, minute: int, spread: float) -> int:
        return minute + round(self.rng.gauss(0, spread))

    def rows(self) -> list:
        return [*self.moments, *self.routines, *self.check_ins, *self.prompts_shown]

    def write_child(self, child: Child, spec: DemoChild) -> None:
        """Add every day's moments and routines for one child."""
        days = self.days
        # Once or twice the older child is up past midnight (a wedding, a poorly night).
        late_nights = set(self.rng.sample(days[3:-2], 2)) if not spec.naps else set()
        for day in days:
            self.write_moments(child, spec, day)
            self.write_routines(child, spec, day, late=day in late_nights)

    def write_moments(self, child: Child, spec: DemoChild, day: date) -> None:
        rng = self.rng
        weekday = day.weekday() < 5
        bedtime = spec.planned["bedtime"]
        special = []
        if weekday and rng.random() < 0.6:
            special.append(("drop_off", rng.randint(8 * 60 + 15, 8 * 60 + 50)))
        if weekday and rng.random() < 0.5:
            special.append(("pickup", rng.randint(16 * 60, 17 * 60 + 30)))
        if rng.random() < 0.45:
            special.append(("bedtime", rng.randint(bedtime - 40, bedtime + 10)))
        if spec.naps and rng.random() < 0.12:
            special.append(("night", rng.randint(90, 4 * 60 + 30)))
        count = rng.randint(3, 8)
        rng.shuffle(special)
        situations = special[:count]
        while len(situations) < count:
            situations.append(("day", rng.randint(7 * 60 + 20, bedtime - 50)))
        for situation, minute in sorted(situations, key=lambda s: s[1]):
            occurred = self.at(day, minute)
            if occurred <= self.now:
                self.moments.append(self.make_moment(child, situation, occurred, weekday))

    def carer_for(self, situation: str, weekday: bool) -> User:
        sam, alex = self.carers
        odds_sam = {"drop_off": 0.25, "pickup": 0.65, "bedtime": 0.55}.get(situation, 0.5)
        if not weekday:
            odds_sam = 0.5
        return sam if self.rng.random() < odds_sam else alex

    def make_moment(
        self, child: Child, situation: str, occurred: datetime, weekday: bool
    ) -> Moment:
        rng = self.rng
        need = pick(rng, NEED_WEIGHTS[situation])
        half = domain.NEED_HALF.get(need, domain.NOT_SURE.id)
        carer = self.carer_for(situation, weekday)
        miscue = half == domain.SAFE_HAVEN and rng.random() < 0.08
        if miscue:
            cues = [rng.choice(MISCUE_CUES)]
            cue_text = rng.choice(MISCUE_TEXTS)
        else:
            cues = rng.sample(CUES_BY_NEED[need], k=rng.choice((1, 1, 1, 2)))
            cue_text = rng.choice(CUE_TEXTS[need]) if rng.random() < 0.3 else ""
        intensity = None
        if half == domain.SAFE_HAVEN:
            weights = [1, 3, 4, 3, 1] if situation != "day" else [3, 4, 3, 1, 0.5]
            intensity = rng.choices(range(1, 6), weights=weights)[0]
        responses, how_soon = self.respond(half)
        note = ""
        if rng.random() < 0.15:
            note = rng.choice(NOTES.get(situation) or NOTES[half])
        created = min(self.now, occurred + timedelta(minutes=rng.choice((0, 1, 2, 5, 15, 40))))
        return Moment(
            child_id=child.id,
            caregiver_id=carer.id,
            occurred_at=occurred,
            need=need,
            cues=in_domain_order(cues, domain.CUES),
            cue_text=cue_text,
            miscue=miscue,
            intensity=intensity,
            responses=responses,
            how_soon=how_soon,
            feelings=self.feel(carer, need, half, responses),
            note=note,
            created_at=created,
            updated_at=created,
        )

    def respond(self, half: str) -> tuple[list[str], str | None]:
        """Return mostly supportive responses, sometimes a less easy one, and how soon."""
        rng = self.rng
        if rng.random() < 0.07:
            return [], None
        chosen = rng.sample(SUPPORTIVE_BY_HALF[half], k=rng.choice((1, 1, 2)))
        if rng.random() < 0.17:
            other = pick(rng, OTHER_RESPONSE_WEIGHTS)
            chosen = [other] if rng.random() < 0.5 else [*chosen, other]
        if "couldnt_respond" in chosen:
            how_soon = rng.choice(("later", "not_this_time"))
        else:
            how_soon = pick(rng, HOW_SOON_WEIGHTS)
        return in_domain_order(chosen, domain.RESPONSES), how_soon

    def feel(self, carer: User, need: str, half: str, responses: list[str]) -> list[str]:
        rng = self.rng
        tied = CARERS[self.carers.index(carer)].hard_needs.get(need)
        feelings = []
        if tied and rng.random() < 0.55:
            feelings.append(rng.choice(tied))
        elif {"got_cross", "got_overwhelmed"} & set(responses):
            feelings.append(rng.choice(("irritated", "frustrated", "overwhelmed")))
        elif rng.random() < 0.06:
            feelings.append(rng.choice(sorted(domain.HARD_FEELINGS)))
        if rng.random() < 0.65:
            feelings.append(rng.choice(EASY_FEELINGS[half]))
        if "got_cross" in responses and rng.random() < 0.4:
            feelings.append("guilty")
        return sorted(set(feelings), key=domain.FEELINGS.index)

    def write_routines(self, child: Child, spec: DemoChild, day: date, *, late: bool) -> None:
        rng = self.rng
        weekend = day.weekday() >= 5
        wake = self.jitter(spec.planned["wake_up"] + (20 if weekend else 0), 15)
        self.add_routine(child, "wake_up", day, wake)
        for meal, spread, length in ((wake + 35, 8, 20), (12 * 60, 15, 30), (17 * 60 + 15, 15, 35)):
            start = self.jitter(meal, spread)
            self.add_routine(child, "meal", day, start, start + rng.randint(length - 10, length))
        if spec.naps and rng.random() < 0.92:
            start = self.jitter(spec.planned["nap"], 20)
            self.add_routine(child, "nap", day, start, start + rng.randint(55, 120))
        if rng.random() < 0.5:
            start = rng.randint(9 * 60 + 30, 15 * 60 + 30)
            self.add_routine(child, "outdoor", day, start, start + rng.randint(30, 90))
        if rng.random() < 0.8:
            start = rng.randint(15 * 60 + 30, 17 * 60 + 45)
            self.add_special_time(child, day, start)
        bedtime = self.jitter(spec.planned["bedtime"] + (15 if weekend else 0), 12)
        if late:
            bedtime = 24 * 60 + rng.randint(5, 45)
        else:
            if rng.random() < 0.75:
                start = bedtime - rng.randint(40, 55)
                self.add_routine(child, "bath", day, start, start + rng.randint(15, 25))
            start = bedtime - rng.randint(15, 25)
            self.add_routine(child, "reading", day, start, start + rng.randint(8, 15))
        note = "Cousin's wedding: danced till late, asleep in the car." if late else ""
        self.add_routine(child, "bedtime", day, bedtime, bedtime + rng.randint(10, 40), note)

    def add_routine(
        self, child: Child, key: str, day: date, start: int, end: int | None = None, note: str = ""
    ) -> None:
        started = self.at(day, start)
        if started > self.now:
            return
        ended = self.at(day, end) if end is not None else None
        self.routines.append(
            Routine(
                child_id=child.id,
                kind_id=self.kind_ids[key],
                caregiver_id=self.rng.choice(self.carers).id,
                started_at=started,
                # Still going on (a nap right now) has no end yet.
                ended_at=ended if ended is not None and ended <= self.now else None,
                note=note,
                created_at=started,
            )
        )

    def add_special_time(self, child: Child, day: date, start: int) -> None:
        rng = self.rng
        started = self.at(day, start)
        ended = started + timedelta(minutes=rng.randint(5, 10))
        if ended > self.now:
            return
        skills = ["enjoy", *rng.sample(("praise", "reflect", "imitate", "describe"),
                                       k=rng.randint(1, 3))]
        self.routines.append(
            Routine(
                child_id=child.id,
                kind_id=self.kind_ids[domain.SPECIAL_TIME],
                caregiver_id=rng.choice(self.carers).id,
                started_at=started,
                timer_ends_at=started + timedelta(minutes=domain.SPECIAL_TIME_MINUTES),
                ended_at=ended,
                skills=in_domain_order(skills, domain.SPECIAL_TIME_SKILLS),
                note=rng.choice(SPECIAL_TIME_NOTES) if rng.random() < 0.2 else "",
                created_at=started,
            )
        )

    def write_check_ins(self) -> None:
        """Add an evening (now and then a morning) check-in for each caregiver on most days."""
        rng = self.rng
        household_id = self.carers[0].household_id
        for day in self.days:
            for carer in self.carers:
                if rng.random() > 0.8:
                    continue
                minute = (rng.randint(6 * 60 + 30, 7 * 60 + 30) if rng.random() < 0.25
                          else rng.randint(20 * 60 + 30, 22 * 60))
                at = self.at(day, minute)
                if at > self.now:
                    continue
                feeling, low, high, feel_text, need_text = rng.choices(
                    CHECK_INS, weights=CHECK_IN_WEIGHTS)[0]
                other = next(c for c in self.carers if c is not carer).display_name
                written = rng.random() < 0.7
                self.check_ins.append(
                    CheckIn(
                        household_id=household_id,
                        user_id=carer.id,
                        at=at,
                        feeling=feeling,
                        energy=rng.randint(low, high),
                        feel_text=feel_text if written else "",
                        need_text=need_text.format(other=other) if written else "",
                    )
                )

    def settle_ruptures(self) -> None:
        """Mark about one moment every two or three days as a rupture; repair most of them."""
        rng = self.rng
        by_day: dict[date, list[Moment]] = {}
        for moment in self.moments:
            by_day.setdefault(moment.occurred_at.astimezone(self.tz).date(), []).append(moment)
        ruptures = []
        index = rng.randint(0, 2)
        days = self.days
        while index < len(days):
            candidates = by_day.get(days[index], [])
            uneasy = [m for m in candidates if set(m.responses) - domain.SUPPORTIVE_IDS]
            if candidates:
                ruptures.append(rng.choice(uneasy or candidates))
            index += rng.choice((2, 3))
        # The most recent one or two stay open: they show as open loops on the home screen.
        ruptures.sort(key=lambda m: m.occurred_at)
        recent = self.now - timedelta(days=7)
        open_loops = [m for m in ruptures[-2:] if m.occurred_at >= recent] or ruptures[-1:]
        for moment in ruptures:
            self.make_rupture(moment, repair=moment not in open_loops)

    def make_rupture(self, moment: Moment, *, repair: bool) -> None:
        rng = self.rng
        moment.rupture = True
        if not set(moment.responses) - domain.SUPPORTIVE_IDS:
            moment.responses = in_domain_order(
                [*moment.responses, rng.choice(RUPTURE_RESPONSES)], domain.RESPONSES)
            moment.how_soon = moment.how_soon or "few_minutes"
        if not domain.HARD_FEELINGS & set(moment.feelings):
            moment.feelings = sorted({*moment.feelings, rng.choice(("irritated", "overwhelmed"))},
                                     key=domain.FEELINGS.index)
        repaired_at = moment.occurred_at + timedelta(minutes=round(rng.triangular(5, 180, 25)))
        if not repair or repaired_at > self.now:
            return
        moment.repaired_at = repaired_at
        moment.repair_ways = in_domain_order(
            rng.sample([w.id for w in domain.REPAIR_WAYS], k=rng.randint(1, 3)),
            domain.REPAIR_WAYS,
        )
        moment.repair_note = rng.choice(REPAIR_NOTES) if rng.random() < 0.4 else ""
        moment.updated_at = max(moment.updated_at, repaired_at)

    def answer_prompts(self) -> None:
        """Answer a reflective prompt on some moments, never the same one twice in a week."""
        rng = self.rng
        contexts_of = {p.id: p.contexts for p in prompts.load_prompts()}
        last_shown: dict[tuple[int, str], datetime] = {}
        for moment in sorted(self.moments, key=lambda m: m.occurred_at):
            if rng.random() > (0.5 if moment.rupture else 0.12):
                continue
            contexts = prompts.moment_contexts(
                need=moment.need, rupture=moment.rupture, repaired=moment.repaired_at is not None,
                feelings=moment.feelings, miscue=moment.miscue,
            )
            shown_at = moment.created_at
            recent = {
                prompt_id for (who, prompt_id), at in last_shown.items()
                if who == moment.caregiver_id and shown_at - at < timedelta(days=PROMPT_REPEAT_DAYS)
            }
            for context in contexts:
                options = [pid for pid in PROMPT_ANSWERS
                           if context in contexts_of[pid] and pid not in recent]
                if options:
                    prompt_id = rng.choice(options)
                    break
            else:
                continue
            last_shown[(moment.caregiver_id, prompt_id)] = shown_at
            moment.prompt_id = prompt_id
            moment.prompt_answer = rng.choice(PROMPT_ANSWERS[prompt_id])
            self.prompts_shown.append(
                PromptShown(user_id=moment.caregiver_id, prompt_id=prompt_id, shown_at=shown_at)
            )
