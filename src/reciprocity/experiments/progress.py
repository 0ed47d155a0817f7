"""A progress bar for long runs, shown only in interactive sessions (a terminal or a notebook).

It uses rich when it is installed (``reciprocity[progress]``) and shows nothing otherwise:
progress is a courtesy, never a reason to fail. In a notebook rich draws through
ipywidgets; without ipywidgets the bar is left out (rich would only warn).

Imports: nothing from the package; rich and IPython only inside functions.
"""

from __future__ import annotations

import importlib.util
import sys
from types import TracebackType
from typing import Any

__all__ = ["Progress", "interactive"]


def interactive() -> bool:
    """Whether a person is watching: a notebook kernel, or standard error is a terminal.

    >>> isinstance(interactive(), bool)
    True
    """
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


class Progress:
    """Steps of a run, as a bar with a description; silent when ``enabled`` is false.

    >>> with Progress(2, "simulating", enabled=False) as bar:
    ...     bar.step("replay")
    ...     bar.step("tables")
    >>> bar.done
    2
    """

    def __init__(self, total: int, title: str, *, enabled: bool | None = None) -> None:
        self.total = total
        self.title = title
        self.done = 0
        self._bar: Any = None
        self._task: Any = None
        if enabled is None:
            enabled = interactive()
        if enabled:
            try:
                from rich.progress import Progress as RichProgress
            except ImportError:
                return
            if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is None:
                return  # rich draws in a notebook through ipywidgets; without, it only warns
            self._bar = RichProgress(transient=True)
            self._task = self._bar.add_task(title, total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def step(self, what: str) -> None:
        """One step done; ``what`` comes next."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"{self.title}: {what}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
