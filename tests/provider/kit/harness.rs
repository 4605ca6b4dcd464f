//! What every suite reaches for, under one name (`crate::harness::...`):
//! the session with the plugin binary (`session`) and its resource calls
//! for either resource (`calls`), this machine's processes (`processes`),
//! Pulumi's wire values written as JSON, the test programs, and the test
//! environment (registries, moto, the engine).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

use docker_build::context::hash_context;
use docker_build::image::{ImageArgs, context_sources};
use serde_json::json;

// Re-exported: every suite finds the whole kit here.
#[allow(unused_imports)]
pub use super::calls::*;
#[allow(unused_imports)]
pub use super::processes::*;
#[allow(unused_imports)]
pub use super::session::*;
#[allow(unused_imports)]
pub use crate::registry_kit::{clear_at, clear_repository, registry_tags, tags_at};

/// A Struct from JSON, where `{"$secret": v}` becomes a secret and the
/// string `"$unknown"` the unknown sentinel.
pub fn to_struct(json: &serde_json::Value) -> prost_types::Struct {
    match to_value(json).kind {
        Some(prost_types::value::Kind::StructValue(s)) => s,
        _ => panic!("not an object"),
    }
}

pub fn to_value(json: &serde_json::Value) -> prost_types::Value {
    test_value(json).to_wire()
}

/// JSON as the tests write it (`{"$secret": v}` for a secret, `"$unknown"`
/// for an unknown) as the provider's own value, which encodes itself.
fn test_value(json: &serde_json::Value) -> docker_build::wire::Value {
    use docker_build::wire::Value;
    match json {
        serde_json::Value::String(s) if s == "$unknown" => Value::Unknown,
        serde_json::Value::Object(map) if map.len() == 1 && map.contains_key("$secret") => {
            Value::Secret(Box::new(test_value(&map["$secret"])))
        }
        serde_json::Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), test_value(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(test_value).collect()),
        plain => Value::from_json(plain),
    }
}

/// JSON from a Struct, with secrets as `{"$secret": v}`.
pub fn from_struct(s: &prost_types::Struct) -> serde_json::Value {
    use docker_build::wire::{Value, struct_to_map};
    fn json(value: &Value) -> serde_json::Value {
        match value {
            Value::Secret(inner) => serde_json::json!({"$secret": json(inner)}),
            Value::Unknown => serde_json::Value::String("$unknown".into()),
            Value::Array(items) => items.iter().map(json).collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            plain => plain.to_json(),
        }
    }
    let map = struct_to_map(Some(s)).unwrap();
    map.iter()
        .map(|(k, v)| (k.clone(), json(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Writes a small app into `dir`: a Dockerfile of four steps (two of them
/// cacheable work) and `app.txt` holding `content`.
pub fn app(dir: &Path, content: &str) {
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM busybox:local\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy.txt\nRUN echo built > /built.txt\n",
    )
    .unwrap();
    std::fs::write(dir.join("app.txt"), content).unwrap();
}

/// A program directory with a Dockerfile and one source file.
pub fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.txt /\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.txt"), "hello\n").unwrap();
    dir
}

/// The state Create would store for checked inputs, with the real hash.
pub fn state_for(dir: &std::path::Path, checked: &serde_json::Value) -> serde_json::Value {
    let plain = strip_secrets(checked);
    let args: ImageArgs = serde_json::from_value(plain).unwrap();
    let hash = hash_context(&context_sources(&args, dir).unwrap()).unwrap();
    let mut state = checked.clone();
    state["contextHash"] = json!(hash);
    state["digest"] = json!("sha256:00");
    state["ref"] = json!("r.example/app:1@sha256:00");
    state
}

pub fn strip_secrets(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) if map.contains_key("$secret") => {
            strip_secrets(&map["$secret"])
        }
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), strip_secrets(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        serde_json::Value::Array(items) => items.iter().map(strip_secrets).collect(),
        other => other.clone(),
    }
}

/// The local registry the test environment runs.
pub fn registry() -> String {
    std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".to_owned())
}

/// The test environment's moto (the ECR API and S3 stand-in).
pub fn moto() -> String {
    std::env::var("DOCKER_BUILD_TEST_MOTO")
        .expect("DOCKER_BUILD_TEST_MOTO: run `source \"$(scripts/test-env env)\"`")
}

/// Fails loudly unless the Docker engine and the registry answer.
pub fn require_engine() {
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    let answered = engine.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        answered,
        "the Docker engine is not reachable (DOCKER_HOST={:?}): run `scripts/test-env up` and `source \"$(scripts/test-env env)\"` first. {:?}",
        std::env::var("DOCKER_HOST").ok(),
        engine.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    );
    let registry_up = std::net::TcpStream::connect(registry()).is_ok();
    assert!(
        registry_up,
        "the test registry at {} is not running: run `scripts/test-env up`",
        registry()
    );
}

/// A repository name no other test uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// `docker buildx prune -af`: forget every local build cache.
pub fn prune_build_cache() {
    let status = Command::new("docker")
        .args(["buildx", "prune", "-af"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// The htpasswd registry (the ECR stand-in's) under its plain address: a
/// registry that answers 401 without a login.
pub fn locked_registry() -> String {
    let ecr = std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY")
        .unwrap_or_else(|_| "127.0.0.1:5001".to_owned());
    format!("127.0.0.1:{}", ecr.rsplit(':').next().unwrap_or("5001"))
}
