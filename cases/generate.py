"""Synthetic cases at scale for ``flask demo generate --cases N`` (development only; issue 6).

Fictional women with Turkish names (İ ı Ş ş Ğ ğ Ç ç Ö ö Ü ü), valid-checksum TCKNs, Turkish mobile numbers, children,
perpetrators, risk assessments, safety plans, consents and referrals, protective orders — with plausible
frequencies, spread over the last three years. Registered with ``app.cli.register_demo_generator`` by
``cases.registry``.

Speed: 10^5 cases cannot go through the ORM (the crypto and audit ``before_flush`` hooks run per object: about 40 ms
per case). Rows are built here and written with Core ``executemany`` per batch: the case data keys are created in
bulk by ``CryptoContext.create_deks`` (wrapped by crypto, never by this module), values are encrypted with
``encrypt_bound`` under the place (table, column, row uid) the ORM would use, blind indexes are computed with the
model's own normaliser and bit count — so the ORM reads them back and ``crypto.search`` finds them. Core inserts
bypass the automatic change audit on purpose: the command writes one summary event instead.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import crypto
from app.dates import local_today
from app.db import db
from app.users.models import Centre, Role, User
from cases.core.models import Case, Person, RiskLevel
from cases.core.services import age_band
from cases.orders.models import ORDER_MEASURES, ProtectiveOrder
from cases.plans.models import KADES_CHOICES, SafetyPlanVersion
from cases.referrals.models import ConsentRecord, Referral
from cases.risk.models import RiskAssessment, RiskChecklist

Progress = Callable[[int], Any]

# --- vocabularies (fictional people; frequencies are plausible, not statistics) ----------------------------------

WOMEN = ("Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Elif", "Şule", "Gülizar", "İpek", "Özlem", "Gül", "Çiğdem",
         "Gülşen", "Şükran", "Nurgül", "Sevgül", "Ümran", "Büşra", "Tuğba", "Hülya", "Dilek", "Songül", "Gönül",
         "Derya", "Esra", "Merve", "Yıldız", "Işıl", "Ilgın", "İlknur", "Çağla", "Nazlı", "Sıla", "Aslı", "Leyla",
         "Kübra", "Rukiye", "Şerife", "Güler", "Müge", "Özge", "Öykü", "Ebru", "Filiz", "Sevim", "Nilüfer", "Gökçe",
         "Bahar", "Canan", "Sibel", "Pınar", "Türkan", "Şeyma", "Dilşad", "Melek", "Hacer", "Saniye", "Ağça",
         "Gülten", "Şengül", "Nermin", "İrem", "Meryem", "Sümeyye")
MEN = ("Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan", "İbrahim", "İsmail", "Osman", "Yusuf", "Murat",
       "Ömer", "Ramazan", "Halil", "Süleyman", "Kadir", "Uğur", "Gökhan", "Şükrü", "Çetin", "Doğan", "Erdoğan",
       "Oğuz", "Tolga", "Serkan", "Barış", "Volkan", "Cengiz", "Ilhan", "İlker", "Özgür", "Tuncay", "Ertuğrul",
       "Bülent", "Cüneyt", "Şahin", "Kürşat", "Müslüm")
GIRLS = ("Elif", "Zeynep", "Defne", "Eylül", "Azra", "Nehir", "Asya", "Ecrin", "Duru", "Miray", "Öykü", "Ebrar",
         "Zümra", "Çağla", "İkra", "Ayşegül", "Gülce", "Işıl", "Şevval", "Büşra")
BOYS = ("Yusuf", "Eymen", "Ömer", "Mustafa", "Göktuğ", "Çınar", "Kerem", "Emir", "Aras", "Ege", "Alperen", "Doğukan",
        "İbrahim", "Ayaz", "Berkay", "Şahin", "Uğur", "Tuğra", "Ömer Faruk", "Mert")
SURNAMES = ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir",
            "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan", "Şimşek", "Polat", "Öz",
            "Korkmaz", "Karataş", "Işık", "Güneş", "Erdoğan", "Aktaş", "Güler", "Bozkurt", "Ünal", "Uçar", "Tekin",
            "Taş", "Çakır", "Ağca", "Gündoğdu", "Sarıkaya", "Ertuğrul", "İnce", "Akgül", "Türkmen", "Çiftçi",
            "Gök", "Özçelik", "Kılınç", "Bulut", "Eğilmez", "Duman", "Üstün", "Sönmez", "Altıntaş", "Coşkun",
            "Şen", "Karaağaç", "Soğukçam", "Ilıcak", "Değirmenci", "Yücel", "Çağlayan")
DISTRICTS = (("Beyoğlu", ("Kasımpaşa", "Cihangir", "Kuloğlu", "Hacıahmet", "Örnektepe")),
             ("Şişli", ("Kuştepe", "Feriköy", "Gülbahar", "Mecidiyeköy", "Paşa")),
             ("Kağıthane", ("Çağlayan", "Gürsel", "Hamidiye", "Şirintepe", "Gültepe")),
             ("Üsküdar", ("Bulgurlu", "Ünalan", "Çengelköy", "Kısıklı", "Ferah")),
             ("Esenyurt", ("İnönü", "Güzelyurt", "Saadetdere", "Yeşilkent", "Örnek")))
STREETS = ("Gül", "Menekşe", "Çınar", "Lale", "Papatya", "Ihlamur", "Söğüt", "Değirmen", "Çeşme", "Bağlar", "Şehit Er",
           "Öğretmen", "İstiklal", "Yıldız", "Güneş")
MOBILE_PREFIXES = ("530", "531", "532", "533", "534", "535", "536", "537", "538", "539", "541", "542", "543", "544",
                   "545", "546", "547", "548", "549", "501", "505", "506", "507", "552", "553", "554", "555", "559")

CHANNELS = {"walk-in": 34, "phone": 24, "sonim": 13, "police": 13, "hospital": 5, "ngo": 7, "other": 4}
VIOLENCE = {"psychological": 0.82, "physical": 0.58, "economic": 0.36, "stalking": 0.18, "digital": 0.14,
            "sexual": 0.12}
RELATIONSHIPS = {"spouse": 48, "former-spouse": 13, "partner": 6, "former-partner": 7, "father": 5, "brother": 5,
                 "son": 2, "other-family": 5, "acquaintance": 4, "stranger": 2, "other": 3}
PREVIOUS = {"police": 0.32, "prosecutor": 0.12, "sonim": 0.16, "alo-183": 0.10, "kades": 0.08}
RISK = {"standard": 45, "medium": 35, "high": 20}
CHILDREN = {0: 28, 1: 26, 2: 26, 3: 13, 4: 7}
AGES = ((18, 24, 14), (25, 34, 36), (35, 44, 30), (45, 54, 14), (55, 68, 6))
CLOSE_WEIGHTS = {"goals-met": 45, "moved-away": 12, "no-contact": 25, "transferred": 10, "deceased": 0, "other": 8}
INSTITUTIONS = {  # institution type → (weight, fictional-but-plausible names)
    "police": (14, ("Beyoğlu İlçe Emniyet Müdürlüğü", "Şişli Aile İçi Şiddet Büro Amirliği")),
    "prosecutor": (8, ("İstanbul Cumhuriyet Başsavcılığı", "Çağlayan Aile ve Çocuk Bürosu")),
    "family-court": (10, ("İstanbul 4. Aile Mahkemesi", "Beyoğlu Aile Mahkemesi")),
    "sonim": (15, ("Beyoğlu ŞÖNİM", "Üsküdar Şiddet Önleme ve İzleme Merkezi")),
    "bar-legal-aid": (15, ("İstanbul Barosu Adli Yardım Bürosu", "Baro Kadın Hakları Merkezi")),
    "hospital": (6, ("Şişli Hamidiye Etfal EAH", "Beyoğlu Devlet Hastanesi")),
    "ashb": (10, ("İl Sosyal Hizmetler Müdürlüğü", "Kağıthane Sosyal Hizmet Merkezi")),
    "iskur": (8, ("İŞKUR Beyoğlu Hizmet Merkezi",)),
    "ministry-shelter": (5, ("Bakanlık Kadın Konukevi (adres gizli)",)),
    "ngo": (7, ("Mor Çatı (demo)", "Kadın Dayanışma Derneği (demo)")),
    "other": (2, ("Muhtarlık",)),
}
REFERRAL_STATUS = {"draft": 5, "sent": 18, "accepted": 17, "completed": 38, "declined": 11, "withdrawn": 11}
OUTCOMES = {"completed": ("service-provided", "order-issued", "shelter-placed", "appointment-given"),
            "declined": ("no-service", "not-reachable", "she-declined", "other")}
PROTECTIVE = ORDER_MEASURES[:9]
PREVENTIVE = ORDER_MEASURES[9:]

NARRATIVES = (
    "{name} eşinden uzun süredir psikolojik şiddet gördüğünü, son olayda evden çıkarıldığını anlattı.",
    "Başvurucu, {perp}'in telefonunu sürekli kontrol ettiğini ve arkadaşlarıyla görüşmesini engellediğini belirtti.",
    "{name} çocuklarıyla birlikte güvenli bir yere ihtiyaç duyduğunu, ailesinin desteğinin olmadığını söyledi.",
    "Başvurucu ekonomik şiddet yaşadığını, çalışmasına izin verilmediğini ve borç altına sokulduğunu ifade etti.",
    "{name} boşandıktan sonra {perp}'in kendisini takip ettiğini, iş yerine geldiğini anlattı.",
    "Fiziksel şiddet sonrası hastaneye başvurmuş; darp raporu alınmış, kolluk yönlendirmesiyle merkeze geldi.",
)
NEEDS = ("Hukuki danışmanlık ve avukat talebi", "Geçici barınma, çocuklar için okul kaydı", "Psikolojik destek",
         "Nafaka ve boşanma davası için yönlendirme", "İş bulma desteği, kreş", "Acil nakdi yardım")
PERP_NOTES = ("Uzun boylu, bıyıklı; beyaz bir otomobil kullanıyor.", "Ruhsatsız silahı olduğu söyleniyor.",
              "Alkol kullanıyor; akşam saatlerinde saldırganlaşıyor.", "Aynı mahallede oturuyor, işyeri sanayide.")
SAFE_HOURS = ("Hafta içi 10:00–14:00", "Her gün 09:00–12:00", "Salı ve perşembe öğleden sonra", "")
CODE_WORDS = ("papatya", "lale", "kırmızı şemsiye", "çay demlendi", "")
PLAN_TEXTS = {
    "safe_contacts": ("Kız kardeşi Gül (yakın), komşu Şükran Hanım", "Annesi ve çocukluk arkadaşı İpek"),
    "code_word": ("'Çay demlendi' mesajı: hemen polisi ara", "'Papatya' dediğinde kardeşi gelecek"),
    "escape_route": ("Arka kapıdan çıkıp bakkala gidecek; 155'i arayacak", "Balkon kapısı, sonra komşunun dairesi"),
    "safe_place": ("Teyzesinin Üsküdar'daki evi", "Merkez aracılığıyla konukevi"),
    "documents_money": ("Kimlikler ve 2.000 TL komşuda duruyor", "Belgelerin fotokopisi iş yerinde"),
    "children": ("Okula haber verildi; çocukları yalnızca annesi alabilir", "Çocuklara 112'yi aramayı öğretti"),
    "digital": ("Telefonunun konum paylaşımı kapatıldı, şifreler değiştirildi", "KADES'i gizli klasöre kurdu"),
    "work_school": ("İşyeri güvenliğine fotoğrafı verildi", "Servis saatleri değiştirildi"),
    "other": ("Kapı kilidi değiştirilecek", ""),
}
ORDER_DETAILS = ("Karar no: {y}/{n}; uzaklaştırma mesafesi 200 m.", "Değişik iş no: {y}/{n}; iletişim yasağı.",
                 "Tedbir {y}/{n}: ortak konuttan uzaklaştırma, silah teslimi.")


def _weighted(rng: random.Random, table: dict[Any, int]) -> Any:
    return rng.choices(list(table), weights=list(table.values()))[0]


def valid_tckn(rng: random.Random) -> str:
    """A random 11-digit TCKN with correct check digits (first digit not 0)."""
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    d10 = (sum(d[0:9:2]) * 7 - sum(d[1:9:2])) % 10
    d11 = (sum(d) + d10) % 10
    return "".join(map(str, (*d, d10, d11)))


def mobile(rng: random.Random) -> str:
    n = rng.randint(0, 9_999_999)
    return f"0{rng.choice(MOBILE_PREFIXES)} {n // 10000:03d} {n // 100 % 100:02d} {n % 100:02d}"


def street_address(rng: random.Random) -> str:
    district, quarters = rng.choice(DISTRICTS)
    return (f"{rng.choice(quarters)} Mah. {rng.choice(STREETS)} Sok. No: {rng.randint(1, 120)}/"
            f"{rng.randint(1, 16)} {district}/İstanbul")


def _at(day: date, rng: random.Random) -> datetime:
    # office hours in Istanbul (UTC+3), stored in UTC
    return datetime.combine(day, time(rng.randint(6, 14), rng.randint(0, 59)), tzinfo=UTC)


class Sealer:
    """Encrypted column values for Core rows, exactly as the ORM's before_flush would write them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ctx = crypto.get_context()
        self._fields: dict[tuple[type, str], tuple[Any, str, str, str, bytes]] = {}
        self.index_entries: list[dict[str, Any]] = []    # blind-index entries, inserted by flush_index()

    def _field(self, cls: type, name: str) -> tuple[Any, str, str, str, bytes]:
        field = self._fields.get((cls, name))
        if field is None:
            d = getattr(cls, name).descriptor
            table, column, prefix = d.place(cls)
            field = self._fields[(cls, name)] = (d, column, table, column, prefix)
        return field

    def put(self, row: dict[str, Any], cls: type, name: str, owner: tuple[str, uuid.UUID], uid: uuid.UUID,
            value: Any) -> None:
        """Set ``row``'s ciphertext column of attribute ``cls.name`` (and queue its blind-index entry)."""
        d, ct_col, table, column, prefix = self._field(cls, name)
        row[ct_col] = None if value is None else self.ctx.encrypt_bound(self.session, owner, prefix, uid.bytes,
                                                                         value, d.kind)
        normalised = d.index.normalise(value) if d.index is not None and value is not None else None
        if normalised:
            for gen in crypto.blind.generations(self.session, self.ctx, f"{table}.{column}", d.index.bits):
                self.index_entries.append(crypto.blind.entry(self.ctx, gen, table, column, uid, normalised))

    def flush_index(self) -> None:
        crypto.blind.insert_entries(self.session, self.index_entries)
        self.index_entries = []


def _insert(session: Session, model: type, rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    if returning:
        result = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return list(result.scalars())
    session.execute(sa.insert(table), rows)
    return []


class _Numbers:
    """Case numbers continuing the centre's serials per year (``next_case_number`` semantics, in bulk)."""

    def __init__(self, session: Session, centre: Centre, years: Sequence[int]) -> None:
        self.code = centre.code
        # Same lock as next_case_number: concurrent openings wait (PostgreSQL); SQLite's write lock does it there.
        session.execute(sa.select(Centre.id).where(Centre.id == centre.id).with_for_update())
        self.last: dict[int, int] = {}
        self.taken: set[str] = set()
        for year in set(years):
            self.last[year] = session.scalar(sa.select(sa.func.max(Case.serial)).where(
                Case.centre_id == centre.id, Case.year == year)) or 0
            # a case transferred away keeps its number, so a number can be taken without its serial
            self.taken.update(session.scalars(sa.select(Case.number).where(
                Case.number.like(f"{self.code}-{year}-%"))))

    def next(self, year: int) -> tuple[int, str]:
        serial = self.last[year] + 1
        while f"{self.code}-{year}-{serial:04d}" in self.taken:
            serial += 1
        self.last[year] = serial
        return serial, f"{self.code}-{year}-{serial:04d}"


def _checklist(session: Session) -> RiskChecklist:
    checklist = session.scalar(sa.select(RiskChecklist).order_by(RiskChecklist.version.desc()).limit(1))
    if checklist is None:
        from cases.risk.services import current_checklist

        checklist = current_checklist()
    return checklist


def _answers(rng: random.Random, checklist: RiskChecklist, level: str) -> tuple[dict[str, str], int, int]:
    items = list(checklist.items)
    rng.shuffle(items)
    lows = {"standard": (1, checklist.medium_threshold - 1),
            "medium": (checklist.medium_threshold, checklist.high_threshold - 1),
            "high": (checklist.high_threshold, checklist.max_score)}
    low, high = lows[level]
    target = rng.randint(max(0, low), max(0, low, high))
    answers: dict[str, str] = {}
    score = unknown = 0
    for item in items:
        if score < target:
            answers[item["key"]] = "yes"
            score += int(item["weight"])
        elif rng.random() < 0.12:
            answers[item["key"]] = "unknown"
            unknown += 1
        else:
            answers[item["key"]] = "no"
    return answers, score, unknown


def generate_cases(centre: Centre, users: dict[Role, User], n: int, rng: random.Random, progress: Progress, *,
                   batch_size: int = 1000) -> None:
    """Add ``n`` synthetic cases to ``centre`` (with people, assessments, plans, referrals, orders). Flushes (Core
    inserts), never commits; writes no audit events (the command writes one summary event)."""
    session = db.session()
    counsellor = users[Role.COUNSELLOR]
    supervisor = users.get(Role.SUPERVISOR) or counsellor
    sealer = Sealer(session)
    checklist = _checklist(session)
    today = local_today()
    now = datetime.now(UTC)
    days = sorted(today - timedelta(days=rng.randint(0, 3 * 365)) for _ in range(n))
    numbers = _Numbers(session, centre, [d.year for d in days])
    for start in range(0, n, batch_size):
        batch = days[start:start + batch_size]
        _batch(session, sealer, centre, counsellor, supervisor, checklist, numbers, batch, rng, today, now)
        progress(len(batch))


def _batch(session: Session, sealer: Sealer, centre: Centre, counsellor: User, supervisor: User,
           checklist: RiskChecklist, numbers: _Numbers, days: list[date], rng: random.Random, today: date,
           now: datetime) -> None:
    uids = [uuid.uuid4() for _ in days]
    sealer.ctx.create_deks(session, [("case", uid) for uid in uids])
    cases: list[dict[str, Any]] = []
    people: list[tuple[int, dict[str, Any]]] = []   # (index of the case in the batch, row)
    later: list[dict[str, Any]] = []                 # per case: what to add once it has an id
    for uid, applied in zip(uids, days, strict=True):
        owner = ("case", uid)
        age_low, age_high, _ = rng.choices(AGES, weights=[a[2] for a in AGES])[0]
        dob = applied - timedelta(days=rng.randint(age_low * 365 + 1, age_high * 365 + 300))
        first, surname = rng.choice(WOMEN), rng.choice(SURNAMES)
        name = f"{first} {rng.choice(WOMEN)} {surname}" if rng.random() < 0.12 else f"{first} {surname}"
        perp_surname = surname if rng.random() < 0.6 else rng.choice(SURNAMES)
        perp = f"{rng.choice(MEN)} {perp_surname}"
        relationship = _weighted(rng, RELATIONSHIPS)
        violence = [v for v, p in VIOLENCE.items() if rng.random() < p] or ["psychological"]
        risk = _weighted(rng, RISK)
        kids = _weighted(rng, CHILDREN)
        age = (today - applied).days
        status, closed_at, close_reason = "open", None, None
        if (age > 365 and rng.random() < 0.75) or (age > 90 and rng.random() < 0.3):
            status = "closed"
            closed_day = min(today, applied + timedelta(days=rng.randint(30, 330)))
            closed_at, close_reason = _at(closed_day, rng), _weighted(rng, CLOSE_WEIGHTS)
        elif age > 7 and rng.random() < 0.7:
            status = "active"
        serial, number = numbers.next(applied.year)
        row: dict[str, Any] = {
            "public_id": uid, "centre_id": centre.id, "year": applied.year, "serial": serial, "number": number,
            "status": status, "primary_counsellor_id": counsellor.id, "created_by_id": counsellor.id,
            "opened_at": min(now, _at(applied, rng)), "closed_at": closed_at, "close_reason": close_reason,
            "applied_on": applied, "channel": _weighted(rng, CHANNELS), "violence_types": violence,
            "relationship_to_perpetrator": relationship,
            "previous_applications": [p for p, q in PREVIOUS.items() if rng.random() < q],
            "applicant_age_band": age_band(dob, applied), "children_count": kids, "risk_level": risk,
        }
        sealer.put(row, Case, "narrative", owner, uid, rng.choice(NARRATIVES).format(name=first, perp=perp.split()[0])
                   + " (Sentetik demo kaydı.)")
        sealer.put(row, Case, "immediate_needs", owner, uid, rng.choice(NEEDS) if rng.random() < 0.6 else None)
        sealer.put(row, Case, "safe_contact", owner, uid, {
            "call": rng.random() < 0.6, "text": rng.random() < 0.8, "voicemail": rng.random() < 0.2,
            "visit": rng.random() < 0.1, "mail": rng.random() < 0.3, "safe_hours": rng.choice(SAFE_HOURS),
            "code_word": rng.choice(CODE_WORDS), "phone_checked": rng.choice(("yes", "no", "unknown"))})
        cases.append(row)
        i = len(cases) - 1
        people.append((i, _person(sealer, owner, uid, "applicant", name, rng, tckn=rng.random() < 0.75,
                                  phone=rng.random() < 0.85, dob=dob, address=rng.random() < 0.6)))
        for _ in range(kids):
            girl = rng.random() < 0.5
            earliest = max(dob.year + 17, applied.year - 17)
            kid_name = f"{rng.choice(GIRLS if girl else BOYS)} {perp_surname}"
            kid = _person(sealer, owner, uid, "child", kid_name, rng, sex="girl" if girl else "boy",
                          birth_year=rng.randint(min(earliest, applied.year), applied.year))
            people.append((i, kid))
        people.append((i, _person(sealer, owner, uid, "perpetrator", perp, rng, relationship=relationship,
                                  notes=rng.choice(PERP_NOTES) if rng.random() < 0.3 else None)))
        later.append({"applied": applied, "risk": risk, "owner": owner})
    ids = _insert(session, Case, cases, returning=True)
    for i, row in people:
        row["case_id"] = ids[i]
    _insert(session, Person, [row for _, row in people])
    sealer.flush_index()
    _extras(session, sealer, counsellor, supervisor, checklist, ids, later, rng, today, now)


def _person(sealer: Sealer, owner: tuple[str, uuid.UUID], case_uid: uuid.UUID, kind: str, name: str,
            rng: random.Random, *, tckn: bool = False, phone: bool = False, dob: date | None = None,
            address: bool = False, sex: str | None = None, birth_year: int | None = None,
            relationship: str | None = None, notes: str | None = None) -> dict[str, Any]:
    uid = uuid.uuid4()
    row: dict[str, Any] = {"public_id": uid, "case_public_id": case_uid, "kind": kind, "sex": sex,
                           "birth_year": birth_year, "relationship_to_applicant": relationship,
                           "interpreter_needed": False, "created_at": datetime.now(UTC)}
    for attr, value in (("full_name", name), ("tckn", valid_tckn(rng) if tckn else None),
                        ("document_no", None), ("nationality", None), ("date_of_birth", dob),
                        ("phone", mobile(rng) if phone else None),
                        ("address", street_address(rng) if address else None), ("language", None),
                        ("disability", None), ("notes", notes)):
        sealer.put(row, Person, attr, owner, uid, value)
    return row


def _extras(session: Session, sealer: Sealer, counsellor: User, supervisor: User, checklist: RiskChecklist,
            ids: list[int], specs: list[dict[str, Any]], rng: random.Random, today: date, now: datetime) -> None:
    assessments: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []   # consent_id filled from consents (same order)
    orders: list[dict[str, Any]] = []
    level_of = {"standard": 0, "medium": 1, "high": 2}

    def day_after(day: date, low: int, high: int) -> date:
        return min(today, day + timedelta(days=rng.randint(low, high)))

    for case_id, spec in zip(ids, specs, strict=True):
        owner, applied, risk = spec["owner"], spec["applied"], spec["risk"]
        case_uid = owner[1]
        base = {"case_id": case_id, "case_public_id": case_uid}
        # risk assessment: most high-risk cases, fewer others
        if rng.random() < {"high": 0.9, "medium": 0.55, "standard": 0.3}[risk]:
            answers, score, unknown = _answers(rng, checklist, risk)
            computed = checklist.level_for(score).value
            final = max(computed, risk, key=level_of.__getitem__)
            assessed = day_after(applied, 0, 14)
            uid = uuid.uuid4()
            row = {**base, "public_id": uid, "checklist_id": checklist.id, "assessed_by_id": counsellor.id,
                   "assessed_at": min(now, _at(assessed, rng)), "score": score, "unknown_count": unknown,
                   "computed_level": computed, "level": final, "raised_by_judgement": final != computed,
                   "review_due_on": assessed + timedelta(days=checklist.review_days(RiskLevel(final)))}
            sealer.put(row, RiskAssessment, "answers", owner, uid, answers)
            sealer.put(row, RiskAssessment, "judgement_reason", owner, uid,
                       "Mesleki değerlendirme: son olayda tehdit ağırlaştı." if final != computed else None)
            assessments.append(row)
        # safety plan: approved or submitted, mostly for high risk
        if rng.random() < {"high": 0.75, "medium": 0.35, "standard": 0.1}[risk]:
            created = day_after(applied, 1, 20)
            submitted = day_after(created, 0, 3)
            approved = rng.random() < 0.65
            reviewed = day_after(submitted, 0, 4)
            uid = uuid.uuid4()
            row = {**base, "public_id": uid, "version": 1, "status": "approved" if approved else "submitted",
                   "created_by_id": counsellor.id, "created_at": min(now, _at(created, rng)),
                   "updated_at": min(now, _at(submitted, rng)), "submitted_by_id": counsellor.id,
                   "submitted_at": min(now, _at(submitted, rng)),
                   "reviewed_by_id": supervisor.id if approved else None,
                   "reviewed_at": min(now, _at(reviewed, rng)) if approved else None,
                   "review_due_on": reviewed + timedelta(days=90) if approved else None}
            sections = {key: rng.choice(texts) for key, texts in PLAN_TEXTS.items() if rng.random() < 0.8}
            sections["kades"] = rng.choice(KADES_CHOICES)
            sealer.put(row, SafetyPlanVersion, "sections", owner, uid, sections)
            sealer.put(row, SafetyPlanVersion, "return_comments", owner, uid, None)
            plans.append(row)
        # consent + referral
        if rng.random() < 0.3:
            kind = _weighted(rng, {k: v[0] for k, v in INSTITUTIONS.items()})
            institution = rng.choice(INSTITUTIONS[kind][1])
            classes = ["identity", "contact", *[c for c in ("address", "narrative", "risk", "children")
                                                  if rng.random() < 0.4]]
            given = day_after(applied, 0, 30)
            uid = uuid.uuid4()
            consent = {**base, "public_id": uid, "institution_type": kind, "data_classes": classes,
                       "method": "written" if rng.random() < 0.7 else "verbal", "witnessed_by_id": counsellor.id,
                       "given_on": given, "valid_until": given + timedelta(days=180), "created_by_id": counsellor.id,
                       "created_at": min(now, _at(given, rng)), "revoked_at": None, "revoked_by_id": None}
            sealer.put(consent, ConsentRecord, "institution_name", owner, uid, institution)
            sealer.put(consent, ConsentRecord, "witness_text", owner, uid, None)
            sealer.put(consent, ConsentRecord, "revocation_reason", owner, uid, None)
            consents.append(consent)
            status = _weighted(rng, REFERRAL_STATUS)
            sent = day_after(given, 0, 5)
            changed = day_after(sent, 1, 30)
            uid = uuid.uuid4()
            referral = {**base, "public_id": uid, "institution_type": kind,
                        "data_classes": [c for c in classes if c in ("identity", "contact") or rng.random() < 0.7],
                        "status": status,
                        "follow_up_on": sent + timedelta(days=14) if status in ("sent", "accepted") else None,
                        "outcome": rng.choice(OUTCOMES[status]) if status in OUTCOMES else None,
                        "is_override": False, "created_by_id": counsellor.id, "created_at": min(now, _at(given, rng)),
                        "sent_at": None if status == "draft" else min(now, _at(sent, rng)),
                        "sent_by_id": None if status == "draft" else counsellor.id,
                        "status_changed_at": None if status in ("draft", "sent") else min(now, _at(changed, rng))}
            sealer.put(referral, Referral, "institution_name", owner, uid, institution)
            sealer.put(referral, Referral, "contact_person", owner, uid,
                       f"{rng.choice(WOMEN)} {rng.choice(SURNAMES)}" if rng.random() < 0.5 else None)
            sealer.put(referral, Referral, "notes", owner, uid, rng.choice(NEEDS))
            sealer.put(referral, Referral, "outcome_text", owner, uid,
                       "Görüşme yapıldı, süreç devam ediyor." if status == "completed" else None)
            sealer.put(referral, Referral, "override_reason", owner, uid, None)
            referrals.append(referral)
        # protective order
        if rng.random() < {"high": 0.45, "medium": 0.2, "standard": 0.06}[risk]:
            kind = "preventive" if rng.random() < 0.7 else "protective"
            issuer = _weighted(rng, {"family-court": 60, "governor": 20, "police": 20}) if kind == "preventive" \
                else _weighted(rng, {"family-court": 40, "governor": 60})
            issued_day = day_after(applied, 0, 20)
            issued_at = min(now, _at(issued_day, rng))
            duration = rng.choice((30, 60, 90, 180, 180, 180))
            police = issuer == "police"
            approved_at = issued_at + timedelta(hours=rng.randint(4, 40)) if police and rng.random() < 0.9 else None
            uid = uuid.uuid4()
            order = {"case_id": base["case_id"], "case_public_id": case_uid, "public_id": uid, "kind": kind,
                     "issuer": issuer,
                     "measures": rng.sample(PREVENTIVE if kind == "preventive" else PROTECTIVE, rng.randint(1, 3)),
                     "issued_at": issued_at, "starts_on": issued_day, "duration_days": duration,
                     "expires_on": issued_day + timedelta(days=duration - 1),
                     "approval_deadline": issued_at + timedelta(hours=48) if police else None,
                     "approved_at": min(now, approved_at) if approved_at else None,
                     "approved_by_id": counsellor.id if approved_at else None, "last_violation_on": None,
                     "created_by_id": counsellor.id, "created_at": issued_at}
            sealer.put(order, ProtectiveOrder, "details", owner, uid,
                       rng.choice(ORDER_DETAILS).format(y=issued_day.year, n=rng.randint(100, 9999)))
            orders.append(order)
    _insert(session, RiskAssessment, assessments)
    _insert(session, SafetyPlanVersion, plans)
    consent_ids = _insert(session, ConsentRecord, consents, returning=True)
    for referral, consent_id in zip(referrals, consent_ids, strict=True):
        referral["consent_id"] = consent_id
    _insert(session, Referral, referrals)
    _insert(session, ProtectiveOrder, orders)
