//! Why a buildx run did not do its job: each failure a user can act on
//! named apart (no buildx, no engine, a builder missing or silent, a full
//! disk), the rest with the failing step.

use std::path::PathBuf;

/// Why a build did not produce an image.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No buildx plugin anywhere.
    #[error(
        "the docker buildx plugin was not found (looked for docker-buildx in {}). Install it (Debian/Ubuntu: `apt-get install docker-buildx`; Docker's own packages: docker-buildx-plugin), or set DOCKER_BUILD_BUILDX to its path",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    BuildxMissing {
        /// Where it was looked for.
        searched: Vec<PathBuf>,
    },
    /// The Docker engine did not answer.
    #[error(
        "cannot reach the Docker engine at {host}: {detail}. Start Docker, or point DOCKER_HOST (or the provider's `host` setting) at a running engine"
    )]
    EngineUnreachable {
        /// Where it was looked for.
        host: String,
        /// What buildx said.
        detail: String,
    },
    /// The Docker engine went away while the build ran.
    #[error(
        "the Docker engine at {host} stopped answering during the build ({detail}). Start it again and re-run; nothing was recorded"
    )]
    EngineStopped {
        /// The engine's address.
        host: String,
        /// buildx's last words.
        detail: String,
    },
    /// `builder.name` names no buildx builder or Docker context.
    #[error(
        "there is no buildx builder or Docker context named `{name}` (builder.name); there are: {}. Create it (`docker buildx create --name {name} ...`) or name one of those",
        .known.join(", ")
    )]
    UnknownBuilder {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// A named builder did not answer, or stopped answering mid-build.
    #[error(
        "the builder `{name}` did not answer ({detail}): its BuildKit daemon is stopped or unreachable, or it refused this client's TLS certificate. `docker buildx inspect --bootstrap {name}` shows its nodes and their state; start the daemon or fix its certificates, then run again"
    )]
    BuilderUnreachable {
        /// The builder.
        name: String,
        /// buildx's last error line.
        detail: String,
    },
    /// The builder cannot export a registry cache.
    #[error(
        "the builder cannot export a build cache: {detail}. Enable the containerd image store of the Docker engine (\"features\": {{\"containerd-snapshotter\": true}} in daemon.json), or select a docker-container or remote builder with `builder.name`, or turn the automatic cache off with `autoCache: false`"
    )]
    CacheExportUnsupported {
        /// What buildx said.
        detail: String,
    },
    /// The build ran and failed.
    #[error("the build failed ({status}): {report}")]
    Failed {
        /// buildx's exit status, or that BuildKit refused the solve.
        status: String,
        /// The failing step with its output, or buildx's last lines.
        report: String,
        /// The whole build log.
        transcript: String,
    },
    /// What the engine's own builder refuses on the classic image store
    /// (a multi-platform build, an OCI or Docker tarball), as buildx's
    /// `docker` driver words it.
    #[error("{detail}")]
    ClassicStoreRefuses {
        /// buildx's words.
        detail: String,
    },
    /// A request buildx would refuse too, refused before any build.
    #[error("{detail}")]
    Refused {
        /// What is wrong, naming it.
        detail: String,
    },
    /// The build's SSH key files could not be offered through an agent.
    #[error("{detail}")]
    SshKeys {
        /// Which key, and why.
        detail: String,
    },
    /// Stopped by Cancel, a signal or a timeout.
    #[error("the build was cancelled")]
    Cancelled,
}

impl BuildError {
    /// Whether the registry refused the pushed manifest with a 400 at the
    /// push step: what a registry answers when the manifest names a blob
    /// that another push into the same repository (another platform of
    /// the same image, sharing a layer) has not finished uploading. The
    /// build itself succeeded and is in the builder's cache, so pushing
    /// again is cheap and, once the other push is done, succeeds.
    pub fn is_manifest_refused_mid_push(&self) -> bool {
        match self {
            BuildError::Failed { report, .. } => {
                report.contains("exporting to image")
                    && report.contains("/manifests/")
                    && report.contains("400 Bad Request")
            }
            _ => false,
        }
    }
}
