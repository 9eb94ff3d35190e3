"""Translation catalogues: extract, add missing strings to a part, merge the parts and compile.

Each language's translations are kept in parenting/translations/<lang>/LC_MESSAGES/parts/*.po,
one file per area of the app, so people translating different areas never edit the same file.
`compile` merges a language's parts into messages.po and messages.mo next to them (both built,
neither kept in git); that is what Flask-Babel reads.

    python tools/i18n.py extract            # -> parenting/translations/messages.pot
    python tools/i18n.py update PART        # add the strings no part has yet to parts/PART.po
    python tools/i18n.py compile            # parts -> messages.po, messages.mo (each language)
    python tools/i18n.py check              # untranslated, fuzzy, clashing or broken strings
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "parenting" / "translations"
POT = TRANSLATIONS / "messages.pot"
# The gettext-like names the code uses, beyond Babel's own (_, gettext, ngettext…).
KEYWORDS = ("lazy_gettext", "_l", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")
# CLDR gives these languages a third plural form for round millions ("un millón de…"), which
# takes the ordinary plural's words here: a part may give two forms and the third is copied.
MILLIONS_FORM = {"es", "fr", "it", "pt", "ca"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


def languages() -> list[str]:
    """Return the languages that have parts (English, the source language, needs none)."""
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "parts").is_dir())


def parts_dir(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "parts"


def extract(output: Path = POT) -> Catalog:
    """Run pybabel extract over the code and templates; return the template catalogue."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         *keywords, "--no-location", "--omit-header", "--sort-output", "-o", str(output),
         str(ROOT)],
        check=True, cwd=ROOT, capture_output=True,
    )
    with output.open("rb") as handle:
        return read_po(handle)


def extracted() -> Catalog:
    """Return the strings in the code now, without touching messages.pot."""
    with tempfile.TemporaryDirectory() as folder:
        return extract(Path(folder) / "messages.pot")


def read_part(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.parent.name)


def merged(lang: str) -> tuple[Catalog, list[str]]:
    """Merge a language's parts into one catalogue; return it and any clashes between parts."""
    catalog = Catalog(locale=lang, domain="messages", project="Tend")
    clashes = []
    seen: dict = {}
    for path in sorted(parts_dir(lang).glob("*.po")):
        for message in read_part(path):
            if not message.id:
                continue
            # A message context (pgettext) makes the same English another message.
            key = (message.id, message.context)
            if key in seen:
                earlier, where = seen[key]
                if earlier.string != message.string:
                    clashes.append(f"{message.id!r}: {where} and {path.name} differ")
                continue
            seen[key] = (message, path.name)
            string = message.string
            if isinstance(string, tuple) and lang in MILLIONS_FORM and len(string) >= 2:
                forms = list(string) + [""] * (catalog.num_plurals - len(string))
                string = tuple(f or forms[1] for f in forms[:catalog.num_plurals])
            catalog.add(message.id, string, flags=message.flags,
                        auto_comments=message.auto_comments, context=message.context)
    return catalog, clashes


def compile_all() -> None:
    for lang in languages():
        catalog, clashes = merged(lang)
        if clashes:
            print(f"{lang}: the same string is translated differently in two parts:",
                  *clashes, sep="\n  ", file=sys.stderr)
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with (folder / "messages.po").open("wb") as handle:
            write_po(handle, catalog, width=100)
        # Fuzzy and empty translations are left out, so English shows instead of nothing.
        with (folder / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


def update(part: str) -> None:
    """Add every extracted string that no part of a language has yet to parts/<part>.po."""
    template = extract()
    for lang in languages():
        catalog, _ = merged(lang)
        path = parts_dir(lang) / f"{part}.po"
        target = read_part(path) if path.exists() else Catalog(locale=lang, project="Tend")
        added = 0
        for message in template:
            if message.id and catalog.get(message.id, context=message.context) is None \
                    and target.get(message.id, context=message.context) is None:
                target.add(message.id, "" if isinstance(message.id, str) else ("", ""),
                           flags=message.flags, context=message.context)
                added += 1
        with path.open("wb") as handle:
            write_po(handle, target, width=100, omit_header=False, sort_output=True,
                     no_location=True)
        print(f"{lang}: {added} new string(s) in {path.relative_to(ROOT)}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """Return what is wrong with a language: missing, empty, fuzzy, broken placeholders, clashes."""
    template = template or extracted()
    catalog, found = merged(lang)
    for message in template:
        if not message.id:
            continue
        ours = catalog.get(message.id, context=message.context)
        name = message.id if isinstance(message.id, str) else message.id[0]
        if ours is None:
            found.append(f"untranslated: {name!r}")
            continue
        strings = ours.string if isinstance(ours.string, tuple) else (ours.string,)
        if not all(strings):
            found.append(f"untranslated: {name!r}")
        elif ours.fuzzy:
            found.append(f"fuzzy: {name!r}")
        else:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = placeholders(ids[-1])
            for text in strings:
                # A plural's singular may say "one" instead of %(count)s.
                if set(placeholders(text)) - set(wanted) or (
                        len(strings) == 1 and placeholders(text) != wanted):
                    found.append(f"placeholders differ: {name!r} -> {text!r}")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "update" and len(argv) == 3:
        update(argv[2])
    elif command == "compile":
        compile_all()
    elif command == "check":
        template = extracted()
        bad = [f"{lang}: {p}" for lang in languages() for p in problems(lang, template)]
        print("\n".join(bad) or "All catalogues complete.")
        return 1 if bad else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
