#!/usr/bin/env python3
"""The JSON Schemas of docs/json, and output checked against them.

  check-schemas.py
      Self-test: every schema is a valid JSON Schema (draft 2020-12) whose
      references resolve; the hand-written examples in
      tests/json/examples/SCHEMA/ are accepted (good-*.json) or refused
      (bad-*.json; the file name says what is wrong with it).
  check-schemas.py [--lines] [--all-fields] SCHEMA FILE...
      Validates each FILE (a JSON document; with --lines, one document per
      line) against docs/json/SCHEMA.schema.json. --all-fields: every row
      (ipmpstat without -o) must have every field the schema names.

Formats (ipv4, ipv6) are checked. Works with python3-jsonschema 4.10
(Debian 12) and later versions (the `referencing` registry).
"""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "json"
EXAMPLES = ROOT / "tests" / "json" / "examples"


def load_all():
    """Every schema, by file name (the names their $refs use)."""
    return {p.name: json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.schema.json"))}


def validator(name, store):
    schema = store[name]
    cls = jsonschema.Draft202012Validator
    checker = jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry = Registry().with_resources(
            (n, Resource.from_contents(s, default_specification=DRAFT202012)) for n, s in store.items()
        )
        return cls(schema, registry=registry, format_checker=checker)
    except ImportError:
        resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=store)
        return cls(schema, resolver=resolver, format_checker=checker)


def errors_of(v, doc):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in v.iter_errors(doc)]


def self_test(store):
    failures = 0
    for name, schema in store.items():
        jsonschema.Draft202012Validator.check_schema(schema)
    for name in store:
        stem = name.removesuffix(".schema.json")
        v = validator(name, store)
        good = sorted((EXAMPLES / stem).glob("good-*.json"))
        bad = sorted((EXAMPLES / stem).glob("bad-*.json"))
        if not good or not bad:
            print(f"FAIL {name}: needs good-*.json and bad-*.json examples in {EXAMPLES / stem}")
            failures += 1
            continue
        for p in good:
            errs = errors_of(v, json.loads(p.read_text()))
            if errs:
                print(f"FAIL {p.relative_to(ROOT)} refused: {errs[0]}")
                failures += 1
        for p in bad:
            if not errors_of(v, json.loads(p.read_text())):
                print(f"FAIL {p.relative_to(ROOT)} accepted")
                failures += 1
    if failures:
        return 1
    print(f"ok: {len(store)} schemas valid; their examples accepted and refused as they should be")
    return 0


def check(args, store):
    lines = "--lines" in args
    all_fields = "--all-fields" in args
    args = [a for a in args if a not in ("--lines", "--all-fields")]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    name = args[0] + ".schema.json"
    if name not in store:
        print(f"no schema {SCHEMAS / name}", file=sys.stderr)
        return 2
    v = validator(name, store)
    schema = store[name]
    row_schema = schema.get("items", schema)
    fields = set(row_schema.get("properties", {}))
    failures = 0
    count = 0
    for path in args[1:]:
        text = pathlib.Path(path).read_text()
        docs = [json.loads(line) for line in text.splitlines() if line.strip()] if lines else [json.loads(text)]
        for doc in docs:
            count += 1
            for e in errors_of(v, doc):
                print(f"FAIL {path}: {e}")
                failures += 1
            if all_fields:
                rows = doc if isinstance(doc, list) else [doc]
                for row in rows:
                    missing = fields - set(row)
                    if missing:
                        print(f"FAIL {path}: a row lacks {sorted(missing)}")
                        failures += 1
    if count == 0:
        print(f"FAIL no document in {args[1:]}")
        return 1
    if failures:
        return 1
    print(f"ok: {count} document(s) valid against {name}")
    return 0


def main():
    store = load_all()
    if len(sys.argv) == 1:
        return self_test(store)
    return check(sys.argv[1:], store)


if __name__ == "__main__":
    sys.exit(main())
