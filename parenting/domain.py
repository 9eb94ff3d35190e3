"""The product's vocabulary, defined once as data (see shared/domain.md)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


SECURE_BASE = "secure_base"
SAFE_HAVEN = "safe_haven"

# Circle order: clockwise from the top of the circle, secure base first.
NEEDS: tuple[Choice, ...] = (
    Choice("watch_over_me", "Watch over me"),
    Choice("delight_in_me", "Delight in me"),
    Choice("help_me", "Help me"),
    Choice("enjoy_with_me", "Enjoy with me"),
    Choice("protect_me", "Protect me"),
    Choice("comfort_me", "Comfort me"),
    Choice("welcome_me", "Welcome me back"),
    Choice("help_with_feelings", "Help me with my feelings"),
)
NOT_SURE = Choice("not_sure", "Not sure")
NEED_HALF: dict[str, str] = {
    **{n.id: SECURE_BASE for n in NEEDS[:4]},
    **{n.id: SAFE_HAVEN for n in NEEDS[4:]},
}
ALL_NEEDS: tuple[Choice, ...] = (*NEEDS, NOT_SURE)
NEED_LABELS = {n.id: n.label for n in ALL_NEEDS}
HALF_LABELS = {SECURE_BASE: "Secure base", SAFE_HAVEN: "Safe haven"}

CUES: tuple[Choice, ...] = (
    Choice("cried", "Cried"),
    Choice("clung", "Clung"),
    Choice("reached_for_me", "Reached for me"),
    Choice("tantrum", "Tantrum"),
    Choice("hit_or_threw", "Hit or threw"),
    Choice("withdrew", "Went quiet or withdrew"),
    Choice("whined", "Whined"),
    Choice("showed_me", "Showed me something"),
    Choice("called_me_to_look", "Called me to look"),
    Choice("asked_for_help", "Asked for help"),
    Choice("ran_off", "Ran off"),
)

SUPPORTIVE_RESPONSES: tuple[Choice, ...] = (
    Choice("held_comforted", "Held or comforted"),
    Choice("named_feeling", "Named the feeling"),
    Choice("stayed_with_feeling", "Stayed with the feeling"),
    Choice("helped_solve", "Helped solve it"),
    Choice("kept_safe", "Kept them safe"),
    Choice("watched_delighted", "Watched or delighted"),
    Choice("joined_in", "Joined in"),
    Choice("encouraged_try", "Encouraged them to try"),
    Choice("kind_limit", "Set a kind limit"),
)
OTHER_RESPONSES: tuple[Choice, ...] = (
    Choice("no_big_deal", "Said it was no big deal"),
    Choice("got_cross", "Got cross"),
    Choice("got_overwhelmed", "Got overwhelmed myself"),
    Choice("distracted", "Distracted them"),
    Choice("couldnt_respond", "Couldn't respond yet"),
)
RESPONSES: tuple[Choice, ...] = (*SUPPORTIVE_RESPONSES, *OTHER_RESPONSES)
SUPPORTIVE_IDS = frozenset(r.id for r in SUPPORTIVE_RESPONSES)
RESPONSE_LABELS = {r.id: r.label for r in RESPONSES}

HOW_SOON: tuple[Choice, ...] = (
    Choice("right_away", "Right away"),
    Choice("few_minutes", "Within a few minutes"),
    Choice("later", "Later"),
    Choice("not_this_time", "Not this time"),
)
HOW_SOON_LABELS = {c.id: c.label for c in HOW_SOON}

FEELINGS: tuple[str, ...] = (
    "calm", "tender", "proud", "joyful", "tired", "worried", "frustrated",
    "overwhelmed", "sad", "anxious", "irritated", "helpless", "embarrassed",
    "guilty",
)
HARD_FEELINGS = frozenset(
    {"worried", "frustrated", "overwhelmed", "sad", "anxious", "irritated",
     "helpless", "embarrassed", "guilty"}
)

REPAIR_WAYS: tuple[Choice, ...] = (
    Choice("said_sorry", "Said sorry"),
    Choice("named_what_happened", "Named what happened"),
    Choice("hug", "Hug"),
    Choice("played_together", "Played together"),
    Choice("talked_it_over", "Talked it over"),
)
REPAIR_LABELS = {c.id: c.label for c in REPAIR_WAYS}

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
SPECIAL_TIME_SKILLS: tuple[Choice, ...] = (
    Choice("praise", "Praise (specific)"),
    Choice("reflect", "Reflect (repeat back)"),
    Choice("imitate", "Imitate"),
    Choice("describe", "Describe"),
    Choice("enjoy", "Enjoy"),
)
SPECIAL_TIME_MINUTES = 5

CHILD_COLOURS: tuple[Choice, ...] = (
    Choice("#4f7cac", "Blue"),
    Choice("#5b8c5a", "Green"),
    Choice("#b5651d", "Amber"),
    Choice("#8e5ea2", "Plum"),
    Choice("#c05673", "Rose"),
    Choice("#3a8f8f", "Teal"),
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Gentle openings a facilitator can pick for a comment on one shared moment.
COMMENT_STARTERS: tuple[Choice, ...] = (
    Choice("named", _l("You named the feeling — that helps.")),
    Choice("stayed", _l("You stayed with them in a big feeling.")),
    Choice("reconnected", _l("Coming back together like that matters.")),
    Choice("noticed", _l("What a lovely thing to notice.")),
    Choice("thanks", _l("Thank you for sharing this moment.")),
)
COMMENT_STARTER_TEXT = {c.id: c.label for c in COMMENT_STARTERS}
COMMENT_MAX = 200

# What a week of a group's programme is about; prompts.json tags prompts with these ids, and a
# theme's focus makes the prompt after a moment lean towards them.
THEME_FOCUSES: tuple[Choice, ...] = (
    Choice("exploring", "Going out to explore (secure base)"),
    Choice("delight", "Delight and enjoying together"),
    Choice("comfort", "Coming back for comfort (safe haven)"),
    Choice("feelings", "Helping with big feelings"),
    Choice("being_with", "Being with, not fixing"),
    Choice("cues", "Reading cues and miscues"),
    Choice("repair", "Rupture and repair"),
    Choice("my_feelings", "What moments stir up in me"),
)
THEME_FOCUS_LABELS = {c.id: c.label for c in THEME_FOCUSES}
