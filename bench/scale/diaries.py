"""Outcome plans and headache diaries for the clinic-scale data (issue 22): every course with
sessions gets the plan intake would have started (baseline 28 days before its first infusion,
the diary to 90 days after its last), and about 120 days of diary (one day in ten unanswered,
fewer headache days after the course for most patients) up to yesterday, with a baseline MIDAS.
Written in SQL inside the loader's transaction (some 40,000 patients x 120 days), after the
courses and sessions are in; PostgreSQL's random() is seeded from the loader's seed."""

from __future__ import annotations

_PLANS = """
INSERT INTO outcomes_outcomeplan (created_at, updated_at, course_id, patient_id, status,
    diary_starts_on, first_session_on, last_session_on, course_completed_on, diary_ends_on)
SELECT %(now)s, %(now)s, c.id, c.patient_id,
       CASE WHEN c.status = 'cancelled' THEN 'cancelled' ELSE 'active' END,
       min(s.local_date) - 28, min(s.local_date), max(s.local_date),
       CASE WHEN c.status = 'completed' THEN max(s.local_date) END, max(s.local_date) + 90
  FROM scheduling_course c
  JOIN scheduling_infusionsession s
    ON s.course_id = c.id AND s.status IN ('booked', 'checked_in', 'completed')
 WHERE NOT EXISTS (SELECT 1 FROM outcomes_outcomeplan o WHERE o.course_id = c.id)
 GROUP BY c.id, c.patient_id, c.status
 ORDER BY c.id
"""

# Each plan's headache chance before and after the first infusion; then one row per answered day.
_DIARY = """
WITH plan AS (
    SELECT id, diary_starts_on, first_session_on,
           LEAST(diary_ends_on, %(yesterday)s::date, diary_starts_on + 119) AS last_day,
           0.3 + 0.3 * random() AS before, 0.15 + 0.85 * random() AS factor
      FROM outcomes_outcomeplan WHERE id > %(after)s ORDER BY id
), day AS (
    SELECT plan.id, d::date AS day,
           random() < CASE WHEN d < plan.first_session_on THEN plan.before
                           ELSE plan.before * plan.factor END AS headache,
           random() AS r, random() < 0.9 AS answered
      FROM plan, generate_series(plan.diary_starts_on, plan.last_day, interval '1 day') AS d
)
INSERT INTO outcomes_diaryday (plan_id, day, headache, migraine, worst_pain, acute_medication,
                               recorded_at)
SELECT id, day, headache, headache AND r < 0.55,
       CASE WHEN headache THEN 3 + (r * 7)::int ELSE 0 END, headache AND r < 0.65,
       day + interval '20 hours'
  FROM day WHERE answered
"""

_MIDAS = """
INSERT INTO outcomes_instrumentresponse (plan_id, instrument, time_point, answers, score, grade,
                                        answered_at)
SELECT id, 'midas', 'baseline', jsonb_build_object('missed_work', a, 'reduced_work', a,
       'missed_housework', a, 'reduced_housework', a, 'missed_social', a), 5 * a,
       CASE WHEN 5 * a <= 5 THEN 'I' WHEN 5 * a <= 10 THEN 'II' WHEN 5 * a <= 20 THEN 'III'
            ELSE 'IV' END,
       diary_starts_on + interval '19 hours'
  FROM (SELECT id, diary_starts_on, (random() * 8)::int AS a FROM outcomes_outcomeplan
        WHERE id > %(after)s ORDER BY id) p
"""


class _Diaries:
    """A phase of the loader (bench/scale/load.py), run after _finish."""

    def _outcome_diaries(self) -> dict:
        cursor = self.cursor
        cursor.execute("SELECT setseed(%s)", [(self.rng.random() * 2) - 1])
        # Only the courses loaded here: the demo's (seed_demo beside it) keep their own plans.
        cursor.execute("SELECT COALESCE(max(id), 0) FROM outcomes_outcomeplan")
        after = cursor.fetchone()[0]
        cursor.execute(_PLANS, {"now": self.now})
        plans = cursor.rowcount
        yesterday = self.today.fromordinal(self.today.toordinal() - 1)
        cursor.execute(_DIARY, {"yesterday": yesterday, "after": after})
        days = cursor.rowcount
        cursor.execute(_MIDAS, {"after": after})
        cursor.execute("ANALYZE outcomes_outcomeplan, outcomes_diaryday")
        self.log(f"  outcomes_outcomeplan: {plans} rows")
        self.log(f"  outcomes_diaryday: {days} rows")
        return {"outcomes_outcomeplan": plans, "outcomes_diaryday": days}
