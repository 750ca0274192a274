"""The .deriv reader: what it accepts, what it builds, and how it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Relation
from elbo_derivation.errors import DerivationSyntaxError, InputError
from elbo_derivation.read.deriv import (
    MAX_BYTES,
    parse_derivation,
    parse_expression,
    read_derivation,
)

HEADER = "symbols: a, x : real\nsymbols: s : positive\n"


def located(text: str) -> DerivationSyntaxError:
    with pytest.raises(DerivationSyntaxError) as info:
        parse_derivation(text, file="f.deriv")
    return info.value


def test_reads_header_steps_and_justifications() -> None:
    d = parse_derivation(
        "title: A title # with a hash\nsource: notes §3\n" + HEADER
        + "let: p = exp(-x^2/(2*s^2))/sqrt(2*pi*s^2)\n\n"
        "  Integral(p, (x, -oo, oo))   # start\n"
        "= 1      # a density integrates to one\n"
        "<= 2\n>= 1/2\n=~ [a] 1/2 + a\n",
        file="t.deriv",
    )
    assert d.title == "A title # with a hash"
    assert d.source == "notes §3"
    assert d.name == "t"
    assert d.symbols["s"].is_positive and d.symbols["a"].is_real
    assert isinstance(d.start, sp.Integral)
    assert [s.relation for s in d.steps] == [Relation.EQ, Relation.LE, Relation.GE,
                                             Relation.EQ_UP_TO]
    assert d.steps[0].justification == "a density integrates to one"
    assert [s.line for s in d.steps] == [8, 9, 10, 11]
    assert d.steps[3].wrt == ("a",)
    s = d.symbols["s"]
    expanded = d.expand_definitions(d.start)
    assert expanded.has(sp.exp) and expanded.has(s)


def test_numbers_are_exact_and_operators_follow_convention() -> None:
    a = sp.Symbol("a", real=True)
    syms = {"a": a}
    assert parse_expression("3.14159", syms) == sp.Rational(314159, 100000)
    assert parse_expression("-a^2", syms) == -(a**2)
    assert parse_expression("2^3^2", syms) == 2**9
    assert parse_expression("a**2 / 2 * a", syms) == a**3 / 2
    assert parse_expression("1e-3", syms) == sp.Rational(1, 1000)
    assert parse_expression("π − a·2", syms) == sp.pi - 2 * a


def test_densities_and_expectations() -> None:
    d = parse_derivation(
        "symbols: x, z : real\ndensities: q(z|x), p(z), p(x|z)\n"
        "E[log(q(z|x)/p(z)), z ~ q(z|x)]\n= E[log(q(z|x)) - log(p(z)), z ~ q(z|x)]\n"
    )
    q = d.functions["q(z|x)"]
    assert q.func.__name__ == "q(z|x)" and q.args == (d.symbols["z"], d.symbols["x"])
    assert q.is_positive
    assert isinstance(d.start, Expectation) and d.start.density == q
    assert d.symbols["z"] not in d.start.free_symbols


def test_crlf_tabs_and_bom_are_fine() -> None:
    d = parse_derivation("\ufeffsymbols: a, b : positive\r\n\tlog(a*b)\r\n=\tlog(a) + log(b)\r\n")
    assert d.steps[0].line == 3


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("", "1:1", "no starting expression"),
        (HEADER + "a + b\n= a", "3:5", "undeclared symbol 'b'"),
        (HEADER + "(a + 1\n= a", "3:7", "expected ')'"),
        (HEADER + "a\na", "4:1", "expected a relation"),
        (HEADER + "= a", "3:1", "before the starting expression"),
        (HEADER + "a", "4:1", "no steps"),
        (HEADER + "2 a\n= a", "3:3", "multiplication is written explicitly"),
        (HEADER + "a\n=~ a", "4:3", "'[names]'"),
        ("symbols: a : complex\na\n= a", "1:14", "unknown assumption"),
        ("symbols: log : real\nlog\n= 1", "1:10", "reserved"),
        (HEADER + "foo(a)\n= a", "3:1", "unknown function 'foo'"),
        (HEADER + "a\n= 9^9^9^9", "4:6", "number too large"),
        (HEADER + "a\n= " + "(" * 500 + "a" + ")" * 500, "4:", "nested 500 deep"),
        (HEADER + "a\n= " + "^".join(["a"] * 400), "4:", "nested too deeply"),
        (HEADER + "a\n= a\x00", "4:4", "NUL byte"),
    ],
)
def test_malformed_input_is_located(text: str, where: str, words: str) -> None:
    err = located(text)
    assert f"f.deriv:{where}" in str(err), str(err)
    assert words in str(err), str(err)


@pytest.mark.parametrize(
    "code",
    [
        "__import__('os').system('touch {sentinel}')",
        "a.__class__.__mro__",
        "(lambda: 1)()",
        "f'{{a}}'",
        "exec('1')",
        "eval('1')",
        "a; import os",
        "[x for x in ()]",
    ],
)
def test_nothing_in_a_file_runs_code(code: str, tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    text = HEADER + code.format(sentinel=sentinel) + "\n= a\n"
    with pytest.raises(DerivationSyntaxError) as info:
        parse_derivation(text, file="f.deriv")
    assert "f.deriv:3:" in str(info.value)
    assert not sentinel.exists()


def test_read_derivation_refuses_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.deriv"
    bad.write_bytes(b"symbols: a : real\na + \xff\n= a\n")
    with pytest.raises(DerivationSyntaxError, match=r"bad.deriv:2:5: byte 0xff is not valid UTF-8"):
        read_derivation(bad)
    big = tmp_path / "big.deriv"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(InputError, match="larger than"):
        read_derivation(big)
    with pytest.raises(InputError, match="folder"):
        read_derivation(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_derivation(tmp_path / "missing.deriv")
    assert os.listdir(tmp_path)  # nothing was deleted


def test_long_flat_chains_are_read_quickly() -> None:
    a = sp.Symbol("a", real=True)
    expr = parse_expression("+".join(["a"] * 3000), {"a": a})
    assert expr == 3000 * a


@pytest.mark.parametrize(
    ("expr", "words"),
    [("1/0", "undefined"), ("log(0)", "undefined"), ("oo - oo", "undefined"),
     ("a/(a - a)", "undefined"), ("sqrt(-1)", "not real"), ("log(-2)", "not real"),
     ("(10^500)^2", "number too large")],
)
def test_undefined_or_complex_values_are_refused(expr: str, words: str) -> None:
    err = located(HEADER + "a\n= " + expr + "\n")
    assert "f.deriv:4:" in str(err) and words in str(err), str(err)
