"""CLI commands find the Prefect server `unionaid up` runs, unless one is configured already."""

from prefect.settings import PREFECT_API_URL, temporary_settings

from services.prefect_env import our_prefect_server
from services.settings import get_settings


def test_without_a_configured_api_the_cli_talks_to_the_server_unionaid_up_runs():
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert not PREFECT_API_URL.value()
        with our_prefect_server():
            assert PREFECT_API_URL.value() == get_settings().prefect_api_url
        assert not PREFECT_API_URL.value()


def test_a_configured_api_is_kept():
    with temporary_settings({PREFECT_API_URL: "http://prefect.example:4200/api"}):
        with our_prefect_server():
            assert PREFECT_API_URL.value() == "http://prefect.example:4200/api"
