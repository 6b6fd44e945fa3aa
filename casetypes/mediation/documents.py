"""The printable documents of a mediation case, in Chinese, as DOCX (python-docx):

- the record of an oral application (口头申请笔录, art. 12), for the worker to sign;
- the mediation agreement (调解协议书, art. 14) from its stored terms, with the parties' ID
  numbers, which appear on the document itself and nowhere else;
- the notice of referral to arbitration (终止调解告知书) after a failure or the 15-day clock,
  stating the last day the worker may still apply (art. 27 para. 2).

Rules kept: only a mediator or supervisor of the case's body (or of the district) makes one; each
document made is audited, naming its kind and never its content; the file is written whole or not
at all (a temporary file renamed into place), so a failure leaves no half-written document.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docx import Document as Docx
from sqlalchemy import Engine
from sqlmodel import Session

from casetypes.mediation import rules, service
from models.cases import Case
from models.enums import CaseStatus, Role
from models.errors import InputError, RuleViolation
from models.identity import Actor, Verified
from models.mediation import MediationAgreement, MediationDetail
from models.money import format_fen
from models.org import Staff, Unit
from services import auth, pii
from services.audit import append_event
from services.cases import load_case
from services.db import transaction

MAKERS = frozenset({Role.mediator, Role.supervisor})
KINDS = ("oral-record", "agreement", "referral")


@dataclass(frozen=True)
class Paragraphs:
    title: str
    lines: list[str]


def _yuan(fen: int) -> str:
    return format_fen(fen).replace("¥", "") + " 元"


def _parties(session: Session, case: Case, detail: MediationDetail) -> list[str]:
    return [f"申请人（劳动者）：{pii.decrypt(detail.worker_name)}，公民身份号码：{pii.decrypt(detail.worker_id)}",
            f"被申请人（用人单位）：{detail.employer_name}，统一社会信用代码：{detail.employer_uscc}，"
            f"住所：{detail.employer_address}"]


def _body_name(session: Session, case: Case) -> str:
    unit = session.get(Unit, case.unit_id)
    return unit.name if unit else ""


def _oral_record(session: Session, case: Case, detail: MediationDetail) -> Paragraphs:
    if not detail.oral_record:
        raise RuleViolation(f"case {case.case_number} was applied for in writing: it has no oral record")
    record = json.loads(pii.open_text(detail.oral_record) or "{}")
    return Paragraphs("劳动争议调解口头申请笔录", [
        f"调解组织：{_body_name(session, case)}　案号：{case.case_number}",
        *_parties(session, case, detail),
        f"申请事项：{record.get('matter', '')}",
        f"事实和理由：{record.get('reasons', '')}",
        f"记录时间：{record.get('recorded_at', '')}　记录人：{record.get('recorded_by', '')}",
        "以上笔录已向申请人宣读，申请人确认无误。",
        "申请人（签名或捺印）：＿＿＿＿＿＿　　记录人（签名）：＿＿＿＿＿＿"])


def _agreement(session: Session, case: Case, detail: MediationDetail) -> Paragraphs:
    agreement = session.get(MediationAgreement, case.id)
    if agreement is None:
        raise RuleViolation(f"case {case.case_number} has no agreement: draft its terms first")
    terms = agreement.terms
    lines = [f"调解组织：{_body_name(session, case)}　案号：{case.case_number}", *_parties(session, case, detail),
             f"争议事项：{rules.DISPUTE_NAMES[rules.DisputeType(detail.dispute_type)]}。申请人的请求：" +
             "；".join(f"{rules.CLAIM_NAMES[rules.ClaimKind(c['kind'])]}"
                      + (f" {_yuan(c['amount_fen'])}" if c.get("amount_fen") else "") for c in detail.claims) + "。",
             "经调解，双方自愿达成如下协议："]
    number = 0
    for payment in terms.get("payments", []):
        number += 1
        lines.append(f"{number}. 被申请人于 {payment['due_on']} 前向申请人支付"
                     f"{rules.CLAIM_NAMES[rules.ClaimKind(payment['kind'])]} {_yuan(payment['amount_fen'])}。")
    for waived in terms.get("waived", []):
        number += 1
        lines.append(f"{number}. 申请人放弃以下请求：{waived}。")
    for other in terms.get("other", []):
        number += 1
        lines.append(f"{number}. {other}")
    lines += ["本协议自双方当事人签名或者盖章，经调解员签名并加盖调解组织印章后生效（《劳动争议调解仲裁法》第十四条）。",
              "用人单位不履行本协议中支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金事项的，劳动者可以持本协议"
              "依法向人民法院申请支付令（第十六条）。",
              "申请人（签名）：＿＿＿＿＿＿　被申请人（盖章）：＿＿＿＿＿＿",
              "调解员（签名）：＿＿＿＿＿＿　调解组织（印章）", f"日期：{service.today().isoformat()}"]
    return Paragraphs("劳动争议调解协议书", lines)


def _referral(session: Session, case: Case, detail: MediationDetail) -> Paragraphs:
    ended = service.ended_by_clock(session, case, detail)
    if case.status != CaseStatus.referred_to_arbitration or ended is None:
        raise RuleViolation(f"case {case.case_number} is {case.status.value}: it has not been referred to arbitration")
    last_day = service.arbitration_deadline_of(detail, ended)
    why = "调解不成" if detail.decision_reason else "自收到调解申请之日起十五日内未达成调解协议（第十四条）"
    limit = (f"您可以在 {last_day.isoformat()} 前向劳动争议仲裁委员会申请仲裁（仲裁时效因申请调解而中断，"
             f"自调解结束之日起重新计算，第二十七条）。" if last_day else
             "劳动关系存续期间因拖欠劳动报酬发生争议的，不受一年仲裁时效的限制（第二十七条）；劳动关系终止的，"
             "应当自劳动关系终止之日起一年内提出。")
    lines = [f"{pii.decrypt(detail.worker_name)}：",
             f"您于 {detail.received_on.isoformat()} 向{_body_name(session, case)}申请调解的与"
             f"{detail.employer_name}之间的劳动争议（案号 {case.case_number}），因{why}，调解于 {ended.isoformat()} 终止。",
             limit]
    if detail.legal_aid_requested:
        lines.append("您已申请法律援助，我们已将您的申请转交法律援助机构，工作人员将与您联系。")
    lines += [f"{_body_name(session, case)}（印章）", f"日期：{service.today().isoformat()}"]
    return Paragraphs("终止调解告知书", lines)


BUILDERS = {"oral-record": _oral_record, "agreement": _agreement, "referral": _referral}


def make_document(case_number: str, kind: str, out: Path, *, by: Actor, engine: Engine | None = None) -> Path:
    """Write the case's document of ``kind`` to ``out`` (a .docx path); audited."""
    if kind not in KINDS:
        raise InputError("kind", "is one of " + ", ".join(KINDS))
    if out.suffix.lower() != ".docx":
        raise InputError("out", "must be a .docx file")
    if not out.parent.is_dir():
        raise InputError("out", "names a folder that does not exist")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = session.get(MediationDetail, case.id)
        if detail is None:
            raise InputError("case_number", "is not a mediation case")
        _maker(session, by, case)
        paragraphs = BUILDERS[kind](session, case, detail)
        temporary = _written(paragraphs, out.parent)
        try:
            append_event(session, actor=_maker(session, by, case)[1], action="document_issued", case_id=case.id,
                         case_number=case.case_number, reason=f"{kind} document made", payload={"kind": kind})
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    try:  # committed: the document takes its place
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return out


def _maker(session: Session, by: Actor, case: Case) -> tuple[Staff, str | Verified]:
    staff, who = auth.require_role(session, by, MAKERS, "making a mediation document")
    service.of_body(session, staff, case, "making a mediation document")
    return staff, who


def _written(paragraphs: Paragraphs, folder: Path) -> Path:
    """The document saved to a temporary file beside where it goes (renamed once audited)."""
    document = Docx()
    document.add_heading(paragraphs.title, level=1)
    for line in paragraphs.lines:
        document.add_paragraph(line)
    handle, name = tempfile.mkstemp(suffix=".docx", dir=folder)
    os.close(handle)
    temporary = Path(name)
    try:
        document.save(str(temporary))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
