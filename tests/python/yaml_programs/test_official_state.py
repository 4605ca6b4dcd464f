"""A stack whose Image state was written by the official provider
(pulumi/pulumi-docker-build: a Go zero value for every input never given,
the Dockerfile path it derived, its own `contextHash`), brought in with
`pulumi stack import`, previews with no changes through the real CLI and
this plugin: switching providers rebuilds nothing."""

import base64
import hashlib
import json
import os
import urllib.request
import uuid

import yaml

from pulumi_cli import Stack, moto, registry, require_environment, s3_bucket, use_built_plugin
from test_build_fleet import fleet

IMAGE = "docker-build:index:Image"
# A Go zero value for every input never given. The official provider's own
# state has them for scalars and leaves empty lists and maps out; they are
# all here, the harder case: either shape previews with no changes.
OFFICIAL_ZEROS = {
    "addHosts": [], "buildArgs": {}, "buildOnPreview": True, "cacheFrom": [], "cacheTo": [],
    "exec": False, "exports": [], "labels": {}, "load": False, "network": "default",
    "noCache": False, "platforms": [], "pull": False, "registries": [], "secrets": {},
    "ssh": [], "tags": [], "target": "",
}


def go_file_mode(mode):
    """Go's `FileMode.String()` for a regular file's permission bits."""
    return "-" + "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))


def official_context_hash(context, dockerfile):
    """The official provider's hash of a context without ignore rules or
    links: the Dockerfile's bytes, then, in Go's walk order, each file's
    bytes, path and mode, in one SHA-256 stream. Written from its
    documented behaviour, independently of the provider's own."""
    stream = hashlib.sha256(dockerfile.read_bytes())

    def walk(prefix):
        for name in sorted(os.listdir(context / prefix) if prefix else os.listdir(context)):
            relative = f"{prefix}/{name}" if prefix else name
            path = context / relative
            if path.is_dir():
                walk(relative)
                continue
            stream.update(path.read_bytes())
            stream.update(relative.encode())
            stream.update(go_file_mode(path.stat().st_mode & 0o777).encode())

    walk("")
    return stream.hexdigest()


def test_official_state_imported_previews_no_changes(tmp_path):
    require_environment()
    program = tmp_path / "program"
    (program / "app").mkdir(parents=True)
    (program / "app" / "Dockerfile").write_text("FROM busybox:local\nCOPY greeting.txt /\n")
    (program / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    tag = f"{registry()}/official-{uuid.uuid4().hex[:10]}:v1"
    (program / "Pulumi.yaml").write_text(
        "name: switched\nruntime: yaml\nresources:\n  app:\n    type: docker-build:Image\n    properties:\n"
        f"      push: true\n      tags: [\"{tag}\"]\n      context:\n        location: ./app\n"
    )
    use_built_plugin(program)
    stack = Stack(program, tmp_path / "backend")
    stack.up()

    # The Image's state, rewritten as the official provider writes it.
    exported = stack.export()
    image = next(r for r in exported["deployment"]["resources"] if r["type"] == IMAGE)
    inputs = dict(OFFICIAL_ZEROS, push=True, tags=[tag], context={"location": "./app"},
                  dockerfile={"location": "app/Dockerfile", "inline": ""})
    official_hash = official_context_hash(program / "app", program / "app" / "Dockerfile")
    assert official_hash != image["outputs"]["contextHash"], "the hashes differ, so the official one must be recognised"
    image["inputs"] = inputs
    image["outputs"] = dict(inputs, contextHash=official_hash, digest=image["outputs"]["digest"], ref=image["outputs"]["ref"])
    imported = tmp_path / "official.json"
    imported.write_text(json.dumps(exported))
    stack.run("stack", "import", "--stack", stack.name, "--file", str(imported), check=True)
    assert stack.resources(IMAGE)[0]["outputs"]["contextHash"] == official_hash

    stack.preview("--expect-no-changes")
    stack.up("--expect-no-changes")
    # A real change is still one.
    (program / "app" / "greeting.txt").write_text("changed\n")
    code, output = stack.preview("--expect-no-changes", check=False)
    assert code != 0 and "contextHash" in output, output
    stack.destroy()


def as_official(entry, zeros):
    """A cache entry as the official provider stores it: every field of its
    type at its Go zero value unless given, `raw` and `disabled` beside."""
    (kind, settings), = entry.items()
    return {"raw": "", "disabled": False, kind: dict(zeros[kind], **settings)}


S3_ZEROS = {"name": "", "endpointUrl": "", "blobsPrefix": "", "manifestsPrefix": "", "usePathStyle": False,
            "accessKeyId": "", "secretAccessKey": "", "sessionToken": ""}
FROM_ZEROS = {"s3": S3_ZEROS, "azblob": {"accountUrl": "", "secretAccessKey": ""}}
TO_ZEROS = {kind: dict(fields, mode="min", ignoreError=False) for kind, fields in FROM_ZEROS.items()}


def test_official_state_with_cache_secrets_previews_and_refreshes_unchanged(tmp_path):
    """An official stack whose Image reads an S3 cache with one key pair,
    an Azure Blob cache with its account key, and writes an S3 cache with
    another key pair (each entry its own credentials, all secrets), built
    on a BuildKit daemon of the test fleet against moto's S3."""
    require_environment()
    fleet()
    bucket = s3_bucket("official")
    program = tmp_path / "program"
    (program / "app").mkdir(parents=True)
    (program / "app" / "Dockerfile").write_text(f"FROM {registry()}/busybox:local\nCOPY greeting.txt /\n")
    (program / "app" / "greeting.txt").write_text(f"hello {uuid.uuid4()}\n")
    tag = f"{registry()}/official-{uuid.uuid4().hex[:10]}:v1"
    s3 = {"bucket": bucket, "region": "us-east-1", "endpointUrl": moto(),
          "usePathStyle": True, "name": "app"}
    azure_key = base64.b64encode(f"azure-{uuid.uuid4()}".encode()).decode()
    properties = {
        "push": True, "tags": [tag], "context": {"location": "./app"}, "builder": {"name": "dbt-remote-a"},
        "cacheFrom": [
            {"s3": dict(s3, accessKeyId="AKIDREAD", secretAccessKey={"fn::secret": "read-secret"})},
            {"azblob": {"name": "app", "accountUrl": "http://127.0.0.1:1/app",
                        "secretAccessKey": {"fn::secret": azure_key}}},
        ],
        "cacheTo": [{"s3": dict(s3, accessKeyId="AKIDWRITE", secretAccessKey={"fn::secret": "write-secret"},
                                sessionToken={"fn::secret": "write-token"}, mode="max")}],
    }
    (program / "Pulumi.yaml").write_text(yaml.safe_dump(
        {"name": "switched", "runtime": "yaml",
         "resources": {"app": {"type": "docker-build:Image", "properties": properties}}}))
    use_built_plugin(program)
    stack = Stack(program, tmp_path / "backend")
    stack.up()
    listing = urllib.request.urlopen(f"{moto()}/{bucket}?list-type=2").read()
    assert b"manifests/app" in listing, "the S3 cache was written with its own key pair"

    # The Image's state, rewritten as the official provider writes it; the
    # secrets stay as the engine stored them (ciphertext).
    exported = stack.export()
    image = next(r for r in exported["deployment"]["resources"] if r["type"] == IMAGE)
    stored = image["inputs"]
    inputs = dict(OFFICIAL_ZEROS, push=True, tags=[tag], context={"location": "./app"},
                  dockerfile={"location": "app/Dockerfile", "inline": ""}, builder={"name": "dbt-remote-a"},
                  cacheFrom=[as_official(e, FROM_ZEROS) for e in stored["cacheFrom"]],
                  cacheTo=[as_official(e, TO_ZEROS) for e in stored["cacheTo"]])
    assert "ciphertext" in json.dumps(inputs["cacheFrom"]), "the keys are stored as secrets"
    official_hash = official_context_hash(program / "app", program / "app" / "Dockerfile")
    image["inputs"] = inputs
    image["outputs"] = dict(inputs, contextHash=official_hash, digest=image["outputs"]["digest"], ref=image["outputs"]["ref"])
    imported = tmp_path / "official.json"
    imported.write_text(json.dumps(exported))
    stack.run("stack", "import", "--stack", stack.name, "--file", str(imported), check=True)

    stack.preview("--expect-no-changes")
    stack.refresh("--expect-no-changes")
    stack.up("--expect-no-changes")
    state = json.dumps(stack.export())
    for secret in ["read-secret", "write-secret", "write-token", azure_key]:
        assert secret not in state, f"{secret} stored in plain text"
    stack.destroy()
