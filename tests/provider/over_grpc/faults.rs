//! Faults in the middle of a deploy: the registry dies during the push, the
//! Docker engine is stopped mid-build, the disk is full. Each test asserts
//! on the error the user sees and on what is left behind: no process, no
//! temporary file, and no half-written state (a failed Create or Update
//! returns an error and no properties, so the engine keeps what it had).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::fault_kit::{DyingRegistry, FullDisk, ScratchEngine};
use crate::figures;
use crate::harness::{
    Session, app, children_of, cmdline, create_in_background, diff, from_struct, registry,
    registry_tags, require_engine, start_with_env, state_for, unique,
};

/// Nothing still running under the provider but its BuildKit
/// connections (`buildx dial-stdio`, kept for its next builds).
async fn assert_no_children(session: &Session) {
    let started = Instant::now();
    loop {
        let mut left = children_of(session.child.id());
        left.retain(|pid| !cmdline(*pid).contains("dial-stdio"));
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "processes left under the provider: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The provider still answers after the fault: it survived it.
async fn assert_survived(session: &mut Session, fault: &str) {
    let alive = session.child.try_wait().unwrap().is_none()
        && session.client.get_plugin_info(()).await.is_ok();
    figures::record(if alive { "faults" } else { "crashes" }, 1);
    assert!(alive, "the provider did not survive: {fault}");
}

fn empty(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_registry_that_dies_during_the_push_fails_clearly_and_a_retry_succeeds() {
    require_engine();
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    app(dir.path(), &unique("dying"));
    let proxy = DyingRegistry::start(registry()).await;
    let repository = unique("dying");
    let tmp_text = tmp.path().display().to_string();
    let mut session = start_with_env(dir.path(), &[("TMPDIR", &tmp_text)]).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", proxy.address)]}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("the registry went away mid-push");
    assert!(proxy.is_dead(), "the push reached the blob upload");
    assert!(
        status.message().contains(&proxy.address),
        "the message names the registry: {}",
        status.message()
    );
    assert_no_children(&session).await;
    assert!(empty(tmp.path()).is_empty(), "{:?}", empty(tmp.path()));
    assert!(
        registry_tags(&repository).await.is_empty(),
        "nothing was tagged"
    );
    assert_survived(&mut session, "registry died mid-push").await;

    // The registry comes back: the same deploy, retried, goes through.
    proxy.revive();
    let created = session
        .create(&inputs, false)
        .await
        .expect("the retry succeeds");
    assert!(created.id.starts_with("sha256:"));
    let tags = registry_tags(&repository).await;
    assert!(tags.contains(&"1".to_owned()), "{tags:?}");
}

#[tokio::test]
async fn an_engine_stopped_mid_build_fails_the_build_and_leaves_nothing() {
    require_engine();
    let mut engine = ScratchEngine::start();
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("stopped");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM busybox:local\nRUN echo {marker} && sleep 30 && true\n"),
    )
    .unwrap();
    let tmp_text = tmp.path().display().to_string();
    let mut session = start_with_env(
        dir.path(),
        &[("TMPDIR", &tmp_text), ("DOCKER_HOST", &engine.host)],
    )
    .await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": false})).await;
    let (build, _step) = create_in_background(&session, inputs, &marker).await;
    let stopped_at = Instant::now();
    engine.stop();
    let status = tokio::time::timeout(Duration::from_secs(30), build)
        .await
        .expect("the build ends once its engine is gone")
        .unwrap()
        .expect_err("a build whose engine stopped fails");
    eprintln!(
        "engine stopped: build failed {:?} later: {}",
        stopped_at.elapsed(),
        status.message()
    );
    let expected = format!("the Docker engine at {} stopped answering", engine.host);
    assert!(
        status.message().contains(&expected),
        "the message says the engine went away and which: {}",
        status.message()
    );
    assert_no_children(&session).await;
    assert!(empty(tmp.path()).is_empty(), "{:?}", empty(tmp.path()));
    assert_survived(&mut session, "engine stopped mid-build").await;
}

/// The provider keeps one BuildKit connection per engine: when the engine
/// restarts between two deploys, the next build dials again instead of
/// failing on the connection that died with it.
#[tokio::test]
async fn a_build_after_its_engine_restarted_dials_again() {
    require_engine();
    let mut engine = ScratchEngine::start();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), &unique("restarted"));
    let mut session = start_with_env(dir.path(), &[("DOCKER_HOST", &engine.host)]).await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": false})).await;
    session
        .create(&inputs, false)
        .await
        .expect("the first build");
    engine.restart();
    app(dir.path(), &unique("restarted-again"));
    let inputs = session.checked(json!({"push": false})).await;
    session
        .create(&inputs, false)
        .await
        .expect("the build after the restart dials the engine again");
    assert_survived(&mut session, "engine restarted between builds").await;
}

#[tokio::test]
async fn a_full_cache_disk_costs_the_index_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "index\n");
    let disk = FullDisk::empty();
    let cache_text = disk.path().display().to_string();
    let mut session = start_with_env(dir.path(), &[("XDG_CACHE_HOME", &cache_text)]).await;
    session.configure(json!({})).await;
    let checked = from_struct(&session.checked(json!({"push": false})).await);
    let olds = state_for(dir.path(), &checked);
    let unchanged = diff(&mut session, &olds, &checked).await.unwrap();
    assert!(unchanged.diffs.is_empty(), "{:?}", unchanged.diffs);
    let index_files = disk.leftovers();
    assert!(!index_files.is_empty(), "the first Diff wrote an index");
    let index = disk.path().join(index_files.last().unwrap());
    let index_before = std::fs::read(&index).unwrap();

    disk.fill(0);
    app(dir.path(), "index, changed\n");
    let changed = diff(&mut session, &olds, &checked)
        .await
        .expect("Diff works without its index");
    assert_eq!(changed.diffs, ["contextHash"], "the change is seen");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        index_before,
        "the old index is intact, not torn"
    );
    assert_eq!(disk.leftovers(), index_files, "no partial index file");
    assert_survived(&mut session, "cache disk full").await;
}
