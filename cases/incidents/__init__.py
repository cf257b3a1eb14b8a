"""Incidents as dated records (issue 18 §2): date (exact or approximate), the 6284 violence types with sub-kinds
(forced marriage, threat with a weapon, strangulation), place type, which of the case's perpetrators, whether it was
reported to the police / gendarmerie or KADES, whether a forensic medical report was taken, and injuries (encrypted).
Categorical columns feed statistics; the injuries text is encrypted under the case's data key. A new incident asks
for a risk re-assessment (``cases.risk.services.request_reassessment``), which shows in the task list.
"""
