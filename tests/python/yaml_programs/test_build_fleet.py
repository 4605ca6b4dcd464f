"""Builds beyond one machine, through the real Pulumi CLI: the test
environment's build fleet (scripts/buildkit-fleet) of two real BuildKit
daemons behind mutual TLS, as `remote` builders (dbt-remote-a,
dbt-remote-b) and one two-node builder (dbt-multi: a builds amd64, b 386),
and an OpenSSH server in front of the second Docker engine. Each program
is YAML, so no SDK is involved."""

import base64
import json
import os
import pathlib
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from pulumi_cli import (ROOT, Stack, did, manifest, moto, registry, registry_tags, require_environment, s3_bucket,
                        use_built_plugin)

IMAGE = "docker-build:index:Image"


def fleet():
    """The fleet's directory; fails (never skips) unless both daemons run."""
    path = os.environ.get("DOCKER_BUILD_TEST_BUILDKIT")
    if not path or not all(daemon_running(pathlib.Path(path), name) for name in "ab"):
        pytest.fail("the build fleet is not up: run `scripts/test-env up` and source its env file (scripts/test does)")
    return pathlib.Path(path)


def daemon_running(directory, name):
    pid_file = directory / name / "pid"
    return pid_file.is_file() and subprocess.run(["kill", "-0", pid_file.read_text().strip()], capture_output=True).returncode == 0


def restart_fleet():
    subprocess.run([str(ROOT / "scripts/buildkit-fleet"), "up", os.environ["DBT_HOME"], shutil.which("buildkitd"),
                    shutil.which("docker")], check=True, capture_output=True)


def program(directory, resources, outputs=None):
    """A YAML program of `resources`, using the built plugin."""
    directory.mkdir(parents=True, exist_ok=True)
    project = {"name": "fleet", "runtime": "yaml", "resources": resources}
    if outputs:
        project["outputs"] = outputs
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    use_built_plugin(directory)
    return directory


def steps_app(directory, marker, seconds=2):
    """An app of four steps on the registry's busybox (the daemons have no
    image store of the engine's): a COPY, a slow RUN, another RUN. The slow
    step follows the COPY, so it starts once the context has arrived."""
    app = directory / "app"
    app.mkdir(parents=True, exist_ok=True)
    (app / "Dockerfile").write_text(
        f"FROM {registry()}/busybox:local\n"
        "COPY greeting.txt /greeting.txt\n"
        f"RUN echo {marker} > /marker && sleep {seconds}\n"
        "RUN cat /marker /greeting.txt > /out\n"
    )
    (app / "greeting.txt").write_text(f"hello {marker}\n")
    return app


def platform_app(directory, marker):
    """An app for any platform (no RUN): each platform copies its own file,
    so each platform's build leaves its own mark in a daemon's cache."""
    app = directory / "app"
    app.mkdir(parents=True, exist_ok=True)
    (app / "Dockerfile").write_text(f"FROM scratch\nARG TARGETARCH\nCOPY greeting-${{TARGETARCH}}-{marker}.txt /greeting.txt\n")
    for arch in ["amd64", "386"]:
        (app / f"greeting-{arch}-{marker}.txt").write_text(f"{arch} {marker}\n")
    return app


def cached_by(builder, text):
    """Whether the builder's daemon(s) hold a cache record mentioning `text`."""
    du = subprocess.run(["docker", "buildx", "du", "--builder", builder, "--verbose"], capture_output=True, text=True, check=True)
    return text in du.stdout


def test_a_remote_builder_pushes_and_the_other_daemon_is_served_by_the_registry_cache(tmp_path):
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:10]
    repository = f"fleet-{marker}"
    image = {"type": "docker-build:Image", "properties": {
        "push": True, "tags": [f"{registry()}/{repository}:v1"], "context": {"location": "app"},
        "builder": {"name": "dbt-remote-a"}}}
    first = program(tmp_path / "a", {"app": image}, {"cacheReport": "${app.cacheReport}"})
    steps_app(first, marker)
    stack = Stack(first, tmp_path / "backend-a")
    _, output = stack.up()
    assert did(output, "+", IMAGE, "app", "created"), output
    report = stack.outputs()["cacheReport"]
    assert report["found"] is False, report
    assert registry_tags(repository) == ["cache", "v1"]
    assert cached_by("dbt-remote-a", marker) and not cached_by("dbt-remote-b", marker)

    # The same build on the other machine, whose own cache is empty: every
    # step comes from the registry cache the first one wrote.
    image["properties"]["builder"]["name"] = "dbt-remote-b"
    second = program(tmp_path / "b", {"app": image}, {"cacheReport": "${app.cacheReport}"})
    steps_app(second, marker)
    stack = Stack(second, tmp_path / "backend-b")
    stack.up()
    report = stack.outputs()["cacheReport"]
    assert report["found"] is True, report
    # The COPY and both RUNs at least (FROM counts as cached only when
    # the daemon already has the base image).
    assert report["totalSteps"] == 4 and report["cachedSteps"] >= 3, report
    stack.preview("--expect-no-changes")
    stack.destroy()


def test_a_multi_platform_image_on_a_remote_builder_and_an_index_of_two_machines(tmp_path):
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:10]
    repository = f"fleet-platforms-{marker}"
    tag = f"{registry()}/{repository}"
    resources = {
        "both": {"type": "docker-build:Image", "properties": {
            "push": True, "tags": [f"{tag}:both"], "context": {"location": "app"},
            "platforms": ["linux/amd64", "linux/386"], "builder": {"name": "dbt-remote-a"}}},
        "amd64": {"type": "docker-build:Image", "properties": {
            "push": True, "tags": [f"{tag}:amd64"], "context": {"location": "app"},
            "platforms": ["linux/amd64"], "builder": {"name": "dbt-remote-a"}}},
        "i386": {"type": "docker-build:Image", "properties": {
            "push": True, "tags": [f"{tag}:386"], "context": {"location": "app"},
            "platforms": ["linux/386"], "builder": {"name": "dbt-remote-b"}}},
        "joined": {"type": "docker-build:Index", "properties": {
            "tag": f"{tag}:joined", "sources": ["${amd64.ref}", "${i386.ref}"]}},
    }
    directory = program(tmp_path / "program", resources)
    platform_app(directory, marker)
    stack = Stack(directory, tmp_path / "backend")
    stack.up()

    tags = registry_tags(repository)
    assert {"cache-linux-amd64", "cache-linux-386", "both"} <= set(tags), tags
    both = manifest(repository, "both")
    assert sorted(m["platform"]["architecture"] for m in both["manifests"]) == ["386", "amd64"], both
    joined = manifest(repository, "joined")
    assert sorted(m["platform"]["architecture"] for m in joined["manifests"]) == ["386", "amd64"], joined
    stack.preview("--expect-no-changes")
    stack.destroy()
    assert manifest(repository, "joined") is None


def test_a_two_node_builder_builds_each_platform_on_its_own_node(tmp_path):
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:10]
    repository = f"fleet-nodes-{marker}"
    image = {"type": "docker-build:Image", "properties": {
        "push": True, "tags": [f"{registry()}/{repository}:v1"], "context": {"location": "app"},
        "platforms": ["linux/amd64", "linux/386"], "builder": {"name": "dbt-multi"}}}
    directory = program(tmp_path / "program", {"app": image})
    platform_app(directory, marker)
    stack = Stack(directory, tmp_path / "backend")
    stack.up()

    # Node a declared amd64, node b 386: each daemon's cache holds its
    # platform's step and not the other's.
    assert cached_by("dbt-remote-a", f"greeting-amd64-{marker}")
    assert not cached_by("dbt-remote-a", f"greeting-386-{marker}")
    assert cached_by("dbt-remote-b", f"greeting-386-{marker}")
    assert not cached_by("dbt-remote-b", f"greeting-amd64-{marker}")
    tags = registry_tags(repository)
    assert {"cache-linux-amd64", "cache-linux-386", "v1"} <= set(tags), tags
    index = manifest(repository, "v1")
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["386", "amd64"], index
    stack.destroy()


def test_load_on_a_remote_builder_lands_in_the_engine(tmp_path):
    """buildx sends a remote builder's result back to the Docker engine of
    `host` (DOCKER_HOST here), so `load` works there too."""
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:10]
    image = {"type": "docker-build:Image", "properties": {
        "push": False, "load": True, "tags": [f"fleet-load:{marker}"], "context": {"location": "app"},
        "builder": {"name": "dbt-remote-a"}}}
    directory = program(tmp_path / "program", {"app": image})
    platform_app(directory, marker)
    stack = Stack(directory, tmp_path / "backend")
    stack.up()
    inspected = subprocess.run(["docker", "image", "inspect", f"fleet-load:{marker}"], capture_output=True, text=True)
    assert inspected.returncode == 0, inspected.stderr
    stack.destroy()
    subprocess.run(["docker", "image", "rm", f"fleet-load:{marker}"], capture_output=True)


def test_a_daemon_killed_mid_build_is_named_nothing_is_pushed_and_the_next_up_succeeds(tmp_path):
    require_environment()
    fleet_dir = fleet()
    marker = uuid.uuid4().hex[:10]
    repository = f"fleet-killed-{marker}"
    image = {"type": "docker-build:Image", "properties": {
        "push": True, "tags": [f"{registry()}/{repository}:v1"], "context": {"location": "app"},
        "builder": {"name": "dbt-remote-b"}}}
    directory = program(tmp_path / "program", {"app": image})
    steps_app(directory, marker, seconds=8)
    stack = Stack(directory, tmp_path / "backend")
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--cwd", str(directory)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=stack.env, stdin=subprocess.DEVNULL,
    )
    seen = []
    try:
        for line in up.stdout:
            seen.append(line)
            if f"echo {marker}" in line:
                break
        # The machine goes away: no graceful stop.
        os.kill(int((fleet_dir / "b" / "pid").read_text()), signal.SIGKILL)
        output = "".join(seen) + up.communicate(timeout=300)[0]
    finally:
        restart_fleet()
    assert up.returncode != 0, output
    assert "the builder `dbt-remote-b` did not answer" in output, output
    assert "v1" not in registry_tags(repository), "a half-built image was pushed"

    _, output = stack.up()
    assert did(output, "+", IMAGE, "app", "created"), output
    assert "v1" in registry_tags(repository)
    stack.destroy()


def test_a_client_certificate_the_daemon_does_not_trust_is_a_clear_error(tmp_path):
    require_environment()
    certs = fleet() / "certs"
    options = f"cacert={certs / 'ca.pem'},cert={certs / 'other-client.pem'},key={certs / 'other-client-key.pem'},servername=buildkitd.test"
    subprocess.run(["docker", "buildx", "create", "--name", "dbt-stranger", "--driver", "remote", "--driver-opt", options,
                    "tcp://127.0.0.1:2391"], check=True, capture_output=True)
    try:
        image = {"type": "docker-build:Image", "properties": {
            "push": False, "context": {"location": "app"}, "builder": {"name": "dbt-stranger"}}}
        directory = program(tmp_path / "program", {"app": image})
        platform_app(directory, uuid.uuid4().hex[:10])
        stack = Stack(directory, tmp_path / "backend")
        code, output = stack.up(check=False)
    finally:
        subprocess.run(["docker", "buildx", "rm", "dbt-stranger"], capture_output=True)
    assert code != 0
    assert "the builder `dbt-stranger` did not answer" in output and "TLS certificate" in output, output
    key = (certs / "other-client-key.pem").read_text().splitlines()
    assert not any(line in output for line in key if len(line) > 20), "the client key appears in the output"


def test_a_builder_that_does_not_exist_is_named_with_those_that_do(tmp_path):
    require_environment()
    fleet()
    image = {"type": "docker-build:Image", "properties": {
        "push": False, "context": {"location": "app"}, "builder": {"name": "dbt-nowhere"}}}
    directory = program(tmp_path / "program", {"app": image})
    platform_app(directory, uuid.uuid4().hex[:10])
    stack = Stack(directory, tmp_path / "backend")
    code, output = stack.preview(check=False)
    assert code != 0
    assert "no buildx builder or Docker context named `dbt-nowhere` (builder.name); there are: " in output, output
    assert "dbt-multi" in output and "dbt-remote-a" in output and "default" in output, output


def test_an_engine_over_ssh_builds_and_pushes_with_no_credential_on_the_remote_side(tmp_path):
    """`host: ssh://...` (the test environment's sshd in front of the second
    engine): the image builds there and is pushed to a registry that wants
    a password; the password reaches no process's arguments and no file of
    the remote side (its engine's data and run directories, the ssh
    server's)."""
    require_environment()
    fleet()
    host, ssh_path = os.environ["DOCKER_BUILD_TEST_SSH_HOST"], os.environ["DOCKER_BUILD_TEST_SSH_PATH"]
    password = os.environ["DOCKER_BUILD_TEST_ECR_PASSWORD"]
    locked = "127.0.0.1:5001"
    marker = uuid.uuid4().hex[:10]
    image = {"type": "docker-build:Image", "properties": {
        "push": True, "tags": [f"{locked}/ssh-{marker}:v1"], "context": {"location": "app"},
        "registries": [{"address": locked, "username": "AWS", "password": "${password}"}]}}
    directory = program(tmp_path / "program", {"app": image})
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())
    project["config"] = {"password": {"type": "string", "secret": True}}
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    app = directory / "app"
    app.mkdir()
    (app / "Dockerfile").write_text(f"FROM busybox:local\nRUN echo {marker} > /marker && sleep 3\n")
    stack = Stack(directory, tmp_path / "backend", env={"PATH": f"{ssh_path}:{os.environ['PATH']}"})
    stack.config(**{"docker-build:host": host})
    stack.secret("password", password)

    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--cwd", str(directory)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(stack.env, PATH=f"{ssh_path}:{os.environ['PATH']}"),
        stdin=subprocess.DEVNULL,
    )
    encoded = base64.b64encode(f"AWS:{password}".encode()).decode()
    arguments_seen = set()
    while up.poll() is None:
        listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        arguments_seen.update(listing.splitlines())
    output = up.stdout.read()
    assert up.returncode == 0, output
    assert "sshd: root@notty" in arguments_seen, "no ssh session was opened"
    assert not [line for line in arguments_seen if password in line or encoded in line], "a process had the password in its arguments"
    remote_side = [pathlib.Path(os.environ["DBT_HOME"]) / name for name in ("data2", "run2", "ssh")]
    found = subprocess.run(["grep", "-rlF", "-e", password, "-e", encoded, *map(str, remote_side)], capture_output=True, text=True)
    assert found.stdout == "", f"the password is on the remote side's disk: {found.stdout}"

    # The engine behind ssh built it (its build cache has the step) and the
    # registry has the tag.
    second = subprocess.run(["docker", "buildx", "du", "--verbose"], capture_output=True, text=True,
                            env=dict(os.environ, DOCKER_HOST=os.environ["DOCKER_BUILD_TEST_SECOND_ENGINE_SOCKET"]))
    assert marker in second.stdout
    request = urllib.request.Request(f"http://{locked}/v2/ssh-{marker}/tags/list",
                                     headers={"Authorization": f"Basic {encoded}"})
    with urllib.request.urlopen(request) as response:
        assert sorted(json.load(response)["tags"]) == ["cache", "v1"]
    stack.destroy()


def test_an_s3_cache_written_with_one_key_pair_serves_another_daemon_reading_with_another(tmp_path):
    """Per-entry S3 credentials (secrets, carried in the solve request from
    memory): daemon a writes the cache to moto's S3 with
    one key pair, daemon b reads it with another and runs no step again:
    its image has the very layers of a's (a step run again would write a
    layer of new timestamps)."""
    require_environment()
    fleet()
    marker = uuid.uuid4().hex[:10]
    s3 = {"bucket": s3_bucket("fleet"), "region": "us-east-1", "endpointUrl": moto(), "usePathStyle": True,
          "name": marker}

    def image(builder, caches):
        return {"type": "docker-build:Image", "properties": dict(
            {"push": True, "tags": [f"{registry()}/fleet-s3-{marker}:{builder[-1]}"], "context": {"location": "app"},
             "builder": {"name": builder}}, **caches)}

    writer = image("dbt-remote-a", {"cacheTo": [{"s3": dict(
        s3, accessKeyId="AKIDWRITER", secretAccessKey={"fn::secret": f"writer-{marker}"}, mode="max")}]})
    first = program(tmp_path / "a", {"app": writer})
    steps_app(first, marker)
    stack = Stack(first, tmp_path / "backend-a")
    stack.up()

    reader = image("dbt-remote-b", {"cacheFrom": [{"s3": dict(
        s3, accessKeyId="AKIDREADER", secretAccessKey={"fn::secret": f"reader-{marker}"},
        sessionToken={"fn::secret": f"token-{marker}"})}]})
    second = program(tmp_path / "b", {"app": reader})
    steps_app(second, marker)
    stack = Stack(second, tmp_path / "backend-b")
    stack.up()
    layers = [[layer["digest"] for layer in manifest(f"fleet-s3-{marker}", tag)["layers"]] for tag in "ab"]
    assert layers[0] == layers[1] and len(layers[0]) == 4, layers
    stack.destroy()
