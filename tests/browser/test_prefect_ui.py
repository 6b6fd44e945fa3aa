"""The Prefect UI as staff use it, in a real browser (Debian's headless Chromium driven by
Playwright), against the stack ``unionaid up`` starts with its demo data.

A mediation application is submitted from the intake deployment's run form (its JSON input), the
case's own run waits, suspended, for the body's decision, and the decision typed into the run's
resume form accepts the case. Screenshots go to ``$UNIONAID_SCREENSHOTS`` (default: the test's
temporary folder). Without Chromium the tests skip, saying so; CI sets
``UNIONAID_REQUIRE_BROWSER=1`` (``.ci/run`` installs Chromium) and then a missing browser fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deployments.registry import DEPLOYMENTS
from services.settings import REPO_ROOT
from tests.integration.test_stack import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("UNIONAID_REQUIRE_BROWSER"):
        raise RuntimeError("UNIONAID_REQUIRE_BROWSER is set but no chromium is installed (apt-get install chromium)")
    pytest.skip("no chromium on this machine: the browser tests need Debian's chromium (apt-get install chromium)",
                allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

pytestmark = pytest.mark.timeout(900)


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    shots: Path

    def api(self, path: str, body: dict | None = None) -> object:
        response = httpx.post(f"{self.url}/api{path}", json=body or {}, timeout=30) if body is not None else \
            httpx.get(f"{self.url}/api{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    def unionaid(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "unionaid_cli.main", *args], cwd=REPO_ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def code(self, staff: str) -> str:
        return self.unionaid("staff", "demo-code", staff).split()[-1]

    def run_named(self, name: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.api("/flow_runs/filter", {"flow_runs": {"name": {"any_": [name]}}, "limit": 1})
            if runs:
                return runs[0]  # type: ignore[index,no-any-return]
            time.sleep(1)
        pytest.fail(f"no run named {name} in {timeout} s")

    def newest_run(self, flow: str, timeout: float = 300) -> dict:
        """The newest run of ``flow`` (by its flow's name)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.api("/flow_runs/filter", {"flows": {"name": {"any_": [flow]}}, "sort": "EXPECTED_START_TIME_DESC",
                                                  "limit": 1})
            if runs:
                return runs[0]  # type: ignore[index,no-any-return]
            time.sleep(1)
        pytest.fail(f"no run of {flow} in {timeout} s")

    def wait_for_state(self, run_id: str, names: set[str], timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        run: dict = {}
        while time.monotonic() < deadline:
            run = self.api(f"/flow_runs/{run_id}")  # type: ignore[assignment]
            if run["state"] and run["state"]["name"] in names:
                return run
            time.sleep(1)
        pytest.fail(f"run {run_id} did not reach {names} in {timeout} s (last: {run.get('state')})")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``unionaid up`` with its demo data, on ports of its own; stopped with everything it started."""
    home = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "UNIONAID_"))}
    env.update(UNIONAID_DATA_DIR=str(home), UNIONAID_DATABASE_URL=f"sqlite:///{home / 'unionaid.db'}",
               UNIONAID_PREFECT_PORT=str(port), UNIONAID_ENVIRONMENT="development",
               UNIONAID_PAYMENT_URL=f"http://127.0.0.1:{free_port()}",
               UNIONAID_REGISTRY_URL=f"http://127.0.0.1:{free_port()}")
    log = home / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen([sys.executable, "-m", "unionaid_cli.main", "up"], cwd=REPO_ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while "unionaid is up" not in log.read_text(encoding="utf-8", errors="replace"):
            assert up.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "unionaid up did not come up: " + log.read_text()
            time.sleep(1)
        shots = Path(os.environ.get("UNIONAID_SCREENSHOTS") or home / "screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        yield Stack(f"http://127.0.0.1:{port}", env, shots)
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C: up stops what it started
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def submit_the_dialog(page: Page, dialog, shot: Path) -> None:  # type: ignore[no-untyped-def]
    """Submit a resume form as staff do: click Submit and see the dialog close; clicked once more if
    it is still open a minute later (a busy machine), and failing with what the dialog and its
    toasts say (the form's errors, the orchestration's refusal) when it stays open."""
    for attempt in range(2):
        dialog.get_by_role("button", name="Submit").click()
        try:
            dialog.wait_for(state="hidden", timeout=60_000 * (attempt + 1))
            return
        except PlaywrightTimeout:
            page.screenshot(path=str(shot), full_page=True)
    toasts = " | ".join(page.locator(".p-toast__card").all_inner_texts())
    pytest.fail(f"the resume form stayed open after two submits: {dialog.inner_text()!r}; toasts: {toasts!r}")


def test_the_deployments_page_lists_the_mediation_flows_with_their_descriptions(stack, page):
    page.goto(f"{stack.url}/deployments", wait_until="networkidle")
    page.get_by_text(f"{len(DEPLOYMENTS)} Deployments").first.wait_for()  # every deployment of the registry
    page.screenshot(path=str(stack.shots / "deployments.png"), full_page=True)
    page.get_by_placeholder("Search deployments").fill("mediation")
    page.get_by_text("mediation-advance-intake").first.wait_for()
    text = page.inner_text("body")
    for flow in ("mediation-intake", "mediation-advance-intake"):
        assert flow in text, flow
    deployment = stack.api("/deployments/name/mediation-intake/intake")
    assert "labour-dispute mediation" in deployment["description"]  # type: ignore[index]


def test_a_mediation_application_from_the_run_form_waits_for_acceptance_and_is_accepted_from_its_form(stack, page):
    deployment = stack.api("/deployments/name/mediation-intake/intake")
    parameters = {"application": {
        "caseworker": "S006", "worker": {"name": "周九", "resident_id": "110105198803152016"},
        "employer": {"name": "城东物流公司", "uscc": "91110105MA01D4E5F6", "address": "示范区东环路8号",
                     "district": "110105"},
        "dispute_type": "unpaid_wages", "claims": [{"kind": "wages", "amount_yuan": "9000", "description": "两个月工资"}],
        "matter": "两个月工资未发", "knew_on": "2026-11-01", "employed_from": "2022-01-01", "still_employed": True,
        "worker_consents": True}, "one_time_code": stack.code("S006")}
    page.goto(f"{stack.url}/deployments/deployment/{deployment['id']}/run", wait_until="networkidle")  # type: ignore[index]
    page.get_by_text("Labour-dispute mediation application").first.wait_for()
    page.screenshot(path=str(stack.shots / "mediation-intake-form.png"), full_page=True)
    worker = page.locator(".schema-form-property").filter(has_text="Member number 会员编号").last
    assert "Property is type" not in worker.inner_text()  # a text box to leave empty, not a str/None toggle
    page.locator("button.p-button--outline.w-10").first.click()  # the parameters' menu
    page.get_by_text("Use JSON input").first.click()
    page.locator("textarea.p-code-input__textarea").fill(json.dumps(parameters, ensure_ascii=False))
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("scheduled to start").first.wait_for()

    intake = stack.newest_run("mediation-intake")
    assert stack.wait_for_state(intake["id"], {"Completed", "Failed", "Crashed"})["state"]["name"] == "Completed"
    number = stack.api(f"/flow_runs/{intake['id']}")["parameters"]["application"]["stored_as"]  # type: ignore[index]
    case_run = stack.run_named(f"mediation-{number}")
    waiting = stack.wait_for_state(case_run["id"], {"Suspended", "Failed", "Crashed"})
    assert waiting["state"]["name"] == "Suspended"
    assert {"mediation", "unit:G002"} <= set(waiting["tags"])  # the station of the employer's union

    deadline = time.monotonic() + 120
    while True:  # the form is stored a moment after the run is marked paused
        page.goto(f"{stack.url}/runs/flow-run/{case_run['id']}", wait_until="networkidle")
        if page.get_by_role("button", name="Resume").count():
            break
        assert time.monotonic() < deadline, "the run offers no Resume"
        time.sleep(2)
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Accept within 3 working days").wait_for()
    dialog.locator(".p-select-button__control").first.click()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name="accept", exact=True).click()
    fields = dialog.locator("textarea")
    fields.nth(0).fill("S008")
    fields.nth(1).fill(stack.code("S008"))
    assert "Property is type" not in dialog.inner_text()  # the optional mediator is a text box, not a str/None toggle
    fields.nth(2).fill("S008")
    dialog.locator("input[type=checkbox], [role=switch]").first.click()  # the employer consents
    page.screenshot(path=str(stack.shots / "mediation-acceptance-form.png"), full_page=True)
    submit_the_dialog(page, dialog, stack.shots / "mediation-acceptance-refused.png")

    assert stack.wait_for_state(case_run["id"], {"Completed", "Failed", "Crashed"})["state"]["name"] == "Completed"
    shown = stack.unionaid("mediation", "show", number)
    assert "accepted" in shown and "mediator S008" in shown
    page.goto(f"{stack.url}/runs/flow-run/{case_run['id']}", wait_until="networkidle")
    page.get_by_text(f"mediation-{number}").first.wait_for()
    page.screenshot(path=str(stack.shots / "mediation-case-run.png"), full_page=True)
