"""Additions to the .deriv grammar: ``KL(q, p)`` / ``KL(p1, p2, x)`` and ``functions:``."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation

HEAD = "symbols: x, z : real\nsymbols: s : positive\ndensities: q(z|x), p(z)\n"


def test_kl_of_declared_densities_infers_the_variable() -> None:
    d = parse_derivation(HEAD + "KL(q(z|x), p(z))\n= E[log(q(z|x)/p(z)), z ~ q(z|x)]\n")
    kl = d.start
    assert isinstance(kl, KL) and isinstance(kl, Expectation)
    assert kl.variable == d.symbols["z"] and kl.density == d.functions["q(z|x)"]
    assert kl.as_expectation() == d.steps[0].expr
    assert str(kl) == "KL(q(z|x)(z, x), p(z)(z))"
    assert d.symbols["z"] not in kl.free_symbols


def test_kl_of_written_out_densities_names_the_variable() -> None:
    d = parse_derivation(
        HEAD + "let: n = exp(-z^2/(2*s^2))/sqrt(2*pi*s^2)\nKL(n, p(z), z)\n= 0\n"
    )
    assert isinstance(d.start, KL) and d.start.variable == d.symbols["z"]
    # KL survives substitution (xreplace rebuilds it from its arguments)
    expanded = d.expand_definitions(d.start)
    assert isinstance(expanded, KL) and expanded.q.has(sp.exp)


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("KL(q(z|x))", "expected KL(q, p)"),
        ("KL(z, p(z))", "cannot tell the variable"),
        ("KL(q(z|x), p(z), 2)", "third argument of KL must be a declared symbol"),
        ("KL(q(z|x), p(z) | x)", "expected KL(q, p)"),
    ],
)
def test_bad_kl_is_located(expr: str, words: str) -> None:
    with pytest.raises(DerivationSyntaxError) as info:
        parse_derivation(HEAD + expr + "\n= 0\n", file="k.deriv")
    assert "k.deriv:4:" in str(info.value) and words in str(info.value)


def test_kl_is_reserved() -> None:
    with pytest.raises(DerivationSyntaxError, match="reserved"):
        parse_derivation("symbols: KL : real\nKL\n= 0\n")


def test_functions_declares_abstract_real_functions() -> None:
    d = parse_derivation(HEAD + "functions: f(z) : real\nE[(x - f(z))^2, z ~ q(z|x)]\n=~ [f] 0\n")
    f = d.functions["f(z)"]
    assert f.func.__name__ == "f" and f.args == (d.symbols["z"],) and f.is_real
    assert d.steps[0].wrt == ("f",)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("functions: f(z)", "expected 'functions: SIGNATURES : ASSUMPTION'"),
        ("functions: f(z) : complex", "expected 'functions: SIGNATURES : ASSUMPTION'"),
        ("functions: f(y) : real", "function variable 'y' must be a declared symbol"),
        ("functions: f(z|x) : real", "expected a function signature like 'f(z)'"),
        ("functions: q(z) : real", "already declared or reserved"),
        ("functions: log(z) : real", "already declared or reserved"),
    ],
)
def test_bad_functions_lines_are_located(line: str, words: str) -> None:
    with pytest.raises(DerivationSyntaxError) as info:
        parse_derivation(HEAD + line + "\nx\n= x\n", file="f.deriv")
    assert "f.deriv:4:" in str(info.value) and words in str(info.value)
