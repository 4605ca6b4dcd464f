"""The generated Python SDK type-checks programs: mypy accepts a program
written with plain-dict nested inputs (`...ArgsDict`), the typed `config`
module included, and rejects one with a misspelled key or a wrongly typed
value."""

import os
import subprocess
import sys

import pytest

from pulumi_cli import ROOT, install_python_sdk


@pytest.fixture(scope="module")
def generated_sdk(tmp_path_factory):
    return install_python_sdk(tmp_path_factory.mktemp("generated-sdk"))


def mypy(program, sdk, cache):
    result = subprocess.run(
        # The SDK is checked as an installed package is: its own modules
        # are followed for types, their internal errors not reported.
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary", "--follow-imports=silent", str(program)],
        capture_output=True,
        text=True,
        env=dict(os.environ, MYPYPATH=str(sdk)),
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


def test_mypy_accepts_a_typed_dict_program_and_rejects_a_wrong_one(tmp_path, generated_sdk):
    cache = tmp_path / "mypy-cache"
    good = ROOT / "tests/python/programs/typed-dict/__main__.py"
    code, output = mypy(good, generated_sdk, cache)
    assert code == 0, output

    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "import pulumi_docker_build as docker_build\n"
        "\n"
        "docker_build.Image('a', push=True, context={'locaton': 'app'})\n"
        "docker_build.Image('b', push=True, cache_to=[{'registry': {'ref': 'r/a:c', 'mode': 1}}])\n"
        "enabled: str = docker_build.config.auto_cache\n"
    )
    code, output = mypy(wrong, generated_sdk, cache)
    assert code != 0, output
    assert "wrong.py:3" in output, output  # the misspelled key
    assert "wrong.py:4" in output, output
    assert "wrong.py:5" in output, output
