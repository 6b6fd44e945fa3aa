"""The mediation forms as a careless user or an attacker fills them: the Prefect server's own
check never repeats what was typed, a fuzzed file is taken or refused by field, never echoed,
never half-written, and a request for another body's case or a wage advance above the wages
claimed is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools.validation import ValidationError as ServerValidationError
from prefect.utilities.schema_tools.validation import validate

from casetypes.mediation import mediation_intake
from tests.factories import resident_id
from tests.integration.test_cli import cli  # noqa: F401 - the fixture
from tests.mediation import form, mediation_org
from tests.security.test_input import ANY_VALUE, SEEDED, _cases, _check_answer, _tally

WORKER = "李四"
WORKER_ID = resident_id(seq=61)
MATTER = "欠薪三个月，胃癌住院 stomach cancer"

BAD_FORMS = {
    "an ID too short": {"worker": {"name": WORKER, "resident_id": WORKER_ID[:12]}},
    "an ID that fails its check": {"worker": {"name": WORKER, "resident_id": WORKER_ID[:-1] + "0"}},
    "a name too long": {"worker": {"name": WORKER * 60, "resident_id": WORKER_ID}},
    "a matter too long": {"matter": MATTER * 200},
    "a claim's details too long": {"claims": [{"kind": "wages", "description": MATTER * 40}]},
}


def _typed(**changes):
    return form(**{"worker": {"name": WORKER, "resident_id": WORKER_ID}, "matter": MATTER, **changes})


@pytest.mark.parametrize("bad", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_the_prefect_servers_own_check_of_the_mediation_form_never_repeats_what_was_typed(bad):
    schema = parameter_schema(mediation_intake).model_dump_for_openapi()
    try:
        validate({"application": _typed(**bad), "one_time_code": "123456"}, schema, raise_on_error=True)
    except ServerValidationError as exc:  # what the server would answer with a 422
        said = str(exc)
        assert WORKER_ID[:12] not in said and WORKER not in said and "cancer" not in said


@pytest.mark.parametrize("bad", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_a_mediation_form_that_fails_in_the_run_names_the_field_and_repeats_nothing(bad):
    from prefect.exceptions import ParameterTypeError

    with pytest.raises(ParameterTypeError) as failed:
        mediation_intake.validate_parameters({"application": _typed(**bad), "one_time_code": "123456"})
    said = str(failed.value)
    assert WORKER_ID[:12] not in said and WORKER not in said and "cancer" not in said
    assert "application." in said


FIELDS = list(form())


def _applications() -> st.SearchStrategy[dict]:
    """A valid application with up to three of its values made anything at all."""
    return st.integers(62, 999).flatmap(lambda n: st.dictionaries(
        st.sampled_from(FIELDS + ["extra_field"]), ANY_VALUE, max_size=3).map(
        lambda changes: {**form(worker={"name": WORKER, "resident_id": resident_id(seq=n)}, matter=MATTER),
                         **changes}))


def _once(engine, tmp_path):
    from models.org import Staff
    from services.db import transaction
    from tests import factories

    factories.world_once(engine, tmp_path)
    with transaction(engine) as session:
        missing = session.query(Staff).filter(Staff.staff_number == "MD2").first() is None
    if missing:
        mediation_org(engine)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forms=st.lists(_applications(), min_size=1, max_size=3), as_csv=st.booleans())
def test_fuzzed_mediation_applications_are_taken_or_refused_by_field_never_echoed(cli, tmp_path, request, forms,
                                                                                 as_csv):
    tally = _tally(request, "intake mediation")
    _once(cli.engine, tmp_path)
    path = tmp_path / ("fuzz.csv" if as_csv else "fuzz.json")
    if as_csv:  # nested parts as their columns: worker.name, employer.uscc, ...
        flat = [{(f"{k}.{kk}" if isinstance(v, dict) else k): (vv if isinstance(v, dict) else v)
                 for k, v in f.items() for kk, vv in (v.items() if isinstance(v, dict) else [(None, v)])} for f in forms]
        header = sorted({key for row in flat for key in row})
        rows = [",".join(json.dumps(str(row.get(k, "")), ensure_ascii=False) for k in header) for row in flat]
        path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    before = _cases(cli.engine)
    result = cli("intake", "mediation", str(path), "--no-process", "--as", "CW1")
    _check_answer(result, cli.engine, before)
    for value in (WORKER, "cancer", *SEEDED):
        assert value not in result.output
    tally.count(len(forms), result)
