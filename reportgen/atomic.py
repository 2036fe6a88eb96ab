"""Writing an output file whole or not at all, also when Word or Excel holds it open.

On Windows a file open in Word or Excel cannot be replaced: re-running ``report`` or
``forms`` with the last output still open is the most common failure there. Each output is
written to a temporary file beside its target and moved into place in one step; when the
target is held by another program the temporary file is removed and :class:`FileLocked`
says which file to close. Nothing is ever half-written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .errors import FileLocked

__all__ = ["write_whole", "temporary_for"]


def temporary_for(target: Path) -> Path:
    """A hidden temporary name beside ``target``, with its suffix (some writers look at it)."""
    return target.with_name(f".~{target.stem}.{os.getpid()}.tmp{target.suffix}")


def write_whole(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary)`` then move the result onto ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_for(target)
    try:
        write(temp)
        os.replace(temp, target)
    except PermissionError as exc:  # Windows: the target is open in another program
        raise FileLocked(file=str(target), name=target.name) from exc
    finally:
        temp.unlink(missing_ok=True)
    return target
