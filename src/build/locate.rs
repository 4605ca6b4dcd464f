//! Finding the `docker-buildx` plugin binary.
//!
//! The provider runs the plugin directly (`docker-buildx build ...`) rather
//! than through the `docker` CLI: a private `DOCKER_CONFIG` holding
//! credentials would hide plugins installed under `~/.docker`, and the CLI
//! itself is then not needed at all.

use std::path::{Path, PathBuf};

/// Set to a `docker-buildx` binary to use it instead of searching.
pub const BUILDX_OVERRIDE: &str = "DOCKER_BUILD_BUILDX";

/// Where Docker looks for CLI plugins, most specific first.
pub fn candidates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(config) = std::env::var_os("DOCKER_CONFIG") {
        dirs.push(Path::new(&config).join("cli-plugins"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".docker/cli-plugins"));
    }
    for system in [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ] {
        dirs.push(PathBuf::from(system));
    }
    let mut files: Vec<PathBuf> = dirs.into_iter().map(|d| d.join("docker-buildx")).collect();
    if let Some(path) = std::env::var_os("PATH") {
        files.extend(std::env::split_paths(&path).map(|d| d.join("docker-buildx")));
    }
    files
}

/// The buildx binary to run, or every place that was searched.
pub fn find_buildx() -> Result<PathBuf, Vec<PathBuf>> {
    if let Some(explicit) = std::env::var_os(BUILDX_OVERRIDE) {
        let explicit = PathBuf::from(explicit);
        return if is_executable(&explicit) {
            Ok(explicit)
        } else {
            Err(vec![explicit])
        };
    }
    let searched = candidates();
    searched
        .iter()
        .find(|p| is_executable(p))
        .cloned()
        .ok_or(searched)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where `setpriv` (util-linux) is, if installed.
fn setpriv() -> Option<&'static Path> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|d| d.join("setpriv"))
                .find(|p| is_executable(p))
        })
        .as_deref()
}

/// A command running `program` that dies with the provider, however the
/// provider dies. `kill_on_drop` covers every orderly end; when the engine
/// kills the plugin outright (SIGKILL on a second Ctrl-C or a timeout), a
/// parent-death signal still stops the child, so no build goes on pushing
/// an image the engine was told failed. The signal is set by `setpriv
/// --pdeathsig KILL`, which then execs `program` in the same process
/// (this crate forbids the `unsafe` a `pre_exec` hook would need). It is
/// tied to the spawning thread: a runtime worker, alive as long as the
/// provider. Without `setpriv`, the child is spawned plainly.
pub fn dies_with_provider(program: &Path) -> tokio::process::Command {
    match setpriv() {
        Some(setpriv) => {
            let mut command = tokio::process::Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(program);
            command
        }
        None => {
            tracing::debug!("no setpriv: a provider killed outright leaves its buildx running");
            tokio::process::Command::new(program)
        }
    }
}
