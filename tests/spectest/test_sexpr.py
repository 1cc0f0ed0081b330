"""Unit tests of spectest.sexpr (the WAST S-expression reader)."""

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spectest.sexpr import (  # noqa: E402
    ParseError,
    String,
    decode_string,
    dumps,
    parse,
    parse_with_lines,
    quote_bytes,
)


def plain(node):
    """Tree with String replaced by its bytes, for easy comparison."""
    if isinstance(node, String):
        return node.value
    if isinstance(node, list):
        return [plain(n) for n in node]
    return node


def test_atoms_and_lists():
    assert parse("(module (func $f (param i32) (result i32) local.get 0))") == [
        ["module", ["func", "$f", ["param", "i32"], ["result", "i32"], "local.get", "0"]]
    ]
    assert parse("a b\n\t(c)") == ["a", "b", ["c"]]
    assert parse("") == []
    assert parse("()") == [[]]
    assert parse("(a)(b)") == [["a"], ["b"]]


def test_atom_characters():
    assert parse("(i32.const -0x1_0) $a!#$%&'*+-./:<=>?@\\^_`|~") == [
        ["i32.const", "-0x1_0"],
        "$a!#$%&'*+-./:<=>?@\\^_`|~",
    ]
    assert parse("(v128.const f32x4 nan:0x200000 -nan inf +inf)")[0][2:] == [
        "nan:0x200000", "-nan", "inf", "+inf"]


def test_strings_escapes():
    [s] = parse(r'"a\n\t\r\\\'\"\00\ff\7F"')
    assert isinstance(s, String)
    assert s.value == b"a\n\t\r\\'\"\x00\xff\x7f"
    assert s.raw == r'"a\n\t\r\\\'\"\00\ff\7F"'
    [u] = parse(r'"\u{41}\u{e9}\u{1F600}\u{0}\u{10_FFFF}"')
    assert u.value == "A\u00e9\U0001F600\x00\U0010FFFF".encode("utf-8")
    [raw] = parse('"h\u00e9llo \u202e"')
    assert raw.value == "h\u00e9llo \u202e".encode("utf-8")
    assert parse('""')[0].value == b""
    assert parse(r'"\22"')[0].value == b'"'


def test_string_contents_are_not_tokens():
    assert plain(parse('("(;" ";;" ")" "(")')) == [[b"(;", b";;", b")", b"("]]


@pytest.mark.parametrize("bad", [r'"\x"', r'"\u{D800}"', r'"\u{110000}"', r'"\u{}"', r'"\0"', r'"\u41"'])
def test_bad_escapes(bad):
    with pytest.raises(ParseError):
        parse(bad)


@pytest.mark.parametrize("bad", ['"abc', "(a", "a)", "(a ;) b)", '(a "x\ny")', "(; never closed"])
def test_syntax_errors(bad):
    with pytest.raises(ParseError):
        parse(bad)


def test_error_line_number():
    with pytest.raises(ParseError) as e:
        parse("(a)\n(b)\n  )")
    assert e.value.line == 3


def test_comments():
    text = """
    ;; line comment (with parens
    (a ;; trailing
      b (; block ;) c
      (; nested (; deeper ;) still ;) d
      (;;) e (; ;; not a line comment ;) f
    )
    (;
      multi-line ) ( "
    ;)
    ;;"""
    assert parse(text) == [["a", "b", "c", "d", "e", "f"]]
    assert parse("(a(;x;)b)") == [["a", "b"]]
    assert parse("a;;x\nb") == ["a", "b"]


def test_annotations_dropped():
    assert parse('(module (@custom "x" (a b)) (func) (@name "f"))') == [["module", ["func"]]]
    assert parse('(@top 1) (module)') == [["module"]]


def test_lines():
    text = "(a)\n\n  (b\n c)\n;; (x)\n(; \n\n ;) (d)"
    got = [(plain(n), line) for n, line in parse_with_lines(text)]
    assert got == [(["a"], 1), (["b", "c"], 3), (["d"], 8)]


def test_deep_nesting():
    depth = 20000
    text = "(" * depth + "x" + ")" * depth
    tree = parse(text)
    node = tree[0]
    for _ in range(depth - 1):
        node = node[0]
    assert node == ["x"]
    assert dumps(tree[0]) == text


def test_dumps_keeps_tokens():
    text = '(module $m (func (export "f\\u{41}") (result f32) (f32.const -0x1.8p+3)) (data "\\00\\ff"))'
    assert dumps(parse(text)[0]) == text


def test_dumps_ascii():
    [node] = parse('(module (func (export "\u202e\u00e9") ))')
    out = dumps(node, ascii=True)
    assert out.isascii()
    assert plain(parse(out)) == plain([node])
    # ASCII strings keep their original spelling
    assert dumps(parse(r'("a\n")')[0], ascii=True) == r'("a\n")'


@given(st.binary(max_size=64))
def test_quote_bytes_roundtrip(b):
    q = quote_bytes(b)
    assert q.isascii() and q[0] == q[-1] == '"'
    assert decode_string(q[1:-1]) == b
    assert plain(parse(q)) == [b]


@given(st.text(max_size=40))
def test_unicode_escape_roundtrip(s):
    # every character written as \u{...} decodes to its UTF-8 bytes (surrogates are not allowed)
    s = "".join(c for c in s if not 0xD800 <= ord(c) < 0xE000)
    body = "".join("\\u{%x}" % ord(c) for c in s)
    assert decode_string(body) == s.encode("utf-8")


ATOM = st.text(alphabet="abcxyz019$_.:+-=", min_size=1, max_size=8)
LEAF = st.one_of(ATOM, st.binary(max_size=12).map(String))
TREE = st.recursive(LEAF, lambda children: st.lists(children, max_size=5), max_leaves=30)


@settings(max_examples=200)
@given(st.lists(TREE, max_size=5))
def test_dumps_parse_roundtrip(trees):
    text = " ".join(dumps(t) for t in trees)
    assert plain(parse(text)) == plain(trees)


@settings(max_examples=100)
@given(st.lists(TREE.filter(lambda t: isinstance(t, list)), max_size=4),
       st.sampled_from([" ", "\n", "\t", " ;; c\n", " (; c ;) ", "(;(;;);)"]))
def test_whitespace_and_comments_do_not_matter(trees, sep):
    compact = "".join(dumps(t) for t in trees)
    spaced = sep + sep.join(dumps(t) for t in trees) + "\n"
    assert plain(parse(spaced)) == plain(parse(compact)) == plain(trees)
