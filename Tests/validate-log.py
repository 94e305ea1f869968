#!/usr/bin/env python3
"""Checks maptrace logs (JSON Lines) against docs/log-format.schema.json, record by record.

usage: validate-log.py SCHEMA LOG...   ("-" reads the records from standard input)

Prints one line per record that does not match (file, line number, what is wrong) and exits 1
if there was any; exits 2 when the schema or a log cannot be read, or jsonschema is missing.
A log whose writer was killed ends in zero bytes and perhaps a record cut short: those are the
end of the log, not records, as `maptrace report` reads them.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("validate-log.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)


def records(data):
    """(line number, text) of each complete record."""
    data = data.rstrip(b"\0")
    lines = data.split(b"\n")
    complete = lines[:-1] if not data.endswith(b"\n") else lines
    for number, line in enumerate(complete, 1):
        if line:
            yield number, line


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1]) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as error:
        print(f"validate-log.py: {argv[1]}: {error}", file=sys.stderr)
        return 2
    whole = jsonschema.Draft202012Validator(schema)
    # Every record type requires its "type" constant, so a record naming a known type matches
    # the whole schema's oneOf exactly when it matches that type's own schema: checking that one
    # alone gives the same answer, about ten times faster on a long log.
    own = {name[:-len("_record")]: jsonschema.Draft202012Validator({**branch, "$defs": schema["$defs"]})
           for name, branch in schema["$defs"].items() if name.endswith("_record")}
    problems = 0
    for path in argv[2:]:
        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        except OSError as error:
            print(f"validate-log.py: {path}: {error.strerror}", file=sys.stderr)
            return 2
        for number, line in records(data):
            try:
                record = json.loads(line)
            except ValueError as error:
                print(f"{path}:{number}: not JSON: {error}")
                problems += 1
                continue
            kind = record.get("type") if isinstance(record, dict) else None
            validator = own.get(kind) if isinstance(kind, str) else None
            if (validator or whole).is_valid(record):
                continue
            problems += 1
            if validator is None:
                print(f"{path}:{number}: no record type {kind!r}")
                continue
            # The reason from the record's own type, not oneOf's "none matched".
            error = jsonschema.exceptions.best_match(validator.iter_errors(record))
            where = "/".join(str(p) for p in error.absolute_path) if error else ""
            print(f"{path}:{number}: {kind} record{' at ' + where if where else ''}: "
                  f"{error.message if error else 'does not match'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
