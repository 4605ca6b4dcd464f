//! The BuildKit client (`docker_build::buildkit`) against real daemons:
//! the build fleet's remote BuildKit behind mutual TLS and the Docker
//! engine's own, each reached through one `buildx dial-stdio`.

use docker_build::build::locate::find_buildx;
use docker_build::buildkit::{BuildkitClient, BuildkitError, Target};

use crate::harness::require_engine;

fn buildx() -> std::path::PathBuf {
    find_buildx().unwrap_or_else(|searched| panic!("no buildx in {searched:?}"))
}

async fn connect(
    builder: Option<&str>,
    platform: Option<&str>,
) -> Result<BuildkitClient, BuildkitError> {
    let buildx = buildx();
    let host = std::env::var("DOCKER_HOST").ok();
    BuildkitClient::connect(&Target {
        buildx: &buildx,
        builder,
        platform,
        host: host.as_deref(),
    })
    .await
}

/// A fleet daemon answers as the BuildKit the test environment built, with
/// a worker for this machine's platform, and one connection serves calls
/// one after another.
#[tokio::test]
async fn a_remote_builder_answers_through_dial_stdio() {
    require_engine();
    let client = connect(Some("dbt-remote-a"), None)
        .await
        .expect("the fleet's daemon a is reachable");
    assert_eq!(client.version().await.unwrap(), "v0.26.3");
    let workers = client.workers().await.unwrap();
    assert!(
        workers
            .iter()
            .any(|w| w.platforms.iter().any(|p| p == "linux/amd64")),
        "{workers:?}"
    );
    assert_eq!(client.version().await.unwrap(), "v0.26.3");
}

/// The engine's own BuildKit (the `docker` driver of the default builder)
/// is reached the same way.
#[tokio::test]
async fn the_engines_own_builder_answers_through_dial_stdio() {
    require_engine();
    let client = connect(None, None)
        .await
        .expect("the engine's BuildKit is reachable");
    assert!(client.version().await.unwrap().starts_with('v'));
    assert!(!client.workers().await.unwrap().is_empty());
}

/// A builder that does not exist is an error that names it.
#[tokio::test]
async fn a_missing_builder_is_named() {
    require_engine();
    let error = match connect(Some("no-such-builder"), None).await {
        Ok(client) => client.version().await.expect_err("nothing answers"),
        Err(error) => error,
    };
    let BuildkitError::Connect { builder, why } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(builder, "no-such-builder");
    assert!(why.contains("no-such-builder"), "buildx's own words: {why}");
}

/// `--platform` picks the node of a multi-node builder: `dbt-multi` builds
/// 386 on daemon b, whose worker is the one `dbt-remote-b` reaches.
#[tokio::test]
async fn a_platform_picks_its_node_of_a_multi_node_builder() {
    require_engine();
    let id = |workers: Vec<docker_build::buildkit::Worker>| workers[0].id.clone();
    let b = id(connect(Some("dbt-remote-b"), None)
        .await
        .unwrap()
        .workers()
        .await
        .unwrap());
    let a = id(connect(Some("dbt-remote-a"), None)
        .await
        .unwrap()
        .workers()
        .await
        .unwrap());
    assert_ne!(a, b, "each daemon its own worker");
    let node = connect(Some("dbt-multi"), Some("linux/386")).await.unwrap();
    assert_eq!(id(node.workers().await.unwrap()), b);
    let node = connect(Some("dbt-multi"), Some("linux/amd64"))
        .await
        .unwrap();
    assert_eq!(id(node.workers().await.unwrap()), a);
}

/// Calls run at once over one connection (one dialer process).
#[tokio::test]
async fn one_connection_serves_calls_at_once() {
    require_engine();
    let client = connect(Some("dbt-remote-a"), None).await.unwrap();
    let calls = (0..16).map(|_| client.version());
    for answer in futures_util::future::join_all(calls).await {
        assert_eq!(answer.unwrap(), "v0.26.3");
    }
}

/// A Dockerfile build through the client's own session: the context and
/// an inline Dockerfile sent from memory, a build secret answered from
/// memory, pushed to the registry with a registry cache; a second build
/// of the same context on the same daemon comes from its cache.
/// On a remote daemon the exporter is `image`; the engine's own BuildKit
/// stores and pushes with `moby`.
async fn solve_twice(builder: Option<&str>, kind: &str, repository: &str) {
    use docker_build::buildkit::{Entry, LocalDir, SessionSpec, Solve};
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    require_engine();
    let client = connect(builder, None).await.unwrap();
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("hello.txt"), "hello").unwrap();
    std::fs::write(context.path().join(".dockerignore"), "ignored.txt\n").unwrap();
    std::fs::write(context.path().join("ignored.txt"), "no").unwrap();
    let unique = format!("{:?}", std::time::SystemTime::now());
    let dockerfile = format!(
        "FROM 127.0.0.1:5000/busybox:local\nCOPY . /ctx\nRUN --mount=type=secret,id=token test \"$(cat /run/secrets/token)\" = s3cret && echo '{unique}' > /unique\nRUN test ! -e /ctx/ignored.txt && cat /ctx/hello.txt\n"
    );
    let tag = format!("127.0.0.1:5000/{repository}:latest");
    let cache = format!("127.0.0.1:5000/{repository}:cache");
    let entry = |kind: &str, attrs: &[(&str, &str)]| Entry {
        kind: kind.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let solve = Solve {
        frontend_attrs: BTreeMap::from([
            ("filename".to_string(), "Dockerfile".to_string()),
            ("dockerfilekey".to_string(), "dockerfile".to_string()),
        ]),
        exporters: vec![entry(kind, &[("name", &tag), ("push", "true")])],
        cache_imports: vec![entry("registry", &[("ref", &cache)])],
        cache_exports: vec![entry("registry", &[("ref", &cache), ("mode", "max")])],
        entitlements: vec![],
        session: SessionSpec {
            dirs: BTreeMap::from([
                (
                    "context".to_string(),
                    LocalDir::Path(context.path().to_path_buf()),
                ),
                (
                    "dockerfile".to_string(),
                    LocalDir::File {
                        name: "Dockerfile".into(),
                        bytes: Arc::new(dockerfile.into_bytes()),
                    },
                ),
            ]),
            secrets: BTreeMap::from([("token".to_string(), "s3cret".to_string())]),
            credentials: vec![],
            shared_key: format!("{repository}-test"),
            ..SessionSpec::default()
        },
        ..Solve::default()
    };
    let events = Mutex::new(Vec::new());
    let on_event = |e| events.lock().unwrap().push(e);
    let response = client
        .solve(solve.clone(), &on_event)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{:#?}", events.lock().unwrap()));
    let digest = response.get("containerimage.digest").expect("a digest");
    assert!(digest.starts_with("sha256:"), "{response:?}");
    let again = client.solve(solve, &on_event).await.unwrap();
    assert_eq!(again.get("containerimage.digest"), Some(digest));
    let cached = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, docker_build::build::progress::Event::Cached { name, .. } if name.contains("RUN")))
        .count();
    assert!(cached >= 2, "{:#?}", events.lock().unwrap());
}

#[tokio::test]
async fn a_dockerfile_solve_on_a_remote_daemon_pushes_with_a_registry_cache() {
    solve_twice(Some("dbt-remote-a"), "image", "native-solve-remote").await;
}

#[tokio::test]
async fn a_dockerfile_solve_on_the_engines_builder_pushes_with_a_registry_cache() {
    solve_twice(None, "moby", "native-solve-engine").await;
}
