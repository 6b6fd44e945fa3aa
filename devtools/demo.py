"""Demo data and the scripted walk-through behind ``unionaid demo`` and ``make up``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from models.cases import Case
from models.enums import CaseStatus, CaseType, Role, UnitLevel
from models.errors import ConfigurationError, UnionaidError
from models.identity import DEMO, Verified
from models.money import format_fen, parse_yuan
from models.org import Staff, Unit
from models.time import utcnow
from services import approvals, ledger, member_import, org
from services.audit import verify_chain
from services.cases import transition_case
from services.db import get_engine, transaction
from services.migrate import upgrade
from services.settings import REPO_ROOT, get_settings

DEMO_DIR = REPO_ROOT / "config" / "demo"


def is_empty(engine: Engine | None = None) -> bool:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Unit)).scalar_one() == 0


def seed_demo(engine: Engine | None = None) -> bool:
    """Seed units, staff and members when the database is empty. Returns whether it seeded."""
    if not is_empty(engine):
        return False
    import casetypes  # noqa: F401  (the case types name the programmes' types)

    data = json.loads((DEMO_DIR / "organisation.json").read_text(encoding="utf-8"))
    for unit in data["units"]:
        org.add_unit(unit["code"], unit["name"], UnitLevel(unit["level"]), unit["parent"], engine=engine)
    for s in data["staff"]:
        org.add_staff(s["staff_number"], s["name"], s["unit"], org.parse_roles(s["roles"]),
                      parse_yuan(s["limit"], "limit"), engine=engine)
    year = utcnow().astimezone(get_settings().zone).year
    for prog in data["programmes"]:
        ledger.add_programme(prog["code"], prog["name"], CaseType(prog["case_type"]), year,
                             parse_yuan(prog["budget"], "budget"), engine=engine)
    member_import.import_members(DEMO_DIR / "members.csv", actor="system", engine=engine)
    from casetypes.mediation.service import add_employer

    for employer in data.get("employers", []):
        add_employer(employer["uscc"], employer["name"], employer["district"], employer["union"], by="system",
                     engine=engine)
    from services import households

    for entry in data.get("hardship_register", []):
        households.register(entry["household"], entry["tier"], actor=as_demo(entry["staff"]), reason=entry["reason"],
                            engine=engine)
    enrol_demo_staff([s["staff_number"] for s in data["staff"]], engine)
    return True


def as_demo(staff_number: str) -> Verified:
    """A demo staff member as the scripted story acts for them (development only; the trail
    says ``demo_script``, never a proof)."""
    if get_settings().environment == "production":
        raise ConfigurationError("the demo acts for its staff without their codes: never in production")
    return Verified(staff_number, DEMO)


def enrol_demo_staff(numbers: list[str], engine: Engine | None) -> None:
    """Give every demo staff member one-time codes (`unionaid staff demo-code S003` shows one):
    the operator enrols the first supervisor of the new installation, who enrols the rest."""
    from services import auth

    with transaction(engine) as session:
        supervisors = [n for n in numbers
                       if session.execute(select(Staff).where(col(Staff.staff_number) == n)).scalar_one().has_role(
                           Role.supervisor)]
    first = supervisors[0] if supervisors else None
    if first is not None:
        auth.enrol(first, by="system", engine=engine)
    for number in numbers:
        if number != first:
            auth.enrol(number, by=as_demo(first) if first else "system", engine=engine)


def _demo_ids() -> dict[str, str]:
    """Resident IDs of the demo members, from the shipped demo file (fictional people)."""
    import csv

    with (DEMO_DIR / "members.csv").open(encoding="utf-8") as fh:
        return {row["member_number"]: row["resident_id"] for row in csv.DictReader(fh)}


LIVING_DOCS = ["application_form", "resident_id", "membership_proof", "household_register", "income_proof"]
STUDENT_DOCS = ["application_form", "resident_id", "membership_proof", "income_proof", "admission_notice"]


def run_demo(echo: Callable[[str], object] = print, engine: Engine | None = None) -> list[Case]:
    """Hardship cases through every path, and a mediation, against real HTTP sandboxes."""
    from models.intake import parse_application
    from services import households, intake, payouts, verification

    engine = engine or get_engine()
    upgrade(engine)
    if seed_demo(engine):
        echo("seeded demo units, staff, programmes and members")
    else:
        with transaction(engine) as session:
            earlier = list(session.execute(select(col(Case.case_number)).order_by(col(Case.id))).scalars())
        if earlier:  # its applications would repeat theirs, which intake refuses: show what it left instead
            echo(f"the demo has run on this database already ({len(earlier)} cases); `make clean` starts afresh")
            return _final_states(echo, engine, earlier)
    ids = _demo_ids()
    today = utcnow().astimezone(get_settings().zone).date().isoformat()

    def step(text: str) -> None:
        echo(f"  - {text}")

    def apply(member: str, caseworker: str, **changes: object) -> str:
        data: dict[str, object] = {
            "caseworker": caseworker, "applicant_member_number": member, "resident_id": ids[member],
            "category": "living_relief", "tier_claimed": "deep", "household": [
                {"name": "申请人", "relation": "self", "monthly_income_yuan": "900"},
                {"name": "配偶", "relation": "spouse", "monthly_income_yuan": "0"}],
            "requested_amount_yuan": "2000", "reason": "factory closed; spouse ill",
            "documents_provided": LIVING_DOCS, "months_below_line": 8, "applied_on": today}
        data.update(changes)
        return intake.intake_hardship(parse_application(data), as_demo(caseworker), engine=engine)

    cases: list[str] = []
    with _sandboxes(engine) as (provider, registry):
        def verify(number: str) -> bool:
            """True when the case now awaits approval (a second demo run meets the no-double-aid rule)."""
            outcome = verification.verify_hardship(number, registry, engine=engine)
            failed = [line.split("|")[1].strip() for line in outcome.markdown.splitlines() if "**failed**" in line]
            step(f"{number} verified under policy: {outcome.status.value}"
                 + (f" (missing: {', '.join(outcome.missing_documents)})" if outcome.missing_documents else "")
                 + (f" (failed: {', '.join(failed)})" if outcome.status == CaseStatus.rejected else ""))
            return outcome.status == CaseStatus.awaiting_approval

        def pay_and_close(number: str) -> None:
            for view in payouts.pay_case(number, provider, engine=engine):
                step(f"payout {view.reference}: {view.status.value}")
            transition_case(number, CaseStatus.closed, actor="system", reason="paid in full", engine=engine)

        def refused(action: Callable[[], object]) -> None:
            try:
                action()
            except UnionaidError as exc:
                step(f"refused: {exc}")

        echo("1. living relief, deep hardship: four-eyes and unit rules enforced, approved, paid, closed")
        a = apply("M0001", "S002")
        cases.append(a)
        step(f"{a} taken by S002 (caseworker and approver of G001)")
        if verify(a):
            refused(lambda: approvals.approve_case(a, approver=as_demo("S002"), amount_fen=200000, reason="self", engine=engine))
            refused(lambda: approvals.approve_case(a, approver=as_demo("S001"), amount_fen=200000, reason="no role",
                                                   engine=engine))
            approvals.approve_case(a, approver=as_demo("S003"), amount_fen=180000, reason="income verified; within policy",
                                   engine=engine)
            step(f"{a} approved by S003 for {format_fen(180000)}; budget reserved")
            pay_and_close(a)
            step(households.register("H001", "deep", actor=as_demo("S001"), reason=f"deep hardship verified in {a}",
                                     case_number=a, engine=engine)
                 + " (hardship register, 建档: seasonal relief pays it)")

        echo("2. medical relief: documents missing, then two approvers for a large amount")
        b = apply("M0003", "S001", category="medical_relief", requested_amount_yuan="8000",
                  documents_provided=LIVING_DOCS[:3], household=[
                      {"name": "申请人", "relation": "self", "monthly_income_yuan": "1650.50"}],
                  tier_claimed="relative", causes=["serious_illness"], months_below_line=0)
        cases.append(b)
        verify(b)
        if _status(engine, b) == CaseStatus.needs_information:
            intake.add_documents(b, ["income_proof", "diagnosis", "medical_invoices"], actor=as_demo("S001"), engine=engine)
            step("documents received: income_proof, diagnosis, medical_invoices")
        if _status(engine, b) == CaseStatus.verifying and verify(b):
            refused(lambda: approvals.approve_case(b, approver=as_demo("S002"), amount_fen=800000, reason="grassroots",
                                                   engine=engine))
            approvals.approve_case(b, approver=as_demo("S003"), amount_fen=800000, reason="hospital bills checked",
                                   engine=engine)
            step("first approval by S003; a second, different approver is needed above ¥5,000.00")
            approvals.approve_case(b, approver=as_demo("S004"), amount_fen=800000, reason="agree", engine=engine)
            step(f"second approval by S004: approved for {format_fen(800000)}")
            pay_and_close(b)

        echo("3. living relief with income above the line: rejected at verification")
        c = apply("M0006", "S007", household=[{"name": "申请人", "relation": "self", "monthly_income_yuan": "4200"}])
        cases.append(c)
        verify(c)

        echo("4. emergency relief withdrawn by the applicant before a decision")
        d = apply("M0004", "S007", category="emergency_relief", tier_claimed="accident",
                  sudden_event={"kind": "disaster", "happened_on": today},
                  documents_provided=LIVING_DOCS[:3] + ["event_proof"], months_below_line=0)
        cases.append(d)
        transition_case(d, CaseStatus.withdrawn, actor=as_demo("S007"), reason="insurer paid for the flood damage", engine=engine)
        step(f"{d} withdrawn")

        echo("5. student aid taken in outside a campaign: the policy's amount, held by its public notice (公示)")
        f = apply("M0010", "S001", category="student_aid", student_level="university", requested_amount_yuan=None,
                  documents_provided=STUDENT_DOCS, household=[
                      {"name": "申请人", "relation": "self", "monthly_income_yuan": "900"},
                      {"name": "学生", "relation": "child", "monthly_income_yuan": "0"}])
        cases.append(f)
        if verify(f):
            step(f"{f} asks for {format_fen(_requested(engine, f))}, the amount the policy sets (not typed)")
            refused(lambda: approvals.approve_case(f, approver=as_demo("S003"), amount_fen=_requested(engine, f),
                                                   reason="admitted to university", engine=engine))

    echo("6. an assistance pairing (帮扶结对) and a training, counted against the annual plan")
    from services import assistance

    started = date.fromisoformat(today).replace(day=1)
    pairing = assistance.start_pairing("H004", helper_kind="model_worker", helper_name="区劳模 张师傅",
                                       started_on=started, commitments="monthly visits; a job for the son",
                                       actor=as_demo("S007"), engine=engine)
    assistance.record_visit(pairing, visited_on=started, notes="rent paid; son starts at the depot next month",
                            actor=as_demo("S007"), engine=engine)
    assistance.record_employment("M0005", "training", happened_on=started, detail="电工培训 electrician course",
                                 actor=as_demo("S007"), engine=engine)
    step(f"pairing {pairing}: household H004 paired with a model worker, one visit; M0005 trained")
    for line in _plan_lines(engine, ("assistance_pairings", "trained")):
        step(line)

    echo("7. labour-dispute mediation: an agreement and a wage advance at a station, a failure referred to "
         "arbitration, a business dispute declined")
    with _sandboxes(engine) as (provider, _registry):
        cases += _mediation(step, engine, today, provider)

    echo("8. mutual insurance: a union enrols its members and the pool is funded; a claim approved "
         "automatically and paid, one above the automatic limit approved by a reviewer, one notified too late")
    with _sandboxes(engine) as (provider, _registry):
        cases += _insurance(step, engine, provider)

    return _final_states(echo, engine, cases)


def _insurance(step: Callable[[str], None], engine: Engine, provider: Any) -> list[str]:
    import tempfile
    from datetime import timedelta

    from casetypes.insurance import enrolment, service
    from casetypes.insurance.form import parse_claim
    from services import approvals, payouts

    today = service.today()
    start = today - timedelta(days=200)
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "enrolment.csv"
        listing.write_text("member_number,product,shares,cover_from\n"
                           f"M0001,supplementary_medical,1,{start}\nM0003,supplementary_medical,2,{start}\n",
                           encoding="utf-8")
        report = enrolment.import_enrolments(listing, actor=as_demo("S001"), engine=engine)
    step(f"enrolment: {report.created} members in supplementary medical from {start}; contributions into the pool")
    left = enrolment.fund_pool("supplementary_medical", start.year, 5_000_000, reference="DEMO-PZ-001",
                               actor=as_demo("S005"), engine=engine)
    step(f"the federation funds the pool (finance, voucher DEMO-PZ-001): {format_fen(left)} available")
    documents = ["application_form", "membership_proof", "resident_id", "diagnosis", "discharge_summary",
                 "medical_invoices"]
    claims = (("M0001", 20, 18, 12, "2000", "急性阑尾炎"), ("M0003", 30, 28, 40, "12000", "腰椎间盘突出术后"),
              ("M0003", 60, 10, 5, "1500", "肺炎"))
    numbers = []
    for member, event_ago, notified_ago, days, expenses, diagnosis in claims:
        form = parse_claim({"caseworker": "S001", "member_number": member, "product": "supplementary_medical",
                            "event_date": str(today - timedelta(days=event_ago)),
                            "notified_on": str(today - timedelta(days=notified_ago)), "received_on": str(today),
                            "hospital_days": days, "expenses_yuan": expenses, "claimed_yuan": expenses,
                            "diagnosis": diagnosis, "invoices": f"INV-{member} {expenses}.00", "documents": documents})
        number = service.intake_claim(form, as_demo("S001"), engine=engine)
        outcome = service.check_claim(number, engine=engine)
        _, claim = _claim_of(engine, number)
        if outcome.status == "awaiting_approval":
            step(f"{number}: calculated {format_fen(claim.calculated_fen or 0)}, to a reviewer ({claim.review})")
            approvals.approve_case(number, approver=as_demo("S003"), amount_fen=claim.calculated_fen or 0,
                                   reason="材料齐全，核算无误 documents complete, calculation checked", engine=engine)
        else:
            step(f"{number}: {outcome.status}" + (f" ({claim.rejection_code})" if claim.rejection_code else
                                                  f", calculated {format_fen(claim.calculated_fen or 0)}"))
        if _status(engine, number) == CaseStatus.approved:
            for view in payouts.pay_case(number, provider, engine=engine):
                step(f"{number}: payout {view.reference}: {view.status.value}")
            transition_case(number, CaseStatus.closed, actor="system", reason="paid in full", engine=engine)
        numbers.append(number)
    for line in claim_lines(engine, numbers[0]):
        step(line)
    return numbers


def _claim_of(engine: Engine, number: str) -> tuple[Case, Any]:
    from models.insurance import InsuranceClaim

    with transaction(engine) as session:
        case = session.execute(select(Case).where(col(Case.case_number) == number)).scalar_one()
        claim = session.get_one(InsuranceClaim, case.id)
        session.expunge_all()
        return case, claim


def claim_lines(engine: Engine, number: str) -> list[str]:
    """The calculation's explanation of a claim, as `unionaid insurance show` prints it."""
    _, claim = _claim_of(engine, number)
    return [f"{number}: {line['rule']}: {line['figures']}" for line in claim.explanation]


# A member working for 城东物流公司 goes to the G002 station (and is advanced his wages); a worker
# who is not a member, of a snack bar with no union, to the district committee; a business dispute
# is declined.
DEMO_DISPUTES = (
    {"worker": {"name": "张伟", "resident_id": "110106198201050318", "member_number": "M0003"},
     "employer": {"name": "城东物流公司", "uscc": "91110105MA01D4E5F6", "address": "示范区东环路8号", "district": "110105"},
     "dispute_type": "unpaid_wages", "still_employed": True, "knew_on": "{month_ago}", "employed_from": "2021-04-01",
     "claims": [{"kind": "wages", "amount_yuan": "12600", "description": "三个月工资"}], "matter": "三个月工资未发"},
    {"worker": {"name": "钱七", "resident_id": "11010619920708402X"},
     "employer": {"name": "新区快餐店", "uscc": "91110106MA01G7H8JY", "address": "示范新区站前街3号", "district": "110106"},
     "dispute_type": "termination", "employed_from": "2023-02-01", "employed_until": "{month_ago}",
     "knew_on": "{month_ago}", "claims": [{"kind": "compensation", "amount_yuan": "16000", "description": "违法解除"}],
     "matter": "未提前通知即解除劳动合同"},
    {"worker": {"name": "孙八", "resident_id": "110105198803152016"}, "relationship": "commercial",
     "employer": {"name": "新区快餐店", "uscc": "91110106MA01G7H8JY", "address": "示范新区站前街3号", "district": "110106"},
     "dispute_type": "other", "still_employed": True, "knew_on": "{month_ago}", "employed_from": "2024-05-01",
     "claims": [{"kind": "other", "amount_yuan": "8000", "description": "货款"}], "matter": "供货款未结"},
)


def _mediation(step: Callable[[str], None], engine: Engine, today: str, provider: Any) -> list[str]:
    from datetime import timedelta

    from casetypes.mediation import advance, service
    from casetypes.mediation.form import parse_mediation, parse_terms
    from services import payouts

    day = date.fromisoformat(today)
    month_ago = (day - timedelta(days=30)).isoformat()
    numbers = []
    for dispute in DEMO_DISPUTES:
        filled = json.loads(json.dumps(dispute).replace("{month_ago}", month_ago))
        form = parse_mediation({"caseworker": "S006", "worker_consents": True, "received_on": today, **filled})
        number = service.intake_mediation(form, as_demo("S006"), engine=engine)
        service.verify_mediation(number, engine=engine)
        numbers.append(number)
    agreed, failed, declined = numbers
    service.accept_case(agreed, by=as_demo("S008"), mediator="S008", employer_consents=True, engine=engine)
    service.record_session(agreed, by=as_demo("S008"), held_on=day, attendees="赵六；物流公司人事经理",
                           summary="公司承认欠薪，同意分两期支付", next_step="签署调解协议", engine=engine)
    terms = {"payments": [{"kind": "wages", "amount_yuan": "6300", "due_on": (day + timedelta(days=15)).isoformat()},
                          {"kind": "wages", "amount_yuan": "6300", "due_on": (day + timedelta(days=45)).isoformat()}],
             "waived": ["加班费请求"]}
    service.draft_agreement(agreed, parse_terms(terms), by=as_demo("S008"), engine=engine)
    for mark in ("worker", "employer", "mediator", "seal"):
        service.sign_agreement(agreed, mark, on=day, by=as_demo("S008"), engine=engine)
    step(f"{agreed}: at station G002, accepted, one session, agreement signed and sealed: agreement_reached")
    request = advance.parse_advance({"caseworker": "S006", "mediation_case": agreed, "amount_yuan": "6000",
                                     "repay_by": (day + timedelta(days=60)).isoformat()})
    advanced = advance.request_advance(request, as_demo("S006"), engine=engine)
    advance.verify_advance(advanced, engine=engine)
    approvals.approve_case(advanced, approver=as_demo("S004"), amount_fen=600000, reason="欠薪三个月，先行垫付",
                           engine=engine)
    for view in payouts.pay_case(advanced, provider, engine=engine):
        step(f"{advanced}: wage advance ¥6,000.00 approved by a district approver; payout {view.reference}: "
             f"{view.status.value}")
    advance.record_repayment(advanced, amount_fen=600000, reference=f"DEMO-REPAY-{advanced}", received_on=day,
                             actor=as_demo("S005"), engine=engine)
    step(f"{advanced}: the employer repaid the advance; closed")
    numbers.append(advanced)
    service.accept_case(failed, by=as_demo("S006"), mediator="S006", employer_consents=True, engine=engine)
    last_day = service.record_failure(failed, by=as_demo("S006"), reason="用人单位不同意调解方案", legal_aid=True,
                                      engine=engine)
    step(f"{failed}: at the district committee, mediation failed; referred to arbitration and legal aid; "
         f"the worker may apply until {last_day.isoformat() if last_day else '—'}")
    service.decline_case(declined, by=as_demo("S006"), reason="经济纠纷，不属于劳动争议，请向人民法院起诉", engine=engine)
    step(f"{declined}: a business dispute, declined in writing")
    return numbers


def _final_states(echo: Callable[[str], object], engine: Engine, cases: list[str]) -> list[Case]:
    echo("final states:")
    final = []
    with transaction(engine) as session:
        for number in cases:
            case = session.execute(select(Case).where(col(Case.case_number) == number)).scalar_one()
            final.append(case)
            echo(f"  {case.case_number:16} {case.case_type.value:10} {case.category:18} {case.status.value:10} "
                 f"paid {format_fen(case.paid_fen)}")
    for row in ledger.funds(engine):
        if row.paid_fen or row.reserved_fen:
            echo(f"funds: {row.programme} {row.year}: budget {format_fen(row.budget_fen)}, "
                 f"paid {format_fen(row.paid_fen)}, remaining {format_fen(row.remaining_fen)}")
    with transaction(engine) as session:
        echo(f"audit: {verify_chain(session)}")
    return final


def _plan_lines(engine: Engine, keys: tuple[str, ...]) -> list[str]:
    """The plan table's rows for ``keys`` in this month's report, as the report shows them."""
    from services.reports import build_monthly_report

    month = utcnow().astimezone(get_settings().zone).strftime("%Y-%m")
    targets = build_monthly_report(month, engine=engine).section("targets")
    rows = [r for r in targets.row_dicts() if r["key"] in keys]
    if not rows:
        return [f"plan: {targets.notes[0] if targets.notes else 'no targets for this year'}"]
    return [f"plan {r['key']}: {r['actual']} of {r['target']} this year" for r in rows]


def _requested(engine: Engine, case_number: str) -> int:
    with transaction(engine) as session:
        return session.execute(select(col(Case.requested_fen)).where(col(Case.case_number) == case_number)).scalar_one()


def _status(engine: Engine, case_number: str) -> CaseStatus:
    with transaction(engine) as session:
        return session.execute(select(col(Case.status)).where(col(Case.case_number) == case_number)).scalar_one()


@contextmanager
def _sandboxes(engine: Engine) -> Iterator[tuple[Any, Any]]:
    """The configured payment provider and registry when they answer (``make up`` runs their
    sandboxes, so payouts show in the statement); otherwise sandboxes of its own, in-process."""
    import tempfile

    import httpx

    from sandbox import payment, registry
    from sandbox.testing import running_server
    from services import providers

    settings = get_settings()

    def answers(url: str) -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    with ExitStack() as stack:
        pay_url, reg_url = settings.payment_url, settings.registry_url
        if not answers(pay_url):
            app = payment.create_app(":memory:", merchant_id=settings.payment_merchant_id,
                                     secret=settings.payment_secret.get_secret_value())
            pay_url = stack.enter_context(running_server(app))
        if not answers(reg_url):
            seed = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "registry.json"
            write_registry_seed(seed, engine)
            app = registry.create_app(registry.load_members(seed), secret=settings.registry_secret.get_secret_value())
            reg_url = stack.enter_context(running_server(app))
        local = settings.model_copy(update={"payment_url": pay_url, "registry_url": reg_url})
        provider = providers.payment(local)
        members = providers.registry(local)
        stack.callback(provider.close)
        stack.callback(members.close)
        yield provider, members


def write_registry_seed(path: Path, engine: Engine | None = None) -> int:
    """The membership-registry sandbox serves our members as the union's member system would:
    status, unit, join date, name and the keyed hash of the resident ID (never the ID)."""
    from models.members import Member

    with transaction(engine) as session:
        rows = session.execute(select(Member, Unit).join(Unit, col(Unit.id) == Member.unit_id)).all()
        members = [{"member_number": m.member_number, "status": m.status.value, "unit_code": u.code,
                    "join_date": m.join_date.isoformat(), "name": m.name, "resident_id_hash": m.resident_id_hash}
                   for m, u in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(members, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(members)
