"""The Go-built tools of scripts/go-tools: the pinned CLI and language
hosts are what the environment runs, and a missing Go or module proxy is
one clear line, never a silent skip."""

import os
import shutil
import subprocess

from pulumi_cli import ROOT, require_environment

GO_TOOLS = ROOT / "scripts" / "go-tools"


def test_the_pinned_cli_and_its_language_hosts_are_on_path():
    require_environment()
    pinned = subprocess.run([str(GO_TOOLS), "version"], capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == pinned == os.environ["DOCKER_BUILD_PULUMI_VERSION"], (version, pinned)
    for host in ["python", "nodejs", "go", "yaml"]:
        assert shutil.which(f"pulumi-language-{host}"), host
    assert shutil.which("pulumi-language-python-exec") and shutil.which("pulumi-gen-sdk")


def build(tmp_path, **env):
    result = subprocess.run([str(GO_TOOLS), "build", str(tmp_path / "tools")], capture_output=True, text=True,
                            env=dict(os.environ, **env), timeout=300)
    return result.returncode, result.stderr.strip().splitlines()


def test_no_go_is_one_line_saying_what_to_do(tmp_path):
    code, lines = build(tmp_path, GO=str(tmp_path / "no-such-go"))
    assert code == 1 and len(lines) == 1, lines
    assert "Go is missing" in lines[0] and "install Go" in lines[0], lines


def test_an_unreachable_module_proxy_is_one_line(tmp_path):
    require_environment()
    (tmp_path / "modules").mkdir()
    code, lines = build(tmp_path, GOPROXY="off", GOMODCACHE=str(tmp_path / "modules"), GOFLAGS="-mod=mod")
    assert code == 1 and len(lines) == 1, lines
    assert "the Go module proxy (off) did not serve the modules pinned in tools/go/cli" in lines[0], lines


def test_the_official_provider_is_built_beside_the_tools_and_not_on_path():
    """The side-by-side bench and the migration test run the official
    provider; its binary has our plugin's name, so it must never be the one
    a program without a plugin path finds on PATH."""
    require_environment()
    official = os.environ.get("DOCKER_BUILD_OFFICIAL_PROVIDER", "")
    where = subprocess.run([str(GO_TOOLS), "official", os.path.join(os.environ["DBT_HOME"], "go-tools")],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert official == where, (official, where)
    assert os.access(os.path.join(official, "pulumi-resource-docker-build"), os.X_OK)
    assert official not in os.environ["PATH"].split(os.pathsep)
    found = shutil.which("pulumi-resource-docker-build")
    assert found is None or not found.startswith(official), found
