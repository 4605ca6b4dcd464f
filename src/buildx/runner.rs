//! Running `docker-buildx build` (or `bake`), only when
//! `DOCKER_BUILD_ENGINE=buildx` asks (the build engine,
//! `crate::buildkit::Engine`, builds everything itself), and the
//! [`Builder`] seam both implement. (The BuildKit dialer starts buildx
//! processes of its own: `dial-stdio`.)
//!
//! Arguments are passed as a vector (no shell), stdout and stderr are
//! drained concurrently (stderr carries the rawjson progress), the child
//! dies with its handle (`kill_on_drop`) and is killed as soon as the
//! operation is cancelled. A failure keeps the exit status and the log.

use std::path::Path;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::builders;
use super::engine_probe::{effective_host, engine_answers};
use futures_util::future::BoxFuture;

use super::docker_config::PrivateDockerConfig;
pub use super::error::BuildError;
use super::locate::{dies_with_provider, find_buildx};
use super::plan::BuildPlan;
use super::progress::{BuildLog, ProgressParser, tail};
use super::request::BuildRequest;
use crate::credential::Credential;

/// One build to run.
pub struct BuildJob<'a> {
    /// What to build.
    pub request: &'a BuildRequest,
    /// The same, rendered for buildx.
    pub plan: &'a BuildPlan,
    /// The build's registry logins (the private Docker config holds them
    /// for buildx).
    pub credentials: &'a [Credential],
    /// The Docker engine to build on (`DOCKER_HOST`), if not the default.
    pub host: Option<&'a str>,
    /// The working directory: relative paths resolve against it.
    pub cwd: &'a Path,
    /// Cancelled when the operation must stop.
    pub cancel: CancellationToken,
    /// Receives progress lines as they happen.
    pub on_status: &'a (dyn Fn(&str) + Send + Sync),
}

/// What a successful build produced.
#[derive(Debug)]
pub struct BuildOutcome {
    /// buildx's metadata file (`containerimage.digest` and friends).
    pub metadata: serde_json::Value,
    /// The build's steps, log, warnings and cache results.
    pub log: BuildLog,
}

impl BuildOutcome {
    /// The pushed manifest or index digest, if anything was exported.
    pub fn digest(&self) -> Option<&str> {
        self.metadata
            .get("containerimage.digest")
            .and_then(serde_json::Value::as_str)
    }
}

/// Runs builds. The real one execs buildx; tests may substitute others.
pub trait Builder: Send + Sync {
    /// Runs `job` to completion, failure or cancellation.
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>>;
}

/// The real builder: `docker-buildx build`.
#[derive(Debug, Default)]
pub struct Buildx;

impl Builder for Buildx {
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>> {
        Box::pin(run(job))
    }
}

async fn run(job: BuildJob<'_>) -> Result<BuildOutcome, BuildError> {
    let program = find_buildx().map_err(|searched| BuildError::BuildxMissing { searched })?;
    // buildx gets the build's logins from a private Docker config, served
    // by the provider's own binary as credential helper.
    let private = match job.credentials.is_empty() {
        true => None,
        false => Some(
            PrivateDockerConfig::create(job.credentials)
                .map_err(|error| BuildError::PrivateConfig { error })?,
        ),
    };
    let docker_config = private.as_ref().map(PrivateDockerConfig::path);
    let mut child = command(&program, &job, docker_config)
        .spawn()
        .map_err(|source| BuildError::Spawn {
            program: program.clone(),
            source,
        })?;
    if let (Some(text), Some(mut stdin)) = (job.plan.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            // A failed write shows up as buildx's own error.
            let _ = stdin.write_all(text.as_bytes()).await;
        });
    }
    let finished = async {
        let stdout = child.stdout.take().expect("stdout was piped");
        let stderr = child.stderr.take().expect("stderr was piped");
        let (stdout, log) = tokio::join!(drain(stdout), follow_progress(stderr, job.on_status));
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, stdout, log?))
    };
    let (status, stdout, log) = tokio::select! {
        biased;
        () = job.cancel.cancelled() => {
            // Dropping `finished` drops the child handle: kill_on_drop.
            return Err(BuildError::Cancelled);
        }
        result = finished => result?,
    };

    if !status.success() {
        let host = effective_host(job.host);
        // Only the engine's own builder dies with the engine; a named
        // builder may live elsewhere.
        let engine_gone = job.plan.builder.is_none() && engine_answers(&host).await == Some(false);
        let failure = Failure {
            status,
            log: &log,
            stdout: &stdout,
            host,
            engine_gone,
            workdir: job.plan.metadata_file.parent(),
            builder: job.plan.builder.as_deref(),
            docker_config,
        };
        return Err(failure.classify());
    }
    let metadata = read_metadata(&job.plan.metadata_file, job.plan.bake_target).await?;
    Ok(BuildOutcome { metadata, log })
}

/// The buildx command for `job`: its plan's arguments and environment,
/// the private Docker config, and the engine or Docker context to use.
fn command(
    program: &Path,
    job: &BuildJob<'_>,
    docker_config: Option<&Path>,
) -> tokio::process::Command {
    let mut command = dies_with_provider(program);
    command
        .args(&job.plan.argv)
        .current_dir(job.cwd)
        .stdin(if job.plan.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Progress is what we parse; never a TTY UI or colour codes.
        .env("BUILDKIT_PROGRESS", "rawjson")
        .env("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
        // buildx runs git in a local context for provenance, which is off
        // (`--provenance false`): a process per build for nothing.
        .env("BUILDX_GIT_INFO", "0");
    if let Some(config) = docker_config {
        super::docker_config::point_at(&mut command, config);
    }
    if let Some(host) = job.host.filter(|h| !h.is_empty()) {
        command.env("DOCKER_HOST", host);
    }
    if let Some(context) = job
        .plan
        .builder
        .as_deref()
        .filter(|name| is_docker_context(name, docker_config))
    {
        // A Docker context is a builder of the `docker` driver, but buildx
        // only builds on the current context's: make it the current one.
        // The context names its engine, so DOCKER_HOST must not compete.
        command
            .env("DOCKER_CONTEXT", context)
            .env_remove("DOCKER_HOST");
    }
    for (name, value) in &job.plan.secret_env {
        command.env(name, value);
    }
    command
}

/// Everything on `stdout` (buildx prints little there; read so it never
/// blocks).
async fn drain(mut stdout: impl tokio::io::AsyncRead + Unpin) -> Vec<u8> {
    let mut sink = Vec::new();
    let _ = stdout.read_to_end(&mut sink).await;
    sink
}

/// The progress stream on `stderr`, folded into a log; each status line
/// goes to `on_status` as it arrives.
async fn follow_progress(
    mut stderr: impl tokio::io::AsyncRead + Unpin,
    on_status: &(dyn Fn(&str) + Send + Sync),
) -> std::io::Result<BuildLog> {
    let mut parser = ProgressParser::default();
    let mut log = BuildLog::default();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = stderr.read(&mut buffer).await?;
        let events = if read == 0 {
            parser.finish()
        } else {
            parser.feed(&buffer[..read])
        };
        for event in &events {
            if let Some(line) = log.record(event) {
                on_status(&line);
            }
        }
        if read == 0 {
            return Ok(log);
        }
    }
}

/// The build's metadata; a bake's file holds it under the target's name.
async fn read_metadata(
    path: &Path,
    bake_target: Option<&str>,
) -> Result<serde_json::Value, BuildError> {
    let failure = |detail: String| BuildError::Metadata {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| failure(e.to_string()))?;
    let mut metadata: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| failure(e.to_string()))?;
    match bake_target {
        None => Ok(metadata),
        Some(target) => match metadata.get_mut(target) {
            Some(entry) => Ok(entry.take()),
            None => Err(failure(format!("no entry for the bake target `{target}`"))),
        },
    }
}

/// Whether `name` is a Docker context in the configuration buildx will
/// read (contexts are stored under the SHA-256 of their name).
fn is_docker_context(name: &str, private_config: Option<&Path>) -> bool {
    use sha2::Digest as _;
    let dir = private_config
        .map(Path::to_path_buf)
        .or_else(crate::credential::host_config_dir);
    let Some(dir) = dir else {
        return false;
    };
    let digest = sha2::Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    dir.join("contexts/meta")
        .join(hex)
        .join("meta.json")
        .is_file()
}

/// A failed buildx run, with what is needed to say why.
struct Failure<'a> {
    status: ExitStatus,
    log: &'a BuildLog,
    stdout: &'a [u8],
    /// The engine the build ran on.
    host: String,
    /// Whether that engine stopped answering.
    engine_gone: bool,
    /// The provider's temporary directory for this build.
    workdir: Option<&'a Path>,
    /// The named builder, if any.
    builder: Option<&'a str>,
    /// The Docker configuration buildx read.
    docker_config: Option<&'a Path>,
}

impl Failure<'_> {
    fn classify(self) -> BuildError {
        let plain = self.log.plain.join("\n");
        self.builder_problem(&plain)
            .or_else(|| self.machine_problem(&plain))
            .unwrap_or_else(|| self.build_failure(&plain))
    }

    /// A named builder that does not exist or does not answer.
    fn builder_problem(&self, plain: &str) -> Option<BuildError> {
        let name = self.builder?;
        if builders::says_unknown_builder(plain, name) {
            return Some(BuildError::UnknownBuilder {
                name: name.to_owned(),
                known: builders::known_builders(self.docker_config),
            });
        }
        builders::says_builder_unreachable(plain).then(|| BuildError::BuilderUnreachable {
            name: name.to_owned(),
            detail: last_error_line(plain),
        })
    }

    /// A problem of the machine, not the build: no engine, an engine that
    /// went away, a full disk, a builder that cannot export caches.
    fn machine_problem(&self, plain: &str) -> Option<BuildError> {
        let host = || self.host.clone();
        if plain.contains("Cannot connect to the Docker daemon")
            || plain.contains("error during connect")
        {
            return Some(BuildError::EngineUnreachable {
                host: host(),
                detail: last_error_line(plain),
            });
        }
        if self.engine_gone {
            let detail = self
                .log
                .failure_report()
                .unwrap_or_else(|| last_error_line(plain));
            return Some(BuildError::EngineStopped {
                host: host(),
                detail,
            });
        }
        if let Some(dir) = self.workdir.filter(|dir| {
            plain.contains("no space left on device")
                && plain.contains(dir.to_string_lossy().as_ref())
        }) {
            return Some(BuildError::NoSpace {
                dir: dir.to_path_buf(),
                detail: last_error_line(plain),
            });
        }
        let lower = plain.to_lowercase();
        (lower.contains("cache export") && lower.contains("not supported")).then(|| {
            BuildError::CacheExportUnsupported {
                detail: last_error_line(plain),
            }
        })
    }

    /// The build itself failed: the failing step, or the output's tail.
    fn build_failure(self, plain: &str) -> BuildError {
        let report = self.log.failure_report().unwrap_or_else(|| {
            let stdout = String::from_utf8_lossy(self.stdout);
            let text = if plain.trim().is_empty() {
                stdout.trim().to_owned()
            } else {
                plain.to_owned()
            };
            tail(&text, 30)
        });
        BuildError::Failed {
            status: self.status.to_string(),
            report,
            transcript: self.log.transcript(),
        }
    }
}

fn last_error_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("ERROR: ").to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    fn failure<'a>(log: &'a BuildLog, engine_gone: bool, workdir: &'a Path) -> Failure<'a> {
        Failure {
            status: ExitStatus::from_raw(1 << 8),
            log,
            stdout: b"",
            host: "unix:///run/engine.sock".into(),
            engine_gone,
            workdir: Some(workdir),
            builder: None,
            docker_config: None,
        }
    }

    fn log_of(lines: &[&str]) -> BuildLog {
        let mut log = BuildLog::default();
        log.plain = lines.iter().map(|l| (*l).to_owned()).collect();
        log
    }

    #[test]
    fn a_build_whose_engine_went_away_says_so() {
        let log = log_of(&["ERROR: error committing abc: database not open"]);
        let error = failure(&log, true, Path::new("/tmp/w")).classify();
        assert!(matches!(error, BuildError::EngineStopped { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("unix:///run/engine.sock stopped answering"),
            "{text}"
        );
        assert!(text.contains("database not open"), "{text}");
    }

    #[test]
    fn a_full_disk_under_our_temporary_files_is_named() {
        let log = log_of(&["ERROR: write /tmp/w/.tmp-metadata.json1: no space left on device"]);
        let error = failure(&log, false, Path::new("/tmp/w")).classify();
        assert!(matches!(error, BuildError::NoSpace { .. }), "{error}");
        assert!(error.to_string().contains("TMPDIR"), "{error}");
        // The engine's own disk filling up is the build's failure, not ours.
        let log = log_of(&["ERROR: write /var/lib/docker/x: no space left on device"]);
        let error = failure(&log, false, Path::new("/tmp/w")).classify();
        assert!(matches!(error, BuildError::Failed { .. }), "{error}");
    }

    #[test]
    fn a_manifest_refused_during_a_concurrent_push_is_recognised() {
        let refused = "step `exporting to image` failed: failed to push r:5000/app:1-plan9-386: failed commit on ref \"manifest-sha256:f2\": unexpected status from PUT request to http://r:5000/v2/app/manifests/1-plan9-386: 400 Bad Request";
        let failed = |report: &str| BuildError::Failed {
            status: ExitStatus::from_raw(1 << 8).to_string(),
            report: report.to_owned(),
            transcript: String::new(),
        };
        assert!(failed(refused).is_manifest_refused_mid_push());
        // A step of the build failing, or a push refused for lack of
        // rights, is not pushed again.
        assert!(!failed("step `RUN false` failed: exit code: 1").is_manifest_refused_mid_push());
        let unauthorized = refused.replace("400 Bad Request", "401 Unauthorized");
        assert!(!failed(&unauthorized).is_manifest_refused_mid_push());
        assert!(!BuildError::Cancelled.is_manifest_refused_mid_push());
    }

    #[test]
    fn a_named_builder_that_is_missing_or_silent_is_named() {
        let config = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(config.path().join("buildx/instances")).unwrap();
        std::fs::write(config.path().join("buildx/instances/fleet"), "{}").unwrap();
        let workdir = Path::new("/tmp/w");
        let missing = log_of(&["ERROR: no builder \"flet\" found"]);
        let mut failed = failure(&missing, false, workdir);
        failed.builder = Some("flet");
        failed.docker_config = Some(config.path());
        let error = failed.classify();
        assert!(
            error
                .to_string()
                .contains("no buildx builder or Docker context named `flet` (builder.name); there are: default, fleet."),
            "{error}"
        );
        let silent = log_of(&["ERROR: context deadline exceeded"]);
        let mut failed = failure(&silent, false, workdir);
        failed.builder = Some("fleet");
        let error = failed.classify();
        assert!(
            matches!(error, BuildError::BuilderUnreachable { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("the builder `fleet` did not answer (context deadline exceeded)"),
            "{error}"
        );
        // The engine's own builder timing out is not a builder's problem.
        let error = failure(&silent, false, workdir).classify();
        assert!(matches!(error, BuildError::Failed { .. }), "{error}");
    }
}
