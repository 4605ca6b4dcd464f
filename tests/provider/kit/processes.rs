//! This machine's processes as the tests look at them through `/proc`:
//! children and descendants, command lines and environments, whether one
//! is gone, and waiting for one to appear.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Process ids whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let parent = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if parent == Some(pid) {
            children.push(child);
        }
    }
    children
}

/// The command line of a process, arguments separated by spaces.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Whether a process is gone (or a zombie about to be reaped).
pub fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// Waits until some process of this machine has `needle` in its command
/// line; its pid.
pub async fn wait_for_process(needle: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
            .filter(|pid| *pid != std::process::id())
            .find(|pid| cmdline(*pid).contains(needle) && !is_gone(*pid));
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "no process runs {needle}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every process under `pid` (children, theirs, ...).
pub fn descendants_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(next) = queue.pop() {
        for child in children_of(next) {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

/// The command line and environment of `pid`, as text.
pub fn argv_and_environment(pid: u32) -> String {
    let environ = std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', "\n"))
        .unwrap_or_default();
    format!("{}\n{environ}", cmdline(pid))
}

/// Whether `pid` is a build or bake run of buildx (a `dial-stdio`, the
/// BuildKit connection, is not).
pub fn is_buildx_build(pid: u32) -> bool {
    let argv = cmdline(pid);
    argv.contains("docker-buildx") && (argv.contains(" build ") || argv.contains(" bake "))
}
