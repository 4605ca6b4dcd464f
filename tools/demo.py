#!/usr/bin/env python3
"""The demo: what the registry cache is for, in four `pulumi up`s of
examples/python with the Pulumi CLI (a stack of its own in a local file
backend), each with the CLI's own output, its time and the image's
`cacheReport` from `pulumi stack output`:

1. a brand-new stack on an engine with no build cache: no registry cache
   yet, said plainly; this build creates it;
2. an edit to the app after the Docker engine's own build cache is
   pruned (a fresh CI runner): the registry cache serves the unchanged
   steps, and the rebuild is faster than the first build;
3. the `:cache` tag deleted (a cleared repository): a first build again,
   the cache re-created, nothing alarming;
4. nothing changed: no build at all.

Usage: demo.py [--registry HOST] [--sdk PYTHONPATH] [--plugin DIR] [--json FILE]
"""

import argparse
import json
import os
import pathlib
import re
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


def pulumi(program, env, *args):
    """One CLI command in the program; what it printed."""
    result = subprocess.run(["pulumi", *args, "--cwd", str(program), "--non-interactive", "--color", "never"],
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"pulumi {args[0]} failed ({result.returncode})")
    return result.stdout + result.stderr


def up(program, env):
    """One `pulumi up`; its time, output and the stack's outputs."""
    started = time.monotonic()
    output = pulumi(program, env, "up", "--yes", "--skip-preview")
    elapsed = time.monotonic() - started
    outputs = json.loads(pulumi(program, env, "stack", "output", "--json"))
    return elapsed, output, outputs


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
    built = any(re.search(r"docker-build:index:Image \S+ (created|updated)", line) for line in output.splitlines())
    print(f"\n== {step}. {title} ==")
    for line in output.rstrip().splitlines():
        # The CLI's output without its moment-by-moment progress lines.
        if not re.search(r" (creating|updating|deleting) \(\d+s\)", line) and not line.startswith("@ "):
            print(f"   | {line}")
    print(f"   {'built' if built else 'nothing to build'} in {elapsed:.1f} s{note}")
    if built and report:
        found = "found" if report.get("found") else "not found (a first build)"
        print(f"   cache {report.get('ref')}: {found}; {report.get('cachedSteps')} of {report.get('totalSteps')} steps from the cache")
    return {"step": step, "seconds": round(elapsed, 2), "built": built, "cacheReport": report}


def stack_env(work, sdk):
    """The CLI's environment: a file backend in `work`, a passphrase, no
    update checks or plugin downloads, and the SDK to run with."""
    env = dict(os.environ, PULUMI_BACKEND_URL=f"file://{work / 'backend'}", PULUMI_CONFIG_PASSPHRASE="demo",
               PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    if sdk:
        env["PYTHONPATH"] = sdk
    (work / "backend").mkdir()
    return env


def use_plugin(program, plugin):
    """Points the program's Pulumi.yaml at the plugin directory `plugin`."""
    project = program / "Pulumi.yaml"
    project.write_text(project.read_text() + f"plugins:\n  providers:\n    - name: docker-build\n      path: {plugin}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--sdk", help="a PYTHONPATH holding the SDK (default: the one installed)")
    parser.add_argument("--plugin", help="the directory of the plugin to use (default: what the CLI finds)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the four steps' figures here")
    args = parser.parse_args()
    repository = f"docker-build-demo-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        shutil.copytree(ROOT / "examples/python", work / "python", ignore=shutil.ignore_patterns(".stack-*.json", "__pycache__"))
        shutil.copytree(ROOT / "examples/app", work / "app")
        program, greeting = work / "python", work / "app" / "greeting.txt"
        if args.plugin:
            use_plugin(program, args.plugin)
        env = stack_env(work, args.sdk)
        pulumi(program, env, "stack", "init", "demo")
        pulumi(program, env, "config", "set", "registry", args.registry)
        pulumi(program, env, "config", "set", "repository", repository)
        steps = []

        prune_engine_cache()
        elapsed, output, outputs = up(program, env)
        steps.append(story(1, "a brand-new stack: no cache yet", elapsed, output, outputs))
        first = elapsed

        greeting.write_text("hello again\n")
        prune_engine_cache()
        elapsed, output, outputs = up(program, env)
        steps.append(story(2, "an edit, on an engine with no build cache of its own (a fresh CI runner)", elapsed, output, outputs,
                           f" ({first / elapsed:.1f}x faster than the first build)"))

        delete_cache_tag(args.registry, repository)
        greeting.write_text("hello once more\n")
        prune_engine_cache()
        elapsed, output, outputs = up(program, env)
        steps.append(story(3, "the :cache tag deleted (a cleared repository)", elapsed, output, outputs))

        elapsed, output, outputs = up(program, env)
        steps.append(story(4, "nothing changed", elapsed, output, outputs))
        pulumi(program, env, "destroy", "--yes", "--skip-preview")
        if args.json:
            args.json.write_text(json.dumps({"repository": repository, "steps": steps}, indent=2))


if __name__ == "__main__":
    main()
