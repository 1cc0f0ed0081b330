"""``whisk.Caller``: what a host function learns about the instance that calls it.

A host function whose first parameter is annotated ``whisk.Caller`` gets one before the wasm
arguments::

    def log(caller: whisk.Caller, ptr: whisk.i32, n: whisk.i32) -> None:
        print(caller.memory.read(ptr, n).decode())

The instance does not exist yet while its imports are resolved, so each import gets a Caller
that the instance fills in once its exports exist, before segment initialisation and the start
function (spec 4.5.4, steps 12-16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.runtime import Memory

if TYPE_CHECKING:
    from .instance import Exports, Instance

__all__ = ["Caller", "exported_memory"]


class Caller:
    """The instance calling a host function: ``caller.instance``, ``caller.exports`` and
    ``caller.memory``. Valid from the instance's start function on; before that (no instance
    yet) the properties raise RuntimeError."""

    __slots__ = ("_instance",)

    def __init__(self) -> None:
        self._instance: Instance | None = None

    def _bind(self, instance: Instance) -> None:
        self._instance = instance

    @property
    def instance(self) -> Instance:
        """The calling ``whisk.Instance``."""
        if self._instance is None:
            raise RuntimeError("the calling instance is still being instantiated")
        return self._instance

    @property
    def exports(self) -> Exports:
        """The calling instance's exports."""
        return self.instance.exports

    @property
    def memory(self) -> Memory:
        """The calling instance's exported memory named ``"memory"``, else its first exported
        memory. Raises LookupError if it exports none."""
        memory = exported_memory(self.exports, any_name=True)
        if memory is None:
            raise LookupError(f"{self.instance!r} exports no memory")
        return memory

    def __repr__(self) -> str:
        return f"<whisk.Caller {self._instance!r}>"


def exported_memory(exports: Exports, *, any_name: bool) -> Memory | None:
    """The export ``"memory"`` if it is a Memory; with ``any_name``, else the first exported
    Memory; else None."""
    # subscripts, not .get()/.values(): an export named "get" or "values" wins over the method
    memory = exports["memory"] if "memory" in exports else None
    if isinstance(memory, Memory):
        return memory
    if any_name:
        for name in exports:
            extern = exports[name]
            if isinstance(extern, Memory):
                return extern
    return None
