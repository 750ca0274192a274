r"""Hostile input through both readers (.deriv and .tex) and the ``check`` command.

Every attempt to run code, include files or exhaust the machine must end as a clear, located
message (``DerivationSyntaxError``/``InputError``; exit code 2 from ``elbo-derivation check``,
no traceback) or as a bounded verdict -- and must execute nothing: each payload that tries to
run a command aims it at a sentinel file, which must not exist afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from elbo_derivation.cli import main
from elbo_derivation.errors import DerivationSyntaxError, InputError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

HEADER = "symbols: h : positive\nsymbols: g : real\n"
TEX_HEADER = "% symbols: h : positive\n% symbols: g : real\n"


def payloads(sentinel: Path) -> dict[str, str]:
    """Expressions that try to run code or escape the grammar (one line each)."""
    touch = f"touch {sentinel}"
    return {
        "python call": f"__import__('os').system('{touch}')",
        "dunder attribute": "h.__class__.__bases__[0].__subclasses__()",
        "dunder name": "__builtins__",
        "lambda": "(lambda: __import__('os').system('true'))()",
        "f-string": "f'{h}'",
        "format string": "'{0.__class__}'.format(h)",
        "exec": f"exec(\"import os; os.system('{touch}')\")",
        "eval": "eval('1+1')",
        "attribute chain": "h.subs(h, 1)",
        "semicolon": "h; import os",
        "latex input": r"$\input{/etc/passwd}$",
        "latex include": r"$\include{/etc/passwd}$",
        "latex def": r"$\def\x{\input{/etc/passwd}}\x$",
        "latex newcommand": r"$\newcommand{\x}{1}\x$",
        "latex write18": f"$\\immediate\\write18{{{touch}}}$",
        "latex catcode": r"$\catcode`\^^M=13$",
        "deep parentheses": "(" * 5000 + "h" + ")" * 5000,
        "deep latex braces": "$" + "{" * 5000 + "h" + "}" * 5000 + "$",
        "deep latex frac": "$" + r"\frac{1}{" * 400 + "h" + "}" * 400 + "$",
        "long log chain": "$" + r"\log " * 3000 + "h$",
        "sign chain": "-" * 5000 + "h",
        "tower": "9^9^9^9",
        "tower of tens": "10^10^10",
        "latex tower": "$9^{9^{9^{9}}}$",
        "latex tens": "$10^{10^{10}}$",
        "huge literal": "1" * 5000,
        "very long line": "h" + " + h" * 6000,
    }


def tex_row(expr: str) -> str:
    # the same payload as the right side of a .tex row ($...$ delimiters dropped)
    inner = expr[1:-1] if expr.startswith("$") and expr.endswith("$") else expr
    return TEX_HEADER + "\\begin{align*}\nh &= " + inner + "\n\\end{align*}\n"


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    return tmp_path / "SENTINEL"


def test_deriv_reader_refuses_every_payload_with_a_located_message(sentinel: Path) -> None:
    for name, expr in payloads(sentinel).items():
        with pytest.raises(DerivationSyntaxError) as info:
            parse_derivation(HEADER + "h\n= " + expr + "\n", file="p.deriv")
        err = info.value
        assert err.file == "p.deriv" and err.line == 4, (name, str(err))
        assert str(err).startswith("p.deriv:4"), name
        assert "Traceback" not in str(err)
    assert not sentinel.exists()


def test_tex_reader_refuses_every_payload_with_a_located_message(sentinel: Path) -> None:
    for name, expr in payloads(sentinel).items():
        with pytest.raises(DerivationSyntaxError) as info:
            parse_tex_derivation(tex_row(expr), file="p.tex")
        err = info.value
        assert err.file == "p.tex" and err.line == 4 and err.column is not None, (name, str(err))
    assert not sentinel.exists()


def test_check_command_exits_2_without_traceback(sentinel: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for i, (name, expr) in enumerate(payloads(sentinel).items()):
        for suffix, text in ((".deriv", HEADER + "h\n= " + expr + "\n"), (".tex", tex_row(expr))):
            path = tmp_path / f"payload{i}{suffix}"
            path.write_text(text, encoding="utf-8")
            code = main(["check", str(path)])
            out = capsys.readouterr()
            assert code == 2, (name, suffix, out.err)
            assert f"{path}:4:" in out.err, (name, suffix, out.err)
            assert "Traceback" not in out.err + out.out
    assert not sentinel.exists()


def test_check_command_as_a_process(sentinel: Path, tmp_path: Path) -> None:
    path = tmp_path / "attack.deriv"
    path.write_text(HEADER + "h\n= " + payloads(sentinel)["python call"] + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "elbo_derivation", "check", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"{path}:3:" not in done.stderr
    assert f"{path}:4:" in done.stderr and "Traceback" not in done.stderr
    assert not sentinel.exists()


@pytest.mark.parametrize("suffix", [".deriv", ".tex"])
@pytest.mark.parametrize(("what", "data", "where"), [
    ("invalid UTF-8", b"\xff\xfe", "3:3"),
    ("NUL byte", b"h\x00", "3:4"),
])
def test_binary_input_is_refused_and_located(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             suffix: str, what: str, data: bytes,
                                             where: str) -> None:
    if suffix == ".deriv":
        content = b"symbols: h : positive\nh\n= " + data + b"\n"
    else:
        content = (b"% symbols: h : positive\n\\begin{align*}\nh &= " + data
                   + b"\n\\end{align*}\n")
        where = {"3:3": "3:6", "3:4": "3:7"}[where]
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{where}:" in err, (what, err)
    assert "Traceback" not in err


@pytest.mark.parametrize("suffix", [".deriv", ".tex"])
def test_crlf_endings_and_tabs_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        suffix: str) -> None:
    if suffix == ".deriv":
        text = "symbols:\th : positive\r\n\tlog(h^2)\r\n=\t2*log(h)\t# a log rule\r\n"
    else:
        text = ("% symbols:\th : positive\r\n\\begin{align*}\r\n\t\\log h^2\t&=\t2\\log h"
                "\t% a log rule\r\n\\end{align*}\r\n")
    path = tmp_path / f"crlf{suffix}"
    path.write_bytes(text.encode("utf-8"))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "a log rule" in out


def test_files_beyond_the_limits_are_refused(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.tex"
    big.write_text("%" + "x" * 1_100_000 + "\n", encoding="utf-8")
    assert main(["check", str(big)]) == 2
    assert "bytes" in capsys.readouterr().err
    rows = "".join("  &= h \\\\\n" for _ in range(1001))
    many = TEX_HEADER + "\\begin{align*}\nh " + rows.lstrip() + "\\end{align*}\n"
    with pytest.raises(InputError, match="more than 1000 steps"):
        parse_tex_derivation(many, file="many.tex")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("step", [
    "(h + 1)^(10^10)\n= h^(10^10) + 1",          # a huge power: nothing expands it
    "$\\exp(\\exp(\\exp(\\exp(h))))$\n= $\\exp(\\exp(\\exp(\\exp(g))))$",
])
def test_huge_but_legal_expressions_end_in_a_bounded_verdict(tmp_path: Path, step: str) -> None:
    from elbo_derivation.verification import check_file

    path = tmp_path / "huge.deriv"
    path.write_text(HEADER + step + "\n", encoding="utf-8")
    d = check_file(path, time_limit=1.0)
    assert d.steps[0].verdict.value in ("refuted", "undecided")
