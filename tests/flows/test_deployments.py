from deployments.registry import DEPLOYMENTS, TIMEZONE, build_deployments


def test_every_deployment_is_built_with_its_schedule_in_shanghai_time():
    built = {d.name: d for d in build_deployments()}
    assert set(built) == {spec.name for spec in DEPLOYMENTS}
    nightly = built["nightly"]
    schedule = nightly.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 2 * * *", TIMEZONE)


def test_reconciliation_runs_at_three_on_the_first_of_each_month_in_shanghai():
    built = {d.name: d for d in build_deployments()}
    schedule = built["monthly"].schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 3 1 * *", TIMEZONE)


def test_the_payout_resolver_runs_every_five_minutes():
    built = {d.name: d for d in build_deployments()}
    assert built["every-5-minutes"].schedules[0].schedule.cron == "*/5 * * * *"


def test_the_hand_move_deployment_has_a_documented_run_form():
    built = {d.name: d for d in build_deployments()}
    schema = built["by-hand"]._parameter_openapi_schema.model_dump()
    form = schema["definitions"]["CaseMove"]
    assert form["properties"]["case_number"]["title"] == "Case number 案件编号"
    assert form["properties"]["reason"]["description"].startswith("why")
    assert "pattern" in form["properties"]["case_number"]
    assert set(form["required"]) == {"case_number", "to_status", "staff_number", "reason"}
