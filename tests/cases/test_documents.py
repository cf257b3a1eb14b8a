"""Documents on a case: encrypted in chunks under the case's key, tamper-evident, stripped of photo metadata, typed
from their bytes, downloaded as sandboxed attachments, audited, unreachable for other roles, gone after deletion or
erasure."""

from __future__ import annotations

import io
import os
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from tests import factories
from tests.security.test_encryption_at_rest import _raw_dump

MARKER = b"GIZLI-BELGE-ISARETI-7f3a"


def pdf_bytes(size: int = 200 * 1024, marker: bytes = MARKER) -> bytes:
    """A PDF-typed file of ``size`` bytes with a marker repeated in it (so any plaintext chunk would show it)."""
    body = (marker + b" ") * (size // (len(marker) + 1) + 1)
    return (b"%PDF-1.7\n" + body)[:size]


def gps_jpeg() -> bytes:
    """A JPEG with EXIF GPS position, camera model, XMP and a comment, as a phone would write it."""
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Pixel 7 Pro"       # Model
    exif[0x0112] = 6                   # Orientation: rotate 90° (applied to the pixels, then dropped)
    gps = {1: "N", 2: (41.0, 2.0, 30.5), 3: "E", 4: (28.0, 58.0, 12.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), comment=b"Ev adresi yakinlari",
             xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>GPSLatitude</x:xmpmeta>")
    return out.getvalue()


def upload(client, case, data: bytes, *, filename: str = "karar.pdf", kind: str = "court-decision",  # type: ignore[no-untyped-def]
           note: str = "", content_type: str = "application/octet-stream"):
    token = factories.csrf_token(client, f"/cases/{case.public_id}/documents")
    return client.post(f"/cases/{case.public_id}/documents", content_type="multipart/form-data",
                       data={"csrf_token": token, "kind": kind, "note": note,
                             "file": (io.BytesIO(data), filename, content_type)})


def documents(app, case):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.documents.models import CaseDocument

    with app.app_context():
        rows = db.session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case.id)
                                  .order_by(CaseDocument.id)).all()
        return [(d.id, d.public_id, d.content_type, d.size_bytes, d.chunk_count, d.deleted_at) for d in rows]


def stored_plaintext(app, document_id: int) -> bytes:
    from app.db import db
    from cases.documents import services as svc
    from cases.documents.models import CaseDocument

    with app.app_context():
        return b"".join(svc.read_document(db.session.get(CaseDocument, document_id)))  # type: ignore[arg-type]


@pytest.fixture
def counsellor_case(app, make_user, make_case):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    return counsellor, case, client


def test_upload_download_round_trip_is_chunked_encrypted_and_sandboxed(app, counsellor_case, backend,  # type: ignore[no-untyped-def]
                                                                        db_url) -> None:
    from app.audit import AuditEvent
    from app.db import db

    _, case, client = counsellor_case
    data = pdf_bytes(3 * 64 * 1024 + 123)
    r = upload(client, case, data, filename="../../Koruma kararı \"ş\".pdf", note="Aile mahkemesi")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    [(doc_id, public_id, ctype, size, chunks, _)] = documents(app, case)
    assert (ctype, size, chunks) == ("application/pdf", len(data), 4)
    listing = factories.page(client, f"/cases/{case.public_id}/documents").get_data(as_text=True)
    assert "Koruma kararı" in listing and "Aile mahkemesi" in listing
    section = factories.page(client, f"/cases/{case.public_id}/sections/documents").get_data(as_text=True)
    assert "Koruma kararı" in section

    r = client.get(f"/cases/{case.public_id}/documents/{public_id}")
    assert r.status_code == 200 and r.get_data() == data
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "\n" not in r.headers["Content-Disposition"] and "/" not in r.headers["Content-Disposition"].split(";")[1]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    assert r.mimetype == "application/pdf"

    dump = _raw_dump(app, backend, db_url)
    assert MARKER not in dump and MARKER.hex().encode() not in dump
    assert b"Aile mahkemesi" not in dump
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.object_id == str(public_id))).all()
        assert "document.upload" in actions and "document.download" in actions


def test_photo_loses_gps_exif_xmp_and_comment_before_encryption(app, counsellor_case) -> None:  # type: ignore[no-untyped-def]
    _, case, client = counsellor_case
    original = gps_jpeg()
    with Image.open(io.BytesIO(original)) as img:   # the test file really carries what a phone writes
        assert img.getexif().get_ifd(0x8825) and "xmp" in img.info and "comment" in img.info
    r = upload(client, case, original, filename="IMG_2041.jpg", kind="photo", content_type="image/jpeg")
    assert r.status_code == 302
    [(doc_id, _, ctype, *_rest)] = documents(app, case)
    stored = stored_plaintext(app, doc_id)
    assert ctype == "image/jpeg"
    with Image.open(io.BytesIO(stored)) as img:
        assert len(img.getexif()) == 0 and not img.getexif().get_ifd(0x8825)
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(img.info)
        assert img.size == (48, 64)       # the orientation was applied to the pixels
    for needle in (b"Exif", b"GPS", b"Pixel 7", b"xmpmeta", b"Ev adresi"):
        assert needle not in stored


def test_type_comes_from_the_bytes_and_size_is_limited(app, counsellor_case) -> None:  # type: ignore[no-untyped-def]
    from cases.documents.services import MAX_BYTES

    _, case, client = counsellor_case
    html = b"<html><script>alert(1)</script></html>"
    r = upload(client, case, html, filename="rapor.pdf", content_type="application/pdf")
    assert r.status_code == 422 and "Only PDF files" in r.get_data(as_text=True)
    r = upload(client, case, b"\xff\xd8\xff\xe0 not really a jpeg", filename="x.jpg", kind="photo")
    assert r.status_code == 422 and "could not be read" in r.get_data(as_text=True)
    r = upload(client, case, b"%PDF-" + b"0" * MAX_BYTES, filename="big.pdf")   # within the request limit
    assert r.status_code == 413 and "larger than 20 MB" in r.get_data(as_text=True)
    r = upload(client, case, b"%PDF-" + b"0" * (MAX_BYTES + 2 * 1024 * 1024), filename="huge.pdf")
    assert r.status_code == 413       # over the request limit: refused before the form is read
    r = upload(client, case, b"", filename="empty.pdf")
    assert r.status_code == 422
    assert documents(app, case) == []


def _tamper(app, document_id: int, change) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.documents.models import DocumentChunk

    t = DocumentChunk.__table__
    with app.app_context():
        rows = {seq: data for seq, data in db.session.execute(
            sa.select(t.c.seq, t.c.data).where(t.c.document_id == document_id))}
        change(db.session, t, rows)
        db.session.commit()


def _swap(session, t, rows, document_id, a, b):  # type: ignore[no-untyped-def]
    for seq, other in ((a, b), (b, a)):
        session.execute(sa.update(t).where(t.c.document_id == document_id, t.c.seq == seq).values(data=rows[other]))


@pytest.mark.parametrize("attack", ["reorder", "truncate", "drop-middle", "move", "flip"])
def test_tampered_chunks_never_decrypt(app, counsellor_case, attack) -> None:  # type: ignore[no-untyped-def]
    from cases.documents.services import DocumentDamaged

    _, case, client = counsellor_case
    assert upload(client, case, pdf_bytes(3 * 64 * 1024), filename="a.pdf").status_code == 302
    assert upload(client, case, pdf_bytes(3 * 64 * 1024, b"OTHER-DOC"), filename="b.pdf").status_code == 302
    (a_id, a_uid, *_), (b_id, *_) = documents(app, case)
    assert stored_plaintext(app, a_id)

    def change(session, t, rows):  # type: ignore[no-untyped-def]
        where = sa.and_(t.c.document_id == a_id)
        if attack == "reorder":
            _swap(session, t, rows, a_id, 0, 1)
        elif attack == "truncate":    # the last chunk removed, and the count lowered to match
            session.execute(sa.delete(t).where(where, t.c.seq == 2))
            session.execute(sa.text("UPDATE case_documents SET chunk_count = 2 WHERE id = :id"), {"id": a_id})
        elif attack == "drop-middle":
            session.execute(sa.delete(t).where(where, t.c.seq == 1))
        elif attack == "move":        # the same position of another document of the same case (same key)
            other = session.execute(sa.select(t.c.data).where(t.c.document_id == b_id, t.c.seq == 1)).scalar_one()
            session.execute(sa.update(t).where(where, t.c.seq == 1).values(data=other))
        else:
            data = bytearray(rows[1])
            data[-20] ^= 1
            session.execute(sa.update(t).where(where, t.c.seq == 1).values(data=bytes(data)))

    _tamper(app, a_id, change)
    with pytest.raises(DocumentDamaged):
        stored_plaintext(app, a_id)
    r = client.get(f"/cases/{case.public_id}/documents/{a_uid}")
    assert r.status_code == 409 and "damaged" in r.get_data(as_text=True)
    assert MARKER not in r.get_data()


def test_delete_destroys_the_chunks_and_keeps_who_and_why(app, counsellor_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    _, case, client = counsellor_case
    r = upload(client, case, pdf_bytes(70 * 1024), filename="kimlik.pdf", kind="identity-document")
    assert r.status_code == 302
    [(doc_id, uid, *_)] = documents(app, case)
    from cases.documents.models import DocumentChunk

    with app.app_context():
        sealed = db.session.scalars(sa.select(DocumentChunk.data).where(DocumentChunk.document_id == doc_id)).all()
    windows = [chunk[100:132] for chunk in sealed]
    dump = _raw_dump(app, backend, db_url)
    assert all(w in dump or w.hex().encode() in dump for w in windows)

    url = f"/cases/{case.public_id}/documents/{uid}/delete"
    token = factories.csrf_token(client, url)
    assert client.post(url, data={"csrf_token": token, "reason": ""}).status_code == 422
    r = client.post(url, data={"csrf_token": token, "reason": "Yanlış dosyaya yüklendi"})
    assert r.status_code == 302
    assert client.get(f"/cases/{case.public_id}/documents/{uid}").status_code == 404
    listing = client.get(f"/cases/{case.public_id}/documents").get_data(as_text=True)
    assert "Yanlış dosyaya yüklendi" in listing and "kimlik.pdf" not in listing
    dump = _raw_dump(app, backend, db_url)
    assert not any(w in dump or w.hex().encode() in dump for w in windows)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentChunk)) == 0
        assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "document.delete")).all()


def test_erasing_the_case_makes_its_documents_unreadable(app, counsellor_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.documents.services import DocumentDamaged

    _, case, client = counsellor_case
    data = pdf_bytes(100 * 1024)
    assert upload(client, case, data).status_code == 302
    [(doc_id, *_)] = documents(app, case)
    assert stored_plaintext(app, doc_id) == data
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/44",
                                                "--yes"])
    assert result.exit_code == 0, result.output
    import crypto

    crypto.get_context()._by_id.clear()   # another process: nothing cached
    crypto.get_context()._by_owner.clear()
    with pytest.raises(DocumentDamaged):
        stored_plaintext(app, doc_id)
    dump = _raw_dump(app, backend, db_url)
    assert MARKER not in dump
    with app.app_context():
        from crypto.models import DataKey

        key = db.session.scalars(sa.select(DataKey).where(DataKey.owner_id == case.public_id)).one()
        assert key.wrapped is None and key.destroyed_at is not None


@pytest.mark.parametrize("role", ["coordinator", "auditor", "admin"])
def test_other_roles_never_reach_documents_and_are_audited(app, counsellor_case, make_user, role) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    _, case, client = counsellor_case
    assert upload(client, case, pdf_bytes(1000)).status_code == 302
    [(_, uid, *_)] = documents(app, case)
    other = app.test_client()
    factories.login_as(other, make_user(role))
    for url in (f"/cases/{case.public_id}/documents", f"/cases/{case.public_id}/documents/{uid}",
                f"/cases/{case.public_id}/documents/{uid}/delete"):
        r = other.get(url)
        assert r.status_code == 404 and MARKER not in r.get_data()
    with app.app_context():
        denied = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.outcome == "denied",
                                                                AuditEvent.actor_role == role)).all()
        assert len(denied) >= 3


def test_another_counsellor_and_another_case_get_404(app, counsellor_case, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, case, client = counsellor_case
    assert upload(client, case, pdf_bytes(1000)).status_code == 302
    [(_, uid, *_)] = documents(app, case)
    other_case = make_case(counsellor)
    assert client.get(f"/cases/{other_case.public_id}/documents/{uid}").status_code == 404
    assert client.get(f"/cases/{case.public_id}/documents/{uuid.uuid4()}").status_code == 404
    stranger = app.test_client()
    factories.login_as(stranger, make_user("counsellor"))
    assert stranger.get(f"/cases/{case.public_id}/documents/{uid}").status_code == 404
    supervisor = app.test_client()
    factories.login_as(supervisor, make_user("supervisor"))
    assert supervisor.get(f"/cases/{case.public_id}/documents/{uid}").get_data() == pdf_bytes(1000)


def test_documents_are_in_the_referral_preview_only_with_consent(app, counsellor_case) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_referrals import create_consent, create_referral

    _, case, client = counsellor_case
    r = upload(client, case, pdf_bytes(1000), filename="adli-tip-raporu.pdf", kind="medical-report")
    assert r.status_code == 302
    without = create_referral(client, case, consent=create_consent(client, case, data_classes=["identity"]),
                              data_classes=["identity"])
    html = client.get(f"/cases/{case.public_id}/referrals/{without}/preview").get_data(as_text=True)
    assert "adli-tip-raporu" not in html
    consent = create_consent(client, case, data_classes=["identity", "documents"])
    with_docs = create_referral(client, case, consent=consent, data_classes=["identity", "documents"])
    html = client.get(f"/cases/{case.public_id}/referrals/{with_docs}/preview").get_data(as_text=True)
    assert "adli-tip-raporu.pdf" in html and "Medical or forensic report" in html


def test_chunk_stream_primitives() -> None:
    """crypto.stream on its own: round trip at chunk boundaries, and an empty stream is one sealed empty chunk."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from crypto import stream
    from crypto.errors import DecryptionError

    aead, dek_id, uid = AESGCM(os.urandom(32)), os.urandom(16), uuid.uuid4()
    for size in (0, 1, 10, 16, 17, 32, 33):
        data = os.urandom(size)
        sealed = [s for _, s, _ in stream.seal_stream(io.BytesIO(data).read, aead, dek_id, uid,
                                                      lambda: os.urandom(12), chunk_size=16)]
        assert len(sealed) == max(1, -(-size // 16))
        assert b"".join(stream.open_stream(sealed, lambda _: aead, uid)) == data
        with pytest.raises(DecryptionError):
            list(stream.open_stream(sealed, lambda _: aead, uuid.uuid4()))
        with pytest.raises(DecryptionError):
            list(stream.open_stream(sealed[:-1], lambda _: aead, uid))
