"""What the console script spares at start-up, and that nothing is lost by it.

``cli.entry`` puts a placeholder for ``sympy.physics.units`` in ``sys.modules``: ``simplify``
imports that package on every call only to ask whether an expression holds a physical
``Quantity``. These tests run in a fresh interpreter, as the console script does.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, check=True, timeout=120)
    return out.stdout.strip()


def test_simplify_runs_without_the_units_package():
    out = _run("""
        import sys
        from elbo_derivation import cli
        cli._units_placeholder()
        import sympy as sp
        x = sp.Symbol("x", positive=True)
        print(sp.simplify(sp.log(x**2) / 2 - sp.log(x)))
        print(sp.checksol(x**2 - 4, x, 2))
        print("sympy.physics.units.systems" in sys.modules, "sympy.physics" in sys.modules)
    """)
    assert out.splitlines() == ["0", "True", "False False"]


def test_the_real_package_takes_over_when_asked_for_anything_else():
    out = _run("""
        import sympy as sp
        from elbo_derivation import cli
        cli._units_placeholder()
        sp.simplify(sp.Symbol("y") * 2 / 2)
        from sympy.physics.units import meter, kilometer, convert_to
        print(convert_to(kilometer, meter))
        print(sp.simplify(3 * meter + 2 * meter))  # simplify now meets the real Quantity
    """)
    assert out.splitlines() == ["1000*meter", "5*meter"]


def test_the_library_alone_keeps_the_real_package():
    out = _run("""
        import sympy as sp
        import elbo_derivation.cli  # importing the module installs nothing
        from sympy.physics.units import Quantity
        print(Quantity.__module__)
    """)
    assert out == "sympy.physics.units.quantities"


def test_sums_are_built_without_the_tensor_module():
    out = _run("""
        import sys
        from elbo_derivation import cli
        cli._units_placeholder()
        import sympy as sp
        x, y = sp.symbols("x y", positive=True)
        e = sp.expand((x + y + 1)**2 - 2*x*y) + sp.log(x) - sp.log(x)
        print(e)
        tensor = sys.modules["sympy.tensor.tensor"]
        print("sympy.combinatorics" in sys.modules, type(tensor).__name__)
    """)
    assert out.splitlines() == ["x**2 + 2*x + y**2 + 2*y + 1", "False _TensorPlaceholder"]


def test_the_real_tensor_module_takes_over_when_asked_for_anything_else():
    out = _run("""
        import sympy as sp
        from elbo_derivation import cli
        cli._units_placeholder()
        x = sp.Symbol("x")
        print(x + 2 * x + 1)
        from sympy.tensor.tensor import TensorIndexType, tensor_indices, TensorHead
        L = TensorIndexType("L")
        i = tensor_indices("i", L)
        A, B = TensorHead("A", [L]), TensorHead("B", [L])
        print(type(A(i) + B(i)).__name__, type(A(i) + A(i)).__name__)  # Add meets real tensors
    """)
    assert out.splitlines() == ["3*x + 1", "TensAdd TensMul"]


def test_the_library_alone_keeps_the_real_tensor_module():
    out = _run("""
        import sympy as sp
        import elbo_derivation.cli  # importing the module installs nothing
        x = sp.Symbol("x")
        print(x + 1, type(__import__("sys").modules["sympy.tensor.tensor"]).__name__)
    """)
    assert out == "x + 1 module"
