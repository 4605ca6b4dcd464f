//! The [`Builder`] seam between the resources and the build engine
//! (`crate::buildkit::Engine`; tests substitute fakes): one typed
//! [`BuildRequest`] in, the exporter's response and the build's log out.

use std::path::Path;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use super::error::BuildError;
use super::progress::BuildLog;
use super::request::BuildRequest;
use crate::credential::Credential;

/// One build to run.
pub struct BuildJob<'a> {
    /// What to build.
    pub request: &'a BuildRequest,
    /// The build's registry logins, answered from memory.
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
    /// The exporter's response (`containerimage.digest` and friends).
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

/// Runs builds: the build engine, or a test's fake.
pub trait Builder: Send + Sync {
    /// Runs `job` to completion, failure or cancellation.
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>>;
}
