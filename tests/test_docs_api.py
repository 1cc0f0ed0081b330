"""The API reference (docs/api.md) documents every public name: each entry of
``whisk.__all__`` is the object of a ``::: path`` directive, or a member a module directive
renders (its ``members:`` list, or else the public objects the module defines)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import whisk

API_MD = Path(__file__).resolve().parent.parent / "docs" / "api.md"

_DIRECTIVE = re.compile(r"^::: *(\S+)\s*$")
_MEMBERS = re.compile(r"^\s+members:\s*(.*?)\s*$")


def directives(text: str) -> list[tuple[str, Any]]:
    """``[(path, members)]`` for each ``::: path`` line: ``members`` is the list its options
    give, False for ``members: false``, None when not given."""
    found: list[tuple[str, Any]] = []
    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        if m:
            found.append((m.group(1), None))
            continue
        m = _MEMBERS.match(line)
        if m and found and found[-1][1] is None:
            value = m.group(1)
            if value.lower() in ("false", "no", "[]"):
                members: Any = False
            elif value.startswith("["):
                members = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
            else:
                members = None      # true, or a block list: not used on our page
            found[-1] = (found[-1][0], members)
    return found


def resolve(path: str) -> Any:
    """The object ``path`` names, resolved as mkdocstrings (griffe) does: the longest importable
    module prefix, then attributes (so ``whisk.run`` is the module, not the function)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def documented(text: str) -> list[Any]:
    """The objects the page renders an entry for (top level and a module's members)."""
    objects: list[Any] = []
    for path, members in directives(text):
        obj = resolve(path)
        objects.append(obj)
        if isinstance(obj, ModuleType) and members is not False:
            if members is None:
                members = [n for n, v in vars(obj).items() if not n.startswith("_")
                           and getattr(v, "__module__", None) == obj.__name__]
            objects.extend(getattr(obj, name) for name in members)
    return objects


def missing(text: str) -> list[str]:
    """The names of ``whisk.__all__`` that ``text`` (an api.md) does not document."""
    objects = documented(text)
    return [name for name in whisk.__all__
            if not any(o is getattr(whisk, name) for o in objects)]


def test_every_public_name_is_on_the_api_page():
    assert missing(API_MD.read_text(encoding="utf-8")) == []


def test_every_directive_resolves():
    for path, _ in directives(API_MD.read_text(encoding="utf-8")):
        resolve(path)       # AttributeError/ImportError for a misspelt path


def test_the_check_finds_a_missing_name():
    text = API_MD.read_text(encoding="utf-8")
    assert missing(text.replace("::: whisk.Linker\n", "")) == ["Linker"]
    # ``whisk.run`` is the submodule to mkdocstrings: the function is not documented by it
    assert "run" in missing(text.replace("::: whisk.run.run\n", "::: whisk.run\n    options:\n"
                                         "      members: false\n"))
    # a module directive's ``members:`` list limits what it documents
    assert missing(text.replace("members: [i32, i64,", "members: [i64,")) == ["i32"]


def test_directive_parsing():
    text = "::: a.b\n    options:\n      members: false\n\n::: c\n    options:\n" \
           "      members: [x, y]\n::: d\n"
    assert directives(text) == [("a.b", False), ("c", ["x", "y"]), ("d", None)]

