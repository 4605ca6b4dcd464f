//! Several platforms without a buildx build: one build per platform with
//! the automatic cache, and platforms spread over the nodes of a builder.

use super::*;

/// Two platforms that no one node of `dbt-multi` builds both of: each is
/// solved on its own node, pushed by digest, and joined under the tag,
/// as buildx spreads such a build.
#[tokio::test]
async fn platforms_spread_over_a_two_node_builder_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("spread")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-spread");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "platforms": ["plan9/amd64", "plan9/386"],
            "autoCache": false,
            "builder": {"name": "dbt-multi"},
        }))
        .await;
    let created = session.create(&inputs, false).await.expect("pushed");
    let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
    assert!(state["digest"].as_str().unwrap().starts_with("sha256:"));
    let mut platforms = crate::registry_kit::index_platforms(&repository, "1")
        .await
        .expect("an index");
    platforms.sort();
    assert_eq!(platforms, ["plan9/386", "plan9/amd64"]);
    assert_only_dials(&log);
    let dials = std::fs::read_to_string(&log).unwrap();
    assert!(
        dials.contains("plan9/amd64") && dials.contains("plan9/386"),
        "a dial per node: {dials}"
    );
}

/// A multi-platform image with the automatic cache is one build per
/// platform (each pushed under a tag of its own) joined under the tags:
/// no buildx build for any of it.
#[tokio::test]
async fn per_platform_builds_and_their_join_run_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("per-platform")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-per-platform");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "platforms": ["plan9/amd64", "plan9/386"],
        }))
        .await;
    session.create(&inputs, false).await.expect("pushed");
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
    assert_only_dials(&log);
}

/// Platforms spread over nodes and not pushed: each node's result is its
/// own (a directory here), as buildx has it; one tarball for several nodes
/// is refused, naming the export.
#[tokio::test]
async fn platforms_spread_over_nodes_and_not_pushed_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("spread-local");
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let tree = work.path().join("tree");
    let spread = |exports: serde_json::Value| {
        json!({
            "push": false,
            "platforms": ["plan9/amd64", "plan9/386"],
            "builder": {"name": "dbt-multi"},
            "exports": exports,
        })
    };
    let inputs = session
        .checked(spread(
            json!([{"local": {"dest": tree.display().to_string()}}]),
        ))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("exported by each node");
    assert_eq!(std::fs::read_to_string(tree.join("m")).unwrap(), marker);

    let tarball = work.path().join("all.tar");
    let inputs = session
        .checked(spread(
            json!([{"tar": {"dest": tarball.display().to_string()}}]),
        ))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("one tarball for two nodes");
    assert!(
        status.message().contains("tarball export (exports)"),
        "{}",
        status.message()
    );
    assert!(!tarball.exists());
    assert_only_dials(&log);
}
