//! Multi-platform images with the automatic cache: the platforms' builds
//! run at the same time (their steps overlap in the progress the engine
//! sees), the first failure names its platform and stops the rest, and
//! Cancel stops every platform.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Session, registry, require_engine, spawn_create, unique};

const PLATFORMS: [&str; 2] = ["plan9/amd64", "plan9/386"];

/// A Dockerfile whose work (a `sleep` on the build platform) takes a while
/// for each target platform; `missing` names a platform whose build fails.
fn slow_per_platform(dir: &std::path::Path, marker: &str, missing: Option<&str>) {
    let fail = missing
        .map(|p| format!(" && [ \"$TARGETPLATFORM\" != \"{p}\" ]"))
        .unwrap_or_default();
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM --platform=$BUILDPLATFORM busybox:local AS work\nARG TARGETPLATFORM\nRUN echo {marker} $TARGETPLATFORM > /p && sleep 3 && echo slept{fail}\nFROM scratch\nCOPY --from=work /p /p\n"
        ),
    )
    .unwrap();
}

/// The positions in the log of lines about each platform's `sleep` step:
/// its start, and its output (`slept`) when it ends.
fn step_lines(session: &Session, marker: &str) -> Vec<(usize, &'static str)> {
    session
        .log_lines()
        .into_iter()
        .enumerate()
        .filter(|(_, (_, m))| m.contains(marker))
        .filter_map(|(i, (_, m))| {
            PLATFORMS
                .iter()
                .find(|p| m.starts_with(&format!("[{p}]")))
                .map(|p| (i, *p))
        })
        .collect()
}

#[tokio::test]
async fn the_platforms_build_at_the_same_time() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = unique("together");
    slow_per_platform(dir.path(), &marker, None);
    let repository = unique("together");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", registry())], "platforms": PLATFORMS}))
        .await;
    let started = std::time::Instant::now();
    session.create(&inputs, false).await.expect("built");
    let took = started.elapsed();
    // Each platform's step runs 3 s: one after the other would take 6 s.
    let lines = step_lines(&session, &marker);
    let span = |platform: &str| {
        let at: Vec<usize> = lines
            .iter()
            .filter(|(_, p)| *p == platform)
            .map(|(i, _)| *i)
            .collect();
        (
            *at.first().expect("its step was reported"),
            *at.last().unwrap(),
        )
    };
    let (a, b) = (span(PLATFORMS[0]), span(PLATFORMS[1]));
    assert!(
        a.0 < b.1 && b.0 < a.1,
        "the steps overlap in the progress: {a:?} {b:?}, took {took:?}"
    );
    let platforms = crate::registry_kit::index_platforms(&repository, "1")
        .await
        .expect("an index under the tag");
    assert_eq!(platforms, PLATFORMS);
}

#[tokio::test]
async fn a_failing_platform_fails_the_image_with_its_name() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = unique("one-fails");
    slow_per_platform(dir.path(), &marker, Some("plan9/386"));
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{}:1", registry(), unique("one-fails"))], "platforms": PLATFORMS}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("one platform fails");
    assert!(
        status.message().starts_with("building plan9/386:"),
        "{}",
        status.message()
    );
}

/// The processes of this machine whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| crate::harness::cmdline(*pid).contains(needle))
        .filter(|pid| !crate::harness::is_gone(*pid))
        .collect()
}

#[tokio::test]
async fn cancel_stops_every_platform() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = unique("cancelled");
    // Each platform's step runs a minute unless stopped (`&& true` keeps
    // the shell, and the marker, in the process list).
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM --platform=$BUILDPLATFORM busybox:local AS work\nARG TARGETPLATFORM\nRUN echo {marker} $TARGETPLATFORM && sleep 60 && true\nFROM scratch\nCOPY --from=work / /\n"
        ),
    )
    .unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{}:1", registry(), unique("cancelled"))], "platforms": PLATFORMS}))
        .await;
    let build = spawn_create(&session, inputs);
    let started = std::time::Instant::now();
    let steps = loop {
        let running = processes_with(&marker);
        if running.len() >= 2 {
            break running;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "both platforms never ran together"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    session.client.cancel(()).await.unwrap();
    let answer = build.await.unwrap();
    assert!(answer.is_err(), "cancelled");
    let started = std::time::Instant::now();
    while !steps.iter().all(|pid| crate::harness::is_gone(*pid)) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a platform's step outlived Cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
