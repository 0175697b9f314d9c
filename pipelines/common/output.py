"""Route what libraries print (Feast's materialisation banners, MLflow's registry messages, our trainers'
``[cofre]`` progress lines) into the Dagster log of the running step instead of the console.

Inside :func:`to_step_log` each complete line written to stdout or stderr becomes one log message:
``[cofre]`` progress lines at INFO (the demo shows those of long steps), everything else at DEBUG (kept in
the run's log, off the console). Steps run one at a time in a process (in-process executor, or one process
per step), so swapping ``sys.stdout``/``sys.stderr`` for the step is safe.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator

import dagster as dg

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _LineLog(io.TextIOBase):
    def __init__(self, context: dg.AssetExecutionContext) -> None:
        self.context = context
        self.buffer_text = ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.buffer_text += s
        *lines, self.buffer_text = re.split(r"[\r\n]", self.buffer_text)
        for line in lines:
            self._emit(line)
        return len(s)

    def _emit(self, line: str) -> None:
        text = _ANSI.sub("", line).strip()
        if not text:
            return
        if text.startswith("[cofre] "):
            self.context.log.info(text.removeprefix("[cofre] "))
        else:
            self.context.log.debug(text)

    def flush(self) -> None:
        if self.buffer_text:
            self._emit(self.buffer_text)
            self.buffer_text = ""


@contextlib.contextmanager
def to_step_log(context: dg.AssetExecutionContext) -> Iterator[None]:
    """stdout and stderr of the block go to the step's Dagster log (see the module docstring)."""
    out = _LineLog(context)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            yield
        finally:
            out.flush()
