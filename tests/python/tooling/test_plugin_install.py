"""The release archive (scripts/release-archive) is what `pulumi plugin
install` takes, and a program with no `plugins.path` then runs on the
installed plugin: the way users install it."""

import os
import subprocess
import tarfile
import uuid

from pulumi_cli import ROOT, Stack, copy_program, install_python_sdk, plugin_directory, registry, require_environment

VERSION = next(line.split('"')[1] for line in (ROOT / "Cargo.toml").read_text().splitlines() if line.startswith("version = "))


def test_the_release_archive_installs_and_serves_a_program(tmp_path):
    require_environment()
    binary = plugin_directory() / "pulumi-resource-docker-build"
    made = subprocess.run([str(ROOT / "scripts/release-archive"), "--binary", str(binary), "--out", str(tmp_path / "dist")],
                          capture_output=True, text=True, check=True)
    archive = made.stdout.strip().splitlines()[-1]
    assert os.path.basename(archive) == f"pulumi-resource-docker-build-v{VERSION}-linux-amd64.tar.gz", archive
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["pulumi-resource-docker-build"]

    # A private plugin cache; nothing on PATH or in Pulumi.yaml names the plugin.
    home = tmp_path / "pulumi-home"
    env = {"PULUMI_HOME": str(home), "PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}
    installed = subprocess.run(["pulumi", "plugin", "install", "resource", "docker-build", VERSION, "--file", archive],
                               capture_output=True, text=True, env=dict(os.environ, **env))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = subprocess.run(["pulumi", "plugin", "ls"], capture_output=True, text=True, env=dict(os.environ, **env), check=True)
    assert any(line.split()[:3] == ["docker-build", "resource", VERSION] for line in listed.stdout.splitlines()), listed.stdout

    sdk = install_python_sdk(tmp_path / "sdk")
    program = copy_program(ROOT / "examples/python", tmp_path / "python", plugin=False)
    copy_program(ROOT / "examples/app", tmp_path / "app", plugin=False)
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    stack = Stack(program, tmp_path / "backend", env=dict(env, PYTHONPATH=str(sdk)))
    stack.config(registry=registry(), repository=f"installed-{uuid.uuid4().hex[:10]}")
    stack.up()
    assert stack.outputs()["cacheReport"]["found"] is False
    stack.preview("--expect-no-changes")
    stack.destroy()
