//! Check: each one-of, list and reference input, valid and not.

use std::os::unix::net::UnixListener;

use serde_json::{Value as Json, json};

use super::{Expect, Pair, keygen};
use crate::harness::{IMAGE, INDEX};

/// A program directory both providers run in, with the agent sockets
/// it holds (listening while they are kept).
fn program() -> (tempfile::TempDir, Vec<UnixListener>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY a /a\n").unwrap();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(dir.path().join("not-a-key"), "hello\n").unwrap();
    keygen(&dir.path().join("key"), "");
    keygen(&dir.path().join("locked-key"), "a passphrase");
    let sockets =
        ["a.sock", "b.sock"].map(|name| UnixListener::bind(dir.path().join(name)).unwrap());
    (dir, sockets.into())
}

/// Inputs worth comparing: each one-of, list and reference input, valid
/// and not.
fn cases() -> Vec<(&'static str, Json, Expect)> {
    use Expect::*;
    let reg = "r.example/app";
    vec![
        ("minimal", json!({"push": false}), Same),
        ("push without tags", json!({"push": true}), Same),
        (
            "push with a tag",
            json!({"push": true, "tags": [format!("{reg}:1")]}),
            Same,
        ),
        (
            "a tag that is no reference",
            json!({"push": false, "tags": ["Not A Tag"]}),
            Same,
        ),
        (
            "an upper-case repository",
            json!({"push": false, "tags": ["r.example/App:1"]}),
            Same,
        ),
        (
            "a tag with a digest",
            json!({"push": false, "tags": [format!("{reg}@sha256:{}", "a".repeat(64))]}),
            Same,
        ),
        (
            "a dockerfile elsewhere",
            json!({"push": false, "dockerfile": {"location": "app/Dockerfile"}}),
            Same,
        ),
        (
            "a dockerfile that is not there",
            json!({"push": false, "dockerfile": {"location": "nope/Dockerfile"}}),
            Same,
        ),
        (
            "an inline dockerfile",
            json!({"push": false, "dockerfile": {"inline": "FROM scratch\n"}}),
            Same,
        ),
        (
            "location and inline",
            json!({"push": false, "dockerfile": {"location": "Dockerfile", "inline": "FROM scratch\n"}}),
            Same,
        ),
        (
            "an inline dockerfile that does not parse",
            json!({"push": false, "dockerfile": {"inline": "FROM scratch\nCOPY\n"}}),
            Same,
        ),
        (
            "a context directory",
            json!({"push": false, "context": {"location": "app"}}),
            Same,
        ),
        (
            "a context that is not there",
            json!({"push": false, "context": {"location": "nope"}}),
            Same,
        ),
        (
            "a remote context",
            json!({"push": false, "context": {"location": "https://github.com/docker-library/hello-world.git"}}),
            Same,
        ),
        (
            "a named context",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "docker-image://busybox"}}}}),
            Same,
        ),
        (
            "platforms",
            json!({"push": false, "platforms": ["linux/amd64", "linux/arm64"]}),
            Same,
        ),
        (
            "build args and labels",
            json!({"push": false, "buildArgs": {"A": "1"}, "labels": {"l": "v"}}),
            Same,
        ),
        (
            "a target",
            json!({"push": false, "target": "release"}),
            Same,
        ),
        (
            "network host",
            json!({"push": false, "network": "host"}),
            Same,
        ),
        (
            "add hosts",
            json!({"push": false, "addHosts": ["db:10.0.0.1"]}),
            Same,
        ),
        (
            "ssh default without an agent",
            json!({"push": false, "ssh": [{"id": "default"}]}),
            Same,
        ),
        (
            "ssh with an agent socket",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["a.sock"]}]}),
            Same,
        ),
        (
            "ssh with two agent sockets",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["a.sock", "b.sock"]}]}),
            Same,
        ),
        (
            "ssh with a socket and a key",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["key", "a.sock"]}]}),
            Same,
        ),
        (
            "ssh with one id twice",
            json!({"push": false, "ssh": [{"id": "x", "paths": ["a.sock"]}, {"id": "x", "paths": ["b.sock"]}]}),
            Stricter("one agent per id: the build refuses a second"),
        ),
        (
            "ssh with a key file",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["key"]}]}),
            Same,
        ),
        (
            "ssh with a key that is not there",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["nope"]}]}),
            Same,
        ),
        (
            "ssh with a file that is no key",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["not-a-key"]}]}),
            Same,
        ),
        (
            "ssh with a key behind a passphrase",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["locked-key"]}]}),
            Same,
        ),
        (
            "secrets",
            json!({"push": false, "secrets": {"TOKEN": "t"}}),
            Same,
        ),
        (
            "a registry login",
            json!({"push": false, "registries": [{"address": "r.example", "username": "u", "password": "p"}]}),
            Same,
        ),
        (
            "a builder",
            json!({"push": false, "builder": {"name": "remote"}}),
            Same,
        ),
        ("exec", json!({"push": false, "exec": true}), Same),
        ("load", json!({"push": false, "load": true}), Same),
        (
            "no cache and pull",
            json!({"push": false, "noCache": true, "pull": true}),
            Same,
        ),
        (
            "a registry cache",
            json!({"push": false, "cacheFrom": [{"registry": {"ref": format!("{reg}:cache")}}], "cacheTo": [{"registry": {"ref": format!("{reg}:cache"), "mode": "max"}}]}),
            Same,
        ),
        (
            "an inline cache",
            json!({"push": false, "cacheTo": [{"inline": {}}]}),
            Same,
        ),
        (
            "a local cache",
            json!({"push": false, "cacheFrom": [{"local": {"src": "cache"}}], "cacheTo": [{"local": {"dest": "cache"}}]}),
            Same,
        ),
        (
            "a gha cache",
            json!({"push": false, "cacheFrom": [{"gha": {}}], "cacheTo": [{"gha": {"scope": "s"}}]}),
            Same,
        ),
        (
            "an s3 cache",
            json!({"push": false, "cacheFrom": [{"s3": {"bucket": "b", "region": "us-east-1"}}]}),
            Same,
        ),
        (
            "an azblob cache",
            json!({"push": false, "cacheTo": [{"azblob": {"name": "n"}}]}),
            Same,
        ),
        (
            "a raw cache",
            json!({"push": false, "cacheFrom": [{"raw": format!("type=registry,ref={reg}:cache")}]}),
            Same,
        ),
        (
            "a raw registry ref",
            json!({"push": false, "cacheFrom": [{"raw": format!("{reg}:cache")}]}),
            Same,
        ),
        (
            "a disabled cache entry with nothing set",
            json!({"push": false, "cacheTo": [{"disabled": true}]}),
            Same,
        ),
        (
            "a registry export",
            json!({"push": false, "exports": [{"registry": {"names": [format!("{reg}:1")]}}]}),
            Same,
        ),
        (
            "a registry export without names or tags",
            json!({"push": false, "exports": [{"registry": {}}]}),
            Same,
        ),
        (
            "an image export that does not push",
            json!({"push": false, "exports": [{"image": {}}]}),
            Same,
        ),
        (
            "a raw export naming its image",
            json!({"push": false, "exports": [{"raw": format!("type=registry,name={reg}:1")}]}),
            Same,
        ),
        (
            "a raw export without a name",
            json!({"push": false, "exports": [{"raw": "type=registry"}]}),
            Same,
        ),
        (
            "a raw export without a type",
            json!({"push": false, "exports": [{"raw": "name=x"}]}),
            Same,
        ),
        (
            "a raw local shorthand",
            json!({"push": false, "exports": [{"raw": "out"}]}),
            Same,
        ),
        (
            "two export types in one entry",
            json!({"push": false, "exports": [{"tar": {"dest": "a.tar"}, "local": {"dest": "out"}}]}),
            Same,
        ),
        (
            "a docker export",
            json!({"push": false, "exports": [{"docker": {"dest": "img.tar"}}]}),
            Same,
        ),
        (
            "an oci export",
            json!({"push": false, "exports": [{"oci": {"dest": "img.tar"}}]}),
            Same,
        ),
        (
            "a tar export",
            json!({"push": false, "exports": [{"tar": {"dest": "fs.tar"}}]}),
            Same,
        ),
        (
            "a local export",
            json!({"push": false, "exports": [{"local": {"dest": "out"}}]}),
            Same,
        ),
        (
            "a cacheonly export",
            json!({"push": false, "exports": [{"cacheonly": {}}]}),
            Same,
        ),
        (
            "a disabled export with nothing set",
            json!({"push": false, "exports": [{"disabled": true}]}),
            Same,
        ),
        (
            "a platform with a variant",
            json!({"push": false, "platforms": ["linux/arm/v7"]}),
            Same,
        ),
        (
            "a platform of another OS",
            json!({"push": false, "platforms": ["windows/amd64"]}),
            Same,
        ),
        (
            "a platform with a micro-architecture",
            json!({"push": false, "platforms": ["linux/amd64/v3"]}),
            Same,
        ),
        (
            "a platform that is no platform",
            json!({"push": false, "platforms": ["linux/sparc"]}),
            Same,
        ),
        (
            "a platform in capitals",
            json!({"push": false, "platforms": ["Linux/AMD64"]}),
            Same,
        ),
        (
            "an OS alone",
            json!({"push": false, "platforms": ["linux"]}),
            Same,
        ),
        (
            "an add-host without an address",
            json!({"push": false, "addHosts": ["nocolon"]}),
            Stricter("an add-host is host:address; buildx refuses the build"),
        ),
        (
            "an add-host for the gateway",
            json!({"push": false, "addHosts": ["host.docker.internal:host-gateway"]}),
            Same,
        ),
        (
            "a network that is no mode",
            json!({"push": false, "network": "bogus"}),
            Stricter("BuildKit knows default, host and none; it refuses the build"),
        ),
        (
            "network none",
            json!({"push": false, "network": "none"}),
            Same,
        ),
        (
            "an absolute dockerfile path",
            json!({"push": false, "dockerfile": {"location": "/nonexistent/Dockerfile"}}),
            Same,
        ),
        (
            "a named context that is not there",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "nope"}}}}),
            Stricter("a local named context is a directory; buildx refuses the build"),
        ),
        (
            "a cache entry with nothing set",
            json!({"push": false, "cacheFrom": [{}]}),
            Same,
        ),
        (
            "a cache entry with two backends",
            json!({"push": false, "cacheTo": [{"inline": {}, "local": {"dest": "x"}}]}),
            Same,
        ),
        (
            "a registry cache without a ref",
            json!({"push": false, "cacheFrom": [{"registry": {}}]}),
            Same,
        ),
        (
            "a local cache without a source",
            json!({"push": false, "cacheFrom": [{"local": {}}]}),
            Same,
        ),
        (
            "a local cache export without a destination",
            json!({"push": false, "cacheTo": [{"local": {}}]}),
            Same,
        ),
        (
            "an s3 cache without a bucket",
            json!({"push": false, "cacheFrom": [{"s3": {"region": "us-east-1"}}]}),
            Same,
        ),
        (
            "an azblob cache without a name",
            json!({"push": false, "cacheFrom": [{"azblob": {}}]}),
            Same,
        ),
        (
            "a cache mode that is no mode",
            json!({"push": false, "cacheTo": [{"registry": {"ref": "r.example/app:cache", "mode": "most"}}]}),
            Stricter(
                "BuildKit knows min and max and takes any other mode as min without a word: refused so the typo is seen",
            ),
        ),
        (
            "a cache compression that is none",
            json!({"push": false, "cacheTo": [{"local": {"dest": "c", "compression": "lz4"}}]}),
            Stricter("BuildKit knows gzip, estargz and zstd; it refuses the build"),
        ),
        (
            "an export with nothing set",
            json!({"push": false, "exports": [{}]}),
            Same,
        ),
        (
            "a local export without a destination",
            json!({"push": false, "exports": [{"local": {}}]}),
            Same,
        ),
        (
            "a tar export without a destination",
            json!({"push": false, "exports": [{"tar": {}}]}),
            Same,
        ),
        (
            "a docker export without a destination",
            json!({"push": false, "exports": [{"docker": {}}]}),
            Same,
        ),
        (
            "an oci export without a destination",
            json!({"push": false, "exports": [{"oci": {}}]}),
            Same,
        ),
        (
            "an image export that pushes without a name",
            json!({"push": false, "exports": [{"image": {"push": true}}]}),
            Same,
        ),
        (
            "an image export with a tag instead",
            json!({"push": false, "tags": ["r.example/app:1"], "exports": [{"image": {"push": true}}]}),
            Same,
        ),
        (
            "a raw export with two types",
            json!({"push": false, "exports": [{"raw": "type=local,dest=a,type=tar"}]}),
            Same,
        ),
        (
            "an export compression that is none",
            json!({"push": false, "exports": [{"registry": {"names": ["r.example/app:1"], "compression": "lz4"}}]}),
            Stricter("BuildKit knows gzip, estargz and zstd; it refuses the build"),
        ),
        (
            "a registry login without an address",
            json!({"push": false, "registries": [{"username": "u", "password": "p"}]}),
            Same,
        ),
        (
            "a build arg that is not a string",
            json!({"push": false, "buildArgs": {"A": 1}}),
            Same,
        ),
        (
            "tags that are not a list",
            json!({"push": false, "tags": "r.example/app:1"}),
            Same,
        ),
        ("push that is not a bool", json!({"push": "yes"}), Same),
        (
            "an input that is no input",
            json!({"push": false, "colour": "blue"}),
            Same,
        ),
        (
            "a cacheTo entry with nothing set",
            json!({"push": false, "cacheTo": [{}]}),
            Same,
        ),
        (
            "an add-host with =",
            json!({"push": false, "addHosts": ["db=10.0.0.1"]}),
            Same,
        ),
        (
            "an add-host with several addresses",
            json!({"push": false, "addHosts": ["db=10.0.0.1,10.0.0.2"]}),
            Same,
        ),
        (
            "an add-host with IPv6",
            json!({"push": false, "addHosts": ["db=[::1]"]}),
            Same,
        ),
        (
            "an add-host that is no address",
            json!({"push": false, "addHosts": ["db:somewhere"]}),
            Stricter("an add-host names addresses; buildx refuses the build"),
        ),
        (
            "duplicate tags",
            json!({"push": false, "tags": ["r.example/app:1", "r.example/app:1"]}),
            Same,
        ),
        (
            "a tag without a registry",
            json!({"push": false, "tags": ["app:1"]}),
            Same,
        ),
        (
            "a tag with a port",
            json!({"push": false, "tags": ["localhost:5000/app"]}),
            Same,
        ),
        (
            "a tag too long",
            json!({"push": false, "tags": [format!("r.example/app:{}", "a".repeat(129))]}),
            Same,
        ),
        (
            "a remote context with a dockerfile",
            json!({"push": false, "context": {"location": "https://example.com/app.tar.gz"}, "dockerfile": {"location": "Dockerfile"}}),
            Same,
        ),
        (
            "a git context",
            json!({"push": false, "context": {"location": "git@github.com:docker-library/hello-world.git#main:amd64"}}),
            Same,
        ),
        (
            "a named context image",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "docker-image://alpine:3"}}}}),
            Same,
        ),
        (
            "a named context target",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "target:build"}}}}),
            Same,
        ),
        (
            "a named context oci layout",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "oci-layout://./layout"}}}}),
            Same,
        ),
        (
            "a named context over https",
            json!({"push": false, "context": {"location": ".", "named": {"base": {"location": "https://example.com/base.tar"}}}}),
            Same,
        ),
        (
            "a dockerfile in another directory",
            json!({"push": false, "context": {"location": "app"}, "dockerfile": {"location": "Dockerfile"}}),
            Same,
        ),
        (
            "an inline dockerfile with a syntax directive",
            json!({"push": false, "dockerfile": {"inline": "# syntax=docker/dockerfile:1\nFROM scratch\n"}}),
            Same,
        ),
        (
            "an inline dockerfile with an unknown instruction",
            json!({"push": false, "dockerfile": {"inline": "FROM scratch\nFOO bar\n"}}),
            Same,
        ),
        (
            "an inline dockerfile without FROM",
            json!({"push": false, "dockerfile": {"inline": "COPY a /a\n"}}),
            Same,
        ),
        (
            "a docker export to standard output",
            json!({"push": false, "exports": [{"docker": {"dest": "-"}}]}),
            Same,
        ),
        (
            "a tar export to standard output",
            json!({"push": false, "exports": [{"tar": {"dest": "-"}}]}),
            Same,
        ),
        (
            "an image export with annotations",
            json!({"push": false, "exports": [{"image": {"annotations": {"a": "b"}}}]}),
            Same,
        ),
        (
            "a registry export that does not push",
            json!({"push": false, "exports": [{"registry": {"push": false}}]}),
            Same,
        ),
        (
            "a cache to gha with a token",
            json!({"push": false, "cacheTo": [{"gha": {"token": "t", "url": "https://example.com"}}]}),
            Same,
        ),
        (
            "an s3 cache with keys",
            json!({"push": false, "cacheTo": [{"s3": {"bucket": "b", "region": "r", "accessKeyId": "a", "secretAccessKey": "s"}}]}),
            Same,
        ),
        (
            "a raw cache to",
            json!({"push": false, "cacheTo": [{"raw": "type=inline"}]}),
            Same,
        ),
        (
            "a raw cache without a type",
            json!({"push": false, "cacheTo": [{"raw": "mode=max"}]}),
            Same,
        ),
        (
            "a build arg without a name",
            json!({"push": false, "buildArgs": {"": "x"}}),
            Same,
        ),
        (
            "a secret id with a comma",
            json!({"push": false, "secrets": {"a,b": "x"}}),
            Same,
        ),
        (
            "ssh id with a comma",
            json!({"push": false, "ssh": [{"id": "a,b", "paths": ["key"]}]}),
            Same,
        ),
        (
            "a login with an empty address",
            json!({"push": false, "registries": [{"address": "", "username": "u"}]}),
            Same,
        ),
        (
            "build on preview",
            json!({"push": false, "buildOnPreview": true}),
            Same,
        ),
        (
            "hash only build sources",
            json!({"push": false, "hashOnlyBuildSources": true}),
            Ours("hash only the files the Dockerfile reads"),
        ),
        (
            "auto cache",
            json!({"push": false, "autoCache": false}),
            Ours("the automatic registry cache, on or off"),
        ),
        (
            "ignore secrets in diff",
            json!({"push": false, "secrets": {"S": "v"}, "ignoreSecretsInDiffCalculation": ["S"]}),
            Same,
        ),
        (
            "a secret with an empty id",
            json!({"push": false, "secrets": {"": "x"}}),
            Same,
        ),
        (
            "a secret id with =",
            json!({"push": false, "secrets": {"a=b": "x"}}),
            Same,
        ),
        (
            "ssh with an empty id",
            json!({"push": false, "ssh": [{"id": "", "paths": ["key"]}]}),
            Same,
        ),
        (
            "ssh id with =",
            json!({"push": false, "ssh": [{"id": "a=b", "paths": ["key"]}]}),
            Stricter(
                "buildx reads `id=paths`: the official build takes `a` as the id and `b=key` as a path that is not there",
            ),
        ),
        (
            "a label without a name",
            json!({"push": false, "labels": {"": "x"}}),
            Same,
        ),
        (
            "an unknown tag",
            json!({"push": true, "tags": ["$unknown"]}),
            Same,
        ),
        (
            "unknown tags",
            json!({"push": true, "tags": "$unknown"}),
            Ours(
                "unknowns never fail a preview: the official Check finds no tag in an unknown list",
            ),
        ),
        (
            "an unknown context",
            json!({"push": false, "context": {"location": "$unknown"}}),
            Same,
        ),
        (
            "an unknown dockerfile",
            json!({"push": false, "dockerfile": {"location": "$unknown"}}),
            Same,
        ),
        (
            "an unknown build arg",
            json!({"push": false, "buildArgs": {"A": "$unknown"}}),
            Same,
        ),
        (
            "an unknown platform",
            json!({"push": false, "platforms": ["$unknown"]}),
            Same,
        ),
        (
            "an unknown cache ref",
            json!({"push": false, "cacheFrom": [{"registry": {"ref": "$unknown"}}]}),
            Same,
        ),
        (
            "an unknown export name",
            json!({"push": false, "exports": [{"registry": {"names": ["$unknown"]}}]}),
            Ours(
                "unknowns never fail a preview: the official Check finds no name in an unknown one",
            ),
        ),
        (
            "an unknown push",
            json!({"push": "$unknown", "tags": ["r.example/app:1"]}),
            Same,
        ),
        (
            "an unknown secret",
            json!({"push": false, "secrets": {"S": "$unknown"}}),
            Same,
        ),
        (
            "an unknown ssh path",
            json!({"push": false, "ssh": [{"id": "default", "paths": ["$unknown"]}]}),
            Ours(
                "unknowns never fail a preview: the official Check takes an unknown path for none",
            ),
        ),
        (
            "a registry cache ref that is no reference",
            json!({"push": false, "cacheTo": [{"registry": {"ref": "Not A Ref"}}]}),
            Stricter("a cache ref is an image reference; BuildKit refuses the build"),
        ),
        (
            "an export name that is no reference",
            json!({"push": false, "exports": [{"registry": {"names": ["Not A Name"]}}]}),
            Stricter("an export's name is an image reference; BuildKit refuses the build"),
        ),
    ]
}

/// Index inputs worth comparing.
fn index_cases() -> Vec<(&'static str, Json, Expect)> {
    use Expect::*;
    let source = format!("r.example/app@sha256:{}", "a".repeat(64));
    vec![
        (
            "an index",
            json!({"tag": "r.example/app:1", "sources": [source]}),
            Same,
        ),
        (
            "an index without sources",
            json!({"tag": "r.example/app:1", "sources": []}),
            Stricter("an index joins at least one image; imagetools refuses to create it"),
        ),
        ("an index without a tag", json!({"sources": [source]}), Same),
        (
            "an index tag that is no reference",
            json!({"tag": "Not A Tag", "sources": [source]}),
            Same,
        ),
        (
            "an index source that is no reference",
            json!({"tag": "r.example/app:1", "sources": ["Not A Source"]}),
            Same,
        ),
        (
            "an index source by tag",
            json!({"tag": "r.example/app:1", "sources": ["r.example/app:amd64"]}),
            Same,
        ),
        (
            "an index that is not pushed",
            json!({"tag": "r.example/app:1", "sources": [source], "push": false}),
            Same,
        ),
        (
            "an index with a login",
            json!({"tag": "r.example/app:1", "sources": [source], "registry": {"address": "r.example", "username": "u", "password": "p"}}),
            Same,
        ),
        (
            "an index login without an address",
            json!({"tag": "r.example/app:1", "sources": [source], "registry": {"username": "u"}}),
            Same,
        ),
        (
            "an index with an unknown tag",
            json!({"tag": "$unknown", "sources": [source]}),
            Same,
        ),
        (
            "an index with unknown sources",
            json!({"tag": "r.example/app:1", "sources": "$unknown"}),
            Same,
        ),
        (
            "an index with an unknown source",
            json!({"tag": "r.example/app:1", "sources": ["$unknown"]}),
            Same,
        ),
    ]
}

#[tokio::test]
async fn check_accepts_and_refuses_what_the_official_provider_does() {
    let (dir, _agents) = program();
    let mut pair = Pair::start(dir.path()).await;
    let differences = pair.compare_checks(&IMAGE, cases()).await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn index_check_accepts_and_refuses_what_the_official_provider_does() {
    let (dir, _agents) = program();
    let mut pair = Pair::start(dir.path()).await;
    let differences = pair.compare_checks(&INDEX, index_cases()).await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
