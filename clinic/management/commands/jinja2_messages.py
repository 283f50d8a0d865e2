"""Adds to the Spanish catalogue the words the portal asks for and the catalogue lacks.

Django's makemessages reads Python and Django's template language, not Jinja2's `{% trans %}`
blocks, and rewriting the whole catalogue with it would mark every template-only entry obsolete.
This reads the Jinja2 templates (PORTAL_TEMPLATE_DIRS, through the environment's own
extract_translations, so a block's msgid is exactly what gettext will be asked for) and the
portal's Python (xgettext with makemessages' keywords), and appends each missing entry, empty,
at the end of locale/<lang>/LC_MESSAGES/django.po: nothing already there is reordered. Then
translate the new entries and run compilemessages.

    manage.py jinja2_messages            # append what is missing, say how many
    manage.py jinja2_messages --check    # exit 1 when something is missing (CI)
"""

import ast
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template import engines

PYTHON_PACKAGES = [
    "clinic",
    "intake",
    "scheduling",
    "billing",
    "outcomes",
    "waitlist",
    "reporting",
    "demo",
    "wiring",
]
# makemessages' own keywords for Python (django/core/management/commands/makemessages.py).
XGETTEXT_KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]

Key = tuple[str | None, str]  # (msgctxt, msgid)


def catalogue_keys(po_text: str) -> set[Key]:
    """The (msgctxt, msgid) of every live entry of a .po file (obsolete `#~` lines skipped)."""
    keys: set[Key] = set()
    fields: dict[str, str] = {}
    key = None
    for line in po_text.splitlines() + [""]:
        if line.startswith(('msgctxt "', 'msgid "', 'msgid_plural "', "msgstr")):
            if line.startswith(("msgctxt", 'msgid "')) and "msgid" in fields:
                keys.add((fields.get("msgctxt"), fields["msgid"]))
                fields = {}
            key, _, literal = line.partition(" ")
            fields[key] = "" if key.startswith("msgstr") else ast.literal_eval(literal)
        elif line.startswith('"') and key and not key.startswith("msgstr"):
            fields[key] += ast.literal_eval(line)
        elif not line.strip():
            if "msgid" in fields:
                keys.add((fields.get("msgctxt"), fields["msgid"]))
            fields, key = {}, None
    return keys


def template_messages(base: Path) -> dict[Key, dict]:
    """Every message the Jinja2 templates ask for, with where (file:line) and its plural."""
    env = engines["jinja2"].env
    found: dict[Key, dict] = {}
    for folder in settings.PORTAL_TEMPLATE_DIRS:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file():
                continue
            source = path.read_text()
            ref = str(path.relative_to(base))
            for line, function, message in env.extract_translations(source):
                parts = message if isinstance(message, tuple) else (message,)
                if function in ("pgettext", "npgettext"):
                    context, msgid, plural = parts[0], parts[1], (parts[2:3] or [None])[0]
                else:
                    context, msgid, plural = None, parts[0], (parts[1:2] or [None])[0]
                if not msgid:
                    continue
                entry = found.setdefault(
                    (context, msgid), {"refs": [], "plural": plural, "format": "%(" in msgid}
                )
                entry["refs"].append(f"{ref}:{line}")
    return found


def python_messages(base: Path) -> dict[Key, dict]:
    """Every message the portal's Python asks for, read by xgettext as makemessages reads it."""
    files = [
        str(p.relative_to(base))
        for package in PYTHON_PACKAGES
        if (base / package).is_dir()
        for p in sorted((base / package).rglob("*.py"))
        if "migrations" not in p.parts
    ]
    command = ["xgettext", "--language=Python", "--from-code=UTF-8", "--output=-"]
    command += [f"--keyword={k}" for k in XGETTEXT_KEYWORDS]
    try:
        pot = subprocess.run(  # noqa: S603 (a fixed program, our own file names)
            command + files, cwd=base, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise CommandError(f"xgettext failed (apt-get install gettext): {error}") from error
    found: dict[Key, dict] = {}
    refs: list[str] = []
    fields: dict[str, str] = {}
    key = None
    for line in pot.splitlines() + [""]:
        if line.startswith("#: "):
            refs += line[3:].split()
        elif line.startswith(('msgctxt "', 'msgid "', 'msgid_plural "', "msgstr")):
            key, _, literal = line.partition(" ")
            fields[key] = "" if key.startswith("msgstr") else ast.literal_eval(literal)
        elif line.startswith('"') and key and not key.startswith("msgstr"):
            fields[key] += ast.literal_eval(line)
        elif not line.strip():
            if fields.get("msgid"):
                found[(fields.get("msgctxt"), fields["msgid"])] = {
                    "refs": refs,
                    "plural": fields.get("msgid_plural"),
                    "format": "%(" in fields["msgid"] or "%s" in fields["msgid"],
                }
            fields, key, refs = {}, None, []
    return found


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def po_entry(key: Key, entry: dict) -> str:
    context, msgid = key
    lines = [f"#: {' '.join(entry['refs'][:4])}"]
    if entry["format"]:
        lines.append("#, python-format")
    if context is not None:
        lines.append(f"msgctxt {_quote(context)}")
    lines.append(f"msgid {_quote(msgid)}")
    if entry["plural"]:
        lines += [f"msgid_plural {_quote(entry['plural'])}", 'msgstr[0] ""', 'msgstr[1] ""']
    else:
        lines.append('msgstr ""')
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Append to the catalogue the msgids of Jinja2 templates and Python it lacks."

    def add_arguments(self, parser):
        parser.add_argument("--locale", default="es")
        parser.add_argument("--check", action="store_true", help="only report; exit 1 if any")

    def handle(self, *args, **options):
        base = Path(settings.BASE_DIR)
        po = base / "locale" / options["locale"] / "LC_MESSAGES" / "django.po"
        text = po.read_text()
        have = catalogue_keys(text)
        wanted = {**python_messages(base), **template_messages(base)}
        missing = {key: entry for key, entry in wanted.items() if key not in have}
        if options["check"]:
            for context, msgid in missing:
                self.stdout.write(f"missing: {msgid!r}" + (f" ({context})" if context else ""))
            if missing:
                raise CommandError(f"{len(missing)} message(s) missing from {po}")
            return
        if missing:
            added = "\n\n".join(po_entry(key, entry) for key, entry in missing.items())
            po.write_text(text.rstrip("\n") + "\n\n" + added + "\n")
        self.stdout.write(f"{len(missing)} message(s) added to {po.relative_to(base)}")
