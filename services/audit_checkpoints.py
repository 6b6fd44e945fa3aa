"""Signed checkpoints of the audit chain's head, published outside the database.

Rule kept: the chain as stored must agree with every checkpoint ever published. A checkpoint is
the head's sequence number and hash at a moment, signed with Ed25519 under
``UNIONAID_AUDIT_SIGNING_KEY``. The nightly ``audit-verify`` run signs one and publishes it as
its artifact and as a line of ``<data_dir>/audit/checkpoints.jsonl`` (copy that file off the
machine: a checkpoint kept only beside the database proves less). ``audit verify`` checks the
chain against each published checkpoint, so a chain recomputed even with the HMAC key (someone
with the application's secrets and write access) disagrees with the checkpoints signed before.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session

from models.audit import AuditEvent, AuditHead
from models.time import utcnow
from services.settings import get_settings

DOMAIN = b"unionaid-audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # ISO 8601, UTC
    signature: str  # base64 Ed25519 over DOMAIN, seq, hash and at

    def signed_bytes(self) -> bytes:
        return b"\n".join((DOMAIN, str(self.seq).encode(), self.hash.encode("ascii"), self.at.encode("ascii")))

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _private_key() -> Ed25519PrivateKey:
    secret = get_settings().audit_signing_key.get_secret_value().encode("utf-8")
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret).digest())


def public_key() -> Ed25519PublicKey:
    return _private_key().public_key()


def public_key_text() -> str:
    """The verifying key, base64 (raw 32 bytes): publish it with the checkpoints."""
    return base64.b64encode(public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def default_path() -> Path:
    return get_settings().data_dir / "audit" / "checkpoints.jsonl"


def sign_head(session: Session) -> Checkpoint:
    head = session.get(AuditHead, 1)
    seq, digest = (head.seq, head.hash) if head is not None else (0, "0" * 64)
    unsigned = Checkpoint(seq, digest, utcnow().isoformat(timespec="seconds"), "")
    signature = base64.b64encode(_private_key().sign(unsigned.signed_bytes())).decode("ascii")
    return Checkpoint(seq, digest, unsigned.at, signature)


def publish(checkpoint: Checkpoint, path: Path | None = None) -> Path:
    path = path or default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(checkpoint.line() + "\n")
    return path


def published(path: Path | None = None) -> list[Checkpoint]:
    path = path or default_path()
    if not path.is_file():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["signature"])))
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path.name} line {number} is not a checkpoint") from None
    return found


def disagreement(session: Session, checkpoints: list[Checkpoint]) -> tuple[int, str] | None:
    """The first checkpoint the stored chain disagrees with, as (sequence, what); None when the
    chain agrees with all of them. A checkpoint whose signature does not verify is itself named."""
    key = public_key()
    for checkpoint in checkpoints:
        try:
            key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_bytes())
        except (InvalidSignature, ValueError):
            return checkpoint.seq, f"the checkpoint of {checkpoint.at} is not signed by our key (forged or altered)"
        if checkpoint.seq == 0:
            continue
        event = session.get(AuditEvent, checkpoint.seq)
        if event is None:
            return checkpoint.seq, f"event {checkpoint.seq}, signed in the checkpoint of {checkpoint.at}, is missing"
        if event.hash != checkpoint.hash:
            return checkpoint.seq, (f"its hash is not the one signed in the checkpoint of {checkpoint.at} "
                                    "(the trail was rewritten and its chain recomputed)")
    return None
