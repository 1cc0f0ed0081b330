"""``@record``: value classes like ``@dataclass``, without its start-up cost.

Every ``python -m whisk prog.wasm`` imports whisk's ~20 value classes. ``dataclasses`` imports
``inspect`` (and with it ``dis``, ``ast`` and ``tokenize``) and compiles each class's methods
with ``exec``, together about half of whisk's import time. ``record`` builds the same methods
from closures over the field list instead.

``@record`` (frozen: fields cannot be assigned, instances hash) or ``@record(frozen=False)``;
fields are the class's annotations in order, with defaults as class attributes or
``field(default=..., default_factory=..., init=True, repr=True)``. Generated: ``__init__``
(positional or keyword arguments; then ``__post_init__`` if defined), ``__repr__`` and
``__eq__`` unless the class defines them, ``__hash__`` for frozen records, ``__match_args__``.
Type checkers see it as a dataclass (``typing.dataclass_transform``).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar, dataclass_transform, overload

__all__ = ["record", "field"]

_C = TypeVar("_C", bound=type)
_MISSING: Any = object()


class _Field:
    __slots__ = ("default", "default_factory", "init", "repr")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] = _MISSING,
          init: bool = True, repr: bool = True) -> Any:
    """A field with options, as ``dataclasses.field``: ``default`` or ``default_factory`` (called
    per instance), ``init=False`` (not an ``__init__`` argument: set from its default),
    ``repr=False`` (left out of ``repr()``)."""
    return _Field(default, default_factory, init, repr)


@overload
def record(cls: _C, /) -> _C: ...
@overload
def record(*, frozen: bool = True) -> Callable[[_C], _C]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: Any = None, /, *, frozen: bool = True) -> Any:
    """Turn ``cls`` into a record class (see the module docstring)."""
    def wrap(c: _C) -> _C:
        return _build(c, frozen)
    return wrap if cls is None else wrap(cls)


class FrozenInstanceError(AttributeError):
    """Raised when a field of a frozen record is assigned or deleted."""


def _build(cls: _C, frozen: bool) -> _C:
    names = tuple(cls.__dict__.get("__annotations__", {}))
    specs: dict[str, _Field] = {}
    for name in names:
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, _Field) else _Field(value, _MISSING, True, True)
        specs[name] = spec
        if isinstance(value, _Field):
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    init_names = tuple(n for n in names if specs[n].init)
    shown = tuple(n for n in names if specs[n].repr)
    setter = object.__setattr__
    title = cls.__qualname__

    def default(name: str) -> Any:
        spec = specs[name]
        if spec.default_factory is not _MISSING:
            return spec.default_factory()
        if spec.default is not _MISSING:
            return spec.default
        raise TypeError(f"{title}() missing argument {name!r}")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(init_names):
            raise TypeError(f"{title}() takes {len(init_names)} arguments, got {len(args)}")
        for name, value in zip(init_names, args):
            setter(self, name, value)
        for name in init_names[len(args):]:
            setter(self, name, kwargs.pop(name) if name in kwargs else default(name))
        if kwargs:
            raise TypeError(f"{title}() got unexpected arguments: {', '.join(sorted(kwargs))}")
        for name in names:
            if not specs[name].init:
                setter(self, name, default(name))
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def values(self: Any) -> tuple[Any, ...]:
        return tuple([getattr(self, n) for n in names])

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    def __repr__(self: Any) -> str:
        return f"{title}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

    custom_eq = "__eq__" in cls.__dict__
    methods: dict[str, Any] = {"__init__": __init__, "__eq__": __eq__, "__repr__": __repr__}
    if frozen:
        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        def __hash__(self: Any) -> int:
            return hash(values(self))

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__, __hash__=__hash__)
    for name, fn in methods.items():
        if name == "__init__" or name not in cls.__dict__:
            fn.__qualname__ = f"{title}.{name}"
            setattr(cls, name, fn)
    if not frozen and not custom_eq:
        setattr(cls, "__hash__", None)            # mutable and compared by value: unhashable
    setattr(cls, "__match_args__", init_names)
    return cls
