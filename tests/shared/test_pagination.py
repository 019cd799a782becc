import uuid
from datetime import UTC, datetime

import pytest

from shared.errors import BadCursor
from shared.pagination import (
    bigint_key,
    datetime_key,
    decode_cursor,
    decode_keyset,
    encode_cursor,
    int_key,
    text_key,
    uuid_key,
)


def test_round_trip_with_chinese_text():
    cursor = encode_cursor(["/一厂/焊装/", 42])
    assert decode_cursor(cursor, arity=2) == ["/一厂/焊装/", 42]


@pytest.mark.parametrize("bad", ["%%%", "e30", encode_cursor([1, 2]), encode_cursor(["a\x00"])])
def test_bad_cursors(bad):
    with pytest.raises(BadCursor):
        decode_cursor(bad, arity=1)


def test_keyset_reads_values_back_in_their_types():
    at, row_id = datetime(2026, 11, 30, 17, 0, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor([at.isoformat(), str(row_id)])
    assert decode_keyset(cursor, datetime_key, uuid_key) == (at, row_id)
    assert decode_keyset(encode_cursor(["E10001"]), text_key) == ("E10001",)
    assert decode_keyset(encode_cursor([-5, "E1"]), bigint_key, text_key) == (-5, "E1")
    assert decode_keyset(None, int_key) is None


@pytest.mark.parametrize("values, keys", [
    (["not a time", str(uuid.uuid4())], (datetime_key, uuid_key)),
    (["2026-11-30T17:00:00+00:00", "not a uuid"], (datetime_key, uuid_key)),
    ([12, str(uuid.uuid4())], (datetime_key, uuid_key)),
    ([42], (text_key,)),
    (["42"], (int_key,)),
    ([True], (int_key,)),
    ([-1], (int_key,)),
    ([2**63], (int_key,)),
    ([-(2**63) - 1, "E1"], (bigint_key, text_key)),
])
def test_keyset_refuses_values_of_another_type(values, keys):
    with pytest.raises(BadCursor):
        decode_keyset(encode_cursor(values), *keys)
