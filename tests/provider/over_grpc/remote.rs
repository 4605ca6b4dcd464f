//! Beyond the local engine: the provider's `host` pointing at another
//! Docker engine over TCP, a named builder, an engine whose `docker`
//! driver cannot export a cache, and multi-platform images with a cache ref
//! per platform. The extra engines are the test environment's
//! (`scripts/test-env up`).

use std::process::Command;

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{Session, from_struct, registry, registry_tags, require_engine, unique};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `scripts/test-env up` and source its env file")
    })
}

/// `docker` against the engine at `host`, with an optional config dir.
fn docker(host: &str, config: Option<&std::path::Path>, args: &[&str]) -> String {
    let mut command = Command::new("docker");
    command.args(args).env("DOCKER_HOST", host);
    if let Some(config) = config {
        command.env("DOCKER_CONFIG", config);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?} at {host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the engine at `host` has a build cache record mentioning
/// `marker` (the text of a RUN step).
fn engine_built(host: &str, marker: &str) -> bool {
    docker(host, None, &["buildx", "du", "--verbose"]).contains(marker)
}

fn marked_app(dir: &std::path::Path) -> String {
    let marker = unique("marker");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM busybox:local\nRUN echo {marker} > /marker.txt\n"),
    )
    .unwrap();
    marker
}

#[tokio::test]
async fn the_host_setting_builds_on_another_engine_over_tcp() {
    require_engine();
    let second = env("DOCKER_BUILD_TEST_SECOND_ENGINE");
    let local = env("DOCKER_HOST");
    let dir = tempfile::tempdir().unwrap();
    let marker = marked_app(dir.path());
    let repository = unique("remote");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({"host": second})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", registry())]}))
        .await;
    let created = session
        .create(&inputs, false)
        .await
        .expect("built remotely");
    assert!(created.id.starts_with("sha256:"));
    let tags = registry_tags(&repository).await;
    assert!(tags.contains(&"1".to_owned()), "{tags:?}");
    assert!(
        engine_built(&second, &marker),
        "the second engine ran the build"
    );
    assert!(
        !engine_built(&local, &marker),
        "the local engine saw no build"
    );
}

#[tokio::test]
async fn a_named_builder_is_used_and_no_builder_is_created_or_left_behind() {
    require_engine();
    let second = env("DOCKER_BUILD_TEST_SECOND_ENGINE");
    let local = env("DOCKER_HOST");
    let config = tempfile::tempdir().unwrap();
    // A Docker context is a builder of the `docker` driver, by its name.
    let name = unique("ctx").replace('-', "_");
    docker(
        &local,
        Some(config.path()),
        &[
            "context",
            "create",
            &name,
            "--docker",
            &format!("host={second}"),
        ],
    );
    let builders = || {
        let out = Command::new(env("DOCKER_BUILD_BUILDX"))
            .arg("ls")
            .env("DOCKER_CONFIG", config.path())
            .env("DOCKER_HOST", &local)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let builders_before = builders();
    assert!(builders_before.contains(&name), "{builders_before}");
    let dir = tempfile::tempdir().unwrap();
    let marker = marked_app(dir.path());
    let config_text = config.path().display().to_string();
    let mut session =
        crate::harness::start_with_env(dir.path(), &[("DOCKER_CONFIG", &config_text)]).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": false, "builder": {"name": name}}))
        .await;
    session.create(&inputs, false).await.expect("built");
    assert!(engine_built(&second, &marker), "the named builder ran it");
    assert!(!engine_built(&local, &marker));
    let builders_after = builders();
    assert_eq!(
        builders_before.lines().count(),
        builders_after.lines().count(),
        "{builders_before}\n---\n{builders_after}"
    );
}

#[tokio::test]
async fn an_engine_without_the_containerd_store_says_how_to_keep_a_cache() {
    require_engine();
    let classic = env("DOCKER_BUILD_TEST_CLASSIC_ENGINE");
    let dir = tempfile::tempdir().unwrap();
    marked_app(dir.path());
    let repository = unique("classic");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({"host": classic})).await;

    // The automatic cache cannot be exported: the deploy goes on without
    // it, and says why and what to change.
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", registry())]}))
        .await;
    let created = session
        .create(&inputs, false)
        .await
        .expect("the image is built without its cache");
    assert!(created.id.starts_with("sha256:"));
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("cannot export a build cache"))
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
    assert!(
        warning.message.contains("containerd-snapshotter")
            && warning.message.contains("builder.name")
    );
    assert_eq!(registry_tags(&repository).await, ["1"], "no cache tag");

    // A cache the user asked for is an error with the same advice.
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:2", registry())],
            "cacheTo": [{"registry": {"ref": format!("{}/{repository}:mine", registry())}}],
        }))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("the requested cache cannot be exported");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("containerd-snapshotter"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn two_platforms_make_one_index_with_a_cache_per_platform() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.txt /app.txt\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.txt"), unique("platforms")).unwrap();
    let repository = unique("platforms");
    let tag = format!("{}/{repository}:1", registry());
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [tag], "platforms": ["plan9/amd64", "plan9/386"]}))
        .await;
    let created = session.create(&inputs, false).await.expect("built");
    let state = from_struct(created.properties.as_ref().unwrap());
    let platforms = crate::registry_kit::index_platforms(&repository, "1")
        .await
        .expect("an index under the tag");
    assert_eq!(platforms, ["plan9/amd64", "plan9/386"]);
    assert_eq!(state["digest"], json!(created.id));
    assert_eq!(state["ref"], json!(format!("{tag}@{}", created.id)));
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(
        tags,
        [
            "1",
            "1-plan9-386",
            "1-plan9-amd64",
            "cache-plan9-386",
            "cache-plan9-amd64"
        ]
    );
    assert_eq!(state["cacheReport"]["found"], json!(false));

    // The next build of each platform finds its own cache.
    let again = session.create(&inputs, false).await.expect("rebuilt");
    assert_eq!(again.id, created.id, "same inputs, same index");
    let state = from_struct(again.properties.as_ref().unwrap());
    assert_eq!(state["cacheReport"]["found"], json!(true), "{state}");
}

#[tokio::test]
async fn a_cache_shared_by_several_platforms_is_warned_about() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.txt /app.txt\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.txt"), unique("shared")).unwrap();
    let repository = unique("shared");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let cache = format!("{}/{repository}:mine", registry());
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "platforms": ["plan9/amd64", "plan9/386"],
            "cacheTo": [{"registry": {"ref": cache}}],
        }))
        .await;
    session.create(&inputs, false).await.expect("built");
    let warning = session
        .logs
        .wait_for(|l| {
            l.message
                .contains("receives the build cache of 2 platforms")
        })
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
    assert!(warning.message.contains(&cache));
}
