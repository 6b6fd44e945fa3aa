"""Double entry in code: ``check_balanced`` refuses any posting that does not sum to zero."""

import pytest

from models.ledger import Accounts, UnbalancedPosting, check_balanced

A = Accounts("HA-LIVING", 2026)


@pytest.mark.parametrize("lines,why", [
    ([(A.available, -150000), (A.reserved, 149999)], "posting lines sum to -1 fen, not zero"),
    ([(A.available, -150000), (A.reserved, 150000), (A.paid, 1)], "posting lines sum to 1 fen, not zero"),
    ([(A.reserved, 150000)], "a posting needs at least two lines"),
    ([], "a posting needs at least two lines"),
    ([(A.available, 0), (A.reserved, 0)], "a posting line of zero fen says nothing"),
    ([(A.available, -150000), (A.reserved, 150000), (A.paid, 0)], "a posting line of zero fen says nothing"),
])
def test_an_unbalanced_single_or_zero_line_posting_is_refused_saying_why(lines, why):
    with pytest.raises(UnbalancedPosting) as refused:
        check_balanced(lines)
    assert str(refused.value) == why


@pytest.mark.parametrize("lines", [
    [(A.available, -150000), (A.reserved, 150000)],
    [(A.funding, -300000), (A.available, 100000), (A.reserved, 150000), (A.paid, 50000)],
])
def test_a_posting_that_sums_to_zero_passes(lines):
    check_balanced(lines)
