//! Figures for the reliability summary that `scripts/test` prints after the
//! suite: inputs tried, crashes, faults survived, secret bytes found.
//!
//! Tests run in parallel threads of one process and in separate binaries,
//! so each figure is appended as one short line (`<name> <count>`) to a
//! shared file; `scripts/reliability-summary` adds them up.

use std::io::Write;
use std::path::PathBuf;

/// The file figures are appended to: `DOCKER_BUILD_FIGURES`, else one in
/// cargo's scratch directory for integration tests.
pub fn file() -> PathBuf {
    std::env::var_os("DOCKER_BUILD_FIGURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability-figures"))
}

/// Adds `count` to the figure `name` (`inputs`, `crashes`, `faults`,
/// `secret_bytes`).
pub fn record(name: &str, count: u64) {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file())
        .expect("the figures file can be appended to");
    // One write per line: appends this small are never interleaved.
    out.write_all(format!("{name} {count}\n").as_bytes())
        .unwrap();
}

/// How many bytes of `secret` appear in `haystack` (every occurrence counts
/// its full length).
pub fn secret_bytes(haystack: &str, secret: &str) -> u64 {
    if secret.is_empty() {
        return 0;
    }
    (haystack.matches(secret).count() * secret.len()) as u64
}
