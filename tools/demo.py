#!/usr/bin/env python3
"""The demo: what the registry cache is for, in four `pulumi up`s of
examples/python through the stand-in engine, each with its time and the
image's `cacheReport`:

1. a brand-new stack on an engine with no build cache: no registry cache
   yet, said plainly; this build creates it;
2. an edit to the app after the Docker engine's own build cache is
   pruned (a fresh CI runner): the registry cache serves the unchanged
   steps, and the rebuild is faster than the first build;
3. the `:cache` tag deleted (a cleared repository): a first build again,
   the cache re-created, nothing alarming;
4. nothing changed: no build at all.

Usage: demo.py [--registry HOST] [--sdk PYTHONPATH] [--json FILE]
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def up(program, registry, repository, sdk):
    """One `pulumi up`; its time, output and the stack's outputs."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/engine/engine.py"), "up", "--program", str(program),
         "--config", f"registry={registry}", "--config", f"repository={repository}"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=sdk or os.environ.get("PYTHONPATH", "")),
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"pulumi up failed ({result.returncode})")
    outputs = json.loads((program / ".stack-dev.json").read_text())["outputs"]
    return elapsed, result.stdout, outputs


def whole(value):
    """Counts as the integers they are (the wire carries doubles)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole(v) for k, v in value.items()}
    return value


def prune_engine_cache():
    subprocess.run(["docker", "builder", "prune", "--all", "--force"], check=True, capture_output=True)


def delete_cache_tag(registry, repository):
    """Deletes `<repository>:cache` from the registry, as clearing the
    repository in a console would."""
    url = f"http://{registry}/v2/{repository}/manifests/cache"
    head = urllib.request.Request(url, method="HEAD", headers={"Accept": MANIFEST_TYPES})
    with urllib.request.urlopen(head) as response:
        digest = response.headers["Docker-Content-Digest"]
    delete = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{digest}", method="DELETE")
    urllib.request.urlopen(delete).close()


def story(step, title, elapsed, output, outputs, note=""):
    report = whole(outputs.get("cacheReport") or {})
    built = "no changes" not in output
    print(f"\n== {step}. {title} ==")
    for line in output.splitlines():
        if "no build cache at" in line or line.startswith(" +") or line.startswith(" ~") or "no changes" in line:
            print(f"   {line.strip()}")
    print(f"   {'built' if built else 'nothing to build'} in {elapsed:.1f} s{note}")
    if built and report:
        found = "found" if report.get("found") else "not found (a first build)"
        print(f"   cache {report.get('ref')}: {found}; {report.get('cachedSteps')} of {report.get('totalSteps')} steps from the cache")
    return {"step": step, "seconds": round(elapsed, 2), "built": built, "cacheReport": report}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--sdk")
    parser.add_argument("--json", type=pathlib.Path, help="also write the four steps' figures here")
    args = parser.parse_args()
    repository = f"docker-build-demo-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        shutil.copytree(ROOT / "examples/python", work / "python", ignore=shutil.ignore_patterns(".stack-*.json", "__pycache__"))
        shutil.copytree(ROOT / "examples/app", work / "app")
        program, greeting = work / "python", work / "app" / "greeting.txt"
        steps = []

        prune_engine_cache()
        elapsed, output, outputs = up(program, args.registry, repository, args.sdk)
        steps.append(story(1, "a brand-new stack: no cache yet", elapsed, output, outputs))
        first = elapsed

        greeting.write_text("hello again\n")
        prune_engine_cache()
        elapsed, output, outputs = up(program, args.registry, repository, args.sdk)
        steps.append(story(2, "an edit, on an engine with no build cache of its own (a fresh CI runner)", elapsed, output, outputs,
                           f" ({first / elapsed:.1f}x faster than the first build)"))

        delete_cache_tag(args.registry, repository)
        greeting.write_text("hello once more\n")
        prune_engine_cache()
        elapsed, output, outputs = up(program, args.registry, repository, args.sdk)
        steps.append(story(3, "the :cache tag deleted (a cleared repository)", elapsed, output, outputs))

        elapsed, output, outputs = up(program, args.registry, repository, args.sdk)
        steps.append(story(4, "nothing changed", elapsed, output, outputs))
        if args.json:
            args.json.write_text(json.dumps({"repository": repository, "steps": steps}, indent=2))


if __name__ == "__main__":
    main()
