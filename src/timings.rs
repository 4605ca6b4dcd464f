//! Where an operation's time goes, for the benchmarks: when the
//! environment names a file in `DOCKER_BUILD_TIMINGS`, each timed phase
//! (hashing, registry calls, waiting for a build slot, the build process,
//! read-backs) appends one JSON line to it, `{"phase": "...", "ms": 12.5}`.
//! Unset (always, outside a benchmark) nothing is measured or written.
//!
//! Figures only: no phase name or value ever carries an input, so nothing
//! secret can reach the file.

use std::fs::File;
use std::io::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The variable that names the file.
pub const TIMINGS_FILE: &str = "DOCKER_BUILD_TIMINGS";

/// The open file, if the environment named one (opened on first use).
fn sink() -> Option<&'static Mutex<File>> {
    static SINK: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os(TIMINGS_FILE)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .inspect_err(|e| tracing::debug!("{TIMINGS_FILE}: cannot open it ({e})"))
            .ok()?;
        Some(Mutex::new(file))
    })
    .as_ref()
}

/// A phase that started now; [`Phase::end`] records it. Dropped without
/// `end` (an error or a cancellation cut it short), it records nothing.
#[must_use = "a phase is recorded by `end`"]
pub struct Phase {
    name: &'static str,
    started: Option<Instant>,
}

impl Phase {
    /// Starts timing `name`, if timings are wanted.
    pub fn start(name: &'static str) -> Phase {
        Phase {
            name,
            started: sink().map(|_| Instant::now()),
        }
    }

    /// Records the phase's duration.
    pub fn end(self) {
        let (Some(started), Some(sink)) = (self.started, sink()) else {
            return;
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let line = format!("{{\"phase\":\"{}\",\"ms\":{ms:.3}}}\n", self.name);
        let mut file = sink.lock().unwrap_or_else(|e| e.into_inner());
        // One write per line: lines from concurrent phases never interleave.
        let _ = file.write_all(line.as_bytes());
    }
}

/// Times `future` as the phase `name`, whatever it returns.
pub async fn timed<F: std::future::Future>(name: &'static str, future: F) -> F::Output {
    let phase = Phase::start(name);
    let output = future.await;
    phase.end();
    output
}
