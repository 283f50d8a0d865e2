"""The staff day view (GET /staff/day/, and the clinician's Today page): a location's day as
chairs by times, with the staff on duty and the capacity left.

Read in one statement of plain values: every location (the form's choices), the chosen one
(or, without a choice, the clinician's own location, else the first) and its day (today in
its zone unless one is asked for), its chairs, the day's opening hours, sessions with their
patients' names, and shifts with their clinicians' names, each list one JSON array in its
order. The same page read through the ORM (six queries, a model instance per session and
shift) spent most of its time compiling queries and building instances (bench: 5.5 times
the floor; issue 19 allows 2). The grid is made of tuples with its labels already written:
each distinct time formatted once, each status translated once; then (rows_html) each row's
cells written as one piece of HTML, escaped once, which the template puts in its row: a Jinja2
loop over the ~300 cells, with an escape per value, cost more than reading the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from jinja2.filters import do_urlencode
from markupsafe import Markup, escape
from phonenumber_field.phonenumber import to_python

from clinic.db import execute_prepared
from clinic.formatting import format_each, gettext, when_each
from clinic.models import Role, User
from clinic.paths import path_around

from .availability import local_day_bounds
from .models import ACTIVE_SESSION_STATUSES, SessionStatus
from .models.sessions import _SESSION_STATUS_LABELS

STEP = dt.timedelta(minutes=30)  # a row of the grid
# A cell is (status, session id, patient's chart, patient's name, "when · status", confirmed): a
# session starting in that row, or one of these. One shape for all, so the template unpacks
# each cell in its loop (a look-up per field of each of ~300 cells cost more than the rest).
EMPTY = ("", None, None, "", "", False)
CONT = ("cont", None, None, "", "", False)  # a session started above still holds the chair
_ACTIVE = frozenset(str(status.value) for status in ACTIVE_SESSION_STATUSES)

# The statement reads the day with a margin of three hours either side of its local midnights
# as PostgreSQL places them, and the page keeps what lies within the day as the rest of the
# portal bounds it (availability.local_day_bounds): where a DST change repeats midnight (Cuba's
# autumn), PostgreSQL takes the second midnight and Python the first. `here` is the chosen
# location, or by default the location of the clinician's shift running now or next, else of
# their latest, else the first location by name. The patients' and clinicians' names are looked
# up by id for each row (a subplan on the user's primary key) rather than joined: the joins
# left PostgreSQL weighing join orders and methods, 0.2 of its 0.7 ms of planning.
_SQL = """
WITH here AS (
    SELECT l.id, l.name, l.time_zone,
           COALESCE(%(day)s::date, (%(now)s::timestamptz AT TIME ZONE l.time_zone)::date) AS day
      FROM scheduling_location l
     WHERE l.id = CASE WHEN %(by_default)s THEN COALESCE(
                    (SELECT sh.location_id FROM scheduling_staffshift sh
                      WHERE sh.clinician_id = %(clinician)s AND sh.ends_at > %(now)s
                      ORDER BY sh.starts_at LIMIT 1),
                    (SELECT sh.location_id FROM scheduling_staffshift sh
                      WHERE sh.clinician_id = %(clinician)s ORDER BY sh.starts_at DESC LIMIT 1),
                    (SELECT f.id FROM scheduling_location f ORDER BY f.name LIMIT 1))
                  ELSE %(location)s::bigint END
), b AS (
    SELECT here.*,
           here.day::timestamp AT TIME ZONE here.time_zone - interval '3 hours' AS wide_from,
           (here.day + 1)::timestamp AT TIME ZONE here.time_zone + interval '3 hours' AS wide_to
      FROM here
)
SELECT (SELECT json_agg(json_build_array(l.id, l.name) ORDER BY l.name)
          FROM scheduling_location l),
       b.id, b.name, b.time_zone, b.day,
       (SELECT json_agg(json_build_array(c.id, c.name, c.is_active) ORDER BY c.name, c.id)
          FROM scheduling_chair c WHERE c.location_id = b.id),
       (SELECT json_build_array(h.opens_at, h.closes_at) FROM scheduling_openinghours h
         WHERE h.location_id = b.id AND h.weekday = extract(isodow FROM b.day) - 1),
       (SELECT json_agg(json_build_array(
                 s.id, s.patient_id, s.chair_id, s.status, s.confirmed_at IS NOT NULL,
                 s.starts_at, s.infusion_ends_at, s.ends_at,
                 (SELECT json_build_array(u.first_name, u.last_name, u.email, u.phone)
                    FROM clinic_user u WHERE u.id = s.patient_id)) ORDER BY s.starts_at, s.id)
          FROM scheduling_infusionsession s
         WHERE s.location_id = b.id AND s.status <> ALL(%(not_shown)s)
           AND s.starts_at < b.wide_to AND s.ends_at > b.wide_from
           -- sessions never last a day: the (location, starts_at) index does the work
           AND s.starts_at > b.wide_from - interval '24 hours'),
       (SELECT json_agg(json_build_array(
                 (SELECT json_build_array(u.first_name, u.last_name)
                    FROM clinic_user u WHERE u.id = sh.clinician_id),
                 sh.starts_at, sh.ends_at, sh.monitoring_capacity) ORDER BY sh.starts_at, sh.id)
          FROM scheduling_staffshift sh
         -- "+ 0": the location's own index is not used; with the GiST index of the shifts'
         -- no-overlap constraint ANDed with it, PostgreSQL read all 13,400 of a location's past
         -- shifts (and merge-joined them with the users) to find the day's ten
         WHERE sh.location_id + 0 = b.id
           AND tstzrange(sh.starts_at, sh.ends_at, '[)') && tstzrange(b.wide_from, b.wide_to, '[)'))
  FROM (SELECT 1) AS one LEFT JOIN b ON true
"""


@dataclass(frozen=True)
class Place:
    pk: int
    name: str
    time_zone: ZoneInfo


@dataclass(frozen=True)
class DayPage:
    """A location's day as the page shows it, every label already written."""

    location: Place
    day: dt.date
    chairs: list[tuple[str, bool]]  # (name, in service), in the columns' order
    shifts: list[tuple[str, str, str, int]]  # (clinician, from, to, monitors)
    rows: list[tuple[str, list, int]]  # (the row's time, its cells, capacity left)
    audited: list[tuple[int, int, None]]  # (session id, patient id, no referral): all shown


@dataclass(frozen=True)
class DayRead:
    locations: list[tuple[int, str]]  # (id, name) of every location, by name
    page: DayPage | None  # None: no such location


def day_read(
    *, user: User, location_id: int | None, day: dt.date | None, by_default: bool, now: dt.datetime
) -> DayRead:
    """Every location, and the day at `location_id` (`day`, else today in its zone); with
    `by_default`, at the user's own location (a clinician's) or the first one instead. One
    statement."""
    clinician = user.pk if user.role == Role.CLINICIAN else None
    with connection.cursor() as cursor:
        # Prepared: planning cost about as much as running it (0.7 + 0.9 ms on the bench data);
        # the generic plan, keyed by the location, is as fast on a busy, an empty or a default day.
        execute_prepared(
            cursor,
            _SQL,
            {
                "location": location_id,
                "day": day,
                "by_default": by_default,
                "clinician": clinician,
                "now": now,
                "not_shown": [SessionStatus.CANCELLED.value, SessionStatus.RESCHEDULED.value],
            },
        )
        locations, pk, name, zone, day, chairs, hours, sessions, shifts = cursor.fetchone()
    locations = [(lpk, lname) for lpk, lname in locations or ()]
    if pk is None:
        return DayRead(locations=locations, page=None)
    tz = ZoneInfo(zone)
    return DayRead(
        locations=locations,
        page=_page(Place(pk, name, tz), day, chairs or [], hours, sessions or [], shifts or []),
    )


def _page(location: Place, day: dt.date, chairs, hours, sessions, shifts) -> DayPage:
    tz = location.time_zone
    start, end = local_day_bounds(day, tz)
    instant = dt.datetime.fromisoformat
    # (id, patient, chair, status, confirmed, starts, infusion ends, ends, [first, last, e-mail,
    # phone]), the instants read once; those of the day (InfusionSession.objects.overlapping)
    sessions = [(*s[:5], instant(s[5]), instant(s[6]), instant(s[7]), s[8]) for s in sessions]
    sessions = [
        s for s in sessions if s[5] < end and s[7] > start and s[5] > start - dt.timedelta(days=1)
    ]
    shifts = [(first, last, instant(a), instant(b), n) for (first, last), a, b, n in shifts]
    shifts = [sh for sh in shifts if sh[2] < end and sh[3] > start]  # overlapping [start, end)
    whens = when_each([s[5] for s in sessions] + [t for sh in shifts for t in sh[2:4]], tz)
    rows: list[tuple[str, list, int]] = []
    if hours is not None:
        opens, closes = (dt.time.fromisoformat(t) for t in hours)
        first = dt.datetime.combine(day, opens, tzinfo=tz).astimezone(dt.UTC)
        last = dt.datetime.combine(day, closes, tzinfo=tz).astimezone(dt.UTC)
        times = []
        t = first
        while t < last:
            times.append(t)
            t += STEP
        if times:
            rows = _rows(times, [c[0] for c in chairs], sessions, shifts, whens, tz)
    return DayPage(
        location=location,
        day=day,
        chairs=[(name, active) for _pk, name, active in chairs],
        shifts=[
            (f"{first} {last}".strip(), whens[a], whens[b], n) for first, last, a, b, n in shifts
        ],
        rows=rows,
        audited=[(s[0], s[1], None) for s in sessions],
    )


def _rows(times, chair_ids, sessions, shifts, whens, tz) -> list[tuple[str, list, int]]:
    """Each session and shift placed on the rows it covers (not every row tested against every
    session); in starting order, so where two overlap in a chair, the later shows. Row k
    starts at first + k * STEP; what runs over [start, end) covers rows ceil((start - first) /
    STEP) up to, not including, ceil((end - first) / STEP), within 0..n (written out rather
    than in a helper with max() and min(): it runs for every session and shift). The chairs
    running and the monitors on duty are counted as changes at the rows where each starts and
    stops, summed once down the rows, instead of a count on every row each one covers."""
    first, n = times[0], len(times)
    # The chart's path around the patient's id, reversed once per process: a link made in the
    # template was a call through Jinja2's context for each session.
    chart_head, chart_tail = path_around("intake:patient_chart")
    column = {pk: i for i, pk in enumerate(chair_ids)}
    grid: list[list] = [[EMPTY] * len(chair_ids) for _ in times]
    change = [0] * (n + 1)  # monitors coming on duty less chairs starting to run, by row
    labels: dict[str, str] = {}  # each status translated once a page, not once a session
    for pk, patient, chair, status, confirmed, starts, infusion_ends, ends, names in sessions:
        starts_row = (starts - first) // STEP  # the row whose step holds the start
        if status in _ACTIVE:
            start, stop = -((first - starts) // STEP), -((first - infusion_ends) // STEP)
            start, stop = start if start > 0 else 0, stop if stop < n else n
            if start < stop:
                change[start] -= 1
                change[stop] += 1
        i = column.get(chair)
        if i is None:
            continue
        stop = -((first - ends) // STEP)
        for k in range(starts_row if starts_row > 0 else 0, stop if stop < n else n):
            grid[k][i] = CONT
        if 0 <= starts_row < n:
            label = labels.get(status)
            if label is None:
                label = labels[status] = str(_SESSION_STATUS_LABELS.get(status, status))
            first_name, last_name, email, phone = names
            # str(patient): the full name, else the e-mail, else the phone as the field gives it
            name = f"{first_name} {last_name}".strip() or email or str(to_python(phone))
            grid[starts_row][i] = (
                status,
                pk,
                f"{chart_head}{patient}{chart_tail}",
                name,
                f"{whens[starts]} · {label}",
                confirmed,
            )
    for _first, _last, starts, ends, capacity in shifts:
        start, stop = -((first - starts) // STEP), -((first - ends) // STEP)
        start, stop = start if start > 0 else 0, stop if stop < n else n
        if start < stop:
            change[start] += capacity
            change[stop] -= capacity
    labels = format_each(times, "g:i A", tz)
    rows, left = [], 0
    for k, t in enumerate(times):
        left += change[k]
        rows.append((labels[t], grid[k], left))
    return rows


@dataclass(frozen=True)
class Marking:
    """What a clinician's cells add: a form to change the session's status, which comes back to
    the page it was sent from."""

    csrf_input: str  # the CSRF field's HTML, safe
    here: str  # the page's path with its query (request.get_full_path())


def rows_html(page: DayPage, *, marking: Marking | None) -> list[tuple[str, Markup, int]]:
    """The grid's rows as (time, cells, capacity left), each row's cells one piece of HTML: the
    same HTML the template wrote cell by cell (scheduling/partials/_day.html), each value
    escaped once here. A Jinja2 loop over ~300 cells, an escape and a yield per value, cost more
    than reading the day; the words said in many cells are translated once a page. A session's
    cell links to the patient's chart and, for a clinician (`marking`), holds the status form
    and the buttons its status allows."""
    in_use = gettext("in use")
    confirmed_badge = f' · <span class="badge ok">{gettext("confirmed")}</span>'
    empty_cell = "<td></td>"
    cont_cell = f'<td><span class="muted" aria-label="{in_use}">│</span></td>'
    forms = _forms(marking) if marking is not None else None
    rows = []
    for time, cells, left in page.rows:
        html = []
        for cell in cells:
            if cell is EMPTY:
                html.append(empty_cell)
            elif cell is CONT:
                html.append(cont_cell)
            else:
                status, pk, chart, name, small, confirmed = cell
                html.append(
                    f'<td>\n      <a href="{escape(chart)}"><strong>{escape(name)}</strong></a>'
                    f"<br><small>{escape(small)}{confirmed_badge if confirmed else ''}</small>\n"
                    f"      {forms(status, pk) if forms is not None else ''}\n    </td>"
                )
        rows.append((time, Markup("".join(html)), left))  # noqa: S704 (escaped above)
    return rows


def _forms(marking: Marking):
    """The clinician's form of a session's cell, by status and session id: check in or mark a
    no-show (booked), mark completed (checked in), correct a no-show (no-show)."""
    status_head, status_tail = (escape(p) for p in path_around("scheduling:staff_session_status"))
    no_show_head, no_show_tail = (
        escape(p) for p in path_around("scheduling:session_confirm", "no_show")
    )
    correct_head, correct_tail = (
        escape(p) for p in path_around("scheduling:session_confirm", "correct_no_show")
    )
    back = escape("?next=" + do_urlencode(marking.here))
    opening = (
        f'{marking.csrf_input}<input type="hidden" name="next" value="{escape(marking.here)}">'
        "\n        "
    )
    check_in = (
        f'<button name="action" value="check_in" class="outline">{gettext("Check in")}</button>'
        '\n        <a role="button" class="secondary outline" href="'
    )
    no_show = f'{back}">{gettext("Mark no-show…")}</a>'
    complete = (
        '<button name="action" value="complete" class="outline">'
        f"{gettext('Mark completed')}</button>"
    )
    correct = '<a role="button" class="outline" href="'
    corrected = f'{back}">{gettext("Correct no-show…")}</a>'

    def form(status: str, pk: int) -> str:
        booked = (
            f"{check_in}{no_show_head}{pk}{no_show_tail}{no_show}"
            if status == SessionStatus.BOOKED
            else ""
        )
        checked_in = complete if status == SessionStatus.CHECKED_IN else ""
        no_show_fix = (
            f"{correct}{correct_head}{pk}{correct_tail}{corrected}"
            if status == SessionStatus.NO_SHOW
            else ""
        )
        return (
            f'<form method="post" action="{status_head}{pk}{status_tail}">{opening}'
            f"{booked}\n        {checked_in}\n        {no_show_fix}\n      </form>"
        )

    return form
