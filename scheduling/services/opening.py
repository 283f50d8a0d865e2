"""Opening more time at a location: a closed day opened again, a new shift on duty. Each
publishes its event (the waitlist offers the times that opened to the patients waiting)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from clinic.events import publish
from clinic.models import User

from ..events import ClosureLifted, ShiftAdded
from ..models import Closure, Location, StaffShift


@transaction.atomic
def closure_lift(*, closure: Closure, by: User | None) -> None:
    """Delete the closure: its local day takes bookings again in the opening hours. Publishes
    ClosureLifted. Lifting a closure already deleted does nothing."""
    deleted, _rows = Closure.objects.filter(pk=closure.pk).delete()
    if deleted:
        publish(ClosureLifted(location=closure.location, date=closure.date, by=by))


@transaction.atomic
def shift_add(
    *,
    location: Location,
    clinician: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    monitoring_capacity: int = 3,
    by: User | None,
) -> StaffShift:
    """Put a clinician on duty at the location. Publishes ShiftAdded. Raises ValidationError
    for a shift that ends before it starts or overlaps the clinician's other shifts (the
    exclusion constraint)."""
    shift = StaffShift(
        location=location,
        clinician=clinician,
        starts_at=starts_at,
        ends_at=ends_at,
        monitoring_capacity=monitoring_capacity,
    )
    shift.full_clean()
    shift.save()
    publish(
        ShiftAdded(
            location=location, shift_id=shift.pk, starts_at=starts_at, ends_at=ends_at, by=by
        )
    )
    return shift
