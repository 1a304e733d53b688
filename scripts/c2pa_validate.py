#!/usr/bin/env python3
"""Validates provreg `.c2pa` sidecar certificates with c2pa-python, independently of
the registry's own code.

Usage: c2pa_validate.py --trust CA.pem CASES.json

CASES.json is a list of {"name", "format", "manifest", "asset"} (paths to the
sidecar manifest store and to the bytes it is bound to). Prints a JSON list with,
per case: name, state (Trusted / Valid / Invalid), active_manifest, the status codes
by kind (success / informational / failure), and error if the reader refused.

Needs `pip install c2pa-python` (the registry's tests pin the version).
"""
import argparse
import json
import sys

import c2pa


def codes(results, kind):
    found = []
    groups = [results.get("activeManifest") or {}]
    groups += [d.get("validationDeltas") or {} for d in results.get("ingredientDeltas") or []]
    for group in groups:
        found += [s.get("code") for s in group.get(kind) or []]
    return found


def validate(case, context):
    out = {"name": case["name"]}
    try:
        with open(case["manifest"], "rb") as f:
            manifest = f.read()
        with open(case["asset"], "rb") as asset:
            with c2pa.Reader(case["format"], asset, manifest_data=manifest, context=context) as reader:
                out["state"] = reader.get_validation_state()
                results = reader.get_validation_results() or {}
                out["active_manifest"] = json.loads(reader.json()).get("active_manifest")
        for kind in ("success", "informational", "failure"):
            out[kind] = codes(results, kind)
    except Exception as e:  # report, never hide, what the validator refused
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trust", required=True, help="PEM trust anchors (our CA)")
    parser.add_argument("cases", help="JSON list of cases")
    args = parser.parse_args()
    with open(args.trust) as f:
        anchors = f.read()
    with open(args.cases) as f:
        cases = json.load(f)
    settings = c2pa.Settings.from_dict(
        {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors}}
    )
    context = c2pa.Context(settings)
    results = [validate(case, context) for case in cases]
    json.dump({"c2pa_python": getattr(c2pa, "__version__", None), "results": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
