"""The default risk checklist (version 1): 24 yes/no indicators in the style of DASH practice, with thresholds.

Pure data (no Flask, no database): migration 0004 seeds it, and ``cases.risk.services.current_checklist`` seeds it
lazily in a database built without migrations. FROZEN: this is what version 1 *was*. Administrators change the
instrument by publishing a new version on /cases/risk-checklists; never edit these items in place, or assessments
made with version 1 would render questions that were never asked.

The wording is ours (DASH itself is licensed); the indicators follow the research in ``research/domain.md`` §b1.
"""

from __future__ import annotations

from typing import Any

# key, weight, Turkish, English
_V1 = (
    ("threats_to_kill", 1, "Sizi ya da başka birini öldürmekle tehdit etti mi?",
     "Has he threatened to kill her or someone else?"),
    ("strangulation", 1, "Hiç boğazınızı sıktı, sizi boğmaya ya da nefessiz bırakmaya çalıştı mı?",
     "Has he ever strangled, choked, suffocated or drowned her?"),
    ("weapon", 1, "Silah ya da başka bir aletle saldırdı ya da tehdit etti mi, silaha erişimi var mı?",
     "Has he used or threatened her with a weapon, or does he have access to one?"),
    ("escalation", 1, "Şiddet son zamanlarda sıklaştı ya da ağırlaştı mı?",
     "Is the violence happening more often or getting worse?"),
    ("recent_separation", 1, "Son bir yıl içinde ondan ayrıldınız ya da ayrılmaya çalıştınız mı?",
     "Has she separated or tried to separate from him within the past year?"),
    ("pregnancy_new_baby", 1, "Hamile misiniz ya da son 18 ay içinde doğum yaptınız mı?",
     "Is she pregnant, or has she had a baby in the past 18 months?"),
    ("stalking", 1, "Sizi takip ediyor, gözetliyor ya da sürekli arayıp mesaj atıyor mu?",
     "Does he follow or watch her, or call and message her constantly?"),
    ("threats_to_children", 1, "Çocukları tehdit etti ya da onlara zarar verdi mi?",
     "Has he threatened or hurt the children?"),
    ("substance_use", 1, "Alkol, madde ya da kumar sorunu var mı?",
     "Does he have problems with alcohol, drugs or gambling?"),
    ("prior_violence", 1, "Başkalarına (önceki eşlerine, ailesine, başkalarına) şiddet uyguladı mı?",
     "Has he been violent to others (previous partners, family, anyone else)?"),
    ("order_breach", 1, "Koruyucu/önleyici tedbir kararını ya da benzeri bir yükümlülüğü ihlal etti mi?",
     "Has he breached a protective order or a similar condition?"),
    ("sexual_violence", 1, "Sizi cinsel ilişkiye ya da cinsel eylemlere zorladı mı?",
     "Has he forced her into sex or sexual acts?"),
    ("isolation", 1, "Sizi ailenizden, arkadaşlarınızdan ya da destek alabileceğiniz yerlerden uzaklaştırıyor mu?",
     "Does he keep her away from family, friends or other support?"),
    ("jealousy_control", 1, "Sürekli kıskançlık ya da kontrol eden davranışlar gösteriyor mu?",
     "Is he constantly jealous or controlling?"),
    ("suicide_threats", 1, "Kendini öldürmekle tehdit etti ya da intihar girişiminde bulundu mu?",
     "Has he threatened or attempted suicide?"),
    ("financial_control", 1, "Paranızı kontrol ediyor ya da çalışmanızı engelliyor mu?",
     "Does he control her money or stop her from working?"),
    ("pets_harmed", 1, "Evcil hayvanlara zarar verdi ya da zarar vermekle tehdit etti mi?",
     "Has he hurt or threatened to hurt pets?"),
    ("injury", 1, "Son olayda yaralandınız mı?",
     "Was she injured in the most recent incident?"),
    ("fear", 1, "Ondan çok korkuyor musunuz; sizi öldürebileceğini düşünüyor musunuz?",
     "Is she very frightened of him, or does she believe he could kill her?"),
    ("her_wellbeing", 1, "Kendinizi çok çökkün hissediyor musunuz ya da intihar düşünceleriniz var mı?",
     "Is she feeling very low, or having thoughts of suicide?"),
    ("child_contact_conflict", 1, "Çocuklarla görüşme konusunda anlaşmazlık var mı?",
     "Is there conflict over contact with the children?"),
    ("financial_problems", 1, "Ciddi maddi sorunları var mı ya da yakın zamanda işini kaybetti mi?",
     "Does he have serious money problems, or has he recently lost his job?"),
    ("criminal_history", 1, "Adli sicil kaydı var mı ya da daha önce polisle sorun yaşadı mı?",
     "Does he have a criminal record or previous trouble with the police?"),
    ("honour_pressure", 1, "Aileden \"namus\" adına baskı, tehdit ya da zorla evlendirme girişimi var mı?",
     "Is there pressure or threats from family \"in the name of honour\", or a forced marriage?"),
)

DEFAULT_V1_ITEMS: list[dict[str, Any]] = [
    {"key": key, "weight": weight, "text_tr": tr, "text_en": en} for key, weight, tr, en in _V1
]
DEFAULT_MEDIUM_THRESHOLD = 10
DEFAULT_HIGH_THRESHOLD = 14
# days until re-assessment, by level
DEFAULT_REVIEW_DAYS = {"high": 14, "medium": 30, "standard": 90}
