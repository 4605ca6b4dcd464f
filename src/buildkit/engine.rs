//! The build engine: each build as a solve on a BuildKit connection the
//! provider keeps (one per builder, engine and platform node, shared by
//! every build that goes there), with buildx left for what this client
//! does not build yet ([`super::translate::Unsupported`]), for a builder
//! it cannot reach (buildx then says precisely why) and for the classic
//! engine's store (no cache export there, as buildx reports it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::translate::{Daemon, solve_for};
use super::{BuildkitClient, BuildkitError, Target};
use crate::buildx::engine_probe::effective_host;
use crate::buildx::imagetools::ImagetoolsCreate;
use crate::buildx::locate::find_buildx;
use crate::buildx::progress::{BuildLog, Event};
use crate::buildx::{BuildError, BuildJob, BuildOutcome, Builder, Buildx};

/// Which connection a build uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    builder: Option<String>,
    host: Option<String>,
    platform: Option<String>,
}

/// A connection and what kind of daemon answers on it; `None` for one
/// only buildx builds on.
struct Connection {
    client: BuildkitClient,
    daemon: Option<Daemon>,
}

/// Builds through BuildKit's own API, buildx where it must.
#[derive(Default)]
pub struct Engine {
    buildx: Buildx,
    connections: tokio::sync::Mutex<HashMap<Key, Arc<Connection>>>,
}

impl Builder for Engine {
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>> {
        Box::pin(self.run(job))
    }

    fn join<'a>(&'a self, job: ImagetoolsCreate<'a>) -> BoxFuture<'a, Result<String, BuildError>> {
        self.buildx.join(job)
    }
}

impl Engine {
    async fn run(&self, job: BuildJob<'_>) -> Result<BuildOutcome, BuildError> {
        let key = Key {
            builder: job.plan.builder.clone(),
            host: job.host.filter(|h| !h.is_empty()).map(str::to_owned),
            platform: job.request.platforms.first().cloned(),
        };
        let Some(connection) = self.connection(&key).await else {
            return self.buildx.build(job).await;
        };
        let Some(daemon) = connection.daemon else {
            return self.buildx.build(job).await;
        };
        let engine = effective_host(job.host);
        let solve = match solve_for(job.request, job.cwd, daemon, &engine, job.credentials) {
            Ok(solve) => solve,
            Err(why) => {
                tracing::debug!("building with buildx: {} is not built natively yet", why.0);
                return self.buildx.build(job).await;
            }
        };
        let log = Mutex::new(BuildLog::default());
        let on_event = |event: Event| {
            let line = log.lock().unwrap_or_else(|e| e.into_inner()).record(&event);
            if let Some(line) = line {
                (job.on_status)(&line);
            }
        };
        let solved = tokio::select! {
            biased;
            () = job.cancel.cancelled() => return Err(BuildError::Cancelled),
            solved = connection.client.solve(solve, &on_event) => solved,
        };
        let log = log.into_inner().unwrap_or_else(|e| e.into_inner());
        match solved {
            Ok(response) => Ok(BuildOutcome {
                metadata: serde_json::json!(response),
                log,
            }),
            Err(BuildkitError::Call { status, .. }) if connection.client.answers().await => {
                Err(BuildError::Failed {
                    status: "BuildKit refused the build".into(),
                    report: log
                        .failure_report()
                        .unwrap_or_else(|| status.message().to_owned()),
                    transcript: log.transcript(),
                })
            }
            Err(other) => {
                // The connection is gone (a builder restarted, a daemon
                // or an engine stopped): the next build dials again.
                self.connections.lock().await.remove(&key);
                Err(unreachable(&key, other))
            }
        }
    }

    /// The connection for `key`, made on first use; `None` when buildx
    /// cannot be found or the builder cannot be reached.
    async fn connection(&self, key: &Key) -> Option<Arc<Connection>> {
        let mut connections = self.connections.lock().await;
        if let Some(connection) = connections.get(key) {
            return Some(Arc::clone(connection));
        }
        let buildx = find_buildx().ok()?;
        let target = Target {
            buildx: &buildx,
            builder: key.builder.as_deref(),
            platform: key.platform.as_deref(),
            host: key.host.as_deref(),
        };
        let client = BuildkitClient::connect(&target).await.ok()?;
        let workers = client.workers().await.ok()?;
        let connection = Arc::new(Connection {
            daemon: daemon_of(&workers),
            client,
        });
        connections.insert(key.clone(), Arc::clone(&connection));
        Some(connection)
    }
}

/// The kind of daemon behind `workers`: the engine's own BuildKit labels
/// its worker `...worker.moby.*`; on the classic image store (not
/// containerd) only buildx builds, so that the missing cache export is
/// reported as buildx reports it.
fn daemon_of(workers: &[super::Worker]) -> Option<Daemon> {
    let labels = workers.iter().flat_map(|w| w.labels.iter());
    let mut moby = false;
    let mut containerd = false;
    for (key, value) in labels {
        moby |= key.starts_with("org.mobyproject.buildkit.worker.moby.");
        containerd |= key == "org.mobyproject.buildkit.worker.executor" && value == "containerd";
    }
    match (moby, containerd) {
        (false, _) => Some(Daemon::Standalone),
        (true, true) => Some(Daemon::Moby),
        (true, false) => None,
    }
}

/// A connection that failed mid-build, as buildx would report it.
fn unreachable(key: &Key, error: BuildkitError) -> BuildError {
    match &key.builder {
        Some(name) => BuildError::BuilderUnreachable {
            name: name.clone(),
            detail: error.to_string(),
        },
        None => BuildError::EngineStopped {
            host: effective_host(key.host.as_deref()),
            detail: error.to_string(),
        },
    }
}
