//! The build engine speaks BuildKit's API itself: builds of every kind
//! start no `buildx build` or `bake` (a wrapper around buildx records
//! every command line; only `dial-stdio`, the connection to a builder,
//! may appear), and each still does its job. By topic: contexts, outputs,
//! engines and builders, platforms, SSH.

mod contexts;
mod engines;
mod outputs;
mod platforms;
mod ssh;

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::harness::{Session, registry, registry_tags, require_engine, start_with_env, unique};

/// A `docker-buildx` that appends each command line to `log`, then runs
/// the real one.
fn recording_buildx(dir: &Path, log: &Path) -> PathBuf {
    let real = docker_build::build::locate::find_buildx().expect("buildx in the test environment");
    let script = dir.join("docker-buildx");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

async fn session_with_recording(dir: &Path, work: &Path) -> (Session, PathBuf) {
    let log = work.join("argv.log");
    let buildx = recording_buildx(work, &log);
    let buildx_text = buildx.display().to_string();
    let session = start_with_env(dir, &[("DOCKER_BUILD_BUILDX", buildx_text.as_str())]).await;
    (session, log)
}

/// Every recorded buildx run was a dial to a builder.
fn assert_only_dials(log: &Path) {
    let runs = std::fs::read_to_string(log).unwrap_or_default();
    assert!(runs.lines().count() >= 1, "a builder was dialed");
    for run in runs.lines() {
        assert!(
            run.starts_with("dial-stdio"),
            "a buildx run that is not a dial: {run}"
        );
    }
}

/// The content of `name` in the tarball at `path`.
fn file_in_tar(path: &Path, name: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let mut at = 0;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        let entry = String::from_utf8_lossy(&header[..100])
            .trim_end_matches('\0')
            .to_owned();
        if entry.is_empty() {
            return None;
        }
        let size_text = String::from_utf8_lossy(&header[124..136]);
        let size =
            usize::from_str_radix(size_text.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        if entry.trim_start_matches("./") == name {
            return Some(bytes[at + 512..at + 512 + size].to_vec());
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    None
}
