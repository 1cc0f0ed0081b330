"""Configuration of a WASI preview 1 guest: its arguments, environment, preopened directories and
standard streams."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["WasiConfig"]


def _encode(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} must not contain NUL: {value!r}")
    return data


@dataclass
class WasiConfig:
    """What a WASI guest sees of the host.

    - ``argv``: the command line, program name first (str or bytes each; str is encoded UTF-8).
    - ``env``: environment variables (``{name: value}``), added after the inherited ones.
    - ``inherit_env``: start from the host's ``os.environ`` (default: an empty environment).
    - ``preopens``: ``{"/guest/path": "host/path"}``; each becomes a preopened directory
      descriptor, from fd 3 on in the mapping's order. The guest can reach nothing outside them.
    - ``stdin``: a binary file object, or bytes (or str, encoded UTF-8) to read; None means the
      process's own ``sys.stdin.buffer``.
    - ``stdout`` / ``stderr``: binary file objects (``write`` and ideally ``flush``); None means
      the process's own ``sys.stdout.buffer`` / ``sys.stderr.buffer``.

    The properties ``args_bytes`` and ``environ_bytes`` give the encoded forms the WASI
    functions hand to the guest.
    """

    argv: Sequence[str | bytes] = ()
    env: Mapping[str, str] | None = None
    inherit_env: bool = False
    preopens: Mapping[str, str | os.PathLike] | None = None
    stdin: Any = None
    stdout: Any = None
    stderr: Any = None
    _environ: list[bytes] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        self.argv = tuple(self.argv)
        env: dict[Any, Any] = {}
        if self.inherit_env:
            env.update(os.environ)
        if self.env:
            env.update(self.env)
        environ = []
        for name, value in env.items():
            key = _encode(name, "environment variable name")
            if not key or b"=" in key:
                raise ValueError(f"invalid environment variable name: {name!r}")
            environ.append(key + b"=" + _encode(value, "environment variable value"))
        self._environ = environ
        self.preopens = dict(self.preopens or {})

    @property
    def args_bytes(self) -> list[bytes]:
        """The arguments as the guest receives them (without the NUL terminators)."""
        return [_encode(a, "argument") for a in self.argv]

    @property
    def environ_bytes(self) -> list[bytes]:
        """The environment as ``b"NAME=VALUE"`` strings (without the NUL terminators)."""
        return list(self._environ)
