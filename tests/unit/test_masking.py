import logging

from services.masking import MaskingFilter, mask_text


def test_masks_resident_ids_cards_and_mobiles_in_free_text():
    text = "id 11010519491231002X card 4111111111111111 tel 13812345678"
    assert mask_text(text) == "id 110105********002X card 4111********1111 tel 138****5678"


def test_masks_sixteen_digit_numbers_even_when_mistyped():
    assert "6222020200112233" not in mask_text("card 6222020200112233")


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
