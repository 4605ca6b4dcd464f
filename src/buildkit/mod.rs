//! A client of BuildKit's own gRPC API (`moby.buildkit.v1.Control`) and
//! the build engine built on it. [`BuildkitClient`] reaches a builder
//! through one `buildx dial-stdio` connection (`dial`), asks the daemon
//! who it is and what it builds, and runs solves ([`Solve`]) with the
//! `dockerfile.v0` frontend, each with a session that serves the build's
//! directories, registry logins and secrets from memory (`session`).
//! [`Engine`] is the provider's build engine: a request translated
//! (`translate`) and solved on a connection kept per builder, with
//! buildx left for what it does not build yet.

mod classic_store;
mod dial;
mod engine;
mod engine_api;
mod engine_tls;
mod key_agent;
mod local_cache;
mod oci_layout;
mod pb;
mod session;
mod solve;
mod spread;
mod status;
mod translate;

pub use engine::Engine;

pub use session::{LocalDir, SessionSpec};
pub use solve::{Entry, Solve};

use std::path::Path;

use pb::moby::buildkit::v1::control_client::ControlClient;
use pb::moby::buildkit::v1::{InfoRequest, ListWorkersRequest};
use tokio::process::Child;
use tonic::transport::Channel;

/// Why BuildKit could not be reached or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum BuildkitError {
    /// The dialer (`buildx dial-stdio`) could not start.
    #[error("cannot start `buildx dial-stdio`: {source}")]
    Spawn {
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The builder's BuildKit could not be reached.
    #[error("cannot reach the BuildKit of {builder}: {why}")]
    Connect {
        /// The builder asked for.
        builder: String,
        /// The transport's error and the dialer's own words.
        why: String,
    },
    /// The daemon answered a call with an error.
    #[error("BuildKit answered {call} with {status}")]
    Call {
        /// The call.
        call: &'static str,
        /// Its status.
        status: Box<tonic::Status>,
    },
}

/// How long a failed call waits for the dialer to end, to give its reason.
const DIALER_EXIT_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// A fresh identifier for a session or a solve (BuildKit's are 25
/// random base-36 characters; any unique printable text will do).
fn new_id() -> String {
    use sha2::Digest as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!(
        "{}:{}:{}",
        std::process::id(),
        now.as_nanos(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let digest = sha2::Sha256::digest(seed.as_bytes());
    digest[..13]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..25]
        .to_owned()
}

/// How long [`BuildkitClient::answers`] waits.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// One BuildKit worker: its id and the platforms it builds for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// The worker's id.
    pub id: String,
    /// `os/arch[/variant]` of each platform it builds for.
    pub platforms: Vec<String>,
    /// Its labels (`org.mobyproject.buildkit.worker.executor`, ...).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Which BuildKit to reach, and how.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// buildx (`docker-buildx`), the dialer.
    pub buildx: &'a Path,
    /// The builder (`builder.name`); the current one when `None`.
    pub builder: Option<&'a str>,
    /// The node of a multi-node builder that builds this platform.
    pub platform: Option<&'a str>,
    /// The Docker engine (`DOCKER_HOST`), when not the default.
    pub host: Option<&'a str>,
}

impl Target<'_> {
    /// The builder as errors name it.
    fn builder_name(&self) -> String {
        self.builder.unwrap_or("the current builder").to_owned()
    }
}

/// A connection to one builder's BuildKit daemon. Calls share it: HTTP/2
/// runs them at once over the one connection.
pub struct BuildkitClient {
    control: ControlClient<Channel>,
    /// The builder, as errors name it.
    builder: String,
    /// The dialer; the connection ends with it.
    dialer: tokio::sync::Mutex<Child>,
}

impl BuildkitClient {
    /// Connects to the BuildKit `target` names.
    pub async fn connect(target: &Target<'_>) -> Result<BuildkitClient, BuildkitError> {
        let (channel, dialer) = dial::dial(target).await?;
        Ok(BuildkitClient {
            control: ControlClient::new(channel),
            builder: target.builder_name(),
            dialer: tokio::sync::Mutex::new(dialer),
        })
    }

    /// The error for a failed `call`: the dialer's own words when it has
    /// ended (no such builder, a daemon that refused the connection),
    /// else the daemon's status.
    async fn failed(&self, call: &'static str, status: tonic::Status) -> BuildkitError {
        // A dialer that gave up closes the pipes a moment before it exits;
        // the daemon's own errors come with other codes.
        let transport = matches!(
            status.code(),
            tonic::Code::Unknown | tonic::Code::Unavailable
        );
        if transport {
            let mut dialer = self.dialer.lock().await;
            let exited = tokio::time::timeout(DIALER_EXIT_WAIT, dialer.wait()).await;
            if exited.is_ok_and(|waited| waited.is_ok()) {
                return BuildkitError::Connect {
                    builder: self.builder.clone(),
                    why: dial::stderr_of(&mut dialer).await,
                };
            }
        }
        BuildkitError::Call {
            call,
            status: Box::new(status),
        }
    }

    /// Whether the dialer has ended (a builder removed or restarted, an
    /// engine stopped): the connection cannot carry another call.
    pub fn is_closed(&self) -> bool {
        match self.dialer.try_lock() {
            Ok(mut dialer) => !matches!(dialer.try_wait(), Ok(None)),
            // Someone is reading its last words: it has ended.
            Err(_) => true,
        }
    }

    /// Whether the connection still carries calls: the daemon answers
    /// within `PROBE_TIMEOUT`.
    pub async fn answers(&self) -> bool {
        let mut control = self.control.clone();
        let info = control.info(InfoRequest {});
        matches!(tokio::time::timeout(PROBE_TIMEOUT, info).await, Ok(Ok(_)))
    }

    /// The daemon's version (`v0.26.3`).
    pub async fn version(&self) -> Result<String, BuildkitError> {
        let info = match self.control.clone().info(InfoRequest {}).await {
            Ok(answer) => answer.into_inner(),
            Err(status) => return Err(self.failed("Info", status).await),
        };
        Ok(info.buildkit_version.map(|v| v.version).unwrap_or_default())
    }

    /// The daemon's workers and their platforms.
    pub async fn workers(&self) -> Result<Vec<Worker>, BuildkitError> {
        let request = ListWorkersRequest::default();
        let answer = match self.control.clone().list_workers(request).await {
            Ok(answer) => answer.into_inner(),
            Err(status) => return Err(self.failed("ListWorkers", status).await),
        };
        Ok(answer
            .record
            .into_iter()
            .map(|worker| Worker {
                id: worker.id,
                labels: worker.labels.into_iter().collect(),
                platforms: worker
                    .platforms
                    .into_iter()
                    .map(|p| match p.variant.as_str() {
                        "" => format!("{}/{}", p.os, p.architecture),
                        variant => format!("{}/{}/{variant}", p.os, p.architecture),
                    })
                    .collect(),
            })
            .collect())
    }
}
