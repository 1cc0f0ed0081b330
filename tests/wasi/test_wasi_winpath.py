"""winpath (the Windows side of dirfd) against a fake kernel32, so its checks and its handle
reference counts are tested on every OS: children are opened without following reparse
points and without FILE_SHARE_DELETE, a reparse point, a file or a handle whose final path is
not the parent's plus the name is refused (and its handle closed), and a directory stays
pinned while a child holds it."""

from __future__ import annotations

import errno

import pytest

from whisk.wasi import winpath

DIR, REPARSE = 0x10, 0x400


class FakeKernel32:
    """CreateFileW / GetFileInformationByHandleEx / GetFinalPathNameByHandleW / CloseHandle
    over a table ``entries``: path -> (attributes, final path); ``tags`` the reparse tags."""

    def __init__(self, entries):
        self.entries = entries
        self.tags = {"\\\\?\\C:\\Root\\junction": 0xA0000003,       # a junction
                     "\\\\?\\C:\\Root\\cloud": 0x9000001A}          # a cloud-file placeholder
        self.handles = {}
        self.calls = []
        self.closed = []
        self._next = 100

    def CreateFileW(self, path, access, share, security, disposition, flags, template):
        self.calls.append((path, share, flags))
        if path not in self.entries:
            return winpath.ctypes.c_void_p(-1).value
        self._next += 1
        self.handles[self._next] = path
        return self._next

    def GetFileInformationByHandleEx(self, handle, info_class, info_ref, size):
        assert info_class == 9 and size == 8             # FileAttributeTagInfo
        attributes = self.entries[self.handles[handle]][0]
        info_ref._obj.attributes = attributes
        info_ref._obj.tag = self.tags.get(self.handles[handle], 0) if attributes & REPARSE else 0
        return 1

    def GetFinalPathNameByHandleW(self, handle, buf, size, flags):
        final = self.entries[self.handles[handle]][1]
        if len(final) >= size:
            return len(final) + 1
        buf.value = final
        return len(final)

    def CloseHandle(self, handle):
        self.closed.append(handle)
        return 1


@pytest.fixture
def k32(monkeypatch):
    fake = FakeKernel32({
        "C:\\root": (DIR, "\\\\?\\C:\\Root"),
        "\\\\?\\C:\\Root\\d": (DIR, "\\\\?\\C:\\Root\\D"),
        "\\\\?\\C:\\Root\\D\\e": (DIR, "\\\\?\\C:\\Root\\D\\e"),
        "\\\\?\\C:\\Root\\junction": (DIR | REPARSE, "\\\\?\\C:\\Root\\junction"),
        "\\\\?\\C:\\Root\\cloud": (DIR | REPARSE, "\\\\?\\C:\\Root\\cloud"),
        "\\\\?\\C:\\Root\\moved": (DIR, "\\\\?\\C:\\Elsewhere\\moved"),
        "\\\\?\\C:\\Root\\file.txt": (0x20, "\\\\?\\C:\\Root\\file.txt"),
    })
    monkeypatch.setattr(winpath, "_kernel32", fake)
    monkeypatch.setattr(winpath, "_error", lambda path: FileNotFoundError(errno.ENOENT, "no", path))
    return fake


def test_children_are_pinned_and_never_followed(k32):
    root = winpath.open_root("C:\\root")
    assert root.path == "\\\\?\\C:\\Root"
    d = winpath.open_child(root, "d")
    assert d.path == "\\\\?\\C:\\Root\\D" and d.parent is root and root.refs == 2
    for path, share, flags in k32.calls:
        assert not share & 0x4, "FILE_SHARE_DELETE would let the directory be moved"
        assert flags & 0x02000000
    assert k32.calls[1][2] & 0x00200000          # children: FILE_FLAG_OPEN_REPARSE_POINT
    assert winpath.at(d, "x") == ("\\\\?\\C:\\Root\\D\\x", None)
    assert winpath.at(d, None) == ("\\\\?\\C:\\Root\\D", None)


@pytest.mark.parametrize("name,err", [("junction", errno.ELOOP), ("moved", errno.ELOOP),
                                      ("file.txt", errno.ENOTDIR), ("missing", errno.ENOENT)])
def test_refused_children_close_their_handle(k32, name, err):
    root = winpath.open_root("C:\\root")
    with pytest.raises(OSError) as info:
        winpath.open_child(root, name)
    assert info.value.errno == err
    assert root.refs == 1
    opened = [h for h, p in k32.handles.items() if p.endswith(name)]
    assert opened == [] or set(opened) <= set(k32.closed)


def test_reference_counts(k32):
    root = winpath.open_root("C:\\root")
    d = winpath.open_child(root, "d")
    e = winpath.open_child(d, "e")
    again = winpath.open_child(e, None)
    assert again is e and e.refs == 2
    winpath.close(root)                          # the descriptor of the root goes ...
    assert k32.closed == [] and root.refs == 1   # ... but d (and e) still pin it
    winpath.close(d)
    winpath.close(e)
    assert k32.closed == []
    winpath.close(again)                         # the last reference: e, d, root in turn
    assert len(k32.closed) == 3 and root.handle is None


def test_names_join_and_compare_as_windows_does():
    assert winpath.join("\\\\?\\C:\\", "x") == "\\\\?\\C:\\x"
    assert winpath.join("\\\\?\\C:\\a", "x") == "\\\\?\\C:\\a\\x"
    assert winpath.is_child("\\\\?\\C:\\A\\X", "\\\\?\\c:\\a", "x")
    assert not winpath.is_child("\\\\?\\C:\\B\\X", "\\\\?\\C:\\A", "x")
    assert not winpath.is_child("\\\\?\\C:\\A\\X\\Y", "\\\\?\\C:\\A", "x")


def test_other_reparse_points_are_plain_directories(k32):
    root = winpath.open_root("C:\\root")
    cloud = winpath.open_child(root, "cloud")
    assert cloud.path == "\\\\?\\C:\\Root\\cloud"
