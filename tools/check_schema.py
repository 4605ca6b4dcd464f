#!/usr/bin/env python3
"""Checks schema.json: valid against Pulumi's package metaschema, and a
drop-in for the official docker-build schema (every official Image input,
output, nested type, enum value, default, `required` and `secret` flag is
present with the same shape). Descriptions must be this project's own.

Usage: check_schema.py [SHARED_DIR]   (default: ../shared beside the repo)
"""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[1]
shared = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared")
reference = shared / "reference"

ours = json.loads((ROOT / "schema.json").read_text())
official = json.loads((reference / "pulumi-docker-build.schema.json").read_text())
# The metaschema's patterns use Go's `(?<name>...)` groups; Python spells
# them `(?P<name>...)`.
metaschema = json.loads((reference / "pulumi-package-metaschema.json").read_text().replace("(?<", "(?P<"))

problems = []


def shape(spec):
    """A property's compatibility-relevant shape: everything but prose."""
    if isinstance(spec, dict):
        return {k: shape(v) for k, v in spec.items() if k not in ("description",)}
    if isinstance(spec, list):
        return [shape(v) for v in spec]
    return spec


def compare_properties(where, theirs, mine):
    for name, spec in theirs.items():
        if name not in mine:
            problems.append(f"{where}.{name}: missing")
        elif shape(spec) != shape(mine[name]):
            problems.append(f"{where}.{name}: {shape(mine[name])} != official {shape(spec)}")


def compare_descriptions(where, theirs, mine):
    if isinstance(theirs, dict) and isinstance(mine, dict):
        if "description" in theirs and theirs.get("description") == mine.get("description"):
            problems.append(f"{where}: description copied from the official schema")
        for key in theirs:
            if key in mine:
                compare_descriptions(f"{where}.{key}", theirs[key], mine[key])


validator = jsonschema.validators.validator_for(metaschema)(metaschema, format_checker=jsonschema.FormatChecker())
for error in validator.iter_errors(ours):
    problems.append(f"metaschema: {error.message} at {list(error.absolute_path)}")

for token in official["resources"]:
    label = token.rsplit(":", 1)[-1]
    if token not in ours["resources"]:
        problems.append(f"resources.{token}: missing")
        continue
    mine, theirs = ours["resources"][token], official["resources"][token]
    compare_properties(f"{label}.inputProperties", theirs["inputProperties"], mine["inputProperties"])
    compare_properties(f"{label}.properties", theirs["properties"], mine["properties"])
    for key in ("required", "requiredInputs"):
        if sorted(mine.get(key, [])) != sorted(theirs.get(key, [])):
            problems.append(f"{label}.{key}: {mine.get(key)} != official {theirs.get(key)}")
image, their_image = ours["resources"]["docker-build:index:Image"], official["resources"]["docker-build:index:Image"]
for name, spec in official["types"].items():
    mine = ours["types"].get(name)
    if mine is None:
        problems.append(f"types.{name}: missing")
        continue
    compare_properties(f"types.{name}", spec.get("properties", {}), mine.get("properties", {}))
    for key in ("type", "required"):
        if spec.get(key) != mine.get(key):
            problems.append(f"types.{name}.{key}: {mine.get(key)} != official {spec.get(key)}")
    if "enum" in spec and [e["value"] for e in spec["enum"]] != [e["value"] for e in mine.get("enum", [])]:
        problems.append(f"types.{name}.enum differs")
compare_properties("config.variables", official["config"]["variables"], ours["config"]["variables"])
compare_properties("provider.inputProperties", official["provider"]["inputProperties"], ours["provider"]["inputProperties"])
compare_descriptions("schema", official, ours)

# The official text swaps cacheFrom and cacheTo; ours must not.
if "import" not in image["inputProperties"]["cacheFrom"]["description"].lower():
    problems.append("Image.cacheFrom: description does not say it imports")
if "export" not in image["inputProperties"]["cacheTo"]["description"].lower():
    problems.append("Image.cacheTo: description does not say it exports")
for name, spec in image["inputProperties"].items():
    if not spec.get("description"):
        problems.append(f"Image.inputProperties.{name}: no description")

if problems:
    print("schema.json problems:")
    for problem in problems:
        print(f"  - {problem}")
    sys.exit(1)
print(f"schema.json: valid, and compatible with the official schema ({len(official['resources'])} resources, {len(their_image['inputProperties'])} Image inputs, {len(official['types'])} types)")
