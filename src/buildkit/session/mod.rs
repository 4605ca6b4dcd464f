//! A BuildKit session served from memory: what the daemon asks the client
//! for during a build. The client opens `Control.Session`, a stream of
//! bytes each way, and serves gRPC on it (the daemon is the caller): the
//! build's local directories (`filesync`, fsutil's DiffCopy over the
//! walk of `tree`), registry logins and build secrets (`answers`, from
//! memory: no secret is ever in a file, an environment or an argument),
//! and the health check the daemon runs on it. The session ends when its
//! handle drops.

mod answers;
mod conn;
mod content;
mod filesend;
mod filesync;
mod load;
mod raw_codec;
mod receive;
mod ssh;
mod tree;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

pub use filesend::Output;
pub use filesync::LocalDir;

use super::pb::containerd::services::content::v1::content_server::ContentServer;
use super::pb::grpc::health::v1::health_server::HealthServer;
use super::pb::moby::buildkit::secrets::v1::secrets_server::SecretsServer;
use super::pb::moby::buildkit::v1::control_client::ControlClient;
use super::pb::moby::filesync::v1::auth_server::AuthServer;
use super::pb::moby::filesync::v1::file_sync_server::FileSyncServer;
use super::pb::moby::sshforward::v1::ssh_server::SshServer;
use crate::credential::Credential;

/// What one build's session offers the daemon.
#[derive(Debug, Clone, Default)]
pub struct SessionSpec {
    /// Local directories by the name the frontend asks for (`context`,
    /// `dockerfile`, named contexts).
    pub dirs: BTreeMap<String, LocalDir>,
    /// Build secrets by id.
    pub secrets: BTreeMap<String, String>,
    /// Registry logins for this build (the host's Docker configuration
    /// answers for other registries).
    pub credentials: Vec<Credential>,
    /// Names the daemon's copy of the local directories, so the next
    /// build of the same directory sends only what changed.
    pub shared_key: String,
    /// Where each exporter that sends a file back writes it, by the
    /// exporter's index in the solve.
    pub outputs: BTreeMap<u32, Output>,
    /// SSH agent sockets by id (`RUN --mount=type=ssh`).
    pub ssh_agents: BTreeMap<String, std::path::PathBuf>,
    /// SSH key files by id, for an agent the engine starts for the build
    /// (its socket then joins `ssh_agents`).
    pub ssh_keys: BTreeMap<String, Vec<std::path::PathBuf>>,
    /// Content stores by id (`local:<directory>`): local cache
    /// directories, each an OCI layout.
    pub content_stores: BTreeMap<String, std::path::PathBuf>,
}

/// The methods a session serves, as the daemon asks whether it may call
/// them.
const METHODS: [&str; 16] = [
    "/moby.sshforward.v1.SSH/CheckAgent",
    "/moby.sshforward.v1.SSH/ForwardAgent",
    "/moby.filesync.v1.FileSync/DiffCopy",
    "/moby.filesync.v1.FileSend/DiffCopy",
    "/moby.filesync.v1.FileSync/TarStream",
    "/moby.filesync.v1.Auth/Credentials",
    "/moby.filesync.v1.Auth/FetchToken",
    "/moby.filesync.v1.Auth/GetTokenAuthority",
    "/moby.filesync.v1.Auth/VerifyTokenAuthority",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    "/grpc.health.v1.Health/Check",
    "/containerd.services.content.v1.Content/Info",
    "/containerd.services.content.v1.Content/Read",
    "/containerd.services.content.v1.Content/Status",
    "/containerd.services.content.v1.Content/Write",
    "/containerd.services.content.v1.Content/Abort",
];

/// A session attached to the daemon, ended when dropped.
pub(super) struct Session {
    /// The id a solve names.
    pub id: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Opens a session on `control` that serves `spec`.
pub(super) fn attach(mut control: ControlClient<Channel>, spec: SessionSpec) -> Session {
    let id = super::new_id();
    let (sender, receiver) = mpsc::channel(64);
    let bridge = conn::bridge(sender);
    let server = tonic::transport::Server::builder()
        .add_service(FileSyncServer::new(filesync::FileSync {
            dirs: Arc::new(spec.dirs),
        }))
        .add_service(filesend::FileSend {
            targets: Arc::new(spec.outputs),
        })
        .add_service(SshServer::new(ssh::Agents {
            sockets: Arc::new(spec.ssh_agents),
        }))
        .add_service(AuthServer::new(answers::Logins {
            explicit: Arc::new(spec.credentials),
        }))
        .add_service(SecretsServer::new(answers::Secrets {
            values: Arc::new(spec.secrets),
        }))
        .add_service(HealthServer::new(answers::Health))
        .add_service(ContentServer::new(content::ContentStores {
            stores: Arc::new(spec.content_stores),
        }));
    // One connection, and no end to the listening: the session ends by
    // being dropped.
    let incoming =
        futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(bridge.stream)))
            .chain(futures_util::stream::pending());
    let serving = tokio::spawn(async move {
        if let Err(error) = server.serve_with_incoming(incoming).await {
            tracing::debug!("the BuildKit session's server stopped: {error}");
        }
    });

    let mut request = tonic::Request::new(ReceiverStream::new(receiver));
    let headers = request.metadata_mut();
    let text = |value: &str| MetadataValue::try_from(value).expect("ASCII");
    headers.insert("x-docker-expose-session-uuid", text(&id));
    headers.insert("x-docker-expose-session-sharedkey", text(&spec.shared_key));
    for method in METHODS {
        headers.append("x-docker-expose-session-grpc-method", text(method));
    }
    let far_writer = bridge.far_writer;
    let call = tokio::spawn(async move {
        match control.session(request).await {
            Ok(answer) => conn::pump_incoming(answer.into_inner(), far_writer).await,
            Err(status) => tracing::debug!("BuildKit refused the session: {status}"),
        }
    });
    Session {
        id,
        tasks: vec![serving, call, bridge.outgoing],
    }
}
