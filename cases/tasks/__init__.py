"""One list of what is due (issue 18 §1): the task list per user — a counsellor's own, a supervisor's centre,
filterable by counsellor and kind, overdue first — computed from what exists through the providers registered with
``app.tasks.register_task_provider``. This slice registers the case-work providers (re-assessments, safety-plan
reviews and returns, support actions, referral follow-ups, orders, closures), reusing the dashboard panels' queries;
shelters and other slices register theirs. The list shows case numbers, categories and dates only.
"""
