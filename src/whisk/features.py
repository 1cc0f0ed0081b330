"""Feature switches: which WebAssembly proposals a :class:`~whisk.Module` may use.

Like wasmtime's ``Config.wasm_*`` flags. ``whisk.Module(data, features=...)`` decodes and
validates against the given :class:`Features`; the default is every feature (all that whisk
implements are on). ``Features.wasm2()`` limits a module to WebAssembly 2.0 (its SIMD included):
a module that uses something newer is rejected, with the feature named in words::

    >>> whisk.Module(relaxed_simd_wasm, features=whisk.Features.wasm2())
    DecodeError: relaxed SIMD is not enabled (i8x16.relaxed_swizzle) (function 0) ...

WebAssembly 2.0's own proposals (sign extension, non-trapping float-to-int, multi-value, bulk
memory, reference types) are always on; ``simd`` (2.0's fixed-width SIMD) can be switched off.

How a disabled feature is reported (the class of the error follows how a 2.0 engine sees it):

* an instruction whose opcode table row (``whisk.opcodes``, column ``feature``) names a disabled
  feature: :class:`~whisk.errors.DecodeError` "<words> is/are not enabled (<mnemonic>)"; the
  core's lowerer receives :attr:`Features.mask` in ``Lowerer.setup`` and checks each opcode
  against it (a generated per-opcode table of feature bits);
* anything else: the code that meets the construct calls :meth:`Features.require` (decoders with
  ``malformed=True`` and the byte offset, validators without). The decoders reach the features as
  ``Reader.features``; ``validate_module`` gets them as an argument.

Feature names (exactly these strings; also the opcode table's ``feature`` values for 3.0 rows):
see :data:`FEATURE_WORDS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import DecodeError, ValidationError

__all__ = ["Features", "FEATURE_NAMES", "FEATURE_WORDS", "BASE_FEATURES", "feature_bit",
           "disabled_message"]

#: The switchable features, in bit order (bit ``i`` of :attr:`Features.mask` is
#: ``FEATURE_NAMES[i]``; the core's per-opcode feature table is generated with this order).
FEATURE_NAMES: tuple[str, ...] = (
    "simd", "relaxed_simd", "exceptions", "legacy_exceptions", "tail_call",
    "function_references", "multi_memory", "memory64", "extended_const", "gc",
)

#: THE table of feature name -> (words, plural): the words name the feature in messages
#: ("tail calls are not enabled") and docs.
FEATURE_WORDS: dict[str, tuple[str, bool]] = {
    "simd": ("SIMD", False),                                        # spec 2.0, 4.4.3 vectors
    "relaxed_simd": ("relaxed SIMD", False),                        # 3.0, 4.3.6 relaxed ops
    "exceptions": ("exception handling", False),                    # 3.0 tags, try_table, throw
    "legacy_exceptions": ("legacy exception handling", False),      # try/catch/delegate/rethrow
    "tail_call": ("tail calls", True),                              # 3.0 return_call*
    "function_references": ("typed function references", True),     # 3.0 (ref null? t), call_ref
    "multi_memory": ("multiple memories", True),                    # 3.0 memory indices
    "memory64": ("64-bit memories", True),                          # 3.0 i64 address type
    "extended_const": ("extended constant expressions", True),      # 3.0, 3.4.13 const exprs
    "gc": ("garbage collection", False),                            # 3.0 struct, array, i31
}

#: The opcode table's ``feature`` values that are part of WebAssembly 2.0 and cannot be
#: switched off (every other value must be one of FEATURE_NAMES).
BASE_FEATURES: frozenset[str] = frozenset(
    {"mvp", "sign-extension", "saturating-float-to-int", "bulk-memory", "reference-types",
     "multi-value"})

# Feature -> the features it needs (checked when a Features is made).
_REQUIRES: dict[str, tuple[str, ...]] = {"relaxed_simd": ("simd",),
                                         "legacy_exceptions": ("exceptions",),   # (tags)
                                         "gc": ("function_references",)}   # (typed refs)

_ALL_MASK = (1 << len(FEATURE_NAMES)) - 1

assert set(FEATURE_WORDS) == set(FEATURE_NAMES)


def feature_bit(name: str) -> int:
    """The bit of feature ``name`` in :attr:`Features.mask` (0 for a BASE_FEATURES value).
    Raises ValueError for an unknown name."""
    if name in BASE_FEATURES:
        return 0
    try:
        return 1 << FEATURE_NAMES.index(name)
    except ValueError:
        raise ValueError(f"unknown WebAssembly feature {name!r} (known: "
                         f"{', '.join(FEATURE_NAMES)})") from None


def disabled_message(name: str) -> str:
    """The message for a use of disabled feature ``name``: ``"tail calls are not enabled"``."""
    words, plural = FEATURE_WORDS[name]
    return f"{words} {'are' if plural else 'is'} not enabled"


class Features:
    """An immutable set of enabled WebAssembly features (hashable; compares by value).

    ``Features(**flags)``: each keyword is a name of :data:`FEATURE_NAMES` with a bool; the
    features not named are on. ``Features(tail_call=False)`` is everything but tail calls.
    Presets: :meth:`all`, :meth:`wasm2`; :meth:`only` for an exact set; :meth:`replace` derives
    one; :meth:`parse` reads the CLI's ``--features`` text. ``name in features`` tests one.

    Raises TypeError for an unknown keyword, ValueError for an inconsistent set (``relaxed_simd``
    without ``simd``).
    """

    __slots__ = ("_mask",)
    _mask: int

    def __init__(self, **flags: bool) -> None:
        mask = _ALL_MASK
        for name, on in flags.items():
            if name not in FEATURE_WORDS:
                raise TypeError(f"Features() got an unknown feature {name!r} (known: "
                                f"{', '.join(FEATURE_NAMES)})")
            bit = 1 << FEATURE_NAMES.index(name)
            mask = (mask | bit) if on else (mask & ~bit)
        object.__setattr__(self, "_mask", mask)
        for name, needs in _REQUIRES.items():
            for need in needs:
                if name in self and need not in self:
                    raise ValueError(f"feature {name!r} ({FEATURE_WORDS[name][0]}) needs "
                                     f"{need!r} ({FEATURE_WORDS[need][0]})")

    # --- constructors -----------------------------------------------------------------

    @classmethod
    def all(cls) -> Features:
        """Every feature (the default of ``Module``)."""
        return cls()

    @classmethod
    def wasm2(cls) -> Features:
        """WebAssembly 2.0: fixed-width SIMD on, every 3.0 feature off."""
        return cls.only(["simd"])

    @classmethod
    def only(cls, names: Iterable[str]) -> Features:
        """Exactly the features ``names`` (plus WebAssembly 2.0's base). ValueError for an
        unknown name."""
        wanted = set(names)
        for name in wanted:
            feature_bit(name)
        return cls(**{name: name in wanted for name in FEATURE_NAMES})

    @classmethod
    def parse(cls, text: str) -> Features:
        """Read a comma-separated list: an optional first preset (``all``, ``wasm2``; default
        ``all``), then ``name`` or ``+name`` (enable) and ``-name`` (disable), applied in
        order; ``-`` and ``_`` are interchangeable inside names (``tail-call``). Example:
        ``"wasm2,+tail_call"``. Raises ValueError naming the bad item."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        flags = dict.fromkeys(FEATURE_NAMES, True)
        for i, item in enumerate(items):
            if i == 0 and item in ("all", "wasm2"):
                base = cls.all() if item == "all" else cls.wasm2()
                flags = {name: name in base for name in FEATURE_NAMES}
                continue
            on = not item.startswith("-")
            name = item.lstrip("+-").replace("-", "_")
            if name not in FEATURE_WORDS:
                raise ValueError(f"unknown WebAssembly feature {item!r} (known: all, wasm2, "
                                 f"{', '.join(FEATURE_NAMES)})")
            flags[name] = on
        return cls(**flags)

    def replace(self, **flags: bool) -> Features:
        """A copy with the given features switched: ``Features.wasm2().replace(tail_call=True)``."""
        current = {name: name in self for name in FEATURE_NAMES}
        current.update(flags)
        return Features(**current)

    # --- queries ----------------------------------------------------------------------

    @property
    def mask(self) -> int:
        """The enabled features as bits (bit i: ``FEATURE_NAMES[i]``), as the core receives
        them in ``Lowerer.setup``."""
        return self._mask

    @property
    def enabled(self) -> frozenset[str]:
        """The names of the enabled features."""
        return frozenset(n for i, n in enumerate(FEATURE_NAMES) if self._mask >> i & 1)

    def __contains__(self, name: object) -> bool:
        if name in BASE_FEATURES:
            return True
        if not isinstance(name, str) or name not in FEATURE_WORDS:
            return False
        return bool(self._mask >> FEATURE_NAMES.index(name) & 1)

    def require(self, name: str, what: str | None = None, *, malformed: bool = False,
                offset: int | None = None) -> None:
        """Check that feature ``name`` is on; otherwise raise, naming it in words.

        The hook for code that meets a construct a feature introduces outside the opcode table
        (a memory64 limits flag, a second memory, the tag section, a typed reference type):
        ``features.require("memory64", "i64 address type", malformed=True, offset=pos)``.
        ``what`` (optional) names the construct in the message: "64-bit memories are not
        enabled (i64 address type)". Raises DecodeError (``malformed=True``, at byte ``offset``)
        or ValidationError, as a WebAssembly 2.0 engine would classify the construct; ValueError
        for an unknown feature name."""
        if name in self:
            return
        feature_bit(name)                               # ValueError if the name is unknown
        msg = disabled_message(name) + (f" ({what})" if what else "")
        if malformed:
            raise DecodeError(msg, offset)
        raise ValidationError(msg)

    # --- value semantics --------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Features is immutable (use .replace())")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Features) and other._mask == self._mask

    def __hash__(self) -> int:
        return hash(("Features", self._mask))

    def __repr__(self) -> str:
        if self._mask == _ALL_MASK:
            return "Features.all()"
        on = [n for n in FEATURE_NAMES if n in self]
        off = [n for n in FEATURE_NAMES if n not in self]
        if len(on) < len(off):
            return f"Features.only({on!r})"
        return f"Features({', '.join(f'{n}=False' for n in off)})"

    def __reduce__(self) -> tuple[object, ...]:
        return (Features.only, (sorted(self.enabled),))


#: The default: every feature.
ALL = Features()
