import pytest

from models.errors import ConfigurationError, InputError
from models.money import format_fen, parse_yuan
from services.settings import Settings


@pytest.mark.parametrize("text,fen", [("1200", 120000), ("1,200.50", 120050), ("0.01", 1), ("¥3.1", 310)])
def test_parses_yuan_into_exact_fen(text, fen):
    assert parse_yuan(text, "amount") == fen


@pytest.mark.parametrize("text,rule", [("1.001", "two decimal"), ("-1", "negative"), ("abc", "amount in yuan"), ("", "required")])
def test_refuses_amounts_that_are_not_whole_fen(text, rule):
    with pytest.raises(InputError, match=rule):
        parse_yuan(text, "amount")


def test_formats_fen_for_people():
    assert format_fen(123450) == "¥1,234.50"


def test_placeholder_secrets_are_refused_in_production_naming_the_variable(monkeypatch):
    monkeypatch.setenv("UNIONAID_ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError, match="UNIONAID_PII_HASH_KEY"):
        Settings()


def test_placeholder_secrets_are_fine_in_development(monkeypatch):
    monkeypatch.setenv("UNIONAID_ENVIRONMENT", "development")
    assert Settings().environment == "development"


def test_production_starts_when_every_secret_is_set(monkeypatch):
    monkeypatch.setenv("UNIONAID_ENVIRONMENT", "production")
    for name in ("PII_HASH_KEY", "PII_ENCRYPTION_KEY", "STAFF_SECRET_KEY", "AUDIT_KEY", "AUDIT_SIGNING_KEY",
                 "PAYMENT_SECRET", "REGISTRY_SECRET"):
        monkeypatch.setenv(f"UNIONAID_{name}", f"Xk3-{name}-9fQz_Lm2vR8wTb5nYc7")
    assert Settings().environment == "production"
