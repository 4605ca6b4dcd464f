"""One Image per platform (each gets its own automatic cache), joined under
one tag by an Index: the multi-platform pattern that keeps caches apart."""

import pulumi
import pulumi_docker_build as docker_build

config = pulumi.Config()
registry = config.require("registry")
repository = config.require("repository")
index_tag = config.get("indexTag") or "multi"

images = []
for platform in [docker_build.Platform.PLAN9_AMD64, docker_build.Platform.PLAN9_386]:
    suffix = platform.value.replace("/", "-")
    images.append(
        docker_build.Image(
            f"app-{suffix}",
            push=True,
            tags=[f"{registry}/{repository}:{suffix}"],
            platforms=[platform],
            context=docker_build.BuildContextArgs(location="app"),
        )
    )

index = docker_build.Index(
    "index",
    tag=f"{registry}/{repository}:{index_tag}",
    sources=[image.ref for image in images],
)

pulumi.export("indexRef", index.ref)
