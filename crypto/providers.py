"""KEK providers: where the key-encryption keys live, and how a process (re)loads them.

A provider hands the context a *ring*: KEK ids, each with an AEAD object offering ``encrypt(nonce, data, aad)`` and
``decrypt(nonce, data, aad)`` (AES-256-GCM, the same wrapped-key bytes whatever the provider). It can also create a
new KEK in its store (``keys rotate``), destroy one (``keys retire``) and load the ring again, which a running process
does once when it meets a KEK id it does not know (a rotation made by another process), then fails closed.

- :class:`FileKekProvider` (development default): the ``kek`` ring of the key file (or of ``DAYANISMA_KEYS``; a
  variable cannot be re-read, so processes started from one need a restart after a rotation).
- :class:`Pkcs11KekProvider`: each KEK is a non-extractable, sensitive AES-256 key inside a PKCS#11 token (an HSM;
  SoftHSM2 in the tests). Data keys are wrapped and unwrapped by the token with AES-GCM (``C_Encrypt``/``C_Decrypt``
  with the same nonce and associated data as the file provider): the KEK never enters this process's memory.
- A Vault/OpenBao transit provider would implement the same four methods (transit ``encrypt``/``decrypt`` with the
  associated data as ``context``; ``rotate`` for :meth:`create`). Not built: nothing here can run Vault for real.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag

from crypto.errors import DecryptionError, KeyFileError, KeysMissing, UnknownKey
from crypto.keys import KeyRing, add_kek, read_key_file, remove_kek, write_key_file


class Aead(Protocol):
    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...


class KekRing(Protocol):
    active_id: int

    @property
    def ids(self) -> list[int]: ...

    def aead(self, kek_id: int) -> Aead: ...

    def __contains__(self, kek_id: object) -> bool: ...


class KekProvider(Protocol):
    name: str

    def load(self) -> KekRing:
        """The ring as the store holds it now."""

    def create(self) -> int:
        """Create a new KEK in the store (not active: the database says which one is); its id."""

    def destroy(self, kek_id: int) -> None:
        """Remove a KEK from the store for good (callers check that nothing is wrapped with it)."""


class StaticKekProvider:
    """A ring that cannot change (keys from a variable, or tests): reloading gives the same ring back."""

    name = "static"

    def __init__(self, ring: KekRing) -> None:
        self.ring = ring

    def load(self) -> KekRing:
        return self.ring

    def create(self) -> int:
        raise KeyFileError("the keys came from an environment variable; update the secret store and restart instead")

    def destroy(self, kek_id: int) -> None:
        raise KeyFileError("the keys came from an environment variable; update the secret store and restart instead")


class FileKekProvider:
    """The ``kek`` ring of the key file, re-read from disk on every load (another process may have rotated)."""

    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"<FileKekProvider {self.path}>"

    def load(self) -> KekRing:
        material = read_key_file(self.path)
        if material.keyring is None:
            raise KeysMissing(f"the key file {self.path} holds no KEK ring")
        return material.keyring

    def create(self) -> int:
        # Read, change and write the file as it is now (not this process's copy), so nothing another process
        # added meanwhile is lost. The new KEK joins the file's ring; the database decides which one is active.
        material = read_key_file(self.path)
        new_id = add_kek(material)
        write_key_file(self.path, material)
        return new_id

    def destroy(self, kek_id: int) -> None:
        material = read_key_file(self.path)
        if material.keyring is not None and kek_id == material.keyring.active_id:
            # The file's own "active" only matters on a fresh database; point it at the newest other KEK.
            others = [k for k in material.keyring.ids if k != kek_id]
            if not others:
                raise UnknownKey("cannot remove the only KEK")
            material.keyring = KeyRing({k: material.keyring.key(k) for k in material.keyring.ids}, max(others))
        remove_kek(material, kek_id)
        write_key_file(self.path, material)


# --- PKCS#11 -----------------------------------------------------------------------------------------------------

DEFAULT_PKCS11_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_getpid = os.getpid


class _P11Names:
    """python-pkcs11's names used per operation, imported once (it is imported only when a token is used)."""

    def __init__(self) -> None:
        from pkcs11 import Attribute, Mechanism
        from pkcs11.exceptions import PKCS11Error
        from pkcs11.mechanisms import GCMParams

        self.Attribute = Attribute              # noqa: N815
        self.AES_GCM = Mechanism.AES_GCM        # noqa: N815 (python-pkcs11's name)
        self.GCMParams = GCMParams              # noqa: N815
        self.PKCS11Error = PKCS11Error          # noqa: N815


_P11: _P11Names | None = None


def _load_p11() -> _P11Names:
    global _P11
    _P11 = _P11Names()
    return _P11
KEK_LABEL_PREFIX = "dayanisma-kek-"
_WORK_LABEL_PREFIX = "dayanisma-kek-session-"


class _TokenAead:
    """AES-256-GCM by the token with one KEK; the key object never leaves it (it is non-extractable)."""

    __slots__ = ("kek_id", "provider")

    def __init__(self, provider: Pkcs11KekProvider, kek_id: int) -> None:
        self.provider = provider
        self.kek_id = kek_id

    def __repr__(self) -> str:
        return f"<TokenAead KEK {self.kek_id}>"

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        return self.provider._gcm("encrypt", self.kek_id, nonce, data, associated_data or b"")

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
        return self.provider._gcm("decrypt", self.kek_id, nonce, data, associated_data or b"")


class TokenKeyRing:
    """KEK ids found in the token. ``active_id`` (the newest) only counts on a database with no active KEK yet."""

    def __init__(self, provider: Pkcs11KekProvider, ids: list[int]) -> None:
        if not ids:
            raise KeysMissing("the PKCS#11 token holds no Dayanışma KEK; create one with "
                              "`python -m crypto.providers init-pkcs11`")
        self._aeads = {k: _TokenAead(provider, k) for k in ids}
        self.active_id = max(ids)

    @property
    def ids(self) -> list[int]:
        return sorted(self._aeads)

    def aead(self, kek_id: int) -> Aead:
        try:
            return self._aeads[kek_id]
        except KeyError:
            raise UnknownKey(f"KEK {kek_id} is not in the ring") from None

    def key(self, kek_id: int) -> bytes:
        # SECURITY: there are no key bytes to give; the KEK stays in the token.
        raise UnknownKey(f"KEK {kek_id} lives in a PKCS#11 token and cannot be read")

    def __contains__(self, kek_id: object) -> bool:
        return kek_id in self._aeads

    def __repr__(self) -> str:
        return f"<TokenKeyRing active={self.active_id} ids={self.ids}>"


class Pkcs11KekProvider:
    """KEKs as AES keys labelled ``dayanisma-kek-<id>`` in one token, used through one session per process.

    The session is opened lazily, reopened after a fork (a PKCS#11 library must be initialised again in a child),
    and guarded by a lock (a session may not run two operations at once). The PIN is kept only on this object,
    never in its repr or any message.
    """

    name = "pkcs11"

    def __init__(self, module: str, token_label: str, pin: str, *, create_first: bool = False) -> None:
        if not pin:
            raise KeysMissing("the PKCS#11 provider needs the token PIN (DAYANISMA_PKCS11_PIN)")
        self.module = module
        self.token_label = token_label
        self.__pin = pin
        self.create_first = create_first
        self._lock = threading.RLock()
        self._pid: int | None = None
        self._lib: Any = None
        self._session: Any = None
        self._keys: dict[int, Any] = {}     # KEK id -> the token object (found by label)
        self._work: dict[int, Any] = {}     # KEK id -> this session's working copy of it (see _working_key)

    def __repr__(self) -> str:
        return f"<Pkcs11KekProvider token={self.token_label!r}>"

    def session_args(self) -> tuple[str, str, str]:
        """(module, token label, PIN): what a worker process of a parallel rotation needs to open its own session
        (``crypto.operations.rotate_keks``; handed over a pipe, never an environment or command line)."""
        return (self.module, self.token_label, self.__pin)

    # --- session ---------------------------------------------------------------------------------------------

    def _open(self) -> Any:
        """The session of this process (caller holds the lock)."""
        if self._session is not None and self._pid == os.getpid():
            return self._session
        import pkcs11
        from pkcs11 import exceptions as p11e

        try:
            if self._lib is None:
                self._lib = pkcs11.lib(self.module)
            elif self._pid is not None and self._pid != os.getpid():
                self._lib.reinitialize()        # a forked child: the parent's sessions are not ours
            token = self._lib.get_token(token_label=self.token_label)
            try:
                self._session = token.open(user_pin=self.__pin, rw=True)
            except p11e.UserAlreadyLoggedIn:
                # The login belongs to the process (the PKCS#11 application), not the session: another provider
                # object here logged in already, and this session shares it.
                self._session = token.open(rw=True)
        except p11e.PKCS11Error as exc:
            self._session = None
            # SECURITY: the exception's name only (PinIncorrect, NoSuchToken…): nothing of the PIN.
            raise KeysMissing(f"cannot open the PKCS#11 token {self.token_label!r}: {type(exc).__name__}",
                              token_error=type(exc).__name__) from None
        self._pid = os.getpid()
        self._keys = {}
        self._work = {}
        return self._session

    def _find(self) -> dict[int, Any]:
        from pkcs11 import Attribute, KeyType, ObjectClass

        session = self._open()
        found: dict[int, Any] = {}
        # Token objects only: this session's working copies (session objects) are not KEKs to list or destroy.
        for obj in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES,
                                        Attribute.TOKEN: True}):
            label = obj.label or ""
            if label.startswith(KEK_LABEL_PREFIX) and label[len(KEK_LABEL_PREFIX):].isdigit():
                found[int(label[len(KEK_LABEL_PREFIX):])] = obj
        self._keys = found
        # A KEK destroyed meanwhile (`keys retire` in another process) loses its working copy here as well.
        for kek_id in [k for k in self._work if k not in found]:
            self._drop_work(kek_id)
        return found

    def _working_key(self, kek_id: int) -> Any:
        """The key object this session operates with for ``kek_id`` (caller holds the lock).

        A session-object copy of the token's KEK (``C_CopyObject`` with ``CKA_TOKEN`` false), made once per session:
        the copy keeps the original's ``CKA_SENSITIVE``/``CKA_EXTRACTABLE`` (PKCS#11 lets a copy tighten them, never
        loosen them), so it too never leaves the token; it lives until the session closes (process exit) or this
        provider destroys it. SoftHSM2 re-reads a token object's file from disk at every operation (a generation
        check, an open/lock/read of the object file: 19 system calls); a session object is in memory (≈ 30 %
        faster per wrap or unwrap here). A token that refuses the copy (``CKA_COPYABLE`` false) is used directly."""
        p11 = _P11 or _load_p11()
        key = self._keys.get(kek_id)
        if key is None:
            key = self._find().get(kek_id)
            if key is None:
                raise UnknownKey(f"KEK {kek_id} is not in the token")
        try:
            work = key.copy({p11.Attribute.TOKEN: False, p11.Attribute.LABEL: f"{_WORK_LABEL_PREFIX}{kek_id}"})
        except p11.PKCS11Error:
            work = key
        self._work[kek_id] = work
        return work

    def _drop_work(self, kek_id: int) -> None:
        work = self._work.pop(kek_id, None)
        if work is not None and work is not self._keys.get(kek_id):
            p11 = _P11 or _load_p11()
            try:
                work.destroy()
            except p11.PKCS11Error:
                pass        # the session is gone already: so is its copy

    def _gcm(self, op: str, kek_id: int, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        # The rotation's hot path (two calls per data key): no imports or helper calls once the session is open.
        p11 = _P11 or _load_p11()
        with self._lock:
            if self._session is None or self._pid != _getpid():
                self._open()
            key = self._work.get(kek_id)
            if key is None:
                key = self._working_key(kek_id)
            params = p11.GCMParams(nonce, aad, 128)
            try:
                if op == "encrypt":
                    return bytes(key.encrypt(data, mechanism=p11.AES_GCM, mechanism_param=params))
                return bytes(key.decrypt(data, mechanism=p11.AES_GCM, mechanism_param=params))
            except p11.PKCS11Error:
                if op == "decrypt":
                    # The token reports a failed tag as a general error: treat it as cryptography does.
                    raise InvalidTag() from None
                raise DecryptionError(f"the token refused to wrap with KEK {kek_id}") from None

    # --- provider --------------------------------------------------------------------------------------------

    def load(self) -> KekRing:
        with self._lock:
            ids = sorted(self._find())
            if not ids and self.create_first:
                self._generate(1)
                ids = [1]
            return TokenKeyRing(self, ids)

    def create(self) -> int:
        with self._lock:
            new_id = max(self._find(), default=0) + 1
            self._generate(new_id)
            return new_id

    def _generate(self, kek_id: int) -> None:
        from pkcs11 import Attribute, KeyType

        session = self._open()
        # SECURITY: non-extractable and sensitive: the token never releases the key value, wrapped or in clear.
        session.generate_key(KeyType.AES, 256, label=f"{KEK_LABEL_PREFIX}{kek_id}", id=kek_id.to_bytes(4, "big"),
                             store=True, template={Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True,
                                                   Attribute.ENCRYPT: True, Attribute.DECRYPT: True,
                                                   Attribute.TOKEN: True, Attribute.PRIVATE: True})
        self._keys = {}

    def destroy(self, kek_id: int) -> None:
        with self._lock:
            key = self._find().get(kek_id)
            if key is None:
                raise UnknownKey(f"KEK {kek_id} is not in the token")
            self._drop_work(kek_id)
            key.destroy()
            self._keys = {}


def pkcs11_from_environment(*, create_first: bool = False, environ: Any = None) -> Pkcs11KekProvider:
    """The PKCS#11 provider configured by DAYANISMA_PKCS11_MODULE, _TOKEN and _PIN (the PIN is removed from the
    environment once read, so child processes and crash reports never see it)."""
    env = os.environ if environ is None else environ
    pin = env.pop("DAYANISMA_PKCS11_PIN", None) or ""
    return Pkcs11KekProvider(env.get("DAYANISMA_PKCS11_MODULE") or DEFAULT_PKCS11_MODULE,
                             env.get("DAYANISMA_PKCS11_TOKEN") or "dayanisma", pin, create_first=create_first)


def _main(argv: list[str]) -> int:
    """``python -m crypto.providers init-pkcs11``: create KEK 1 in an empty token (production bootstrap)."""
    if argv != ["init-pkcs11"]:
        print("usage: python -m crypto.providers init-pkcs11   (DAYANISMA_PKCS11_MODULE, _TOKEN, _PIN)")
        return 2
    provider = pkcs11_from_environment()
    with provider._lock:
        existing = sorted(provider._find())
    if existing:
        print(f"the token already holds KEKs {existing}; nothing done")
        return 1
    print(f"created KEK {provider.create()} in the token (non-extractable)")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
