"""The diary's two windows counted in SQL, for the queries that judge many plans at once: the
Diaries page's worsening list (selectors.worsening_summaries) and the dashboard's responder
rates (reporting.operations.outcome_figures). outcomes.scoring holds the same rules in Python.

WINDOW_COUNTS joins to each row of a relation aliased `w` (with `id`, the plan's, and the days
`b_from`, `b_to` of its baseline and `f_from`, `f_to` of its follow-up, both included) the
answered days of each window and those with a headache: b_rec, b_head, f_rec, f_head. Each is
an index range scan of the plan's days in that window only (the unique index on plan and day),
so a plan costs its two windows' days, not its whole diary, and no day is sorted or grouped."""

WINDOW_COUNTS = """
CROSS JOIN LATERAL (
    SELECT count(*) AS b_rec, count(*) FILTER (WHERE d.headache) AS b_head
      FROM outcomes_diaryday d
     WHERE d.plan_id = w.id AND d.day BETWEEN w.b_from AND w.b_to
) baseline
CROSS JOIN LATERAL (
    SELECT count(*) AS f_rec, count(*) FILTER (WHERE d.headache) AS f_head
      FROM outcomes_diaryday d
     WHERE d.plan_id = w.id AND d.day BETWEEN w.f_from AND w.f_to
) follow_up"""
