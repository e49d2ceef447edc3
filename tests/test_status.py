"""Bitstring Status List encoding against the shared vectors, and index allocation."""

from __future__ import annotations

import json

from badgepress.trust.status import Allocator, empty_list, encode_list, set_bit, set_bits
from badgepress.trust.verify import bit_at, decode_status_list
from conftest import VECTORS

BASE = "https://badges.test.example/"


def test_encoding_matches_the_shared_vectors() -> None:
    data = json.loads((VECTORS / "bitstring-status-list/generated-encodedlists.json").read_text())
    assert data["sizeBits"] == 131072
    for case in data["cases"]:
        bits = empty_list(data["sizeBits"])
        for i in case["setIndexes"]:
            set_bit(bits, i)
        assert encode_list(bits) == case["encodedList"]
        decoded = decode_status_list(case["encodedList"])
        assert sorted(set_bits(decoded)) == sorted(case["setIndexes"])
        assert all(bit_at(decoded, i) for i in case["setIndexes"])


def test_allocator_picks_unused_random_indexes_and_starts_a_new_list_when_full() -> None:
    # each key draws from its own lists only (status/<key prefix>-<n>.json)
    mine, other = "z6MkhaXgBZDvotDk", "z6MkpTHR8VNsBxYA"
    used = {f"{BASE}status/{mine}-1.json": {0, 1, 2}, f"{BASE}status/{other}-3.json": {4},
            f"{BASE}status/1.json": {5}}
    alloc = Allocator(BASE, used, mine, capacity=8)
    picks = [alloc.next() for _ in range(5)]
    assert {p[0] for p in picks} == {f"{BASE}status/{mine}-1.json"}
    assert sorted(p[1] for p in picks) == [3, 4, 5, 6, 7]  # every free index, once
    url, index, name = alloc.next()
    assert (url, name) == (f"{BASE}status/{mine}-2.json", f"{mine}-2") and 0 <= index < 8
    assert Allocator(BASE, used, other, capacity=8).next()[2] == f"{other}-3"
    # randomness: two allocators do not hand out the same sequence
    seqs = {tuple(Allocator(BASE, {}, mine, capacity=131072).next()[1] for _ in range(5))
            for _ in range(3)}
    assert len(seqs) == 3
