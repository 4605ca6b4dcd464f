"""A real Pulumi program, written against the official `pulumi-docker-build`
Python SDK, deployed through the stand-in engine (tools/engine) and this
provider, against the Docker engine and registry of scripts/test-env."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def engine(command, program, *extra):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/engine/engine.py"), command, "--program", str(program), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def program(tmp_path):
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run `scripts/test-env up` and source its env file (scripts/test does)")
    copy = tmp_path / "program"
    shutil.copytree(ROOT / "examples/python", copy, ignore=shutil.ignore_patterns(".stack-*.json"))
    shutil.copytree(ROOT / "examples/app", tmp_path / "app")
    (tmp_path / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    return copy


def test_up_up_refresh_destroy(program):
    registry = os.environ.get("DOCKER_BUILD_TEST_REGISTRY", "127.0.0.1:5000")
    repository = f"program-{uuid.uuid4().hex[:12]}"
    config = ["--config", f"registry={registry}", "--config", f"repository={repository}"]
    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "+ docker-build:index:Image app create" in output
    assert "no build cache at" in output and "this build creates it" in output
    state = json.loads((program / ".stack-dev.json").read_text())
    ref = state["outputs"]["ref"]
    assert ref.startswith(f"{registry}/{repository}:latest@sha256:"), ref

    code, output = engine("up", program, *config)
    assert code == 0, output
    assert "no changes" in output

    (program.parent / "app" / "greeting.txt").write_text("changed\n")
    code, output = engine("preview", program, *config)
    assert code == 0, output
    assert "~ docker-build:index:Image app update (contextHash)" in output

    code, output = engine("refresh", program)
    assert code == 0 and "no changes" in output, output

    code, output = engine("destroy", program)
    assert code == 0, output
    assert "- docker-build:index:Image app delete" in output
    assert json.loads((program / ".stack-dev.json").read_text())["resources"] == {}


def test_invalid_inputs_fail_the_program_with_the_property(program):
    main = program / "__main__.py"
    main.write_text(main.read_text().replace('tags=[f"{registry}/{repository}:latest"]', 'tags=["Not A Tag"]'))
    code, output = engine("preview", program)
    assert code != 0
    assert "tags[0]" in output, output
