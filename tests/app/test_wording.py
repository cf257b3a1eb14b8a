"""Turkish wording (issue 16 §4, docs/GLOSSARY.md): the terms that went wrong stay right in the Turkish catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "translations" / "tr" / "LC_MESSAGES" / "messages.po"


def _catalogue() -> dict[str, str]:
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    return {str(m.id if isinstance(m.id, str) else m.id[0]): str(m.string if isinstance(m.string, str)
                                                                  else m.string[0]) for m in catalogue if m.id}


def test_glossary_terms() -> None:
    tr = _catalogue()
    texts = list(tr.values())
    assert not [t for t in texts if re.search(r"\bhakim", t, re.I)], "a judge is a hâkim"
    assert not [t for t in texts if re.search(r"sığınma ev", t, re.I)], "dayanışma evi or kadın konukevi"
    assert not [t for t in texts if re.search(r"yatak-gece", t, re.I)]
    assert tr["Protective (koruyucu), for her"] == "Koruyucu tedbir (korunan kişi için)"
    preventive = tr["Preventive (önleyici), against the person using violence"]
    assert preventive == "Önleyici tedbir (şiddet uygulayana yönelik)"
    assert tr["Family court judge"] == "Aile mahkemesi hâkimi"
    assert tr["Declined"] != tr["Refused"]
    assert tr["Returned to the perpetrator"] == "Şiddet uygulayanla aynı konuta döndü"
    police = tr["Needs court/governor approval by %(deadline)s, or it lapses."]
    assert "Kolluk amiri" in police and "48 saat" in police and "kendiliğinden kalkar" in police


def test_back_links_carry_no_text_arrow() -> None:
    """The stylesheet draws the arrow of a .back-link; a text arrow too showed "← ←" on the shelter pages."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    doubled = [str(p.relative_to(templates)) for p in templates.rglob("*.html")
               if re.search(r'class="back-link"[^>]*>\s*(←|&larr;)', p.read_text())]
    assert doubled == []
