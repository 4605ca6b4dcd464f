//! The seed's three situations, in order, against the real Docker engine
//! and registry: a brand-new stack (no cache yet), a cleared repository,
//! and normal operation (the registry cache serves a rebuild).
//!
//! A test binary of its own, so it runs alone: it prunes the engine's
//! whole build cache, and on Docker Engine 26 (BuildKit 0.13) a registry
//! cache import was seen to match no step while other builds, or builds
//! cancelled moments before, were still in the engine.

#[path = "provider/kit/mod.rs"]
#[allow(dead_code)]
mod kit;

// The kits by their own names, as in the provider suite.
#[allow(unused_imports)]
use kit::{fault_kit, figures, harness, registry_kit};

use docker_build::rpc::pb;
use serde_json::json;

use harness::{
    IMAGE_URN, Session, app, clear_repository, from_struct, prune_build_cache, registry,
    registry_tags, require_engine,
};

fn error_lines(session: &Session) -> Vec<String> {
    session
        .log_lines()
        .into_iter()
        .filter(|(s, _)| *s == pb::LogSeverity::Error as i32)
        .map(|(_, m)| m)
        .collect()
}

fn cache_report(state: &serde_json::Value) -> (bool, u64, u64) {
    let report = &state["cacheReport"];
    (
        report["found"].as_bool().unwrap(),
        report["cachedSteps"].as_u64().unwrap(),
        report["totalSteps"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn seed_scenarios_new_stack_cleared_repository_normal_operation() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "v1\n");
    let repository = harness::unique("seed");
    let tag = format!("{}/{repository}:stable", registry());
    let cache = format!("{}/{repository}:cache", registry());
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": true, "tags": [tag]})).await;

    // (a) Brand-new stack: no cache anywhere. The build succeeds, pushes
    // the image and the cache, and says plainly that it started cold.
    let created = session
        .create(&inputs, false)
        .await
        .expect("the first build succeeds without a cache");
    assert!(created.id.starts_with("sha256:"), "{}", created.id);
    let state = from_struct(created.properties.as_ref().unwrap());
    assert_eq!(state["digest"], json!(created.id));
    assert_eq!(state["ref"], json!(format!("{tag}@{}", created.id)));
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(tags, ["cache", "stable"]);
    let (found, _, total) = cache_report(&state);
    assert!(!found, "the cache did not exist before the first build");
    assert_eq!(state["cacheReport"]["ref"], json!(cache));
    assert!(total >= 3, "{state}");
    let first_build =
        format!("no build cache at {cache} yet: building from scratch; this build creates it");
    assert!(
        session
            .log_lines()
            .iter()
            .any(|(s, m)| *s == pb::LogSeverity::Info as i32 && *m == first_build),
        "{:?}",
        session.log_lines()
    );
    assert_eq!(error_lines(&session), Vec::<String>::new());
    assert!(
        !session
            .log_lines()
            .iter()
            .any(|(_, m)| m.contains("not found")),
        "no alarming not-found line: {:?}",
        session.log_lines()
    );

    // Nothing changed: Diff is empty.
    let state_struct = created.properties.clone().unwrap();
    let same = session
        .client
        .diff(pb::DiffRequest {
            urn: IMAGE_URN.into(),
            olds: Some(state_struct.clone()),
            news: Some(inputs.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        same.changes,
        pb::diff_response::DiffChanges::DiffNone as i32,
        "{same:?}"
    );

    // (b) Cleared repository: every tag deleted and the local build cache
    // pruned. The next update rebuilds and re-creates the cache.
    clear_repository(&repository).await;
    prune_build_cache();
    assert!(registry_tags(&repository).await.is_empty());
    app(dir.path(), "v2\n");
    let updated = session
        .update(&created.id, &state_struct, &inputs, false)
        .await
        .expect("a build after clearing the repository succeeds");
    let state = from_struct(updated.properties.as_ref().unwrap());
    assert_ne!(
        state["digest"],
        json!(created.id),
        "new content, new digest"
    );
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(tags, ["cache", "stable"], "the cache is back");
    assert!(!cache_report(&state).0);
    assert_eq!(error_lines(&session), Vec::<String>::new());

    // (c) Normal operation: with the local build cache gone, the registry
    // cache serves the rebuild.
    prune_build_cache();
    let again = session
        .update(
            &created.id,
            updated.properties.as_ref().unwrap(),
            &inputs,
            false,
        )
        .await
        .expect("a cached rebuild succeeds");
    let state = from_struct(again.properties.as_ref().unwrap());
    let (found, cached, total) = cache_report(&state);
    assert!(found, "the cache existed this time");
    assert!(
        cached > 0,
        "steps came from the registry cache: {cached}/{total}"
    );
    assert_eq!(error_lines(&session), Vec::<String>::new());
}
