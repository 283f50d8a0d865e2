"""The tstzrange expression that the exclusion constraints of shifts and sessions compare."""

from django.contrib.postgres.fields import DateTimeRangeField
from django.db import models


class TsTzRange(models.Func):
    """tstzrange(start, end, '[)'): the half-open range the exclusion constraints compare."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()
