"""Payment sandbox: a real HTTP server that behaves like a Chinese transfer API, faults on demand.

Rules kept (the contract: ``docs/payment-provider-contract.md``):
- Every ``/v1`` request is signed. An unknown merchant, a bad signature, a timestamp more than
  300 s off or a nonce already seen gets 401 and nothing is done.
- A transfer is keyed by the merchant's reference: a repeat returns the stored transfer (same
  provider id), a repeat with another amount, payee name or account gets 409. The UNIQUE
  constraint on ``reference`` means there is never a second transfer, even under a race.
- A payee account listed in ``fail_payee_accounts`` gets a definite failure, stored like any
  transfer (a repeat returns the same failure).
- Statements are CSV per Asia/Shanghai day or month, amounts in yuan.

Faults (:class:`Faults`) are drawn once per ``/v1`` request from one seeded RNG; the shares
partition [0, 1), so at most one fault hits a request. 429 and 5xx happen before anything is
stored and hit every endpoint; the two after-commit faults hit only ``POST /v1/transfers``.
Admin endpoints under ``/sandbox/`` and ``GET /health`` are unsigned and not part of the contract.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from stdnum import luhn

from models.identifiers import mask_bank_card
from sandbox import check_signature, refuse
from services.http_signing import MERCHANT_HEADER, REPLAY_WINDOW_S
from services.payment_provider import STATEMENT_COLUMNS, yuan_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAILURE_REASON = "payee account rejected by the receiving bank"
Fault = Literal["429", "5xx", "timeout_after_commit", "lost_response"]

metadata = MetaData()
transfers = Table(
    "transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(64), nullable=False, unique=True),  # the idempotency key
    Column("provider_id", String(40), nullable=False, unique=True),
    Column("payee_name", String(64), nullable=False),
    # Never the full card number: a digest to tell a repeat from a conflict, and the masked form.
    Column("account_digest", String(64), nullable=False),
    Column("account_masked", String(19), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("remark", String(100), nullable=False),
    Column("final_status", String(12), nullable=False),  # what "processing" turns into
    Column("failure_reason", String(200)),
    Column("created_at", Float, nullable=False, index=True),
    Column("settles_at", Float, nullable=False),
)
# Every authentic create request and what became of it ("created", "repeat", "conflict",
# "fault_429", "fault_5xx", "created+lost_response", ...): many attempts, one transfer.
create_requests = Table(
    "create_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(64), nullable=False, index=True),
    Column("outcome", String(24), nullable=False),
    Column("at", Float, nullable=False),
)
nonces = Table(
    "nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", Float, nullable=False, index=True),
)


class Faults(BaseModel):
    """Fault-injection knobs, set per run (``POST /sandbox/faults``) or at construction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(0, ge=0, le=60_000)
    share_429: float = Field(0.0, ge=0, le=1)
    share_5xx: float = Field(0.0, ge=0, le=1)  # 503 before anything is stored
    share_timeout_after_commit: float = Field(0.0, ge=0, le=1)  # store, then hang for hang_ms
    share_lost_response: float = Field(0.0, ge=0, le=1)  # store, then cut the connection
    hang_ms: int = Field(15_000, ge=0, le=600_000)  # default outlasts the adapter's 10 s read timeout
    fail_payee_accounts: tuple[str, ...] = ()
    settle_after_ms: int = Field(0, ge=0)  # how long a new transfer stays "processing"
    statement_ready_after_days: int = Field(0, ge=0, le=31)  # 0: any period, even unfinished
    seed: int | None = None

    @model_validator(mode="after")
    def _shares_partition_one(self) -> Faults:
        total = self.share_429 + self.share_5xx + self.share_timeout_after_commit + self.share_lost_response
        if total > 1.0 + 1e-9:
            raise ValueError("the four share_* knobs must add up to at most 1")
        return self

    def draw(self, rng: random.Random) -> Fault | None:
        """One draw decides this request's fault, if any."""
        shares: list[tuple[Fault, float]] = [
            ("429", self.share_429),
            ("5xx", self.share_5xx),
            ("timeout_after_commit", self.share_timeout_after_commit),
            ("lost_response", self.share_lost_response),
        ]
        point = rng.random()
        for fault, share in shares:
            if point < share:
                return fault
            point -= share
        return None


class TransferRequest(BaseModel):
    """The create body, checked the way a provider would (field names only in refusals)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reference: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    payee_name: str = Field(min_length=1, max_length=64)
    bank_account: str = Field(pattern=r"^\d{12,19}$")
    amount_fen: StrictInt = Field(gt=0, le=100_000_000)
    remark: str = Field("", max_length=100)


class PaymentSandbox:
    """The sandbox's state: its SQLite store, its credentials, the current faults and their RNG."""

    def __init__(
        self, engine: Engine, merchant_id: str, secret: str, faults: Faults, clock: Callable[[], float]
    ) -> None:
        self.engine = engine
        self.merchant_id = merchant_id
        self.secret = secret
        self.clock = clock
        self.initial_faults = faults
        self.set_faults(faults)

    def set_faults(self, faults: Faults) -> None:
        self.faults: Faults = faults
        self.rng = random.Random(faults.seed)

    # --- store -----------------------------------------------------------------------------

    def nonce_seen(self, nonce: str, now: float) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * REPLAY_WINDOW_S))
                conn.execute(insert(nonces).values(nonce=nonce, seen_at=now))
        except IntegrityError:
            return True
        return False

    def _digest(self, account: str) -> str:
        """Keyed with the merchant secret: the stored digest cannot be turned back into the card."""
        return hmac.new(self.secret.encode("utf-8"), account.encode("utf-8"), hashlib.sha256).hexdigest()

    def find(self, reference: str) -> Row[Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(select(transfers).where(transfers.c.reference == reference)).first()

    def create_or_get(self, wanted: TransferRequest, now: float) -> tuple[Row[Any], str]:
        """Store a new transfer, or return the stored one: outcome created, repeat or conflict."""
        outcome = "repeat"
        if self.find(wanted.reference) is None:
            failed = wanted.bank_account in self.faults.fail_payee_accounts
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(transfers).values(
                            reference=wanted.reference,
                            provider_id="sbx" + uuid.uuid4().hex[:24],
                            payee_name=wanted.payee_name,
                            account_digest=self._digest(wanted.bank_account),
                            account_masked=mask_bank_card(wanted.bank_account),
                            amount_fen=wanted.amount_fen,
                            remark=wanted.remark,
                            final_status="failed" if failed else "succeeded",
                            failure_reason=FAILURE_REASON if failed else None,
                            created_at=now,
                            settles_at=now + self.faults.settle_after_ms / 1000,
                        )
                    )
                outcome = "created"
            except IntegrityError:  # the same reference won a race: treat as a repeat
                pass
        row = self.find(wanted.reference)
        assert row is not None  # stored just now or earlier; transfers are never deleted but by reset
        stored = (row.amount_fen, row.payee_name, row.account_digest)
        if outcome == "repeat" and stored != (wanted.amount_fen, wanted.payee_name, self._digest(wanted.bank_account)):
            outcome = "conflict"
        return row, outcome

    def record_create_request(self, reference: str, outcome: str, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(create_requests).values(reference=reference, outcome=outcome, at=now))

    def transfers_between(self, start: float, end: float) -> list[Row[Any]]:
        query = (
            select(transfers)
            .where(transfers.c.created_at >= start, transfers.c.created_at < end)
            .order_by(transfers.c.created_at, transfers.c.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def all_transfers(self) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(transfers).order_by(transfers.c.id)))

    def counts(self, reference: str | None = None) -> dict[str, Any]:
        """Transfers and create attempts per reference: the proof that retries never paid twice."""
        with self.engine.connect() as conn:
            stored = list(conn.execute(select(transfers.c.reference)))
            attempts = list(conn.execute(select(create_requests.c.reference, create_requests.c.outcome)))
        by_reference: dict[str, dict[str, Any]] = {}

        def entry(ref: str) -> dict[str, Any]:
            return by_reference.setdefault(ref, {"transfers": 0, "create_requests": 0, "outcomes": []})

        for row in stored:
            entry(row.reference)["transfers"] += 1
        for attempt in attempts:
            entry(attempt.reference)["create_requests"] += 1
            entry(attempt.reference)["outcomes"].append(attempt.outcome)
        if reference is not None:
            by_reference = {reference: entry(reference)}
        return {
            "transfers": sum(e["transfers"] for e in by_reference.values()),
            "create_requests": sum(e["create_requests"] for e in by_reference.values()),
            "by_reference": by_reference,
        }

    def create_request_log(self, reference: str | None = None) -> list[dict[str, Any]]:
        """Every create request in the order it arrived: which reference, what came of it
        (``created``, ``repeat``, ``conflict`` or ``fault_<kind>``, with ``+<fault>`` for a fault
        after the commit) and when."""
        query = select(create_requests).order_by(create_requests.c.id)
        if reference is not None:
            query = query.where(create_requests.c.reference == reference)
        with self.engine.connect() as conn:
            return [{"seq": row.id, "reference": row.reference, "outcome": row.outcome, "at": _iso(row.at)}
                    for row in conn.execute(query)]

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in (transfers, create_requests, nonces):
                conn.execute(delete(table))
        self.set_faults(self.initial_faults)


# --- wire format ---------------------------------------------------------------------------------


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, SHANGHAI).isoformat(timespec="milliseconds")


def transfer_json(row: Row[Any], now: float) -> dict[str, Any]:
    """A transfer as the contract shows it; it reads "processing" until it settles."""
    settled = now >= row.settles_at
    return {
        "reference": row.reference,
        "provider_id": row.provider_id,
        "status": row.final_status if settled else "processing",
        "amount_fen": row.amount_fen,
        "failure_reason": row.failure_reason if settled else None,
        "created_at": _iso(row.created_at),
        "completed_at": _iso(row.settles_at) if settled else None,
        "payee_masked": row.account_masked,
    }


def statement_csv(rows: list[Row[Any]], now: float) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for row in rows:
        shown = transfer_json(row, now)
        writer.writerow(
            [
                row.reference,
                row.provider_id,
                shown["status"],
                shown["created_at"],
                yuan_text(row.amount_fen),
                shown["payee_masked"],
            ]
        )
    return out.getvalue()


class DroppedResponse(Response):
    """Starts a 200 with a body length, then returns without the body: the server closes the
    connection mid-response, and the client cannot know whether the transfer happened."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"256")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})


async def hang_until_client_leaves(request: Request, seconds: float) -> None:
    """Wait like a slow provider; stop early once the client has given up (keeps tests fast)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(0.02, max(deadline - loop.time(), 0)))


def statement_period(params: Mapping[str, str], today: date, ready_after_days: int) -> tuple[date, date] | Response:
    """``?day=YYYY-MM-DD`` or ``?month=YYYY-MM`` -> [first day, day after last), or the refusal."""
    if ("day" in params) == ("month" in params):
        return refuse(400, "invalid_request", "give exactly one of day or month")
    try:
        if "day" in params:
            first = date.fromisoformat(params["day"])
            after = first + timedelta(days=1)
        else:
            first = date.fromisoformat(params["month"] + "-01")
            after = (first + timedelta(days=32)).replace(day=1)
    except ValueError:
        return refuse(400, "invalid_request", "day must be YYYY-MM-DD, month YYYY-MM")
    if first > today:
        return refuse(400, "invalid_request", "the period has not started")
    if ready_after_days and today < after - timedelta(days=1) + timedelta(days=ready_after_days):
        return refuse(
            404, "statement_not_ready", f"statements are published {ready_after_days} day(s) after the period"
        )
    return first, after


def _shanghai_midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp()


# --- endpoints ---------------------------------------------------------------------------------


def create_app(
    db_path: str | Path = ":memory:",
    *,
    merchant_id: str,
    secret: str,
    faults: Faults | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The payment sandbox as an ASGI app; ``db_path`` ``":memory:"`` keeps nothing after exit."""
    sandbox = PaymentSandbox(_open_store(db_path), merchant_id, secret, faults or Faults(), clock)

    async def enter_api(request: Request) -> Response | None:
        """Latency, then who is calling and whether the request is authentic and fresh."""
        if sandbox.faults.latency_ms:
            await asyncio.sleep(sandbox.faults.latency_ms / 1000)
        if request.headers.get(MERCHANT_HEADER) != sandbox.merchant_id:
            return refuse(401, "unknown_merchant", "X-Merchant-Id is missing or unknown")
        return await check_signature(request, sandbox.secret, sandbox.clock(), sandbox.nonce_seen)

    def early_fault(fault: Fault | None) -> Response | None:
        if fault == "429":
            return refuse(429, "rate_limited", "too many requests; nothing was done", {"Retry-After": "1"})
        if fault == "5xx":
            return refuse(503, "unavailable", "temporarily unavailable")
        return None

    async def create_transfer(request: Request) -> Response:
        if (refusal := await enter_api(request)) is not None:
            return refusal
        try:
            wanted = TransferRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors()})
            return refuse(400, "invalid_request", "invalid fields: " + ", ".join(fields))
        if not luhn.is_valid(wanted.bank_account):
            return refuse(422, "invalid_account", "the payee bank account fails the Luhn check")
        now = sandbox.clock()
        fault = sandbox.faults.draw(sandbox.rng)
        if (early := early_fault(fault)) is not None:
            sandbox.record_create_request(wanted.reference, f"fault_{fault}", now)
            return early
        row, outcome = sandbox.create_or_get(wanted, now)
        after_commit = f"+{fault}" if fault and outcome != "conflict" else ""
        sandbox.record_create_request(wanted.reference, outcome + after_commit, now)
        if outcome == "conflict":
            return refuse(409, "reference_conflict", "this reference was already used with another amount or payee")
        answer = JSONResponse(transfer_json(row, now), status_code=201 if outcome == "created" else 200)
        if fault == "timeout_after_commit":
            await hang_until_client_leaves(request, sandbox.faults.hang_ms / 1000)
        if fault == "lost_response":
            return DroppedResponse()
        return answer

    async def query_transfer(request: Request) -> Response:
        if (refusal := await enter_api(request)) is not None:
            return refusal
        if (early := early_fault(sandbox.faults.draw(sandbox.rng))) is not None:
            return early
        row = sandbox.find(request.path_params["reference"])
        if row is None:
            return refuse(404, "transfer_not_found", "no transfer with this reference")
        return JSONResponse(transfer_json(row, sandbox.clock()))

    async def statement(request: Request) -> Response:
        if (refusal := await enter_api(request)) is not None:
            return refusal
        if (early := early_fault(sandbox.faults.draw(sandbox.rng))) is not None:
            return early
        now = sandbox.clock()
        today = datetime.fromtimestamp(now, SHANGHAI).date()
        period = statement_period(request.query_params, today, sandbox.faults.statement_ready_after_days)
        if isinstance(period, Response):
            return period
        rows = sandbox.transfers_between(_shanghai_midnight(period[0]), _shanghai_midnight(period[1]))
        name = request.query_params.get("day") or request.query_params["month"]
        return Response(
            statement_csv(rows, now),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="statement-{name}.csv"'},
        )

    # --- admin (unsigned, sandbox only) ---

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def get_faults(request: Request) -> Response:
        return JSONResponse(sandbox.faults.model_dump())

    async def set_faults(request: Request) -> Response:
        """Knobs given in the body replace the current ones; the RNG restarts from ``seed``."""
        try:
            changes = await request.json()
        except ValueError:
            changes = None
        if not isinstance(changes, dict):
            return refuse(400, "invalid_faults", "the body must be a JSON object of knobs")
        try:
            sandbox.set_faults(Faults.model_validate({**sandbox.faults.model_dump(), **changes}))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'faults'}: {e['msg']}" for e in exc.errors())
            return refuse(400, "invalid_faults", problems)
        return JSONResponse(sandbox.faults.model_dump())

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return JSONResponse({"reset": True, "faults": sandbox.faults.model_dump()})

    async def count(request: Request) -> Response:
        return JSONResponse(sandbox.counts(request.query_params.get("reference")))

    async def list_create_requests(request: Request) -> Response:
        return JSONResponse(sandbox.create_request_log(request.query_params.get("reference")))

    async def list_transfers(request: Request) -> Response:
        now = sandbox.clock()
        return JSONResponse([transfer_json(row, now) for row in sandbox.all_transfers()])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        sandbox.engine.dispose()

    app = Starlette(
        routes=[
            Route("/v1/transfers", create_transfer, methods=["POST"]),
            Route("/v1/transfers/{reference}", query_transfer, methods=["GET"]),
            Route("/v1/statements", statement, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/sandbox/faults", get_faults, methods=["GET"]),
            Route("/sandbox/faults", set_faults, methods=["POST"]),
            Route("/sandbox/reset", reset, methods=["POST"]),
            Route("/sandbox/transfers/count", count, methods=["GET"]),
            Route("/sandbox/transfers", list_transfers, methods=["GET"]),
            Route("/sandbox/create-requests", list_create_requests, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app


def _open_store(db_path: str | Path) -> Engine:
    # One event loop thread uses the engine, but it is built on the caller's thread.
    if str(db_path) == ":memory:":
        engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        path = Path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    return engine
