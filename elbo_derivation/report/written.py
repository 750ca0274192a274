"""Signs and grouping of an expression as its author wrote it, shared by the printers.

The reading layer builds each step's display form without SymPy's evaluation
(:attr:`~elbo_derivation.core.steps.Step.display`): its sums keep the author's order, a sum
inside a sum is a bracket the author wrote, and a minus sign is a factor ``-1``. SymPy's
printers would sort the terms and print that factor as ``(-1)·x``. The functions here give the
printers (unicode, LaTeX, MathML) what they need to write ``−x`` and keep the brackets.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> with sp.evaluate(False):
...     e = sp.Mul(-1, sp.Mul(-1, x), y)
>>> split_sign(e)
(False, x*y)
>>> split_sign(sp.Rational(-1, 2))
(True, 1/2)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.timeout import clock
from elbo_derivation.core.written import xreplace_as_written

__all__ = [
    "WrittenOrder",
    "applied_density",
    "as_written_part",
    "e_is_a_symbol",
    "evaluated",
    "extends_right",
    "flat_product",
    "is_bracket",
    "is_sequence_term",
    "leading_fraction",
    "operand",
    "shown",
    "signature_symbols",
    "split_sign",
    "with_density_names",
    "written_repair",
    "written_runs",
]


def _unevaluated_mul(args: list[sp.Basic]) -> sp.Basic:
    if not args:
        return sp.S.One
    if len(args) == 1:
        return args[0]
    return sp.Mul(*args, evaluate=False)


def split_sign(expr: sp.Basic) -> tuple[bool, sp.Basic]:
    """``(negative, rest)`` with ``expr == -rest`` when ``negative``: the factors ``-1`` of a
    product (and of the products inside it) taken out, and a negative number made positive.

    Nothing is evaluated: the remaining factors keep their order.
    """
    if isinstance(expr, sp.Number) and expr.is_negative:
        return True, -expr
    if isinstance(expr, sp.MatMul):
        return _split_matrix_sign(expr)
    if not isinstance(expr, sp.Mul):
        return False, expr
    negative, args, changed = False, [], False
    for a in expr.args:
        if a is sp.S.One:  # a factor 1 that unevaluated construction left
            changed = True
            continue
        if a is sp.S.NegativeOne:
            negative, changed = not negative, True
            continue
        if isinstance(a, sp.Number) and a.is_negative:
            negative, changed = not negative, True
            args.append(-a)
            continue
        if isinstance(a, sp.Mul):
            inner_negative, inner = split_sign(a)
            negative ^= inner_negative
            changed = changed or inner is not a
            if inner is not sp.S.One:
                args.extend(sp.Mul.make_args(inner) if isinstance(inner, sp.Mul) else [inner])
            continue
        args.append(a)
    if not changed:
        return False, expr
    return negative, _unevaluated_mul(args)


def _split_matrix_sign(expr: sp.MatMul) -> tuple[bool, sp.Basic]:
    """:func:`split_sign` of a matrix product: its number factors' signs taken out, the
    matrices kept in their order and as written (never multiplied: a ``Mul`` of matrices
    would merge S⁻¹·S)."""
    negative, args, changed = False, [], False
    for a in flat_product(expr).args:
        if a is sp.S.One or a is sp.S.NegativeOne:
            negative, changed = negative ^ (a is sp.S.NegativeOne), True
        elif isinstance(a, sp.Number) and a.is_negative:
            negative, changed = not negative, True
            args.append(-a)
        elif isinstance(a, sp.Mul) and not a.is_Matrix:  # a scalar factor −4/(vᵀv)
            inner_negative, inner = split_sign(a)
            negative ^= inner_negative
            changed = changed or inner is not a
            if inner is not sp.S.One:
                args.append(inner)
        else:
            args.append(a)
    if not changed:
        return False, expr
    if not args:
        return negative, sp.S.One
    return negative, args[0] if len(args) == 1 else sp.MatMul(*args, evaluate=False)


#: A product as written, in runs of ``(numerator factors, denominator factors)``: ``a/b·c``
#: is ``[([a], [b]), ([c], [])]``. A factor is an expression, or (a fraction written as one
#: unit inside the product, ``\\frac{1 + c}{2c}(z - m)^2``) a nested list of runs.
Runs = list[tuple[list, list]]


def written_runs(expr: sp.Basic) -> tuple[bool, Runs]:
    """``(negative, runs)`` for a product as its author wrote it: the factors in order, each
    division ``/b`` (``b⁻¹``) under the factors written before it, a number fraction
    (``\\frac{1}{2}``) and a fraction written inside the product kept as units of their
    own, so that ``b^a/Γ(a)·∫…`` is not printed as one fraction with Γ(a) under the integral,
    nor ``½(h + g²)`` as ``(h + g²)/2``. The factors ``-1`` become the sign, the factors 1
    that unevaluated construction leaves are dropped.

    >>> import sympy as sp
    >>> a, b, c = sp.symbols("a b c")
    >>> written_runs(sp.Mul(a, sp.Pow(b, -1), c, evaluate=False))
    (False, [([a], [b]), ([c], [])])
    >>> written_runs(sp.Mul(-1, sp.Rational(1, 2), a + b, evaluate=False))
    (True, [([[([1], [2])], a + b], [])])
    """
    negative = False
    runs: Runs = [([], [])]

    def put(factor: object) -> None:
        num, den = runs[-1]
        if den:  # a factor after a division: a/b·c
            runs.append(([factor], []))
        else:
            num.append(factor)

    def add(f: sp.Basic) -> None:
        nonlocal negative
        if f is sp.S.One:
            return
        if f is sp.S.NegativeOne:
            negative = not negative
            return
        if isinstance(f, sp.Number) and f.is_negative:
            negative = not negative
            f = -f
        if isinstance(f, sp.Rational) and not f.is_Integer:
            put([([sp.Integer(f.p)], [sp.Integer(f.q)])])
            return
        if isinstance(f, sp.Mul):
            inner_negative, inner = written_runs(f)
            negative ^= inner_negative
            if any(d for _, d in inner):  # a fraction written as a unit
                put(inner)
            else:
                for factor in inner[0][0]:
                    add(factor) if isinstance(factor, sp.Basic) else put(factor)
            return
        if type(f) is sp.Pow and f.exp is sp.S.NegativeOne:  # (a + b)^{-1}: a power
            runs[-1][1].append(f.base)
            return
        put(f)

    for arg in expr.args if isinstance(expr, sp.Mul) else (expr,):
        add(arg)
    return negative, runs


def is_sequence_term(expr: sp.Basic) -> bool:
    """True for a declared sequence at an index, ``mu(d)`` with ``d`` an integer (a
    ``.deriv`` file's ``functions: mu(d) : real``): shown μ_d, with a subscript, as the
    notes write an indexed quantity.

    >>> import sympy as sp
    >>> d, x = sp.Symbol("d", integer=True), sp.Symbol("x", real=True)
    >>> is_sequence_term(sp.Function("mu")(d)), is_sequence_term(sp.Function("f")(x))
    (True, False)
    """
    return (isinstance(expr, AppliedUndef) and len(expr.args) == 1
            and "(" not in expr.func.__name__ and expr.args[0].is_integer is True)


def applied_density(expr: sp.Basic) -> tuple[str, list[sp.Basic], list[sp.Basic]] | None:
    """``(head, variables, given)`` for a declared density applied at other arguments than
    its signature names (``q(z|x)`` at ``x_1``, an i.i.d. copy): shown at those arguments,
    ``q(z|x_1)``; None for any other expression (a density at its own variables is shown by
    its signature).

    >>> import sympy as sp
    >>> z, x, x1 = sp.symbols("z x x_1", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)
    >>> applied_density(q(z, x1)), applied_density(q(z, x))
    (('q', [z], [x_1]), None)

    A density of a sequence entry, ``p(x_i|z)`` (the entry read as ``x(i)``), is shown at
    its arguments too, so that each printer writes the entry as an entry:

    >>> i = sp.Symbol("i", integer=True)
    >>> applied_density(sp.Function("p(x(i)|z)")(sp.Function("x")(i), z))
    ('p', [x(i)], [z])
    """
    if not isinstance(expr, AppliedUndef):
        return None
    name = expr.func.__name__
    head, paren, rest = name.partition("(")
    if not paren or not rest.endswith(")"):
        return None
    given_text, bar, cond_text = rest[:-1].partition("|")
    given = _top_level_names(given_text)
    cond = _top_level_names(cond_text) if bar else []
    if len(given) + len(cond) != len(expr.args):
        return None
    if [str(a) for a in expr.args] == given + cond and all(
            isinstance(a, sp.Symbol) for a in expr.args):
        return None
    return head, list(expr.args[:len(given)]), list(expr.args[len(given):])


def _top_level_names(text: str) -> list[str]:
    """The comma-separated names of a signature's variables, a comma inside brackets (a
    sequence entry ``x(i, j)``) not separating: ``"x(i, j), z"`` → ``["x(i, j)", "z"]``."""
    names, depth, start = [], 0, 0
    for k, ch in enumerate(text + ","):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            if text[start:k].strip():
                names.append(text[start:k].strip())
            start = k + 1
    return names


def e_is_a_symbol(expr: sp.Basic) -> bool:
    """Whether a symbol of ``expr`` is called e (so exp(u) must not be printed e^u).

    >>> import sympy as sp
    >>> e, b = sp.symbols("e b")
    >>> e_is_a_symbol(e * sp.exp(-b)), e_is_a_symbol(sp.exp(-b))
    (True, False)
    """
    try:
        return any(getattr(s, "name", None) == "e" for s in expr.atoms(sp.Symbol))
    except Exception:
        return False


def is_bracket(term: sp.Basic) -> bool:
    """True for a term of a sum that must be printed in brackets: a sum itself (a sum inside
    a sum is a grouping the author wrote), or an unevaluated expression wrapping one."""
    if isinstance(term, sp.UnevaluatedExpr):
        term = term.args[0]
    return isinstance(term, sp.Add)


def operand(body: sp.Basic) -> sp.Basic:
    """The body of a sum, product or integral as written: without the factor 1 that SymPy's
    unevaluated constructor puts in front of it (``Sum(f, ...)`` keeps ``1·f``).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> operand(sp.Mul(1, sp.log(x), evaluate=False))
    log(x)
    """
    while isinstance(body, sp.Mul) and len(body.args) > 1 and body.args[0] is sp.S.One:
        rest = body.args[1:]
        body = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    return body


def extends_right(factor: sp.Basic) -> bool:
    """True for a sum, product or integral: written last in a product, it needs no
    brackets (its body reaches to the end of the product, 2·Σ_d log σ_d)."""
    return isinstance(factor, (sp.Sum, sp.Product, sp.Integral))


def leading_fraction(expr: sp.Basic) -> tuple[sp.Integer, sp.Integer, sp.Basic] | None:
    """``(p, q, rest)`` for a product written with a number fraction in front,
    ``\\frac{1}{2}(h + g^2)`` or ``1/2*(h + g^2)``, so that the printers show ½ where the
    author wrote it instead of one fraction (h + g²)/2; None for any other expression.

    >>> import sympy as sp
    >>> h, g = sp.symbols("h g")
    >>> leading_fraction(sp.Mul(sp.Rational(1, 2), h + g, evaluate=False))
    (1, 2, g + h)
    >>> leading_fraction(sp.Mul(h, sp.Pow(2, -1, evaluate=False), evaluate=False)) is None
    True
    """
    if not isinstance(expr, sp.Mul) or len(expr.args) < 2:
        return None
    first, rest = expr.args[0], expr.args[1:]
    if isinstance(first, sp.Rational) and not first.is_Integer and first.is_positive:
        p, q = sp.Integer(first.p), sp.Integer(first.q)
    elif (type(first) is sp.Pow and first.exp is sp.S.NegativeOne
            and isinstance(first.base, sp.Integer) and first.base.is_positive):
        p, q = sp.S.One, first.base
    else:
        return None
    if any(type(f) is sp.Pow and f.exp.is_negative for f in rest):
        return None  # 1/2·x/y: a fraction with more below the bar, left to the printer
    body = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    return p, q, body


def evaluated(expr: sp.Basic) -> sp.Basic:
    """A display form built again with SymPy's evaluation: the value the checker works with.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> with sp.evaluate(False):
    ...     e = sp.Add(x, x)
    >>> e, evaluated(e)
    (x + x, 2*x)
    """
    if not isinstance(expr, sp.Basic) or not expr.args or isinstance(expr, AppliedUndef):
        return expr
    if hasattr(expr, "_elbo_checked"):  # a notation kept for display (core/written.py)
        return evaluated(expr._elbo_checked())
    try:
        return expr.func(*[evaluated(a) for a in expr.args])
    except Exception:
        return expr


def as_written_part(value: sp.Basic, forms: list[sp.Basic | None],
                    expand: object = None) -> sp.Basic | None:
    """The part of one of the as-written ``forms`` whose value is ``value`` (the largest,
    first found), so that a part the checker found (the part that differs, what was
    expected) can be shown in the author's own order and grouping; None when no part of the
    written forms has that value. ``expand`` (a derivation's ``expand_definitions``) lets a
    ``let`` name written on the page match its definition.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> with sp.evaluate(False):
    ...     written = sp.Add(sp.Mul(2, sp.Add(b, a)), 1)
    >>> as_written_part(2*a + 2*b, [written]).args[1].args  # the bracket, in written order
    (b, a)
    """
    if not isinstance(value, sp.Basic) or value.is_Atom:
        return None
    for form in forms:
        if form is None:
            continue
        for node in sp.preorder_traversal(form):
            if node.is_Atom:
                continue
            try:
                v = evaluated(node)
                if v == value or (callable(expand) and expand(v) == value):
                    return node
            except Exception:
                continue
    return None


def _number_factor(f: sp.Basic) -> bool:
    """A written number factor of a product: ``2``, ``1/2``, ``/4`` (``4⁻¹``)."""
    if isinstance(f, sp.Rational):
        return f not in (sp.S.One, sp.S.NegativeOne)
    return (isinstance(f, sp.Pow) and f.exp is sp.S.NegativeOne
            and isinstance(f.base, sp.Integer))


def _scaled(f: sp.Basic) -> list[sp.Basic]:
    """A number factor twice and half as large, as written: 2 → 4, 1, ``/4`` → ``/2``, ``/8``."""
    if isinstance(f, sp.Rational):
        return [f * 2, f / 2]
    k = f.base  # /k
    out = [sp.Pow(k * 2, -1, evaluate=False)]
    if k % 2 == 0:
        out.append(sp.Pow(k // 2, -1, evaluate=False) if k != 2 else sp.S.One)
    return out


def _is_reciprocal(f: sp.Basic) -> bool:
    return isinstance(f, sp.Pow) and f.exp is sp.S.NegativeOne and type(f) is sp.Pow


def _times(k: sp.Rational, node: sp.Basic) -> sp.Basic:
    """``k·node`` as an author would write it: ½ of 1/b is 1/(2·b), ½ of a/b is a/(2·b)."""
    if k.p == 1 and k.q > 1:
        if _is_reciprocal(node):
            return sp.Pow(sp.Mul(k.q, node.base, evaluate=False), -1, evaluate=False)
        if isinstance(node, sp.Mul):
            args = list(node.args)
            for i, f in enumerate(args):
                if _is_reciprocal(f):
                    args[i] = sp.Pow(sp.Mul(k.q, f.base, evaluate=False), -1, evaluate=False)
                    return sp.Mul(*args, evaluate=False)
    return sp.Mul(k, node, evaluate=False)


def _edits(node: sp.Basic) -> Iterator[tuple[int, sp.Basic, sp.Basic, sp.Basic]]:
    """The small edits of one written node a repair may be, each with its rank (a change of
    what is written first, then a factor put in front): a number factor dropped, doubled or
    halved, a term's sign turned, a ½ or a 2 put in front. Each as ``(rank, part, new part,
    new node)``: the part is the node itself, or the one term of a sum whose sign turned."""
    if isinstance(node, sp.Mul):
        args = list(node.args)
        for i, f in enumerate(args):
            if _number_factor(f):
                rest = args[:i] + args[i + 1:]
                new = _unevaluated_mul(rest)
                yield 0, node, new, new
                for g in _scaled(f):
                    new = _unevaluated_mul([*args[:i], g, *args[i + 1:]])
                    yield 0, node, new, new
    if isinstance(node, sp.Mul) and len(node.args) == 2 and _is_reciprocal(node.args[1]):
        top, bottom = node.args[0], node.args[1].base  # a fraction turned upside down
        new = sp.Mul(bottom, sp.Pow(top, -1, evaluate=False), evaluate=False)
        yield 0, node, new, new
    if isinstance(node, sp.Add):
        args = list(node.args)
        for i, t in enumerate(args):
            negative, rest = split_sign(t)
            turned = rest if negative else sp.Mul(sp.S.NegativeOne, t, evaluate=False)
            yield 0, t, turned, sp.Add(*([*args[:i], turned, *args[i + 1:]]), evaluate=False)
    if node.free_symbols and isinstance(node, sp.Expr):  # a number's own edits are those
        # of the product it stands in; a tuple or a relation (a sum's limits) has none
        for k in (sp.Rational(1, 2), sp.Integer(2)):
            new = _times(k, node)
            yield 1, node, new, new


def _may_be_zero(expr: sp.Basic, point: dict) -> bool:
    """False when ``expr`` is a number other than 0 at ``point`` (a quick screen before an
    exact check); True when it is 0 there or cannot be evaluated to a number."""
    try:
        v = complex(expr.xreplace(point).evalf(15))
    except Exception:
        return True
    return abs(v) < 1e-9 * (1 + abs(v))


def _size(expr: sp.Basic) -> int:
    return sum(1 for _ in sp.preorder_traversal(expr))


def written_repair(now: sp.Basic | None, target: sp.Basic, expand: Any = None,
                   limit: int = 400, seconds: float = 1.0,
                   ) -> tuple[sp.Basic, sp.Basic, sp.Basic] | None:
    """The smallest written repair of a step: ``(part, repaired_part, repaired_step)`` where
    ``now`` (a step as its author wrote it) with ``part`` replaced by ``repaired_part`` (one
    small edit: a number factor dropped, doubled or halved, a sign turned, a ½ put in front)
    has the value ``target`` (the step the checker says it should have been). So that what
    the step should have read, and what changed, are shown in the author's own form. None
    when no such edit is found (among at most ``limit`` edits, within ``seconds``).

    >>> import sympy as sp
    >>> c, x = sp.symbols("c x", positive=True)
    >>> with sp.evaluate(False):
    ...     now = sp.Mul(sp.Add(c, x), sp.Pow(4, -1))
    >>> part, right, step = written_repair(now, (c + x) / 2)
    >>> right.args
    (c + x, 1/2)
    >>> step == right
    True
    """
    if now is None or not isinstance(target, sp.Basic):
        return None
    if now.has(sp.Integral) or target.has(sp.Integral):
        return None  # screening an edit would mean quadrature at every point: too slow

    def value(e: sp.Basic) -> sp.Basic:
        v = evaluated(e)
        return expand(v) if callable(expand) else v

    try:
        goal = sp.expand(value(sp.Mul(1, target, evaluate=False)) if callable(expand)
                         else target)
    except Exception:
        return None
    point = {x: (sp.Integer(2 + i) if x.is_integer else sp.Rational(3 + 2 * i, 7 + 2 * i))
             for i, x in enumerate(sorted(goal.free_symbols, key=str))}
    found: list[tuple[tuple[int, int], sp.Basic, sp.Basic, sp.Basic]] = []
    tried, stop = 0, clock() + seconds
    nodes = [n for n in sp.preorder_traversal(now) if not n.is_Atom]
    for node in nodes:
        for rank, part, new_part, edit in _edits(node):
            tried += 1
            if tried > limit or clock() > stop:
                break
            try:
                repaired = xreplace_as_written(now, {node: edit})  # caches kept
                v = value(repaired)
                if v != target and not _may_be_zero(v - goal, point):
                    continue
                if v == target or sp.expand(v - goal) == 0:
                    found.append(((rank, _size(part)), part, new_part, repaired))
            except Exception:
                continue
    if not found:
        return None
    found.sort(key=lambda t: t[0])
    _, node, edit, repaired = found[0]
    return node, edit, repaired


def signature_symbols(d: object) -> dict[sp.Symbol, str]:
    """The symbols that stand for a declared signature (a ``.tex`` file's ``p_1(x)`` read as
    the symbol ``p_1``), each with the signature as written, so that it is shown as written;
    and each declared identity matrix (``I : identity(D)``) with its declared name, shown so
    (never SymPy's blackboard 𝕀, which the reader would not read back).

    >>> import sympy as sp
    >>> class D:
    ...     functions = {"p_1(x)": sp.Symbol("p_1"), "q(z|x)": sp.Function("q(z|x)")}
    >>> signature_symbols(D())
    {p_1: 'p_1(x)'}
    """
    out: dict[sp.Basic, str] = {}
    for signature, value in (getattr(d, "functions", None) or {}).items():
        if isinstance(value, sp.Symbol) and "(" in signature:
            out[value] = signature
    for name, value in (getattr(d, "symbols", None) or {}).items():
        if isinstance(value, sp.Identity):  # I : identity(D), shown I as declared
            out.setdefault(value, name)
    return out


def with_density_names(expr: sp.Basic, d: object) -> sp.Basic:
    """``expr`` with each density declared in a family (``q(z) = N(m, s^2)``, which the
    reader replaces by its formula) written back as its declared name, as its author wrote
    it: E_q(z)[…], not E over the Gaussian's formula. Nothing is evaluated.

    >>> import sympy as sp
    >>> z, m = sp.symbols("z m", real=True)
    >>> class D:
    ...     functions = {"q(z)": sp.exp(-(z - m)**2/2)/sp.sqrt(2*sp.pi)}
    >>> with_density_names(sp.log(D.functions["q(z)"]), D()).args[0].func  # the name
    q(z)
    """
    named = {}
    for signature, value in (getattr(d, "functions", None) or {}).items():
        if isinstance(value, sp.Expr) and not isinstance(value, (sp.Symbol, AppliedUndef)) \
                and "(" in signature:
            named[value] = sp.Function(signature)(*sorted(value.free_symbols, key=str))
    if not named or not isinstance(expr, sp.Basic):
        return expr
    return xreplace_as_written(expr, named)


def shown(d: object, step: object, printer: type) -> str:
    """``step`` of derivation ``d`` (or, with None, its start) printed by ``printer`` as its
    author wrote it, when the reading layer kept that form; else the checked expression in
    the reader's order.

    ``printer`` is a printer class with :class:`WrittenOrder` among its bases (the LaTeX and
    MathML printers of the reports); the declared signatures print as written.

    >>> from sympy.printing.str import StrPrinter
    >>> from elbo_derivation.read.deriv import parse_derivation
    >>> class Demo(WrittenOrder, StrPrinter):
    ...     def _reader_order(self, expr, order):
    ...         return sorted(expr.args, key=str)
    >>> d = parse_derivation("symbols: x : real\\n  x + 1\\n= 1 + x  # commute")
    >>> shown(d, d.steps[0], Demo)
    '1 + x'
    """
    from elbo_derivation.read.deriv import shown_expression

    expr = with_density_names(shown_expression(d, step), d)
    display = d.start_display if step is None else step.display  # type: ignore[attr-defined]
    out = printer({"order": "none"}, written=display is not None,
                  signatures=signature_symbols(d))  # fmt: skip
    if e_is_a_symbol(expr) or "e" in getattr(d, "symbols", {}):
        out.exp_word = True  # a variable is called e: exp(u), never e^u
    return out.doprint(expr)


class WrittenOrder:
    """A printer mixin: with ``written=True`` the terms of a sum print in the author's order.

    Put it before a SymPy printer class in the bases. ``signatures`` maps the symbols that
    stand for a declared signature to the signature as written (see
    :func:`signature_symbols`). Without ``written`` the printer's own
    ``_reader_order(expr, order)`` decides the order.

    >>> from sympy.printing.str import StrPrinter
    >>> class Demo(WrittenOrder, StrPrinter):
    ...     def _reader_order(self, expr, order):
    ...         return sorted(expr.args, key=str)
    >>> x, y = sp.symbols("x y")
    >>> with sp.evaluate(False):
    ...     e = sp.Add(y, x)
    >>> Demo(written=True).doprint(e), Demo().doprint(e)
    ('y + x', 'x + y')
    """

    def __init__(self, settings: dict | None = None, *, written: bool = False,
                 signatures: dict[sp.Basic, str] | None = None) -> None:
        super().__init__(settings)  # type: ignore[call-arg]
        self._written = written
        self._signatures = signatures or {}

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        if self._written:
            return list(expr.args)
        return self._reader_order(expr, order)

    def _reader_order(self, expr: sp.Expr, order: str | None) -> list[sp.Expr]:
        raise NotImplementedError

    def _print_MatMul(self, expr: sp.MatMul) -> Any:
        return super()._print_MatMul(flat_product(expr))  # type: ignore[misc]

    def _print_Identity(self, expr: sp.Identity) -> Any:
        name = self._signatures.get(expr)
        if name is not None:  # the identity by the name it was declared with
            return self._print(sp.Symbol(name))
        return super()._print_Identity(expr)  # type: ignore[misc]


def flat_product(expr: sp.Basic) -> sp.Basic:
    """A matrix product with the products of matrices inside it opened: (aᵀ Σ⁻¹) b is
    aᵀ Σ⁻¹ b (the product is associative; the reader nests what the author wrote in one row).

    A product inside with a scalar factor stays a unit, to be bracketed: aᵀ(σ⁻² I)b as the
    author grouped it. Opened, the scalar would stand in the middle of a row, which the reader
    takes out of the whole product (σ⁻² aᵀ I b), another grouping.

    >>> D = sp.Symbol("D", positive=True, integer=True)
    >>> a, S = sp.MatrixSymbol("a", D, 1), sp.MatrixSymbol("S", D, D)
    >>> inner = sp.MatMul(a.T, S, evaluate=False)
    >>> flat_product(sp.MatMul(inner, a, evaluate=False)).args
    (a.T, S, a)
    >>> scaled = sp.MatMul(sp.Symbol("c") ** -2, S, evaluate=False)
    >>> flat_product(sp.MatMul(inner, scaled, a, evaluate=False)).args
    (a.T, S, c**(-2)*S, a)
    """
    if not isinstance(expr, sp.MatMul):
        return expr
    args: list[sp.Basic] = []
    for a in expr.args:
        inner = flat_product(a)
        opened = isinstance(inner, sp.MatMul) and all(f.is_Matrix for f in inner.args)
        args.extend(inner.args if opened else [inner])
    if len(args) == len(expr.args):
        return expr
    return sp.MatMul(*args, evaluate=False)
