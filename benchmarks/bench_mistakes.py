"""Benchmark of the named mistakes (tracker issue 17): named right, not recognised, misnamed.

Three sets of labelled wrong steps:

* the test suite's mutants of the bundled notes (``tests/test_kl_gaussians_deriv.py``,
  ``tests/test_kl_standard_normal_deriv.py``, ``tests/test_elbo_deriv.py``): each mutant is
  checked by the engine up to its first failing step, then that step is diagnosed. Their
  labels are below (:data:`LABELS`), written from what each mutant changes; where two names
  say exactly the same thing (log(1/Z) written log Z is the sign of that log term) both are
  accepted;
* the wrong steps of ``tests/test_mistakes.py`` (labelled there);
* the catalogue's own examples (one per entry).

If ``tests/corpus/`` exists, its labelled wrong derivations are two more sets
(:func:`corpus_cases`).

"Misnamed" is the figure that must stay at 0: a wrong name is worse than none. Times are the
wall-clock time of ``diagnose`` alone on the failing step (the engine's own check excluded),
median and worst; the machine is shared, so they vary with load.

Run: ``.venv/bin/python benchmarks/run.py mistakes``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

#: the mutants' labels: the names that say what each mutant did (None: no catalogue entry)
LABELS: dict[str, tuple[str, ...]] = {
    # tests/test_kl_gaussians_deriv.py (notes §3)
    "split with the wrong sign": ("sign-error",),
    "sigma for sigma^2 in log p1": ("std-for-variance",),
    "dropped 1/2 in log p1": ("dropped-half",),
    "log Z1 for log(1/Z1)": ("log-ratio-flipped", "sign-error"),
    "sign of the quadratic term": ("sign-error",),
    "sign of the cross term 2x mu1": ("cross-term-sign",),
    "dropped 1/2 before the integral": ("dropped-half",),
    "E[x^2] = sigma^2 alone": ("second-moment-missing-mean",),
    "missing mu^2 term": ("dropped-term",),
    "E[x^2] = sigma + mu^2": ("std-for-variance",),
    "-1 instead of -1/2": ("dropped-half",),
    "pi approximated as 3.14159": ("pi-approximated",),
    "sigma for sigma^2 in log Z1": ("log-std-for-log-variance", "std-for-variance"),
    "log Z2 for log(1/Z2)": ("log-ratio-flipped", "sign-error"),
    "wrong mean in log p2": ("other-distributions-parameter",),
    "sign of log Z2": ("sign-error", "log-ratio-flipped"),
    "sign of the cross term 2x mu2": ("cross-term-sign",),
    "E[x^2] = sigma1^2 alone, second term": ("second-moment-missing-mean",),
    "missing mu2^2 term": ("dropped-term",),
    "E[x] = mu2 in the cross term": ("other-distributions-parameter",),
    "sigma1 for sigma1^2 in the final sum": ("std-for-variance",),
    # the previous line has log Z₂ = log √(2πσ₂²): the ½ dropped is the square root's
    "dropped 1/2 on log(2 pi sigma2^2)": ("dropped-half", "log-inverse-sqrt"),
    "1/(2 sigma1^2) for 1/(2 sigma2^2)": ("other-distributions-parameter",),
    "log(sigma1/sigma2) flipped": ("log-ratio-flipped",),
    "+1/2 for -1/2": ("sign-error",),
    "(mu1 + mu2)^2": ("cross-term-sign",),
    "wrong normaliser in p1 (no pi)": ("normaliser-pi-lost",),
    "wrong normaliser Z1 (no pi), so ∫p1 ≠ 1": ("normaliser-pi-lost",),
    # tests/test_kl_standard_normal_deriv.py (notes §4), keyed by the new text
    "+ log(1/h) + (sqrt(h)^2": ("log-inverse-sqrt", "dropped-half"),
    "(h + g^2 - log(h))/2": ("missing-minus-one",),
    "+ (h^2 + g^2)/2 - 1/2": ("variance-as-std",),
    "(exp(l2) + g2^2 - l2)/2": ("missing-minus-one",),
    "(exp(l1) + g1^2 - exp(l1) - 1)/2": ("log-variance-exponentiated",),
    "(h3 + g3^2 - log(h3))/2": ("missing-minus-one",),
    # tests/test_elbo_deriv.py (notes §2), keyed by the new text
    "p(z)) - E[log(p(x|z)), z ~ q(z|x)] - log(p(x))": ("log-evidence-sign",),
    "- log(p(x|z)) - log(p(z)) - log(p(x)), z": ("log-evidence-sign",),
    "  = KL(p(z), q(z|x)) - E[log(p(x|z)), z ~ q(z|x)] + E[log(p(x))":
        ("kl-direction-swapped",),
    # E_q[log p/q]: the ratio upside down (the density of E is still q)
    "  = E[log(p(z|x)/q(z|x)), z ~ q(z|x)]": ("log-ratio-flipped",),
    "=~ [q] KL(q(z|x), p(z)) + log(p(x))": ("dropped-term",),
    "  <= E[log(p(x|z))": ("inequality-reversed",),
    "+ c*E[(x - f(z))^2": ("variance-for-balancing-constant",),
    "log(q(z|x)) - log(p(x)*p(z)/p(x|z)), z": ("bayes-inverted",),
}


def _mutants() -> Iterator[tuple[str, str, str]]:
    """(set, label key, mutated .deriv text) for every mutant of the test suite."""
    import test_elbo_deriv as elbo
    import test_kl_gaussians_deriv as gaussians
    import test_kl_standard_normal_deriv as standard

    for name, _index, text in gaussians.MUTANTS:
        yield "§3 mutants", name, text
    for module, title in ((standard, "§4 mutants"), (elbo, "§2 mutants")):
        params = module.test_mutants_are_refuted_at_the_right_step.pytestmark[0].args[1]
        for file, old, new, _index in params:
            text = (module.NOTES / f"{file}.deriv").read_text(encoding="utf-8")
            yield title, new, text.replace(old, new)


def _first_failure(text: str) -> tuple[Any, Any, Any, Any] | None:
    from elbo_derivation.decide.engine import check_step
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(text, file="mutant.deriv")
    for step in d.steps:
        step.result = check_step(d, step)
        if not step.result.verdict.ok:
            return d.expand_definitions(step.lhs(d)), d.expand_definitions(step.expr), d, step
    return None


def corpus_cases(folder: Path) -> Iterator[tuple[str, str, tuple[str, ...], Any]]:
    """The corpus's wrong files: yield (set, id, labels, (lhs, rhs, derivation, step)).

    Each file of ``tests/corpus/*/wrong/`` says in its first line which step carries the
    seeded mistake and its name (``# expect: wrong step=N mistake=A|B``, see
    tests/corpus/README.md). That step is checked (2 s); when it is refuted, it is diagnosed.
    Files the reader refuses and labelled steps that are not refuted are left out (the
    benchmark ``bench_corpus.py`` counts them). Two sets: labels that name a catalogue entry,
    and labels the catalogue has no entry for (for those "not recognised" is the right answer
    and any name is a misnaming).
    """
    import re

    from elbo_derivation.errors import InputError
    from elbo_derivation.explain.catalogue import BY_NAME
    from elbo_derivation.pipeline import check_step
    from elbo_derivation.verification import read_any

    label = re.compile(r"^\s*[#%]\s*expect:\s*wrong\s+step=(\d+)\s+mistake=([a-z0-9|-]+)")
    for path in sorted(folder.glob("*/wrong/*")):
        if path.suffix not in (".deriv", ".tex"):
            continue
        m = label.match(path.read_text(encoding="utf-8").split("\n", 1)[0])
        if m is None:
            continue
        k, names = int(m.group(1)), tuple(m.group(2).split("|"))
        try:
            d = read_any(path)
        except InputError:
            continue
        if k > len(d.steps):
            continue
        step = d.steps[k - 1]
        if check_step(d, step, time_limit=2.0).verdict.value != "refuted":
            continue
        kind = ("corpus (catalogue labels)" if any(n in BY_NAME for n in names)
                else "corpus (other labels)")
        yield (kind, path.relative_to(folder).as_posix(), names,
               (d.expand_definitions(step.lhs(d)), d.expand_definitions(step.expr), d, step))


def _score(found: str | None, labels: tuple[str, ...]) -> str:
    if found is None:
        return "not recognised"
    return "named right" if found in labels else "misnamed"


def main() -> None:
    from elbo_derivation.explain.catalogue import CATALOGUE
    from elbo_derivation.explain.mistakes import diagnose

    rows: list[tuple[str, str, str, str | None, float]] = []

    def run(set_name: str, key: str, labels: tuple[str, ...], lhs: Any, rhs: Any, d: Any,
            step: Any) -> None:
        start = time.perf_counter()
        found = diagnose(lhs, rhs, d, step)
        seconds = time.perf_counter() - start
        name = None if found is None else found.name
        rows.append((set_name, key, _score(name, labels), name, seconds))

    for set_name, key, text in _mutants():
        failing = _first_failure(text)
        if failing is None:
            rows.append((set_name, key, "not refuted", None, 0.0))
            continue
        run(set_name, key, LABELS.get(key, ()), *failing)

    import test_mistakes

    for name, right, wrong in test_mistakes.CASES:
        run("tests/test_mistakes.py", name, (name,), right, wrong, None, None)

    from elbo_derivation.core.steps import Relation

    for entry in CATALOGUE:
        ex = entry.example
        symbols = {s.name: s for s in ex.right.atoms() | ex.wrong.atoms() if s.is_Symbol}
        roles = {symbols[k]: r for k, r in ex.roles.items() if k in symbols}
        d = SimpleNamespace(declarations=SimpleNamespace(roles=roles), symbols=symbols,
                            steps=[], definitions={}, start=ex.right)
        step = SimpleNamespace(relation=Relation(ex.relation), index=1, wrt=())
        run("catalogue examples", entry.name, (entry.name,), ex.right, ex.wrong, d, step)

    corpus = ROOT / "tests" / "corpus"
    if corpus.is_dir():
        for set_name, key, labels, args in corpus_cases(corpus):
            run(set_name, key, labels, *args)

    sets = list(dict.fromkeys(r[0] for r in rows))
    print(f"{'set':28s} {'steps':>5s} {'right':>6s} {'not rec.':>8s} {'misnamed':>8s} "
          f"{'median ms':>9s} {'worst ms':>9s}")
    for s in [*sets, "all"]:
        chosen = [r for r in rows if s in ("all", r[0]) and r[2] != "not refuted"]
        times = [1000 * r[4] for r in chosen]
        count = {k: sum(1 for r in chosen if r[2] == k)
                 for k in ("named right", "not recognised", "misnamed")}
        print(f"{s:28s} {len(chosen):5d} {count['named right']:6d} "
              f"{count['not recognised']:8d} {count['misnamed']:8d} "
              f"{statistics.median(times):9.0f} {max(times):9.0f}")
    wrong = [r for r in rows if r[2] in ("misnamed", "not refuted")]
    unnamed = [r for r in rows if r[2] == "not recognised"]
    for r in wrong:
        print(f"  {r[2]}: [{r[0]}] {r[1]} -> {r[3]}")
    print("  not recognised: " + "; ".join(f"{r[1]}" for r in unnamed))


if __name__ == "__main__":
    main()
