#!/usr/bin/env python3
"""The demo: what the registry cache is for, on a real application (the
Python service of examples/app, whose dependencies are C extensions
compiled from source), in four `pulumi up`s of examples/python with the
Pulumi CLI (a stack of its own in a local file backend), each with the
CLI's own output, its time and the image's `cacheReport` from
`pulumi stack output`:

1. a brand-new stack on an engine with no build cache: no registry cache
   yet, said plainly; this build creates it;
2. an edit to the service after the Docker engine's own build cache is
   pruned (a fresh CI runner): the registry cache serves the unchanged
   steps (the compiled dependencies), and the rebuild is many times faster
   than the first build;
3. the `:cache` tag deleted (a cleared repository) and the same kind of
   edit on a fresh runner: a build with no cache at all, the cache
   re-created, nothing alarming;
4. nothing changed: no build at all.

With an ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`), the
repository is created through the ECR API and the provider gets its
registry token from ECR through the AWS default chain: nobody runs
`docker login`. `--moto URL` points the AWS SDKs (the provider's and this
script's) at an ECR API stand-in with test credentials.

Usage: demo.py [--registry HOST] [--moto URL] [--sdk PYTHONPATH] [--plugin DIR] [--json FILE]
"""

import argparse
import base64
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
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$")


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


class Registry:
    """Where the demo pushes: a plain registry, or ECR (the real one, or
    the test environment's stand-in when `moto` is given)."""

    def __init__(self, host, moto):
        self.host, self.moto = host, moto
        region = ECR_HOST.match(host)
        self.ecr = None
        if region:
            import boto3  # only the ECR shape needs the AWS SDK
            keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if moto else {}
            self.ecr = boto3.client("ecr", region_name=region.group(1), endpoint_url=moto, **keys)

    def aws_env(self):
        """The AWS default chain's variables for an ECR API stand-in."""
        if not self.moto:
            return {}
        return {"AWS_ENDPOINT_URL": self.moto, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}

    def create_repository(self, repository):
        """An ECR repository must exist before a push, as in a console."""
        if self.ecr:
            self.ecr.create_repository(repositoryName=repository)

    def delete_tag(self, repository, tag):
        """Deletes `repository:tag`, as clearing the repository in a
        console would: ECR's API for the real ECR, the registry's own API
        (with ECR's token, for the stand-in) otherwise."""
        if self.ecr and not self.moto:
            self.ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": tag}])
            return
        headers = {"Accept": MANIFEST_TYPES}
        if self.ecr:
            token = self.ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
            headers["Authorization"] = f"Basic {token}"
        url = f"http://{self.host}/v2/{repository}/manifests"
        with urllib.request.urlopen(urllib.request.Request(f"{url}/{tag}", method="HEAD", headers=headers)) as response:
            digest = response.headers["Docker-Content-Digest"]
        urllib.request.urlopen(urllib.request.Request(f"{url}/{digest}", method="DELETE", headers=headers)).close()

    def describe(self):
        if self.ecr:
            source = "the ECR API stand-in (moto)" if self.moto else "ECR"
            return f"ECR at {self.host}: the provider's registry token comes from {source} through the AWS default chain; nobody runs `docker login`"
        return f"the registry at {self.host}"


def story(step, title, elapsed, output, outputs, note=""):
    report = whole(outputs.get("cacheReport") or {})
    built = any(re.search(r"docker-build:index:Image \S+ (created|updated)", line) for line in output.splitlines())
    # The Image's own step, as the CLI timed it: `... app updated (0.61s)`.
    own = re.search(r"docker-build:index:Image \S+ (?:created|updated) \(([\d.]+)s\)", output)
    print(f"\n== {step}. {title} ==")
    for line in output.rstrip().splitlines():
        # The CLI's output without its moment-by-moment progress lines.
        if not re.search(r" (creating|updating|deleting) \(\d+s\)", line) and not line.startswith("@ "):
            print(f"   | {line}")
    print(f"   {'built' if built else 'nothing to build'} in {elapsed:.1f} s{note}")
    if built and report:
        found = "found" if report.get("found") else "not found (a first build)"
        print(f"   cache {report.get('ref')}: {found}; {report.get('cachedSteps')} of {report.get('totalSteps')} steps from the cache")
    sys.stdout.flush()
    return {"step": step, "seconds": round(elapsed, 2), "imageSeconds": float(own.group(1)) if own else None,
            "built": built, "cacheReport": report}


def stack_env(work, sdk, registry):
    """The CLI's environment: a file backend in `work`, a passphrase, no
    update checks or plugin downloads, the SDK to run with and, for an ECR
    stand-in, the AWS chain's variables."""
    env = dict(os.environ, PULUMI_BACKEND_URL=f"file://{work / 'backend'}", PULUMI_CONFIG_PASSPHRASE="demo",
               PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
               **registry.aws_env())
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    if sdk:
        env["PYTHONPATH"] = sdk
    (work / "backend").mkdir()
    return env


def use_plugin(program, plugin):
    """Points the program's Pulumi.yaml at the plugin directory `plugin`."""
    project = program / "Pulumi.yaml"
    project.write_text(project.read_text() + f"plugins:\n  providers:\n    - name: docker-build\n      path: {plugin}\n")


def tell(program, env, registry, repository, service):
    """The four steps, `service` the file the edits change (the service's
    greeting, as a developer's commit would); their figures."""
    steps = []
    prune_engine_cache()
    elapsed, output, outputs = up(program, env)
    steps.append(story(1, "a brand-new stack: no cache yet", elapsed, output, outputs))
    first = elapsed

    service.write_text("Hello again from docker-build!\n")
    prune_engine_cache()
    elapsed, output, outputs = up(program, env)
    steps.append(story(2, "an edit, on an engine with no build cache of its own (a fresh CI runner)", elapsed, output, outputs,
                       f" ({first / elapsed:.1f}x faster than the first build)"))
    cached = elapsed

    registry.delete_tag(repository, "cache")
    service.write_text("Hello once more from docker-build!\n")
    prune_engine_cache()
    elapsed, output, outputs = up(program, env)
    steps.append(story(3, "the same kind of edit with the :cache tag deleted (a cleared repository): no cache at all", elapsed, output, outputs,
                       f" (the registry cache made step 2 {elapsed / cached:.1f}x faster than this)"))

    elapsed, output, outputs = up(program, env)
    steps.append(story(4, "nothing changed", elapsed, output, outputs))
    return steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--moto", help="the URL of an ECR API stand-in (test credentials)")
    parser.add_argument("--sdk", help="a PYTHONPATH holding the SDK (default: the one installed)")
    parser.add_argument("--plugin", help="the directory of the plugin to use (default: what the CLI finds)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the four steps' figures here")
    args = parser.parse_args()
    if not any((ROOT / "examples/app/vendor").glob("*.tar.gz")):
        raise SystemExit("examples/app/vendor/ is empty: run `scripts/test-env demo` (it fetches the app's sources)")
    registry = Registry(args.registry, args.moto)
    repository = f"docker-build-demo-{uuid.uuid4().hex[:8]}"
    registry.create_repository(repository)
    print(f"Pushing {repository} to {registry.describe()}.")
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        shutil.copytree(ROOT / "examples/python", work / "python", ignore=shutil.ignore_patterns(".stack-*.json", "__pycache__"))
        shutil.copytree(ROOT / "examples/app", work / "app", ignore=shutil.ignore_patterns("__pycache__"))
        program = work / "python"
        if args.plugin:
            use_plugin(program, args.plugin)
        env = stack_env(work, args.sdk, registry)
        pulumi(program, env, "stack", "init", "demo")
        pulumi(program, env, "config", "set", "registry", args.registry)
        pulumi(program, env, "config", "set", "repository", repository)
        steps = tell(program, env, registry, repository, work / "app" / "greeting.txt")
        pulumi(program, env, "destroy", "--yes", "--skip-preview")
    first, edited, uncached = (steps[i]["seconds"] for i in range(3))
    print(f"\nThe first build took {first:.1f} s; the edit on a fresh runner {edited:.1f} s from the registry cache "
          f"({first / edited:.1f}x faster; the seed promises 30-50x); the same edit with no cache at all {uncached:.1f} s.")
    if args.json:
        args.json.write_text(json.dumps({"registry": args.registry, "repository": repository, "steps": steps}, indent=2))


if __name__ == "__main__":
    main()
