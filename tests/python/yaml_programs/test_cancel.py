"""SIGINT to a `pulumi up` in the middle of a build, as a user's Ctrl-C:
the engine cancels the provider, buildx stops, nothing is pushed, the
stack's state stays consistent, and the next `up` builds and pushes."""

import signal
import subprocess
import uuid

from pulumi_cli import Stack, did, registry, registry_tags, require_environment, use_built_plugin

IMAGE = "docker-build:index:Image"


def program(directory, repository):
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "Dockerfile").write_text("FROM busybox:local\nRUN echo slow-step-started && sleep 60\n")
    (directory / "app" / "nonce").write_text(f"{uuid.uuid4()}\n")
    (directory / "Pulumi.yaml").write_text(
        "name: cancelled\nruntime: yaml\nresources:\n  slow:\n    type: docker-build:Image\n    properties:\n"
        f"      push: true\n      tags: [\"{registry()}/{repository}:v1\"]\n      context:\n        location: app\n"
    )
    use_built_plugin(directory)
    return directory


def buildx_processes(repository):
    found = subprocess.run(["pgrep", "-f", f"buildx.*{repository}"], capture_output=True, text=True)
    return found.stdout.split()


def test_ctrl_c_mid_build_cancels_it_and_the_next_up_succeeds(tmp_path):
    require_environment()
    repository = f"cancel-{uuid.uuid4().hex[:10]}"
    stack = Stack(program(tmp_path / "program", repository), tmp_path / "backend")
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--cwd", str(stack.program)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=stack.env, stdin=subprocess.DEVNULL,
    )
    seen = []
    for line in up.stdout:
        seen.append(line)
        if "sleep 60" in line:
            break
    assert buildx_processes(repository), "".join(seen)
    up.send_signal(signal.SIGINT)
    output = "".join(seen) + up.communicate(timeout=120)[0]

    assert up.returncode != 0, output
    assert "the operation was cancelled before it finished" in output, output
    assert buildx_processes(repository) == [], "buildx still runs after the cancelled up"
    assert "v1" not in registry_tags(repository), "a cancelled build pushed its tag"
    deployment = stack.export()["deployment"]
    assert not deployment.get("pending_operations"), deployment
    assert stack.resources(IMAGE) == []

    # Nothing left half-done: the next up builds and pushes. (The slow step
    # is made quick; the cancelled one left no layer to reuse.)
    dockerfile = stack.program / "app" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("sleep 60", "true"))
    _, output = stack.up()
    assert did(output, "+", IMAGE, "slow", "created"), output
    assert "v1" in registry_tags(repository)
    stack.destroy()
