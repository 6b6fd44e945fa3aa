import pytest

from models.errors import InputError
from models.identifiers import (
    convert_15_to_18,
    mask_bank_card,
    mask_resident_id,
    normalize_bank_card,
    normalize_mobile,
    parse_resident_id,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_accepts_the_valid_resident_ids_from_the_standard(number):
    assert parse_resident_id(number).number == number


def test_accepts_a_lowercase_check_character_and_normalises_it():
    assert parse_resident_id("11010519491231002x").number == "11010519491231002X"


def test_derives_birth_date_and_gender_from_the_id():
    rid = parse_resident_id("440524188001010014")
    assert (rid.birth_date.isoformat(), rid.gender) == ("1880-01-01", "M")
    assert parse_resident_id("11010519491231002X").gender == "F"


def test_converts_a_fifteen_digit_first_generation_id():
    assert convert_15_to_18("110105491231002") == "11010519491231002X"
    assert parse_resident_id("110105491231002").number == "11010519491231002X"


def test_refuses_a_wrong_check_character_naming_the_rule_not_the_value():
    with pytest.raises(InputError) as caught:
        parse_resident_id("110101199003077777")
    assert "MOD 11-2" in str(caught.value)
    assert "110101199003077777" not in str(caught.value)
    assert caught.value.field == "resident_id"


@pytest.mark.parametrize("bad,rule", [("", "required"), ("12345", "18 characters"),
                                      ("1101051949123100AX", "17 digits")])
def test_refuses_malformed_ids_with_the_rule_broken(bad, rule):
    with pytest.raises(InputError, match=rule):
        parse_resident_id(bad)


def test_refuses_an_impossible_birth_date_even_with_a_correct_check_character():
    from stdnum.cn import ric
    body = "11010519491331002"
    with pytest.raises(InputError, match="not a valid date"):
        parse_resident_id(body + ric.calc_check_digit(body + "0"))


def test_refuses_a_birth_date_in_the_future():
    from stdnum.cn import ric
    body = "11010520991231002"
    with pytest.raises(InputError, match="out of range"):
        parse_resident_id(body + ric.calc_check_digit(body + "0"))


def test_masks_a_resident_id_keeping_area_and_last_four():
    assert mask_resident_id("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize("mobile", ["13812345678", "+86 138 1234 5678", "199-1234-5678"])
def test_accepts_mainland_mobiles(mobile):
    assert len(normalize_mobile(mobile)) == 11


@pytest.mark.parametrize("mobile", ["12812345678", "1381234567", "abc"])
def test_refuses_other_mobiles(mobile):
    with pytest.raises(InputError, match="mobile"):
        normalize_mobile(mobile)


def test_accepts_a_luhn_valid_card_and_refuses_a_mistyped_one():
    assert normalize_bank_card("4111 1111 1111 1111") == "4111111111111111"
    with pytest.raises(InputError, match="Luhn"):
        normalize_bank_card("4111111111111112")
    assert mask_bank_card("4111111111111111") == "4111********1111"


def test_a_code_typed_in_the_wrong_field_is_repeated_only_when_it_looks_like_a_code():
    from models.errors import shown_code

    assert shown_code("H001") == "H001" and shown_code("HA-2026-000001") == "HA-2026-000001"
    for typed in ("110105198001010075", "王建国", "13912345678", "H" * 40, "a b"):
        assert shown_code(typed) == "(the number typed)"
