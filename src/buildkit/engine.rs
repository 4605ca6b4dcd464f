//! The build engine: each build as a solve on a BuildKit connection the
//! provider keeps (one per builder, engine and platform node, shared by
//! every build that goes there); no buildx build or bake process, for any
//! request. What buildx refuses is refused before the build
//! ([`super::translate::Refused`]); a builder that cannot be dialed is
//! reported as buildx reports it. On the engine's classic image store it
//! refuses what buildx's `docker` driver refuses there, in its words.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::classic_store::{classic_store_refusal, push_from_engine, take_push};
use super::engine_api::reachable as engine_reachable;
use super::key_agent::KeyAgent;
use super::translate::{Daemon, Refused, solve_for};
use super::{BuildkitClient, BuildkitError, Target};
use crate::build::builders::{known_builders, says_unknown_builder};
use crate::build::engine_probe::effective_host;
use crate::build::extra_hosts::HOST_GATEWAY;
use crate::build::locate::find_buildx;
use crate::build::progress::{BuildLog, Event};
use crate::build::{BuildError, BuildJob, BuildOutcome, BuildRequest, Builder};
use crate::model::Reference;
use crate::model::platform::normalize_platform;

/// Which connection a build uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) builder: Option<String>,
    pub(super) host: Option<String>,
    pub(super) platform: Option<String>,
}

/// A connection, what kind of daemon answers on it, whether it is the
/// engine's builder on the classic image store, and the platforms its
/// workers build.
pub(super) struct Connection {
    client: BuildkitClient,
    /// The ids of its workers: which node of a builder answers.
    pub(super) node: String,
    daemon: Daemon,
    classic: bool,
    platforms: Vec<String>,
    /// The address of the Docker engine's host, when this is the engine's
    /// builder: what `addHosts`' `host-gateway` stands for.
    host_gateway: Option<String>,
}

/// Builds through BuildKit's own API, buildx where it must.
#[derive(Default)]
pub struct Engine {
    connections: tokio::sync::Mutex<HashMap<Key, Arc<Connection>>>,
}

impl Builder for Engine {
    fn build<'a>(&'a self, job: BuildJob<'a>) -> BoxFuture<'a, Result<BuildOutcome, BuildError>> {
        Box::pin(self.run(job))
    }
}

impl Engine {
    async fn run(&self, job: BuildJob<'_>) -> Result<BuildOutcome, BuildError> {
        let key = Key {
            builder: job.request.builder.clone(),
            host: job.host.filter(|h| !h.is_empty()).map(str::to_owned),
            // One platform picks its node of a multi-node builder; several
            // are built by one node that builds them all.
            platform: match job.request.platforms.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
        };
        let connection = self.connection(&key).await?;
        if connection.classic
            && let Some(refused) = classic_store_refusal(job.request)
        {
            return Err(refused);
        }
        if !builds_all(&connection.platforms, &job.request.platforms) {
            return self.spread(job, &key).await;
        }
        self.on_one_node(job, connection, key).await
    }

    /// Builds all of `job` on `connection` (dialed for `key`).
    pub(super) async fn on_one_node(
        &self,
        job: BuildJob<'_>,
        connection: Arc<Connection>,
        key: Key,
    ) -> Result<BuildOutcome, BuildError> {
        let engine = effective_host(job.host);
        let (mut solve, engine_push) = match self.prepare(&job, &connection, job.request).await {
            Ok(prepared) => prepared,
            Err(Refused(detail)) => return Err(BuildError::Refused { detail }),
        };
        let _agents = start_key_agents(&mut solve).await?;
        let log = Mutex::new(BuildLog::default());
        let response = self
            .solve_on((&connection, &key), solve, &log, &job)
            .await?;
        let outcome = BuildOutcome {
            metadata: serde_json::json!(response),
            log: log.into_inner().unwrap_or_else(|e| e.into_inner()),
        };
        match engine_push {
            Some(names) => push_from_engine(outcome, &names, &engine, &job).await,
            None => Ok(outcome),
        }
    }

    /// The solve for `request` (the job's, or one platform of it) on
    /// `connection`, and the names the engine must push after it (the
    /// classic store's builder cannot); why not, when this engine does not
    /// build it.
    pub(super) async fn prepare(
        &self,
        job: &BuildJob<'_>,
        connection: &Connection,
        request: &BuildRequest,
    ) -> Result<(super::Solve, Option<Vec<Reference>>), Refused> {
        let engine = effective_host(job.host);
        let daemon = connection.daemon;
        let mut solve = solve_for(request, job.cwd, daemon, &engine, job.credentials)?;
        resolve_host_gateway(&mut solve, connection.host_gateway.as_deref())?;
        fill_s3_credentials(&mut solve).await;
        let engine_push = match connection.classic {
            true => take_push(&mut solve, request),
            false => None,
        };
        if engine_push.is_some() && !engine_reachable(&engine) {
            return Err(Refused(format!(
                "the engine `{engine}` (host) is not a unix://, tcp:// or ssh:// address it can be asked to push from"
            )));
        }
        Ok((solve, engine_push))
    }

    /// Runs `solve` on `connection` (dialed for `key`), its events folded
    /// into `log` and its status lines to the job's; the exporter's
    /// response. A failure the daemon reported (the connection still
    /// answers) is the build's; any other is the connection's, which is
    /// dropped so the next build dials again (a builder restarted, a
    /// daemon or an engine stopped).
    pub(super) async fn solve_on(
        &self,
        (connection, key): (&Connection, &Key),
        solve: super::Solve,
        log: &Mutex<BuildLog>,
        job: &BuildJob<'_>,
    ) -> Result<std::collections::BTreeMap<String, String>, BuildError> {
        let on_event = |event: Event| {
            let line = log.lock().unwrap_or_else(|e| e.into_inner()).record(&event);
            if let Some(line) = line {
                (job.on_status)(&line);
            }
        };
        let indexes = solve.layout_indexes.clone();
        let solved = tokio::select! {
            biased;
            () = job.cancel.cancelled() => return Err(BuildError::Cancelled),
            solved = connection.client.solve(solve, &on_event) => solved,
        };
        match solved {
            Ok(response) => {
                record_layouts(&indexes, &response);
                Ok(response)
            }
            Err(BuildkitError::Call { status, .. }) if connection.client.answers().await => {
                let log = log.lock().unwrap_or_else(|e| e.into_inner());
                Err(BuildError::Failed {
                    status: "BuildKit refused the build".into(),
                    report: log
                        .failure_report()
                        .unwrap_or_else(|| status.message().to_owned()),
                    transcript: log.transcript(),
                })
            }
            Err(other) => {
                self.connections.lock().await.remove(key);
                Err(unreachable(key, other))
            }
        }
    }

    /// The connection for `key`, made on first use; why not, as buildx
    /// would have said it, when buildx cannot be found or the builder (or
    /// engine) cannot be reached.
    pub(super) async fn connection(&self, key: &Key) -> Result<Arc<Connection>, BuildError> {
        // A connection that died since its last build (the builder or the
        // engine restarted between deploys) is dialed again. The check is
        // one round trip, made without holding the map, so builds going
        // elsewhere never wait for it.
        let kept = self.connections.lock().await.get(key).cloned();
        if let Some(connection) = kept.clone()
            && !connection.client.is_closed()
            && connection.client.answers().await
        {
            return Ok(connection);
        }
        let mut connections = self.connections.lock().await;
        if let Some(current) = connections.get(key) {
            let redialed = kept.as_ref().is_none_or(|dead| !Arc::ptr_eq(dead, current));
            if redialed {
                // Another build dialed meanwhile.
                return Ok(Arc::clone(current));
            }
        }
        let buildx = find_buildx().map_err(|searched| BuildError::BuildxMissing { searched })?;
        let target = Target {
            buildx: &buildx,
            builder: key.builder.as_deref(),
            platform: key.platform.as_deref(),
            host: key.host.as_deref(),
        };
        let client = BuildkitClient::connect(&target)
            .await
            .map_err(|e| not_dialed(key, e))?;
        let workers = client.workers().await.map_err(|e| not_dialed(key, e))?;
        let (daemon, classic) = daemon_of(&workers);
        let host_gateway = (workers.iter()).find_map(|w| w.labels.get(HOST_GATEWAY_LABEL).cloned());
        let node = workers
            .iter()
            .map(|w| w.id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let connection = Arc::new(Connection {
            node,
            daemon,
            classic,
            platforms: workers.into_iter().flat_map(|w| w.platforms).collect(),
            host_gateway,
            client,
        });
        connections.insert(key.clone(), Arc::clone(&connection));
        Ok(connection)
    }
}

/// The worker label in which the Docker engine's builder gives its host's
/// address.
const HOST_GATEWAY_LABEL: &str = "org.mobyproject.buildkit.worker.moby.host-gateway-ip";

/// `host-gateway` in the solve's extra hosts as the address of the
/// engine's host, as buildx resolves it: only the Docker engine's builder
/// knows it.
fn resolve_host_gateway(solve: &mut super::Solve, gateway: Option<&str>) -> Result<(), Refused> {
    let Some(hosts) = solve.frontend_attrs.get_mut("add-hosts") else {
        return Ok(());
    };
    let mut resolved = Vec::new();
    for pair in hosts.split(',') {
        match pair.split_once('=') {
            Some((host, HOST_GATEWAY)) => {
                let address = gateway.ok_or_else(|| {
                    Refused(format!(
                        "`{host}:{HOST_GATEWAY}` (addHosts) needs the address of the Docker engine's host, which only the engine's own builder knows; this builder does not: give the address itself"
                    ))
                })?;
                resolved.push(format!("{host}={address}"));
            }
            _ => resolved.push(pair.to_owned()),
        }
    }
    *hosts = resolved.join(",");
    Ok(())
}

/// Whether a node with `platforms` builds every one `wanted` names; one
/// or none always goes to the node dialed for it.
fn builds_all(platforms: &[String], wanted: &[String]) -> bool {
    wanted.len() <= 1 || wanted.iter().all(|w| builds(platforms, w))
}

/// Whether a node with `platforms` builds `wanted` (as `os/arch`, or with
/// its variant).
fn builds(platforms: &[String], wanted: &str) -> bool {
    let wanted = normalize_platform(wanted);
    platforms.iter().map(|p| normalize_platform(p)).any(|p| {
        p == wanted
            || p.strip_prefix(&wanted)
                .is_some_and(|variant| variant.starts_with('/'))
    })
}

/// Updates the `index.json` of each OCI layout the solve wrote to. One
/// that cannot be updated costs the next build its cache (or the layout
/// its name), not this deploy: a warning.
fn record_layouts(
    indexes: &[super::oci_layout::IndexUpdate],
    response: &std::collections::BTreeMap<String, String>,
) {
    for update in indexes {
        if let Err(error) = super::oci_layout::record(update, response) {
            tracing::warn!(
                "could not update {}/index.json: {error}",
                update.dir.display()
            );
        }
    }
}

/// An agent for each `ssh` entry given as key files, its socket offered
/// under the entry's id; the agents stop when the returned list is dropped
/// (after the build).
pub(super) async fn start_key_agents(
    solve: &mut super::Solve,
) -> Result<Vec<KeyAgent>, BuildError> {
    let mut agents = Vec::new();
    for (id, keys) in std::mem::take(&mut solve.session.ssh_keys) {
        let agent = KeyAgent::start(&keys)
            .await
            .map_err(|detail| BuildError::SshKeys { detail })?;
        solve
            .session
            .ssh_agents
            .insert(id, agent.socket().to_path_buf());
        agents.push(agent);
    }
    Ok(agents)
}

/// An S3 cache entry without keys gets them from the AWS default chain,
/// as buildx fills it (only what is missing; a given pair keeps its own
/// session token).
async fn fill_s3_credentials(solve: &mut super::Solve) {
    let entries = solve
        .cache_imports
        .iter_mut()
        .chain(solve.cache_exports.iter_mut())
        .filter(|e| e.kind == "s3");
    let mut found = None;
    for entry in entries {
        let has_id = entry.attrs.contains_key("access_key_id");
        let has_key = entry.attrs.contains_key("secret_access_key");
        if has_id && has_key {
            continue;
        }
        if found.is_none() {
            found = Some(crate::ecr::default_aws_credentials().await);
        }
        let Some(Some((id, key, token))) = &found else {
            return;
        };
        if !has_id {
            entry.attrs.insert("access_key_id".into(), id.clone());
        }
        if !has_key {
            entry.attrs.insert("secret_access_key".into(), key.clone());
        }
        if let (false, Some(token)) = (entry.attrs.contains_key("session_token"), token) {
            entry.attrs.insert("session_token".into(), token.clone());
        }
    }
}

/// The kind of daemon behind `workers`, and whether it is the engine's on
/// the classic image store: the engine's own BuildKit labels its worker
/// `...worker.moby.*`, and its executor `containerd` only with the
/// containerd image store.
fn daemon_of(workers: &[super::Worker]) -> (Daemon, bool) {
    let labels = workers.iter().flat_map(|w| w.labels.iter());
    let mut moby = false;
    let mut containerd = false;
    for (key, value) in labels {
        moby |= key.starts_with("org.mobyproject.buildkit.worker.moby.");
        containerd |= key == "org.mobyproject.buildkit.worker.executor" && value == "containerd";
    }
    match (moby, containerd) {
        (false, _) => (Daemon::Standalone, false),
        (true, containerd) => (Daemon::Moby, !containerd),
    }
}

/// A builder or engine that could not be dialed, as buildx reports it: no
/// such builder (with the ones there are), a builder that does not
/// answer, an engine that cannot be reached.
fn not_dialed(key: &Key, error: BuildkitError) -> BuildError {
    let why = error.to_string();
    let last_line = why
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let detail = last_line.trim().trim_start_matches("ERROR: ").to_owned();
    match &key.builder {
        Some(name) if says_unknown_builder(&why, name) => BuildError::UnknownBuilder {
            name: name.clone(),
            known: known_builders(None),
        },
        Some(name) => BuildError::BuilderUnreachable {
            name: name.clone(),
            detail,
        },
        None => BuildError::EngineUnreachable {
            host: effective_host(key.host.as_deref()),
            detail,
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_gateway_is_the_engine_builders_host_address_or_refused() {
        let mut solve = super::super::Solve::default();
        let hosts = "db=10.0.0.2,gw=host-gateway";
        solve
            .frontend_attrs
            .insert("add-hosts".into(), hosts.into());
        let mut engine = solve.clone();
        resolve_host_gateway(&mut engine, Some("172.17.0.1")).unwrap();
        assert_eq!(
            engine.frontend_attrs["add-hosts"],
            "db=10.0.0.2,gw=172.17.0.1"
        );
        let Err(Refused(why)) = resolve_host_gateway(&mut solve, None) else {
            panic!("a builder without the label cannot resolve host-gateway");
        };
        assert!(why.contains("`gw:host-gateway` (addHosts)"), "{why}");
        let mut plain = super::super::Solve::default();
        resolve_host_gateway(&mut plain, None).unwrap();
        assert!(plain.frontend_attrs.is_empty());
    }

    #[test]
    fn several_platforms_go_native_only_to_a_node_that_builds_them_all() {
        let node = [
            "linux/amd64".to_owned(),
            "linux/amd64/v2".to_owned(),
            "linux/386".to_owned(),
        ];
        let wanted = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert!(builds_all(&node, &wanted(&["linux/amd64", "linux/386"])));
        assert!(builds_all(&node, &wanted(&["linux/amd64/v2", "linux/386"])));
        assert!(!builds_all(&node, &wanted(&["linux/amd64", "linux/arm64"])));
        assert!(!builds_all(&node, &wanted(&["linux/amd", "linux/386"])));
        assert!(
            builds_all(&node, &wanted(&["Linux/X86_64", "linux/i386"])),
            "as containerd normalizes them"
        );
        assert!(
            builds_all(&node, &wanted(&["linux/arm64"])),
            "one platform picks its node"
        );
    }
}
