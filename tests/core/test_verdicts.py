import pytest

from tokensel.core import verdicts
from tokensel.core.errors import ConfigError


def test_summary_has_the_verdict_and_the_claim() -> None:
    assert verdicts.summary(verdicts.UNDECIDED, "No point ran.") == {"verdict": "undecided", "claim": "No point ran."}


def test_summary_refuses_a_word_outside_the_vocabulary() -> None:
    with pytest.raises(ConfigError, match="not a verdict"):
        verdicts.summary("mostly reproduced", "Numbers.")


def test_a_claim_never_repeats_its_verdict() -> None:
    # The index prints "<verdict>: <claim>"; "partially reproduced: Partially reproduced: ..." read twice.
    with pytest.raises(ValueError, match="repeats its verdict"):
        verdicts.summary(verdicts.PARTIALLY_REPRODUCED, "Partially reproduced: two layers match at k=8.")
