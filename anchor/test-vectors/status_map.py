#!/usr/bin/env python3
"""Known answers of the status map (anchor/src/status_map.rs), computed by this independent
implementation of its specification (anchor/README.md, "Status map") with hashlib only.

    python3 anchor/test-vectors/status_map.py > anchor/test-vectors/status-map.json
"""
import hashlib
import json

TAG = b"provreg/status-key/v1"
EMPTY = bytes(32)


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def key(record_id):
    return sha(TAG, record_id.encode())


def bit(k, i):
    return (k[i // 8] >> (7 - i % 8)) & 1


def subtree(entries, depth):
    if not entries:
        return EMPTY
    if len(entries) == 1:
        (k, v), = entries
        return sha(b"\x10", k, v)
    left = [e for e in entries if bit(e[0], depth) == 0]
    right = [e for e in entries if bit(e[0], depth) == 1]
    return sha(b"\x11", subtree(left, depth + 1), subtree(right, depth + 1))


def prove(entries, k):
    siblings = []
    depth = 0
    here = entries
    while len(here) > 1:
        side = bit(k, depth)
        same = [e for e in here if bit(e[0], depth) == side]
        other = [e for e in here if bit(e[0], depth) != side]
        siblings.append(subtree(other, depth + 1))
        here = same
        depth += 1
    leaf = None
    if here:
        (lk, lv), = here
        leaf = {"key": "0x" + lk.hex(), "value": "0x" + lv.hex()}
    return {"version": 1, "key": "0x" + k.hex(), "siblings": ["0x" + s.hex() for s in siblings], "leaf": leaf}


def case(name, records, asked):
    entries = [(key(r), sha(b"status-event:", r.encode(), str(n).encode())) for r, n in records]
    # A later event of the same record replaces the earlier one.
    latest = {}
    for k, v in entries:
        latest[k] = v
    entries = sorted(latest.items())
    return {
        "name": name,
        "entries": [{"record": r, "value": "0x" + sha(b"status-event:", r.encode(), str(n).encode()).hex()} for r, n in records],
        "root": "0x" + subtree(entries, 0).hex(),
        "proofs": [{"record": a, "key": "0x" + key(a).hex(), "proof": prove(entries, key(a))} for a in asked],
    }


def main():
    many = [(f"rec-{i}", i) for i in range(40)]
    cases = [
        case("empty map", [], ["lic-1"]),
        case("one record", [("dataset-pixel-traits", 1)], ["dataset-pixel-traits", "dataset-other"]),
        case("a record changed twice", [("a", 1), ("b", 2), ("a", 3)], ["a", "b", "c"]),
        case("forty records", many, ["rec-0", "rec-17", "rec-39", "never-changed", "rec-400"]),
    ]
    print(json.dumps({"description": "status map known answers; see anchor/README.md", "cases": cases}, indent=2))


if __name__ == "__main__":
    main()
