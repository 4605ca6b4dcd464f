//! Stacks of many images: the bound on builds running at once, through the
//! plugin binary. The builds are a stand-in for `buildx build` that logs
//! when it starts and ends and sleeps in between; every other buildx call
//! goes to the real one.

use std::path::Path;

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{IMAGE_URN, project, start_with_env};

/// A `docker-buildx` whose builds only log `start`/`end` with the time in
/// nanoseconds into `log`, with `seconds` of sleep between.
fn timing_buildx(dir: &Path, log: &Path, seconds: f64) -> std::path::PathBuf {
    let real = docker_build::buildx::locate::find_buildx().expect("buildx in the test environment");
    let script = dir.join("docker-buildx");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = build ]; then\n  echo \"start $(date +%s%N)\" >> '{log}'\n  sleep {seconds}\n  echo \"end $(date +%s%N)\" >> '{log}'\n  echo 'ERROR: the timing stand-in builds nothing' >&2\n  exit 1\nfi\nexec '{real}' \"$@\"\n",
            log = log.display(),
            real = real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// The most builds that ran at once, from the stand-in's log.
fn most_at_once(log: &Path) -> usize {
    let mut events: Vec<(u128, i32)> = std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| {
            let (what, at) = line.split_once(' ').unwrap();
            (at.parse().unwrap(), if what == "start" { 1 } else { -1 })
        })
        .collect();
    // Ends sort before starts at the same instant.
    events.sort();
    let (mut running, mut most) = (0i32, 0i32);
    for (_, step) in events {
        running += step;
        most = most.max(running);
    }
    most as usize
}

#[tokio::test]
async fn with_a_bound_of_two_never_more_than_two_builds_run_at_once() {
    let dir = project();
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("builds.log");
    let buildx = timing_buildx(work.path(), &log, 0.6);
    let buildx_text = buildx.display().to_string();
    // The environment would allow six; the stack's setting wins. The
    // bound is the provider's, whichever engine builds: the stand-in
    // times buildx builds.
    let env = [
        ("DOCKER_BUILD_ENGINE", "buildx"),
        ("DOCKER_BUILD_BUILDX", buildx_text.as_str()),
        ("DOCKER_BUILD_MAX_PARALLEL_BUILDS", "6"),
    ];
    let mut session = start_with_env(dir.path(), &env).await;
    // Stack configuration arrives as text.
    session.configure(json!({"maxParallelBuilds": "2"})).await;
    let inputs = session.checked(json!({"push": false})).await;
    let creates: Vec<_> = (0..6)
        .map(|i| {
            let mut client = session.client.clone();
            let inputs = inputs.clone();
            tokio::spawn(async move {
                client
                    .create(pb::CreateRequest {
                        urn: IMAGE_URN.replace("::img", &format!("::img{i}")),
                        properties: Some(inputs),
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    for create in creates {
        let answer = create.await.unwrap();
        assert!(answer.is_err(), "the stand-in fails every build");
    }
    let builds = std::fs::read_to_string(&log).unwrap().lines().count() / 2;
    assert_eq!(builds, 6, "every image was built");
    assert_eq!(
        most_at_once(&log),
        2,
        "two at a time, never more (and not one by one)"
    );
    let queued = session
        .log_lines()
        .into_iter()
        .filter(|(_, m)| m.contains("queued: 2 builds are running"))
        .count();
    assert!(queued >= 1, "a waiting build says it is queued");
}
