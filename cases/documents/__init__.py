"""Documents on a case (court decisions, medical and forensic reports, police records, identity papers, photos):
upload, list, download, delete with a reason.

Invariants kept here: the bytes are stored only as 64 KiB AES-256-GCM chunks under the case's data key, bound to the
document's uid, their position and the last-chunk flag (``crypto.stream``), so erasing the case (its key) or the
document (its chunks) leaves nothing readable; photos lose their EXIF/XMP/comments before encryption; the type comes
from the bytes; downloads are attachments with a sandboxing CSP; every upload, download and delete is audited.
"""
