"""SIGINT to a `pulumi up` in the middle of a build, as a user's Ctrl-C:
the engine cancels the provider, the build stops (its running step, a
process of this machine in BuildKit's container, goes), nothing is
pushed, the stack's state stays consistent, and the next `up` builds and
pushes."""

import signal
import subprocess
import time
import uuid

from pulumi_cli import Stack, did, registry, registry_tags, require_environment, use_built_plugin

IMAGE = "docker-build:index:Image"


def program(directory, repository):
    (directory / "app").mkdir(parents=True)
    # `&& true` keeps the shell, and with it the marker, in the process list.
    (directory / "app" / "Dockerfile").write_text(
        f"FROM busybox:local\nRUN echo slow-step-{repository} && sleep 60 && true\n"
    )
    (directory / "app" / "nonce").write_text(f"{uuid.uuid4()}\n")
    (directory / "Pulumi.yaml").write_text(
        "name: cancelled\nruntime: yaml\nresources:\n  slow:\n    type: docker-build:Image\n    properties:\n"
        f"      push: true\n      tags: [\"{registry()}/{repository}:v1\"]\n      context:\n        location: app\n"
    )
    use_built_plugin(directory)
    return directory


def build_steps(repository):
    """The processes of the image's slow build step."""
    found = subprocess.run(["pgrep", "-f", f"slow-step-{repository}"], capture_output=True, text=True)
    return found.stdout.split()


def wait_until(condition, seconds):
    """Whether `condition()` holds within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


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
    # The step is announced as it starts; its container follows.
    assert wait_until(lambda: build_steps(repository), 30), "".join(seen)
    up.send_signal(signal.SIGINT)
    output = "".join(seen) + up.communicate(timeout=120)[0]

    assert up.returncode != 0, output
    assert "the operation was cancelled before it finished" in output, output
    assert wait_until(lambda: build_steps(repository) == [], 10), "the build step still runs after the cancelled up"
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
