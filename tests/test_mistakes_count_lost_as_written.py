"""A term of a summand, free of the index as written, taken out of the sum without its count.

Σ_{i=1}^{m} (−log(σ√(2π)) − (x_i − μ)²/(2σ²)) written −(1/(2σ²)) Σ (x_i − μ)² − log(σ√(2π))
(Shalev-Shwartz & Ben-David, sec. 24.1, with the m lost) was not recognised: the simulation
looked for the terms free of the index only in the expanded summand, where −μ²/(2σ²) is one
too. The terms as written are now tried first.
"""

from __future__ import annotations

from pathlib import Path

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

_HEAD = """symbols: k : integer
symbols: K : positive integer
symbols: a : real
symbols: c : positive
functions: y(k) : real

    Sum(-log(c*sqrt(2*pi)) - (y(k) - a)^2/(2*c^2), (k, 1, K))
"""


def _first(tmp_path: Path, step: str):
    path = tmp_path / "count.deriv"
    path.write_text(_HEAD + "  = " + step + "\n")
    return check_derivation(read_any(path), time_limit=5.0).steps[0]


def test_the_count_of_a_written_term_lost_is_named(tmp_path: Path) -> None:
    step = _first(tmp_path, "-Sum((y(k) - a)^2, (k, 1, K))/(2*c^2) - log(c*sqrt(2*pi))")
    assert step.verdict is Verdict.REFUTED
    assert step.result is not None and step.result.mistake == "dimension-count"


def test_the_right_step_is_proved(tmp_path: Path) -> None:
    step = _first(tmp_path, "-Sum((y(k) - a)^2, (k, 1, K))/(2*c^2) - K*log(c*sqrt(2*pi))")
    assert step.verdict is Verdict.PROVED
