"""Build the demo app and push it to a registry (default: the local one),
with the registry build cache on (the provider's default).

    pulumi config set registry 123456789012.dkr.ecr.us-east-1.amazonaws.com
"""

import pulumi
import pulumi_docker_build as docker_build

config = pulumi.Config()
registry = config.get("registry") or "127.0.0.1:5000"
repository = config.get("repository") or "docker-build-example"

image = docker_build.Image(
    "app",
    push=True,
    tags=[f"{registry}/{repository}:latest"],
    context=docker_build.BuildContextArgs(location="../app"),
)

pulumi.export("ref", image.ref)
pulumi.export("digest", image.digest)
# Where the cache lives, whether it was there, how many steps it served.
pulumi.export("cacheReport", image.cache_report)
