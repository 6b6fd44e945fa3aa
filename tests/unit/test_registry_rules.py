"""The registry's word in the verification report: which rule, passed or not, and the reason,
word for word (a hand-written registry, no HTTP)."""

from datetime import date

import pytest

from models.enums import MembershipStatus
from models.members import Member
from services.registry_client import RegistryMember
from services.verification import registry_results


class Registry:
    def __init__(self, *members):
        self.members = {m.member_number: m for m in members}

    def lookup(self, member_number):
        return self.members.get(member_number)


OURS = Member(member_number="M0001", name="x", resident_id_hash="a" * 64, resident_id_masked="x", unit_id=1,
              join_date=date(2020, 1, 1))


def _registered(status="active", id_hash="a" * 64):
    return RegistryMember("M0001", MembershipStatus(status), "G001", date(2020, 1, 1), "x", id_hash)


def _results(registry):
    return [(r.rule, r.passed, r.reason) for r in registry_results(registry, OURS)]


def test_a_member_the_registry_lacks_fails_one_rule_saying_so():
    assert _results(Registry()) == [
        ("membership_registered", False, "the member number is not in the union's registry")]


def test_an_active_member_with_a_matching_id_passes_both_rules():
    assert _results(Registry(_registered())) == [
        ("membership_active", True, "membership is active in the registry"),
        ("resident_id_matches_registry", True, "the resident ID matches the registry")]


@pytest.mark.parametrize("status", ["suspended", "left"])
def test_a_member_no_longer_active_fails_naming_the_registrys_status(status):
    assert _results(Registry(_registered(status=status)))[0] == (
        "membership_active", False, f"membership is {status} in the registry")


def test_an_id_that_does_not_match_the_registrys_record_fails_without_showing_either():
    assert _results(Registry(_registered(id_hash="b" * 64)))[1] == (
        "resident_id_matches_registry", False, "the resident ID does not match the registry's record")
