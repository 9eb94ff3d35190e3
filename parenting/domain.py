"""The product's vocabulary, defined once as data (see shared/domain.md)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Choice:
    id: str
    # The English, marked for translation (_l); forms take it as is, to translate per request.
    name: str

    @property
    def label(self) -> str:
        """Return the label in the reader's language (English outside a request)."""
        return str(self.name)


class Labels(Mapping):
    """Labels by id, each read in the reader's language: plain strings, safe to join or compare."""

    def __init__(self, names: Mapping) -> None:
        self._names = dict(names)

    def __getitem__(self, key: str) -> str:
        return str(self._names[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def choices(self) -> list[tuple[str, str]]:
        """Return (id, label) pairs for a form, each label translated when it is shown."""
        return list(self._names.items())

    def translated(self) -> dict[str, str]:
        """Return every label in the reader's language, for a page that shows many of them."""
        return {key: str(name) for key, name in self._names.items()}


SECURE_BASE = "secure_base"
SAFE_HAVEN = "safe_haven"

# Circle order: clockwise from the top of the circle, secure base first.
NEEDS: tuple[Choice, ...] = (
    Choice("watch_over_me", _l("Watch over me")),
    Choice("delight_in_me", _l("Delight in me")),
    Choice("help_me", _l("Help me")),
    Choice("enjoy_with_me", _l("Enjoy with me")),
    Choice("protect_me", _l("Protect me")),
    Choice("comfort_me", _l("Comfort me")),
    Choice("welcome_me", _l("Welcome me back")),
    Choice("help_with_feelings", _l("Help me with my feelings")),
)
NOT_SURE = Choice("not_sure", _l("Not sure"))
NEED_HALF: dict[str, str] = {
    **{n.id: SECURE_BASE for n in NEEDS[:4]},
    **{n.id: SAFE_HAVEN for n in NEEDS[4:]},
}
ALL_NEEDS: tuple[Choice, ...] = (*NEEDS, NOT_SURE)
NEED_LABELS = Labels({n.id: n.name for n in ALL_NEEDS})
HALF_LABELS = Labels({SECURE_BASE: _l("Secure base"), SAFE_HAVEN: _l("Safe haven")})

CUES: tuple[Choice, ...] = (
    Choice("cried", _l("Cried")),
    Choice("clung", _l("Clung")),
    Choice("reached_for_me", _l("Reached for me")),
    Choice("tantrum", _l("Tantrum")),
    Choice("hit_or_threw", _l("Hit or threw")),
    Choice("withdrew", _l("Went quiet or withdrew")),
    Choice("whined", _l("Whined")),
    Choice("showed_me", _l("Showed me something")),
    Choice("called_me_to_look", _l("Called me to look")),
    Choice("asked_for_help", _l("Asked for help")),
    Choice("ran_off", _l("Ran off")),
)

SUPPORTIVE_RESPONSES: tuple[Choice, ...] = (
    Choice("held_comforted", _l("Held or comforted")),
    Choice("named_feeling", _l("Named the feeling")),
    Choice("stayed_with_feeling", _l("Stayed with the feeling")),
    Choice("helped_solve", _l("Helped solve it")),
    Choice("kept_safe", _l("Kept them safe")),
    Choice("watched_delighted", _l("Watched or delighted")),
    Choice("joined_in", _l("Joined in")),
    Choice("encouraged_try", _l("Encouraged them to try")),
    Choice("kind_limit", _l("Set a kind limit")),
)
OTHER_RESPONSES: tuple[Choice, ...] = (
    Choice("no_big_deal", _l("Said it was no big deal")),
    Choice("got_cross", _l("Got cross")),
    Choice("got_overwhelmed", _l("Got overwhelmed myself")),
    Choice("distracted", _l("Distracted them")),
    Choice("couldnt_respond", _l("Couldn't respond yet")),
)
RESPONSES: tuple[Choice, ...] = (*SUPPORTIVE_RESPONSES, *OTHER_RESPONSES)
SUPPORTIVE_IDS = frozenset(r.id for r in SUPPORTIVE_RESPONSES)
RESPONSE_LABELS = Labels({r.id: r.name for r in RESPONSES})

HOW_SOON: tuple[Choice, ...] = (
    Choice("right_away", _l("Right away")),
    Choice("few_minutes", _l("Within a few minutes")),
    Choice("later", _l("Later")),
    Choice("not_this_time", _l("Not this time")),
)
HOW_SOON_LABELS = Labels({c.id: c.name for c in HOW_SOON})

FEELINGS: tuple[str, ...] = (
    "calm", "tender", "proud", "joyful", "tired", "worried", "frustrated",
    "overwhelmed", "sad", "anxious", "irritated", "helpless", "embarrassed",
    "guilty",
)
FEELING_LABELS = Labels({
    "calm": _l("Calm"), "tender": _l("Tender"), "proud": _l("Proud"), "joyful": _l("Joyful"),
    "tired": _l("Tired"), "worried": _l("Worried"), "frustrated": _l("Frustrated"),
    "overwhelmed": _l("Overwhelmed"), "sad": _l("Sad"), "anxious": _l("Anxious"),
    "irritated": _l("Irritated"), "helpless": _l("Helpless"), "embarrassed": _l("Embarrassed"),
    "guilty": _l("Guilty"),
})
HARD_FEELINGS = frozenset(
    {"worried", "frustrated", "overwhelmed", "sad", "anxious", "irritated",
     "helpless", "embarrassed", "guilty"}
)

REPAIR_WAYS: tuple[Choice, ...] = (
    Choice("said_sorry", _l("Said sorry")),
    Choice("named_what_happened", _l("Named what happened")),
    Choice("hug", _l("Hug")),
    Choice("played_together", _l("Played together")),
    Choice("talked_it_over", _l("Talked it over")),
)
REPAIR_LABELS = Labels({c.id: c.name for c in REPAIR_WAYS})

SPECIAL_TIME = "special_time"
DEFAULT_ROUTINE_KINDS: tuple[Choice, ...] = (
    Choice("wake_up", "Wake-up"),
    Choice("nap", "Nap"),
    Choice("bedtime", "Bedtime"),
    Choice("meal", "Meal"),
    Choice("bath", "Bath"),
    Choice("reading", "Reading"),
    Choice("play", "Play"),
    Choice("outdoor", "Outdoor time"),
    Choice(SPECIAL_TIME, "Special time"),
)
# Stored with each household's kinds in English; shown in the reader's language until renamed.
DEFAULT_KIND_LABELS = Labels({
    "wake_up": _l("Wake-up"),
    "nap": _l("Nap"),
    "bedtime": _l("Bedtime"),
    "meal": _l("Meal"),
    "bath": _l("Bath"),
    "reading": _l("Reading"),
    "play": _l("Play"),
    "outdoor": _l("Outdoor time"),
    SPECIAL_TIME: _l("Special time"),
})


_DEFAULT_KIND_NAMES = {k.id: k.name for k in DEFAULT_ROUTINE_KINDS}


def kind_label(key: str | None, label: str) -> str:
    """Return a routine kind's name to show: a default one translated, a renamed one as typed."""
    if key is not None and _DEFAULT_KIND_NAMES.get(key) == label:
        return DEFAULT_KIND_LABELS[key]
    return label


SPECIAL_TIME_SKILLS: tuple[Choice, ...] = (
    Choice("praise", _l("Praise (specific)")),
    Choice("reflect", _l("Reflect (repeat back)")),
    Choice("imitate", _l("Imitate")),
    Choice("describe", _l("Describe")),
    Choice("enjoy", _l("Enjoy")),
)
SPECIAL_TIME_MINUTES = 5

CHILD_COLOURS: tuple[Choice, ...] = (
    Choice("#4f7cac", _l("Blue")),
    Choice("#5b8c5a", _l("Green")),
    Choice("#b5651d", _l("Amber")),
    Choice("#8e5ea2", _l("Plum")),
    Choice("#c05673", _l("Rose")),
    Choice("#3a8f8f", _l("Teal")),
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Gentle openings a facilitator can pick for a comment on one shared moment (saved in the
# facilitator's language, as part of the comment's text).
COMMENT_STARTERS: tuple[Choice, ...] = (
    Choice("named", _l("You named the feeling — that helps.")),
    Choice("stayed", _l("You stayed with them in a big feeling.")),
    Choice("reconnected", _l("Coming back together like that matters.")),
    Choice("noticed", _l("What a lovely thing to notice.")),
    Choice("thanks", _l("Thank you for sharing this moment.")),
)
COMMENT_STARTER_TEXT = Labels({c.id: c.name for c in COMMENT_STARTERS})
COMMENT_MAX = 200

# What a week of a group's programme is about; prompts.json tags prompts with these ids, and a
# theme's focus makes the prompt after a moment lean towards them.
THEME_FOCUSES: tuple[Choice, ...] = (
    Choice("exploring", _l("Going out to explore (secure base)")),
    Choice("delight", _l("Delight and enjoying together")),
    Choice("comfort", _l("Coming back for comfort (safe haven)")),
    Choice("feelings", _l("Helping with big feelings")),
    Choice("being_with", _l("Being with, not fixing")),
    Choice("cues", _l("Reading cues and miscues")),
    Choice("repair", _l("Rupture and repair")),
    Choice("my_feelings", _l("What moments stir up in me")),
)
THEME_FOCUS_LABELS = Labels({c.id: c.name for c in THEME_FOCUSES})
