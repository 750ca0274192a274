"""Writing output files so that a failed or interrupted run never loses the previous ones.

Every file the command line writes goes through :func:`write_atomic` (bytes or text) or
:func:`atomic_path` (for writers that want a path, such as ``savefig`` and ``numpy.savez``):
the content is written to a temporary file in the same folder, flushed to disk, and only then
renamed over the target with :func:`os.replace`, which is atomic on POSIX and Windows file
systems. A run that fails, runs out of space or is stopped with Ctrl-C leaves either the old
file or the new one, never half of one, and no temporary file behind.

:func:`output_folder` and :func:`output_file` check a destination before any long work starts
(fail early), and turn every way it can be unusable (a file where a folder is expected, a
folder where a file is expected, a folder that cannot be created or written) into an
:class:`~elbo_derivation.errors.InputError` naming the command-line argument.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     target = pathlib.Path(d) / "report.txt"
...     _ = write_atomic(target, "first")
...     _ = write_atomic(target, "second")
...     print(target.read_text(), sorted(p.name for p in pathlib.Path(d).iterdir()))
second ['report.txt']
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from elbo_derivation.errors import InputError

__all__ = ["atomic_path", "output_file", "output_folder", "write_atomic"]


def _mode_for(target: Path) -> int:
    """The permission bits the target should get: its own if it exists, else 0o666 & ~umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The temporary name keeps the target's suffix (``savefig`` picks the format from it, and
    ``numpy.savez`` appends ``.npz`` to names without it). On any exception, Ctrl-C included,
    the temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "a.txt"
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("hello")
    ...     target.read_text()
    'hello'
    """
    target = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=f".tmp{target.suffix}")  # fmt: skip
    except OSError as err:  # name the file the user asked for, not the temporary one
        raise _about(err, target) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the bytes reach the disk before the rename
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) and err.filename in (name, tmp):
            raise _about(err, target) from None
        raise


def _about(err: OSError, target: Path) -> OSError:
    """The same error, about ``target`` (the temporary file's name means nothing to users)."""
    return type(err)(err.errno, err.strerror or str(err), str(target))


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *,
                 encoding: str = "utf-8") -> Path:  # fmt: skip
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically; returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_atomic(pathlib.Path(d) / "b.bin", b"\\x00\\x01")
    ...     p.read_bytes()
    b'\\x00\\x01'
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw)
    return Path(path)


def _probe(folder: Path, what: str) -> None:
    """Create and remove a temporary file in ``folder``: the one test of writability that
    also holds for root and for read-only mounts."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".write-test.")
    except OSError as err:
        raise InputError(f"{what}: cannot write into {folder} ({err.strerror or err})") from None
    os.close(fd)
    os.unlink(name)


def output_folder(path: str | os.PathLike[str], argument: str) -> Path:
    """The folder ``path``, created if missing and checked writable, for ``argument``.

    Raises
    ------
    InputError
        naming ``argument`` when ``path`` is a file, cannot be created, or cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     output_folder(pathlib.Path(d) / "new" / "runs", "--out").is_dir()
    True
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     output_folder(f.name, "--out")
    Traceback (most recent call last):
    ...
    elbo_derivation.errors.InputError: --out ...: exists and is not a directory
    """
    folder = Path(path)
    what = f"{argument} {folder}"
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{what}: exists and is not a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{what}: a part of this path is a file, not a folder") from None
    except NotADirectoryError:
        raise InputError(f"{what}: a part of this path is a file, not a folder") from None
    except OSError as err:
        raise InputError(f"{what}: cannot create this folder ({err.strerror or err})") from None
    _probe(folder, what)
    return folder


def output_file(path: str | os.PathLike[str], argument: str) -> Path:
    """Check that the file ``path`` can be written (its folder exists and is writable, and it
    is not itself a folder), before any long work; nothing is created.

    Raises
    ------
    InputError
        naming ``argument``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     output_file(d, "--latex")
    Traceback (most recent call last):
    ...
    elbo_derivation.errors.InputError: --latex ...: is a folder; expected a file name
    """
    target = Path(path)
    what = f"{argument} {target}"
    if target.is_dir():
        raise InputError(f"{what}: is a folder; expected a file name")
    parent = target.parent
    if not parent.exists():
        raise InputError(f"{what}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{what}: {parent} is not a folder")
    _probe(parent, what)
    return target
