"""Configuration of a WASI preview 1 guest: its arguments, environment, preopened directories and
standard streams."""

from __future__ import annotations

import os
from ..record import record, field
from typing import Any, Mapping, Sequence

__all__ = ["WasiConfig", "Preopen"]


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


@record
class Preopen:
    """A preopened directory: the host directory ``path`` and whether the guest may only read
    under it (``read_only``).

    Under a read-only preopen every operation that would change the host tree (creating,
    truncating or opening a file for writing, ``path_create_directory``, ``path_unlink_file``,
    ``path_remove_directory``, ``path_rename`` and ``path_link`` from or into it,
    ``path_symlink``, setting sizes or times) fails with ``ERRNO_PERM``, as wasmtime's read-only
    directory and file permissions do. The descriptors keep the usual rights (so wasi-libc asks
    for write access and gets the error when it opens the file, not at the first write); files
    opened through it get no write rights."""

    path: str | os.PathLike[str]
    read_only: bool = False


@record(frozen=False)
class WasiConfig:
    """What a WASI guest sees of the host.

    - ``argv``: the command line, program name first (str or bytes each; str is encoded UTF-8).
    - ``env``: environment variables (``{name: value}``), added after the inherited ones.
    - ``inherit_env``: start from the host's ``os.environ`` (default: an empty environment).
    - ``preopens``: ``{"/guest/path": "host/path"}``; each becomes a preopened directory
      descriptor, from fd 3 on in the mapping's order. The guest can reach nothing outside them.
      A value ``Preopen("host/path", read_only=True)`` preopens the directory read-only.
    - ``sockets``: host ``socket.socket`` objects (listening or connected) handed to the guest
      as descriptors after the preopens, like wasmtime's ``--tcplisten``; the guest uses them
      with ``sock_accept``, ``sock_recv``, ``sock_send``, ``sock_shutdown``, ``fd_read``,
      ``fd_write`` and ``poll_oneoff``. whisk closes the ones the guest accepted, not these.
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
    preopens: Mapping[str, str | os.PathLike[str] | Preopen] | None = None
    sockets: Sequence[Any] = ()
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
        self.sockets = tuple(self.sockets)

    @property
    def preopen_dirs(self) -> list[tuple[str, Preopen]]:
        """The preopens in fd order as ``(guest name, Preopen)`` pairs."""
        return [(guest, host if isinstance(host, Preopen) else Preopen(host))
                for guest, host in (self.preopens or {}).items()]

    @property
    def args_bytes(self) -> list[bytes]:
        """The arguments as the guest receives them (without the NUL terminators)."""
        return [_encode(a, "argument") for a in self.argv]

    @property
    def environ_bytes(self) -> list[bytes]:
        """The environment as ``b"NAME=VALUE"`` strings (without the NUL terminators)."""
        return list(self._environ)
