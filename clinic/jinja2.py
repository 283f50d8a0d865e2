"""The Jinja2 environment every portal page renders with (settings.TEMPLATES, first engine), as
Zulip renders its pages: Django's own Jinja2 back-end, this one module for what templates may
call, autoescape on.

- `url('app:name', arg, key=value)`, `static('css/app.css')`; in a table's rows,
  `{% set chart_url = url_for_each('intake:patient_chart') %}` once and `chart_url(pk)` per
  row; `csrf_input` (the hidden field) and `csrf_token`, one token per page (`csrf` below);
  the other context processors' names (`user`, `messages`, `nav_items`, `clinic_name`...)
  come from settings.TEMPLATES.
- Translations: `_("...")`, `pgettext("context", "...")`, `{% trans name=value %}...{% endtrans %}`
  and `{% pluralize %}`, bound to Django's gettext, so locale/*/django.po keeps working (the
  msgids are the ones the Django templates had); each word is translated once per language in
  a process (clinic.formatting.gettext); `get_language()` for `<html lang>`.
- Formatting (clinic.formatting, cheap): `x|date("D j M Y", zone)` (Django's letters; add `T` for
  the zone's abbreviation), `when(instant, location_zone, own_zone)`, `amount|usd`; and a few of
  Django's filters: linebreaksbr, filesizeformat, timesince, truncatechars.

A plain-text template (e-mail bodies: *.txt) is never escaped. Template files live where they
always did (templates/ and <app>/templates/); settings.TEMPLATES says which engine reads which,
and OtherAppsLoader (below) keeps Django's template language out of the portal's folders.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.middleware.csrf import get_token
from django.template import defaultfilters
from django.template.loaders import app_directories
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject, lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from jinja2 import Environment, Undefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from . import formatting
from .forms import widget_attrs
from .paths import path_around, path_of, static_url


def url(viewname: str, *args, **kwargs) -> str:
    """{% url %}: url('intake:referral_detail', referral.reference); a view without arguments
    is reversed once per process (clinic.paths)."""
    if not args and not kwargs:
        return path_of(viewname)
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def zone_of(user, default: dt.tzinfo = dt.UTC) -> dt.tzinfo:
    """A patient's own zone (UTC for anyone without a patient profile)."""
    profile = getattr(user, "patient_profile", None)
    return (profile.time_zone if profile is not None else None) or default


_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


def url_for_each(viewname: str, *more):
    """For a link in every row of a table, to a URL whose first argument is the row's: the
    path reversed once per process (clinic.paths.path_around), a function of the row's value
    given back, so `url_for_each('intake:call_screen')(case.pk) == url('intake:call_screen',
    case.pk)` (a reverse() per row cost more than the rest of the row's cell), and
    `url_for_each('scheduling:session_confirm', 'no_show')(session.pk) ==
    url('scheduling:session_confirm', session.pk, 'no_show')`. A value with other characters
    than letters, digits, - and _ is reversed."""
    head, tail = path_around(viewname, *more)

    def link(value) -> str:
        text = str(value)
        if _PLAIN.fullmatch(text):
            return f"{head}{text}{tail}"
        return reverse(viewname, args=[value, *more])

    return link


_csrf_field = lazy(
    lambda token: format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
    SafeString,
)


def csrf(request) -> dict:
    """A context processor: one CSRF token per page, as Django's template language has it. The
    back-end's own `csrf_input` masks a new token each time a form shows it (the day view has a
    form in every booked chair)."""
    token = SimpleLazyObject(lambda: get_token(request))
    return {"csrf_token": token, "csrf_input": _csrf_field(token)}


@pass_context
def gettext(context: Context, message: str, **variables) -> str:
    """`_("...")` and `{% trans %}` without a plural: exactly what jinja2.ext's new-style
    gettext gives (the translation, marked safe where the template escapes, %-formatted with
    the variables escaped), in one call. Jinja2's goes through three nested context.call()s
    (`_` looks up `gettext`, which calls Django's): a page asks for fifty words or more, and
    they cost a quarter of the provider's referral page's rendering (issue 22)."""
    text = formatting.gettext(message)  # once per language and process
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (a translation, trusted as Jinja2 trusts it)
    # Always a format string, as Jinja2 has it ("%%" is "%"); without a "%", itself.
    return text % variables if variables or "%" in text else text


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    # The same page in development as in production (Django's back-end would print a missing
    # variable as "{{ name }}" when DEBUG is on): nothing, as Django's templates did.
    options["undefined"] = Undefined
    # Django's templates keep the newline that ends a file; so do these (plain-text e-mails).
    options.setdefault("keep_trailing_newline", True)
    extensions = list(options.pop("extensions", []))
    if "jinja2.ext.i18n" not in extensions:
        extensions.append("jinja2.ext.i18n")
    # Escape everything but plain-text e-mail bodies (*.txt), where "&amp;" would reach the reader.
    env = Environment(
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        extensions=extensions,
        **options,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=formatting.gettext,
        ngettext=formatting.ngettext,
        pgettext=formatting.pgettext,
        npgettext=formatting.npgettext,
        newstyle=True,
    )
    # The same words in one call instead of three (gettext above); plurals and contexts stay
    # Jinja2's (a page has few).
    env.globals.update({"gettext": gettext, "_": gettext})
    env.globals.update(
        {
            "url": url,
            "url_for_each": url_for_each,
            "static": static_url,
            "get_language": translation.get_language,
            "when": formatting.when_both,
            "zone_of": zone_of,
            "UTC": dt.UTC,
            "widget_attrs": widget_attrs,
        }
    )
    env.filters.update(
        {
            "date": formatting.format_date,
            "usd": formatting.usd,
            "linebreaksbr": defaultfilters.linebreaksbr,
            "filesizeformat": defaultfilters.filesizeformat,
            "timesince": defaultfilters.timesince_filter,
            "truncatechars": lambda value, length: Truncator(value).chars(length),
        }
    )
    return env


class OtherAppsLoader(app_directories.Loader):
    """Django's template language reads the templates of Django's and third-party apps (admin,
    API docs), never the portal's own folders: those are Jinja2 (settings.PORTAL_TEMPLATE_DIRS)."""

    def get_dirs(self):
        portal = {Path(d).resolve() for d in settings.PORTAL_TEMPLATE_DIRS}
        return [d for d in super().get_dirs() if Path(d).resolve() not in portal]
