"""The ``elbo-derivation`` command line: a thin layer over the library.

Each subcommand lives in :mod:`elbo_derivation.commands` as a module with ``HELP`` (one
line), ``DESCRIPTION`` (what it does, with an example), ``add_arguments(parser)`` and
``run(args) -> int``. This module only assembles them, and turns :class:`InputError` into a
message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import types
from collections.abc import Sequence

from elbo_derivation.errors import InputError

__all__ = ["build_parser", "entry", "main"]

#: The subcommands, in the order ``--help`` lists them.
COMMANDS = ("verify", "check", "mark", "train", "ppca", "figures", "handout", "slides")

DESCRIPTION = """\
Check, step by step, the derivation of the variational autoencoder (VAE) loss, and see that
loss at work in a small NumPy VAE.

  elbo-derivation verify            check every step of the bundled lecture notes
  elbo-derivation check my.deriv    check your own derivation; names the first wrong step
  elbo-derivation mark FOLDER       mark a class's derivations, each against its goal
  elbo-derivation train ...         train the NumPy VAE on a toy data set
  elbo-derivation ppca ...          fit probabilistic PCA in closed form, the linear VAE's optimum
  elbo-derivation figures           draw the figures of the notes and of the trained VAE
  elbo-derivation handout [FILES]   write checked derivations as a printable handout (HTML, LaTeX)
  elbo-derivation slides [FILES]    write checked derivations as slides (HTML deck, Beamer)

Run `elbo-derivation COMMAND --help` for the details of each command.
Exit codes: 0 all good, 1 a step or check failed, 2 the input could not be read.
"""


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad arguments already; keep its message short and clear."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from elbo_derivation import __version__

    parser = _Parser(
        prog="elbo-derivation",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"elbo_derivation.commands.{name}")
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 or 2; 130 after Ctrl-C).

    Ctrl-C at any moment (while the modules load, or during a long run) ends with the message
    ``interrupted`` and exit code 130, as shells report SIGINT, and no traceback; files are
    written atomically (:mod:`elbo_derivation.output`), so those of an earlier run stay whole.
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("elbo-derivation: interrupted", file=sys.stderr)
        return 130
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args))
    except InputError as err:
        print(f"elbo-derivation {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `elbo-derivation verify | head`: the reader left early
        _silence_stdout()
        return 0
    except OSError as err:  # a file that cannot be opened or written
        name = err.filename if err.filename is not None else ""
        reason = err.strerror or str(err)
        print(f"elbo-derivation {args.command}: error: {name}: {reason}", file=sys.stderr)
        return 2
    except MemoryError:  # a size the machine cannot hold: say so instead of a traceback
        print(f"elbo-derivation {args.command}: error: out of memory; try smaller sizes",
              file=sys.stderr)  # fmt: skip
        return 2
    except KeyboardInterrupt:
        _stop_children()
        print(f"elbo-derivation {args.command}: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The console script: run :func:`main`, then leave without tearing the interpreter down.

    A run holds many SymPy objects; freeing them one by one at exit takes about half a second
    and does nothing useful. Output is flushed first and every file this package writes is
    closed by then (they are all written inside ``with`` blocks), so ``os._exit`` loses nothing.

    SymPy's caches keep 1000 results per cached function by default; checking the bundled
    derivations reuses more than that (the files are read before they are checked), so the
    console script lets SymPy keep 10 000 unless ``SYMPY_CACHE_SIZE`` says otherwise
    (measured: about 0.2 s less CPU for ``verify``).

    The cyclic garbage collector is told to run rarely. With Python's default thresholds it
    walks the young objects every 700 allocations, and importing NumPy, SymPy and SciPy and
    building expressions allocates millions of objects that all live to the end of the run:
    for ``verify`` those passes cost about a tenth of its CPU time and free almost nothing
    (the peak memory is the same, measured). Collection still happens, every 100 000
    allocations.
    """
    import gc
    import os

    gc.set_threshold(100_000, 50, 100)
    os.environ.setdefault("SYMPY_CACHE_SIZE", "10000")  # read by SymPy when first imported
    _units_placeholder()
    _interrupt_outside_the_collector()
    try:
        code = main()
    except KeyboardInterrupt:  # a second Ctrl-C while the first one is being handled
        code = 130
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            _silence_stdout()
    os._exit(code)


#: SymPy's physical-units package, imported by ``simplify`` (and ``checksol``) on every call
_UNITS = "sympy.physics.units"


class _UnitsPlaceholder(types.ModuleType):
    """Stands for ``sympy.physics.units`` until anything but ``Quantity``/``Unit`` is asked.

    ``sympy.simplify`` imports the units package on every call only to ask whether the
    expression holds a physical ``Quantity`` (``expr.has(Quantity)``); the package and its
    unit systems take about 0.09 s of CPU to import, a sixth of a one-step ``check``. A
    ``Quantity`` can only be made by that package, which the command line never imports, so
    for its expressions the answer is always no: the placeholder's ``Quantity`` is a SymPy
    class of which no instance exists, and ``has`` answers no as the real one would. Any
    other name asked of it loads the real package in its place (and ``simplify`` then imports
    the real ``Quantity`` on its next call).
    """

    def __getattr__(self, name: str) -> object:
        if name in ("Quantity", "Unit"):
            from sympy import AtomicExpr

            cls = type("Quantity", (AtomicExpr,), {"__module__": __name__, "__doc__":
                                                    "A physical quantity: none exists here."})
            self.Quantity = self.Unit = cls
            return cls
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(_UNITS) is self:
            del sys.modules[_UNITS]
        return getattr(importlib.import_module(_UNITS), name)


def _units_placeholder() -> None:
    """Put :class:`_UnitsPlaceholder` in ``sys.modules`` (the console script only: a library
    user's process may well use physical units), and :class:`_TensorPlaceholder` likewise."""
    if _UNITS not in sys.modules:
        sys.modules[_UNITS] = _UnitsPlaceholder(_UNITS, _UnitsPlaceholder.__doc__)
    if _TENSOR not in sys.modules:
        sys.modules[_TENSOR] = _TensorPlaceholder(_TENSOR, _TensorPlaceholder.__doc__)


#: SymPy's tensor algebra, imported by ``Add`` the first time it adds terms
_TENSOR = "sympy.tensor.tensor"


class _TensorPlaceholder(types.ModuleType):
    """Stands for ``sympy.tensor.tensor`` until anything but ``TensExpr``/``TensAdd`` is asked.

    SymPy's ``Add`` imports that module the first time it adds terms, only to ask of each
    term whether it is a tensor expression (``isinstance(term, TensExpr)``, and only then
    to build a ``TensAdd``); the module and the permutation groups it imports take about
    0.04 s of CPU, a tenth of what ``check`` spends besides importing SymPy. A tensor
    expression can only be made by that module, which the command line never imports, so
    for its expressions the answer is always no: the placeholder's ``TensExpr`` is a SymPy
    class of which no instance exists, and ``isinstance`` answers no as the real one would.
    Any other name asked of it loads the real module in its place (and ``Add`` then imports
    the real classes on its next call).
    """

    def __getattr__(self, name: str) -> object:
        if name in ("TensExpr", "TensAdd"):
            from sympy import Expr

            doc = "A tensor expression: none exists here."
            tens_expr = type("TensExpr", (Expr,), {"__module__": __name__, "__doc__": doc})
            tens_add = type("TensAdd", (tens_expr,), {"__module__": __name__, "__doc__": doc})
            self.TensExpr, self.TensAdd = tens_expr, tens_add
            return tens_expr if name == "TensExpr" else tens_add
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(_TENSOR) is self:
            del sys.modules[_TENSOR]
        return getattr(importlib.import_module(_TENSOR), name)


def _interrupt_outside_the_collector() -> None:
    """Make Ctrl-C raise ``KeyboardInterrupt`` in the work, never inside the garbage collector.

    Python's own handler raises wherever the interpreter is when the signal is handled; in a
    collector's callback or a finalizer the exception is only printed ("Exception ignored",
    with a traceback) and the run goes on. This handler has the signal sent again a
    millisecond later there (from a timer thread: a signal re-sent from the handler itself
    would be handled again at its own next bytecode, without end), so the interrupt is raised
    in the interrupted work and ends the run as ``main`` describes.
    """
    import _thread
    import signal
    import threading

    from elbo_derivation.core.timeout import unsafe_to_raise

    def on_interrupt(signum: int, frame: types.FrameType | None) -> None:
        if unsafe_to_raise(frame):
            threading.Timer(1e-3, _thread.interrupt_main, (signum,)).start()
            return
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_interrupt)


def _stop_children() -> None:
    """Terminate the worker processes this process forked and has not closed yet.

    Ctrl-C can arrive between the moment ``verify`` forks its workers and the moment it
    hands them work; the workers then wait for work forever, holding the terminal's pipes
    open, long after this process has left (found by tests/test_outputs.py).
    """
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    children = mp.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=2)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
