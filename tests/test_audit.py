r"""Nothing in an input runs: an audit hook watches ``check`` read hostile files.

``sys.addaudithook`` cannot be removed once installed, so each check runs in a fresh Python
process (a small driver script written to ``tmp_path``). The driver first checks a harmless
derivation, so that every module the checker needs is already imported (and every parser
built and stored in the cache, which starts empty); then it installs the
hook and runs ``elbo-derivation check FILE --json`` (through :func:`elbo_derivation.cli.main`)
on each hostile file. The hook records

* ``compile`` and ``exec`` of any code whose source or constants contain text of the input,
* any process start (``subprocess.Popen``, ``os.system``, ``os.exec*``, ``os.posix_spawn``,
  ``os.spawn*``),
* any file opened for writing (the check writes nothing; it only prints),
* any import of a module named in the input (each payload names a module that does not exist),

and the test fails on any of them. The hostile files also aim their commands at a sentinel
file, which must not exist afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: A module name no one has: an import of it can only come from the input's text.
MODULE = "zz_audit_marker_module"

HEADER = "symbols: h : positive\nsymbols: g : real\n"
TEX_HEADER = "% symbols: h : positive\n% symbols: g : real\n"


def payloads(sentinel: Path) -> dict[str, str]:
    """One hostile right-hand side per entry; each mentions :data:`MODULE` or the sentinel."""
    touch = f"touch {sentinel}"
    return {
        "import call": f"__import__('{MODULE}').system('{touch}')",
        "import os": f"__import__('os').system('{touch}')",
        "lambda": f"(lambda: __import__('{MODULE}'))()",
        "dunder attributes": "h.__class__.__bases__[0].__subclasses__()",
        "dunder globals": f"h.__init__.__globals__['{MODULE}']",
        "eval": f"eval(\"__import__('{MODULE}')\")",
        "exec": f"exec(\"import {MODULE}; {MODULE}.run('{touch}')\")",
        "compile": f"compile('import {MODULE}', '{sentinel}', 'exec')",
        "open for writing": f"open('{sentinel}', 'w').write('x')",
        "latex input": f"$\\input{{{sentinel}}}$",
        "latex def": f"$\\def\\x{{\\input{{{sentinel}}}}}\\x$",
        "latex csname": f"$\\csname {MODULE}\\endcsname$",
        "latex write18": f"$\\immediate\\write18{{{touch}}}$",
        "huge nesting": "(" * 5000 + "h" + ")" * 5000,
        "huge latex nesting": "$" + "{" * 5000 + "h" + "}" * 5000 + "$",
        "tower": "9^9^9^9",
    }


def hostile_files(folder: Path, sentinel: Path) -> list[Path]:
    """Each payload as a .deriv step and as a .tex align row (and as a ``let:``)."""
    out = []
    for i, (name, expr) in enumerate(payloads(sentinel).items()):
        bare = expr.strip("$")
        deriv = folder / f"p{i:02d}.deriv"
        deriv.write_text(f"# {name}\n{HEADER}    h\n  = {bare}\n", encoding="utf-8")
        let = folder / f"p{i:02d}_let.deriv"
        let.write_text(f"# {name}\n{HEADER}let: w = {bare}\n    h\n  = w\n", encoding="utf-8")
        tex = folder / f"p{i:02d}.tex"
        tex.write_text(
            f"{TEX_HEADER}\\begin{{align*}}\n  h &= {bare} \\\\\n  &= h\n\\end{{align*}}\n",
            encoding="utf-8",
        )
        out += [deriv, let, tex]
    # symbols named like Python's machinery get past the reader and reach the checker
    # (a true step, a false one, and one for the numeric checks)
    for i, step in enumerate((
        f"    log({MODULE}*__import__)\n  = log({MODULE}) + log(__import__)\n",
        f"    {MODULE} + exec\n  = __import__ - eval\n",
        f"    exp({MODULE})*exp(lambda)\n  = exp({MODULE} + lambda)\n",
    )):
        f = folder / f"names{i}.deriv"
        f.write_text(f"symbols: {MODULE}, __import__, lambda, exec, eval : positive\n{step}",
                     encoding="utf-8")  # fmt: skip
        out.append(f)
    return out


DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from elbo_derivation.cli import main

    files, benign, marks = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    files = json.loads(open(files, encoding="utf-8").read())
    # warm-up: every module a check needs gets imported now, before the hook
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["check", benign, "--json"])
        main(["check", benign.replace(".deriv", ".tex"), "--json"])
        # LaTeX with a declared d: the parser in which d is a name, not a differential
        main(["check", benign.replace(".deriv", "_d.tex"), "--json"])

    events = []
    current = [None]

    def text_of(obj):
        if isinstance(obj, (bytes, bytearray)):
            return obj.decode("latin-1")
        if isinstance(obj, str):
            return obj
        if hasattr(obj, "co_consts"):
            parts = [repr(obj.co_consts), " ".join(obj.co_names), obj.co_filename]
            return " ".join(parts)
        return repr(obj)

    def mentions_input(obj):
        t = text_of(obj)
        return any(m in t for m in marks)

    PROCESS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
               "os.startfile", "pty.spawn")

    def hook(event, args):
        if current[0] is None:
            return
        if event == "compile" and args and mentions_input(args[0]):
            events.append((current[0], event, text_of(args[0])[:200]))
        elif event == "exec" and args and mentions_input(args[0]):
            events.append((current[0], event, text_of(args[0])[:200]))
        elif event in PROCESS:
            events.append((current[0], event, repr(args)[:200]))
        elif event == "open" and len(args) >= 2:
            path, mode = args[0], args[1]
            flags = args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & 0o3)  # O_WRONLY | O_RDWR
            if writing and str(path) not in ("/dev/null",):
                events.append((current[0], event, f"{path!r} {mode!r}"))
        elif event == "import" and args and mentions_input(str(args[0])):
            events.append((current[0], event, str(args[0])))

    sys.addaudithook(hook)
    codes = {}
    for f in files:
        current[0] = f
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                extra = ["--numeric"] if "names" in f else []  # quadrature and sampling too
                codes[f] = main(["check", f, "--json", *extra])
            except SystemExit as e:
                codes[f] = e.code
            except BaseException as e:  # reported, not hidden: the test fails on it
                codes[f] = "raised " + type(e).__name__ + ": " + str(e)[:200]
        current[0] = None
    print(json.dumps({"events": events, "codes": codes}))
    """
)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("audit")
    sentinel = folder / "SENTINEL_written_by_input"
    files = hostile_files(folder, sentinel)
    benign = folder / "benign.deriv"
    benign.write_text(f"{HEADER}    log(h*h)\n  = 2*log(h)\n", encoding="utf-8")
    (folder / "benign.tex").write_text(
        f"{TEX_HEADER}\\begin{{align*}}\n  \\log(h h) &= 2\\log h\n\\end{{align*}}\n",
        encoding="utf-8",
    )
    (folder / "benign_d.tex").write_text(
        "% symbols: d : positive\n% symbols: h : positive\n"
        "\\begin{align*}\n  \\log(d h) &= \\log d + \\log h\n\\end{align*}\n",
        encoding="utf-8",
    )
    listing = folder / "files.json"
    listing.write_text(json.dumps([str(f) for f in files]), encoding="utf-8")
    driver = folder / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    marks = [MODULE, sentinel.name, "__subclasses__", "__globals__"]
    proc = subprocess.run(
        [sys.executable, str(driver), str(listing), str(benign), json.dumps(marks)],
        capture_output=True, text=True, timeout=300, cwd=folder,
        # the parsers' cache (read/parsers.py) starts empty: the warm-up builds and stores
        # every parser, so that what is audited is the same on a fresh machine
        env={**os.environ, "ELBO_DERIVATION_CACHE": str(folder / "parser-cache")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["sentinel"] = sentinel
    result["files"] = files
    return result


def test_no_input_text_is_compiled_or_executed(audit: dict) -> None:
    bad = [e for e in audit["events"] if e[1] in ("compile", "exec")]
    assert bad == []


def test_no_process_is_started_by_a_check(audit: dict) -> None:
    bad = [e for e in audit["events"] if e[1] not in ("compile", "exec", "open", "import")]
    assert bad == []


def test_no_file_is_opened_for_writing_by_a_check(audit: dict) -> None:
    bad = [e for e in audit["events"] if e[1] == "open"]
    assert bad == []
    assert not audit["sentinel"].exists()


def test_no_module_named_in_the_input_is_imported(audit: dict) -> None:
    bad = [e for e in audit["events"] if e[1] == "import"]
    assert bad == []
    assert MODULE not in sys.modules


def test_every_hostile_file_gets_an_exit_code_not_an_exception(audit: dict) -> None:
    codes = audit["codes"]
    assert len(codes) == len(audit["files"])
    assert {f: c for f, c in codes.items() if c not in (0, 1, 2)} == {}


def test_the_hook_sees_what_it_is_meant_to_see(tmp_path: Path) -> None:
    """The driver's hook is not blind: a deliberate compile, open-for-writing and subprocess
    in the hooked section are all recorded (so an empty list above means something)."""
    script = tmp_path / "self_test.py"
    script.write_text(textwrap.dedent(f"""
        import json, subprocess, sys
        seen = []
        sys.addaudithook(lambda e, a: seen.append(e) if e in
                         ("compile", "open", "subprocess.Popen", "import") else None)
        compile("import {MODULE}", "<x>", "exec")
        open({str(tmp_path / 'w.txt')!r}, "w").close()
        subprocess.run(["true"])
        try:
            __import__("{MODULE}")
        except ImportError:
            pass
        print(json.dumps(sorted(set(seen))))
    """), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    seen = json.loads(out.stdout)
    assert {"compile", "open", "subprocess.Popen", "import"} <= set(seen)
