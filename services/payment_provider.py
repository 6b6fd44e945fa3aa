"""The payment provider adapter: bank transfers keyed by OUR reference, as Chinese transfer APIs do.

Rules kept:
- A transfer is keyed by our reference (like WeChat's ``out_bill_no``): sending the identical
  request again never pays twice, so after an unknown outcome the safe moves are "query by
  reference" or "resend the identical request". Only a definite failure (status ``failed``, or a
  ``PermanentError``) allows a new reference.
- Amounts cross this boundary as integer fen; the statement's yuan text is converted with
  ``Decimal``, never ``float``.
- No error message carries the payee's name or full bank account, only the masked card.
- No retries in here: retrying is the calling task's decision (Prefect ``retries`` with a
  ``retry_condition_fn`` on ``RetryableError``).

Errors (translated in one place, ``services.http_signing.exchange``)::

    ExternalServiceError
    ├── RetryableError   nothing happened: connect error/timeout, 408, 429; for query and
    │                    statement also read timeouts, dropped connections and 5xx
    ├── PermanentError   refused: 3xx, 400, 401 (signature, clock, replay), 403, 409 (reference
    │                    reused with other details), 422; unreadable query/statement body
    └── OutcomeUnknown   create only: read timeout, dropped connection, 5xx, unreadable body
                         -> query_transfer(reference) before anything else

The HTTP contract is in ``docs/payment-provider-contract.md``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol, cast
from urllib.parse import quote

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, StrictInt

from models.errors import InputError
from models.identifiers import mask_bank_card, normalize_bank_card
from models.money import FEN_PER_YUAN, fen_to_yuan
from services.http_signing import (
    MERCHANT_HEADER,
    Call,
    SignedHttpService,
    build_client,
    exchange,
    new_nonce,
    require_https_in_production,
)
from services.settings import Settings

TransferStatus = Literal["succeeded", "failed", "processing"]
STATEMENT_COLUMNS = ("reference", "provider_id", "status", "time", "amount_yuan", "payee_masked")
SERVICE = "payment provider"

_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YUAN = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class Transfer:
    """What the provider holds for one of our references."""

    reference: str
    provider_id: str
    status: TransferStatus
    amount_fen: int
    failure_reason: str | None
    completed_at: datetime | None

    @property
    def is_final(self) -> bool:
        """``succeeded`` and ``failed`` never change again; ``processing`` must be queried later."""
        return self.status != "processing"


@dataclass(frozen=True)
class StatementLine:
    """One row of the provider's statement (对账单), amount converted to fen."""

    reference: str
    provider_id: str
    status: TransferStatus
    time: datetime
    amount_fen: int
    payee_masked: str


class PaymentProvider(Protocol):
    """What the casework engine needs from a payment provider."""

    def create_transfer(
        self, reference: str, payee_name: str, bank_account: str, amount_fen: int, remark: str
    ) -> Transfer: ...

    def query_transfer(self, reference: str) -> Transfer | None: ...

    def download_statement(self, day: date | None = None, month: str | None = None) -> str: ...


class _TransferBody(BaseModel):
    """The shape a transfer must have on the wire; anything else is not understood."""

    model_config = ConfigDict(extra="ignore", strict=True)

    reference: str
    provider_id: str
    status: TransferStatus
    amount_fen: StrictInt
    failure_reason: str | None = None
    completed_at: AwareDatetime | None = None


class HttpPaymentProvider(SignedHttpService):
    """``PaymentProvider`` over the signed HTTP contract. The client is injected: it is the test seam."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        merchant_id: str,
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce_factory: Callable[[], str] = new_nonce,
    ) -> None:
        super().__init__(client, base_url, secret, clock=clock, nonce_factory=nonce_factory)
        self._merchant_id = merchant_id

    def create_transfer(
        self, reference: str, payee_name: str, bank_account: str, amount_fen: int, remark: str
    ) -> Transfer:
        """Ask for a transfer; a repeat with the same reference returns the first one, never a second."""
        _check_reference(reference)
        account = normalize_bank_card(bank_account, field="bank_account")
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise InputError("amount_fen", "must be a positive whole number of fen")
        if not payee_name.strip() or len(payee_name) > 64:
            raise InputError("payee_name", "is required and at most 64 characters")
        if len(remark) > 100:
            raise InputError("remark", "must be at most 100 characters")
        body = {
            "reference": reference,
            "payee_name": payee_name,
            "bank_account": account,
            "amount_fen": amount_fen,
            "remark": remark,
        }
        call = Call(
            SERVICE,
            f"create transfer {reference} ({yuan_text(amount_fen)} yuan to {mask_bank_card(account)})",
            moves_money=True,
        )
        request = self._request("POST", "/v1/transfers", body)
        transfer = exchange(self._client, request, call, _transfer_parser(reference, amount_fen))
        assert transfer is not None  # only an absent_code can make exchange return None
        return transfer

    def query_transfer(self, reference: str) -> Transfer | None:
        """The provider's current view of our reference; None if it has never seen it."""
        _check_reference(reference)
        call = Call(SERVICE, f"query transfer {reference}", moves_money=False)
        request = self._request("GET", f"/v1/transfers/{quote(reference, safe='')}")
        return exchange(
            self._client, request, call, _transfer_parser(reference, None), absent_code="transfer_not_found"
        )

    def download_statement(self, day: date | None = None, month: str | None = None) -> str:
        """The statement CSV for one Asia/Shanghai day or one month (``"2026-03"``); give exactly one."""
        if (day is None) == (month is None):
            raise InputError("statement", "give exactly one of day or month")
        if month is not None and not _MONTH.match(month):
            raise InputError("month", "must look like 2026-03")
        params = {"day": day.isoformat()} if day is not None else {"month": str(month)}
        period = params.get("day") or params["month"]
        call = Call(SERVICE, f"download statement {period}", moves_money=False)
        request = self._request("GET", "/v1/statements", params=params)
        text = exchange(self._client, request, call, _statement_text, not_ready_code="statement_not_ready")
        assert text is not None  # only an absent_code can make exchange return None
        return text

    def _request(
        self, method: str, path: str, body: dict[str, object] | None = None, params: dict[str, str] | None = None
    ) -> httpx.Request:
        content = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {MERCHANT_HEADER: self._merchant_id, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = self._client.build_request(
            method, self._base_url + path, params=params, content=content, headers=headers
        )
        return self._signed(request)


def from_settings(settings: Settings, client: httpx.Client | None = None) -> HttpPaymentProvider:
    """The production adapter: explicit timeouts, TLS verified, no redirects, https in production."""
    base_url = require_https_in_production(settings.payment_url, "UNIONAID_PAYMENT_URL", settings.environment)
    return HttpPaymentProvider(
        client or build_client(),
        base_url,
        settings.payment_merchant_id,
        settings.payment_secret.get_secret_value(),
    )


# --- money text ------------------------------------------------------------------------------


def yuan_text(amount_fen: int) -> str:
    """``12345`` -> ``"123.45"``: the statement's way of writing fen, exact via Decimal."""
    return str(fen_to_yuan(amount_fen))


def fen_from_yuan_text(text: str) -> int:
    """``"123.45"`` -> ``12345``. Stricter than ``models.money.parse_yuan`` on purpose: a
    statement is machine-written, so anything but a plain amount with at most two decimals
    (no sign, separators or currency marks) means we are misreading the file."""
    cleaned = text.strip()
    if not _YUAN.match(cleaned):
        raise ValueError("amount_yuan must be a plain amount with at most two decimals")
    return int(Decimal(cleaned) * FEN_PER_YUAN)


def parse_statement(text: str) -> list[StatementLine]:
    """Rows of a statement CSV; a bad file raises ``InputError`` naming the row and the column."""
    try:
        return _statement_lines(text)
    except _BadRow as exc:
        raise InputError(exc.column, exc.problem, row=exc.row) from None


# --- parsing the wire ------------------------------------------------------------------------


def _check_reference(reference: str) -> None:
    if not _REFERENCE.match(reference or ""):
        raise InputError("reference", "must be 1 to 64 letters, digits, '-' or '_'")


def _transfer_parser(reference: str, amount_fen: int | None) -> Callable[[httpx.Response], Transfer]:
    """A transfer body must be about the reference (and, on create, the amount) we asked for."""

    def parse(response: httpx.Response) -> Transfer:
        body = _TransferBody.model_validate_json(response.content)
        if body.reference != reference:
            raise ValueError("answer is about another reference")
        if amount_fen is not None and body.amount_fen != amount_fen:
            raise ValueError("answer carries another amount")
        return Transfer(
            reference=body.reference,
            provider_id=body.provider_id,
            status=body.status,
            amount_fen=body.amount_fen,
            failure_reason=body.failure_reason,
            completed_at=body.completed_at,
        )

    return parse


def _statement_text(response: httpx.Response) -> str:
    if not response.headers.get("content-type", "").startswith("text/csv"):
        raise ValueError("statement is not text/csv")
    text = response.text
    try:
        _statement_lines(text)
    except _BadRow as exc:
        raise ValueError(str(exc)) from None
    return text


class _BadRow(ValueError):
    def __init__(self, row: int, column: str, problem: str) -> None:
        self.row, self.column, self.problem = row, column, problem
        super().__init__(f"row {row}: {column}: {problem}")


def _statement_lines(text: str) -> list[StatementLine]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise _BadRow(1, "file", "is not valid CSV") from None
    if not rows or tuple(rows[0]) != STATEMENT_COLUMNS:
        raise _BadRow(1, "header", "must be " + ",".join(STATEMENT_COLUMNS))
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(STATEMENT_COLUMNS):
            raise _BadRow(number, "row", f"must have {len(STATEMENT_COLUMNS)} columns")
        reference, provider_id, status, when, amount, payee_masked = row
        if status not in ("succeeded", "failed", "processing"):
            raise _BadRow(number, "status", "must be succeeded, failed or processing")
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            raise _BadRow(number, "time", "must be an ISO 8601 time with offset") from None
        if moment.tzinfo is None:
            raise _BadRow(number, "time", "must carry a UTC offset")
        try:
            amount_fen = fen_from_yuan_text(amount)
        except ValueError as exc:
            raise _BadRow(number, "amount_yuan", str(exc)) from None
        lines.append(
            StatementLine(reference, provider_id, cast(TransferStatus, status), moment, amount_fen, payee_masked)
        )
    return lines
