import logging

import pytest

from services.masking import MaskingFilter, mask_text


def test_masks_resident_ids_cards_and_mobiles_in_free_text():
    text = "id 11010519491231002X card 4111111111111111 tel 13812345678"
    assert mask_text(text) == "id 110105********002X card 4111********1111 tel 138****5678"


def test_masks_sixteen_digit_numbers_even_when_mistyped():
    assert "6222020200112233" not in mask_text("card 6222020200112233")


@pytest.mark.parametrize("written,masked", [
    ("tel 159 8765 4321", "tel 159****4321"),
    ("tel 159-8765-4321", "tel 159****4321"),
    ("tel +86 159 8765 4321", "tel 159****4321"),
    ("tel +8615987654321", "tel 159****4321"),
    ("id 110105 19491231 002X", "id 110105********002X"),
    ("card 6214 8310 0877 6657", "card 6214********6657"),
])
def test_masks_numbers_written_in_groups_or_with_the_country_code(written, masked):
    """The forms the trust review found unmasked: spaced, dashed, +86."""
    assert mask_text(written) == masked


@pytest.mark.parametrize("text", ["HA-2026-000123-O2-P1 on 2026-11-24 10:00", "¥1 500.00 in 3 parts",
                                  "seq 1 2 3 4 5 6 7 8 9 10 11", "2026-11-24 2026-11-25"])
def test_grouped_numbers_that_are_not_identifiers_stay_readable(text):
    assert mask_text(text) == text


def test_leaves_amounts_case_numbers_and_dates_alone():
    text = "HA-2026-000123 paid 123456 fen on 2026-11-24"
    assert mask_text(text) == text


def test_the_filter_masks_messages_arguments_and_exception_text():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("applicant %s", "11010519491231002X")
        try:
            raise ValueError("bad card 4111111111111111")
        except ValueError:
            logger.exception("failed for 13812345678")
    finally:
        logger.removeHandler(handler)
    joined = "\n".join(records)
    assert "11010519491231002X" not in joined and "110105********002X" in joined
    assert "4111111111111111" not in joined and "13812345678" not in joined
    assert "ValueError" in joined
