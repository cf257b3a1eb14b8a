"""Papers to print (issue 16 §3): a copy of the safety plan for her (and a discreet variant she can carry), a case
summary for a supervisor's review or a court request, and the KVKK information notice given at intake. Each is a
page with a print stylesheet and a Print button; each carries the case number and the date and is on record
(``case.print``, the summary as ``case.export``) before it leaves."""
