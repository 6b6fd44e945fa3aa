"""Double entry in code: ``check_balanced`` refuses any posting that does not sum to zero."""

import pytest

from models.ledger import Accounts, UnbalancedPosting, check_balanced

A = Accounts("HA-LIVING", 2026)


@pytest.mark.parametrize("lines,why", [
    ([(A.available, -150000), (A.reserved, 149999)], "sum to -1 fen"),
    ([(A.available, -150000), (A.reserved, 150000), (A.paid, 1)], "sum to 1 fen"),
    ([(A.reserved, 150000)], "at least two lines"),
    ([], "at least two lines"),
    ([(A.available, 0), (A.reserved, 0)], "zero fen"),
    ([(A.available, -150000), (A.reserved, 150000), (A.paid, 0)], "zero fen"),
])
def test_an_unbalanced_single_or_zero_line_posting_is_refused(lines, why):
    with pytest.raises(UnbalancedPosting, match=why):
        check_balanced(lines)


@pytest.mark.parametrize("lines", [
    [(A.available, -150000), (A.reserved, 150000)],
    [(A.funding, -300000), (A.available, 100000), (A.reserved, 150000), (A.paid, 50000)],
])
def test_a_posting_that_sums_to_zero_passes(lines):
    check_balanced(lines)
