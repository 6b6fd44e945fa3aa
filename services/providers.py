"""The one place that builds the clients of the services outside our walls from the settings:
the payment provider and the union's membership registry. Callers ask here and never build a
client themselves, so a setting (URL, secret, timeouts) is read the same way everywhere."""

from __future__ import annotations

from services import payment_provider, registry_client
from services.settings import Settings, get_settings


def payment(settings: Settings | None = None) -> payment_provider.HttpPaymentProvider:
    """The payment provider's client, with the signing secret and timeouts of ``settings``."""
    return payment_provider.from_settings(settings or get_settings())


def registry(settings: Settings | None = None) -> registry_client.HttpMembershipRegistry:
    """The membership registry's client, with the signing secret and timeouts of ``settings``."""
    return registry_client.from_settings(settings or get_settings())
