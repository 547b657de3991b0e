"""Hypothesis strategies for hostile input, shared by the fuzz tests.

The fixed nasty values are always mixed in (hypothesis finds them by name, not by luck): empty,
whitespace only, 100 KB, control characters, lone surrogates, emoji sequences, SQL and script
injection, numbers at the edge of floats, and full-width/traditional Chinese."""
from __future__ import annotations

from hypothesis import strategies as st

HUGE = "停电" * 50_000  # 100 000 characters (about 300 KB of UTF-8)
NASTY_TEXT = [
    "", " ", "\u3000", "\t\n\r", "\x00", "\x00\x01\x1b[2J\x7f", "\ud800", "a\udfffb",
    "😀", "🔌⚡️👩‍👩‍👧", "\u202e\u200b\ufeff", "' OR '1'='1", "1; DROP TABLE work_orders; --",
    "<script>alert(1)</script>", "]]><xml>", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "1e308", "-1",
    "1.5e308", "NaN", "-0", "9" * 400, "０３００００００01", "壹佰", "一百五十千瓦", "兩百度", "13812345678",
    "0300000001", "\\u0000", "%00", "null", "[]", "{}",
]
# Characters from every Unicode category, surrogates included (hypothesis excludes them by default).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
CHINESEISH = st.characters(whitelist_categories=("Lo", "Nd", "Nl", "No", "Zs", "Po", "So", "Cc", "Cf"))


def _huge_text() -> st.SearchStrategy[str]:
    # Built, not sampled: a 100 KB literal in a strategy's repr makes hypothesis warn on every use.
    return st.sampled_from(["停电", "a", "😀", "\x01"]).map(lambda unit: (unit * 100_000)[:100_000])


def hostile_text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        _huge_text(),
        st.text(ANY_CHAR, max_size=max_size),
        st.text(CHINESEISH, max_size=max_size),
        st.builds(lambda a, b, c: a + b + c, st.text(CHINESEISH, max_size=20), st.sampled_from(NASTY_TEXT),
                  st.text(ANY_CHAR, max_size=20)),
    )


def hostile_bytes(max_size: int = 2000) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=max_size),
        st.sampled_from([b"", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x00" * 10, b"{", b"null", b"1e308",
                         b'{"a": "\xff"}', b"<xml>\xff</xml>"]),
        hostile_text(200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


def json_scalars() -> st.SearchStrategy:
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from([-1, 0, 10**40, -(10**40)]),
        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e308, 1.5e308, 5e-324]),
        hostile_text(),
    )


def json_values() -> st.SearchStrategy:
    return st.recursive(
        json_scalars(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text(20), children, max_size=4),
        max_leaves=12,
    )
