"""Write parenting/prompt_texts.py: prompts.json's texts as _l() calls, so pybabel finds them.

    python tools/prompt_texts.py      # after editing prompts.json, then make i18n-update PART=log
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "parenting" / "prompts.json"
TARGET = ROOT / "parenting" / "prompt_texts.py"

HEADER = '''"""The reflective prompts' texts, for translation. Written by tools/prompt_texts.py from
prompts.json: edit prompts.json and run that script, never this file by hand."""

from flask_babel import lazy_gettext as _l

TEXTS = (
'''


def source() -> str:
    """Return the module text for the prompts now in prompts.json."""
    texts = [entry["text"].strip() for entry in json.loads(SOURCE.read_text("utf-8"))]
    lines = "".join(f"    _l({json.dumps(t, ensure_ascii=False)}),\n" for t in texts)
    return HEADER + lines + ")\n"


if __name__ == "__main__":
    TARGET.write_text(source(), "utf-8")
