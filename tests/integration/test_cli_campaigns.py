"""The household register and campaigns from the command line."""

import json

from models.enums import CaseType
from services import ledger
from tests.factories import resident_id
from tests.integration.test_campaigns import application as student_application
from tests.integration.test_cli_hardship import cli  # noqa: F401 - the fixture


def members_in_households(cli, tmp_path):
    from services import member_import
    from tests.factories import bank_card

    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,household_number,relation,bank_card",
             f"M0001,Member 1,{resident_id(seq=1)},13800130001,G001,2015-01-01,H001,self,{bank_card(1)}",
             f"M0002,Member 2,{resident_id(seq=2)},13800130002,G001,2015-01-02,H002,self,{bank_card(2)}"]
    path = tmp_path / "households.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not member_import.import_members(path, actor="system", engine=cli.engine).problems


def test_staff_register_list_and_take_households_off_the_register(cli, tmp_path):
    members_in_households(cli, tmp_path)
    done = cli("households", "register", "H001", "--tier", "deep", "--as", "CW1", "--reason", "paper file 17",
               "--since", "2026-01-05")
    assert done.exit_code == 0 and "household H001 registered as deep from 2026-01-05" in done.output
    listed = json.loads(cli("households", "list", "--json").output)
    assert listed == [{"household": "H001", "unit": "G001", "tier": "deep", "registered_on": "2026-01-05",
                       "member": "M0001", "people": 1}]
    assert len(json.loads(cli("households", "list", "--all", "--json").output)) == 2
    left = cli("households", "leave", "H001", "--as", "CW1", "--reason", "re-employed")
    assert left.exit_code == 0 and "left the register (was deep)" in left.output
    assert json.loads(cli("households", "list", "--json").output) == []


def test_bad_register_input_is_one_line_naming_the_field(cli, tmp_path):
    members_in_households(cli, tmp_path)
    for args, expected in [(("--tier", "poorest"), "error: tier: must be one of deep, relative, accident"),
                           (("--tier", "deep", "--since", "5 Jan"), "error: since: must be a date as YYYY-MM-DD"),
                           (("--tier", "deep", "--reason", " "), "error: reason: is required")]:
        full = ["households", "register", "H001", "--as", "CW1", *args]
        if "--reason" not in args:
            full += ["--reason", "file"]
        result = cli(*full)
        assert result.exit_code == 1 and expected in result.output and "Traceback" not in result.output
    refused = cli("households", "register", "H001", "--tier", "deep", "--as", "FI1", "--reason", "file")
    assert refused.exit_code == 1 and "needs the role caseworker or supervisor; FI1 does not have it" in refused.output


def test_a_student_aid_campaign_is_created_given_applications_and_shown(cli, tmp_path):
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=cli.engine)
    created = cli("campaigns", "create", "student_aid", "2026", "--caseworker", "CW1", "--approver", "AP1")
    assert created.exit_code == 0 and "campaign student-aid-2026: open, 0 case(s)" in created.output
    rows = [student_application(1), student_application(2)]
    path = tmp_path / "students.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    first = cli("campaigns", "attach", "student-aid-2026", str(path), "--as", "CW1")
    assert first.exit_code == 0 and "2 attached, 0 attached before" in first.output
    again = cli("campaigns", "attach", "student-aid-2026", str(path), "--as", "CW1")
    assert again.exit_code == 0 and "0 attached, 2 attached before" in again.output

    bad = student_application(3, requested_amount_yuan="4000")  # the policy sets it: a typed amount is refused
    path.write_text(json.dumps([bad], ensure_ascii=False), encoding="utf-8")
    refused = cli("campaigns", "attach", "student-aid-2026", str(path), "--as", "CW1")
    assert refused.exit_code == 1 and "requested_amount_yuan" in refused.output
    assert "1 application(s) not attached" in refused.output and resident_id(seq=3) not in refused.output

    shown = cli("campaigns", "show", "student-aid-2026")
    assert "# Campaign student-aid-2026 (student_aid 2026)" in shown.output and "| submitted | 2 |" in shown.output
    early = cli("campaigns", "object", "student-aid-2026", "HA-2026-000001", "--as", "CW1", "--text", "two homes")
    assert early.exit_code == 1 and "objections are recorded while its public notice runs" in early.output


def test_seasonal_relief_is_started_through_its_deployment_and_names_the_kinds(cli):
    wrong = cli("campaigns", "create", "winter_relief", "2026", "--caseworker", "CW1", "--approver", "AP1")
    assert wrong.exit_code == 1 and "campaigns seasonal" in wrong.output
    bad = cli("campaigns", "seasonal", "spring_relief", "2026", "--as", "CW1", "--approver", "AP1")
    assert bad.exit_code == 1 and "kind: must be winter_relief or summer_relief" in bad.output
    down = cli("campaigns", "seasonal", "winter_relief", "2026", "--as", "CW1", "--approver", "AP1")
    assert down.exit_code == 1 and "Prefect could not be reached" in down.output


def test_a_batch_is_approved_only_when_it_waits_for_its_approval(cli):
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=cli.engine)
    assert cli("campaigns", "create", "student_aid", "2026", "--caseworker", "CW1", "--approver", "AP1").exit_code == 0
    early = cli("campaigns", "approve", "student-aid-2026", "--as", "AP1")
    assert early.exit_code == 1
    assert "error: campaign student-aid-2026 is open, not waiting for its batch approval" in early.output


def test_a_register_file_is_imported_and_bad_rows_are_named(cli, tmp_path):
    members_in_households(cli, tmp_path)
    path = tmp_path / "register.csv"
    path.write_text("household_number,tier,reason\nH001,deep,paper file 17\nH002,deepest,paper file 18\n",
                    encoding="utf-8")
    result = cli("households", "import", str(path), "--as", "CW1")
    assert result.exit_code == 1
    assert "1 household(s) changed, 0 already registered" in result.output
    assert "row 3: tier: must be one of deep, relative, accident" in result.output
    assert "1 row(s) not imported" in result.output
    assert [e["household"] for e in json.loads(cli("households", "list", "--json").output)] == ["H001"]
