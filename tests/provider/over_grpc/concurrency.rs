//! Stacks of many images: the bound on builds running at once, through the
//! plugin binary. Each build's one step runs a second with a marker of its
//! own in its command line; the test watches this machine's processes
//! (BuildKit runs steps as processes here) and counts the markers alive at
//! once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{IMAGE_URN, require_engine, start_with_env, unique};

/// The markers (`<prefix>-<n>`) in the command lines of live processes.
fn running(prefix: &str) -> BTreeSet<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| !crate::harness::is_gone(*pid))
        .filter_map(|pid| {
            // The inner shell's `$0`, expanded (the outer shell's command
            // line holds the text `$N` itself).
            let line = crate::harness::cmdline(pid);
            line.split_whitespace()
                .find(|word| {
                    word.strip_prefix(prefix)
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                })
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn with_a_bound_of_two_never_more_than_two_builds_run_at_once() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique("bound");
    std::fs::write(
        dir.path().join("Dockerfile"),
        // The outer shell expands `$N`: the inner one's `$0` carries it.
        format!("FROM busybox:local\nARG N\nRUN sh -c 'sleep 2 && true' {prefix}-$N\n"),
    )
    .unwrap();
    // The environment would allow six; the stack's setting wins.
    let env = [("DOCKER_BUILD_MAX_PARALLEL_BUILDS", "6")];
    let mut session = start_with_env(dir.path(), &env).await;
    // Stack configuration arrives as text.
    session.configure(json!({"maxParallelBuilds": "2"})).await;
    let mut creates = Vec::new();
    for n in 0..6 {
        let inputs = session
            .checked(json!({"push": false, "buildArgs": {"N": n.to_string()}}))
            .await;
        let mut client = session.client.clone();
        creates.push(tokio::spawn(async move {
            client
                .create(pb::CreateRequest {
                    urn: IMAGE_URN.replace("::img", &format!("::img{n}")),
                    properties: Some(inputs),
                    ..Default::default()
                })
                .await
        }));
    }
    let (mut most, mut seen) = (0, BTreeSet::new());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !creates.iter().all(|c| c.is_finished()) {
        let now = running(&format!("{prefix}-"));
        most = most.max(now.len());
        seen.extend(now);
        assert!(Instant::now() < deadline, "the builds never finished");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for create in creates {
        create.await.unwrap().expect("built");
    }
    assert_eq!(seen.len(), 6, "every image was built: {seen:?}");
    assert_eq!(most, 2, "two at a time, never more (and not one by one)");
    let queued = session
        .log_lines()
        .into_iter()
        .filter(|(_, m)| m.contains("queued: 2 builds are running"))
        .count();
    assert!(queued >= 1, "a waiting build says it is queued");
}
