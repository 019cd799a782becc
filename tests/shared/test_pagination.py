import pytest

from shared.errors import BadCursor
from shared.pagination import decode_cursor, encode_cursor


def test_round_trip_with_chinese_text():
    cursor = encode_cursor(["/一厂/焊装/", 42])
    assert decode_cursor(cursor, arity=2) == ["/一厂/焊装/", 42]


@pytest.mark.parametrize("bad", ["%%%", "e30", encode_cursor([1, 2]), encode_cursor(["a\x00"])])
def test_bad_cursors(bad):
    with pytest.raises(BadCursor):
        decode_cursor(bad, arity=1)
