"""The call queue: referrals still waiting for a call, or closed without a course."""

from __future__ import annotations

import datetime as dt


class _Queue:
    """A phase of the recipe (see load._Loader, which holds the state its methods share)."""

    def _queue_referrals(self) -> None:
        """Referrals that are still in the call queue, or were closed without a course."""
        queue_start = max(self.first_day, -730)
        for kind, total in (
            ("open", self.counts["open_referrals"]),
            ("closed", self.counts["closed_referrals"]),
        ):
            for _n in range(total):
                self._queue_referral(kind, queue_start)

    def _queue_referral(self, kind: str, queue_start: int) -> None:
        """One referral of the queue ("open") or closed after its calls ("closed"), with its case,
        the case's call attempts and the referral's status history."""
        place = self.rng.choices(self.places, self.weights)[0]
        created = self.now + dt.timedelta(days=self.rng.uniform(queue_start, -0.01))
        tried = self.rng.random() < 0.4 if kind == "open" else True
        n_attempts = self.rng.randint(1, 2) if tried else 0
        if kind == "open":
            status = "contacting" if tried else "received"
            outcome = ""
        else:
            outcome = self.rng.choice(["declined", "not_eligible", "wrong_number", "no_answer"])
            status = {"no_answer": "unreachable", "wrong_number": "unreachable"}.get(
                outcome, outcome
            )
            n_attempts = 3 if outcome == "no_answer" else max(1, n_attempts)
        referral_id, _person = self.new_referral(created=created, place=place, status=status)
        case_id = self.cases.new_id()
        moments = sorted(
            created + dt.timedelta(hours=self.rng.uniform(2, 24 * 5)) for _ in range(n_attempts)
        )
        next_attempt = callback = None
        if kind == "open" and tried:
            roll = self.rng.random()
            if roll < 0.3:
                next_attempt = self.now + dt.timedelta(hours=self.rng.uniform(1, 72))
            elif roll < 0.35:
                callback = self.now + dt.timedelta(hours=self.rng.uniform(-48, 48))
                next_attempt = callback
        closed_at = moments[-1] if kind == "closed" else None
        self.cases.add(
            (case_id, created, moments[-1] if moments else created, referral_id,
             "open" if kind == "open" else "closed", closed_at,
             {"no_answer": "unreachable"}.get(outcome, outcome), self.rng.random() < 0.1,
             str(place.tz), next_attempt, callback, None, None, [], n_attempts,
             moments[0] if moments else None, None, None)
        )  # fmt: skip
        self._queue_attempts(
            kind=kind,
            referral_id=referral_id,
            case_id=case_id,
            status=status,
            outcome=outcome,
            moments=moments,
            callback=callback,
            tried=tried,
        )

    def _queue_attempts(
        self, *, kind, referral_id, case_id, status, outcome, moments, callback, tried
    ) -> None:
        """The case's call attempts, at the given moments, and the referral's status changes."""
        for i, moment in enumerate(moments):
            last = i == len(moments) - 1
            result = outcome if (kind == "closed" and last) else "no_answer"
            if kind == "open" and last and callback is not None:
                result = "callback"
            self.attempts.add(
                (self.attempts.new_id(), case_id, self.rng.choice(self.coordinators),
                 result, "",
                 callback if result == "callback" else None,
                 "" if result in ("no_answer", "callback") else "seeded", moment)
            )  # fmt: skip
        if tried:
            self.referral_changes.add(
                (self.referral_changes.new_id(), referral_id, "received", "contacting", "",
                 self.coordinators[0], moments[0])
            )  # fmt: skip
        if kind == "closed":
            self.referral_changes.add(
                (self.referral_changes.new_id(), referral_id, "contacting", status,
                 "seeded",
                 self.coordinators[0], moments[-1])
            )  # fmt: skip
