//! Running the real Pulumi CLI for the benchmarks that deploy programs
//! through it (included by each with `#[path]`): a private file backend
//! per stack, offline, no colour, and the engine's own gRPC log on demand.

// Each bench includes this file and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The CPU time of this process's waited-for children so far (the CLI and
/// everything it started and waited for: plugins, their build processes).
pub fn children_cpu() -> Duration {
    // cutime and cstime: fields 16 and 17 of stat(5).
    stat_cpu("/proc/self/stat", [16, 17])
}

/// The sum of two clock-tick `fields` (numbered as in stat(5)) of the
/// `/proc/<pid>/stat` file at `path`; zero if it cannot be read.
pub fn stat_cpu(path: &str, fields: [usize; 2]) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (field 2), which ends with the last `)`.
    let after_name: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields
        .iter()
        .filter_map(|&field| after_name.get(field - 3)?.parse::<u64>().ok())
        .sum();
    // USER_HZ is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

/// One stack of one program in a private file backend.
pub struct Stack {
    /// The program's directory (its `Pulumi.yaml`).
    pub program: PathBuf,
    /// The file backend's directory.
    pub backend: PathBuf,
}

impl Stack {
    /// `stack init bench` for `program` in a backend under `backend`.
    pub fn init(program: &Path, backend: &Path) -> Result<Stack, String> {
        std::fs::create_dir_all(backend).map_err(|e| format!("{}: {e}", backend.display()))?;
        let stack = Stack {
            program: program.to_path_buf(),
            backend: backend.to_path_buf(),
        };
        stack.run(&["stack", "init", "bench"], &[])?;
        Ok(stack)
    }

    /// `pulumi <args>` with `env` added (`PULUMI_DEBUG_GRPC` names a file
    /// for the engine's log of every gRPC call it makes); its wall time.
    pub fn run(&self, args: &[&str], env: &[(&str, &Path)]) -> Result<Duration, String> {
        let mut command = Command::new("pulumi");
        command
            .args(args)
            .args(["--non-interactive", "--color", "never", "--cwd"])
            .arg(&self.program)
            .env(
                "PULUMI_BACKEND_URL",
                format!("file://{}", self.backend.display()),
            )
            .env("PULUMI_CONFIG_PASSPHRASE", "bench")
            .env("PULUMI_SKIP_UPDATE_CHECK", "true")
            .env("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
            .env_remove("PULUMI_CONFIG_PASSPHRASE_FILE")
            .envs(env.iter().copied());
        let started = Instant::now();
        let output = command.output().map_err(|e| {
            format!("pulumi could not start ({e}): source the env file of scripts/test-env")
        })?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            return Err(format!(
                "pulumi {} failed:\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(elapsed)
    }
}

/// Per provider method (`Check`, `Create`, ...), the summed duration of
/// the calls the engine's gRPC log (`PULUMI_DEBUG_GRPC`) records; calls
/// that overlap count each.
pub fn provider_calls(log: &Path) -> Result<Vec<(String, Duration)>, String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut sums: std::collections::BTreeMap<String, Duration> = Default::default();
    for line in text.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}: {e}", log.display()))?;
        let Some(method) = entry["method"]
            .as_str()
            .and_then(|m| m.strip_prefix("/pulumirpc.ResourceProvider/"))
        else {
            continue;
        };
        if entry["progress"] == "response_completed" {
            *sums.entry(method.to_owned()).or_default() +=
                Duration::from_nanos(entry["duration"].as_u64().unwrap_or(0));
        }
    }
    Ok(sums.into_iter().collect())
}
