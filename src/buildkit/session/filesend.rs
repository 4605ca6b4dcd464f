//! Files the daemon sends back: an exporter's tarball (`tar`, and
//! `docker` or `oci` with a destination), written where the export names,
//! or loaded into a Docker engine (`load` on a builder that is not the
//! engine's own).
//! The daemon opens one call per exporter, naming it by its index in the
//! solve (`buildkit-attachable-exporter-id`), sends the bytes and closes
//! its side; the answer is empty.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::super::pb::moby::filesync::v1 as filesync;
use super::filesync::first;
use super::load::Load;

/// Where an exporter's tarball goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A file.
    File(PathBuf),
    /// The Docker engine at this address (`unix://`, `tcp://`).
    Engine(String),
}

/// The FileSend service of one session: destinations by exporter index.
pub(super) struct FileSend {
    pub targets: Arc<BTreeMap<u32, Output>>,
}

#[tonic::async_trait]
impl filesync::file_send_server::FileSend for FileSend {
    type DiffCopyStream = ReceiverStream<Result<filesync::BytesMessage, Status>>;

    async fn diff_copy(
        &self,
        request: Request<Streaming<filesync::BytesMessage>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let id = first(request.metadata(), "buildkit-attachable-exporter-id")
            .and_then(|id| id.parse::<u32>().ok())
            .unwrap_or(0);
        let incoming = request.into_inner();
        match self.targets.get(&id) {
            Some(Output::File(path)) => to_file(path, incoming).await?,
            Some(Output::Engine(host)) => to_engine(host, incoming).await?,
            None => return Err(Status::not_found(format!("exporter {id} not found"))),
        }
        let (_, nothing) = tokio::sync::mpsc::channel(1);
        Ok(Response::new(ReceiverStream::new(nothing)))
    }
}

async fn to_file(
    path: &Path,
    mut incoming: Streaming<filesync::BytesMessage>,
) -> Result<(), Status> {
    let failed = |what: &str, e: std::io::Error| {
        Status::internal(format!("cannot {what} {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| failed("create the directory of", e))?;
    }
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| failed("create", e))?;
    while let Some(message) = incoming.message().await? {
        file.write_all(&message.data)
            .await
            .map_err(|e| failed("write", e))?;
    }
    file.flush().await.map_err(|e| failed("write", e))
}

async fn to_engine(
    host: &str,
    mut incoming: Streaming<filesync::BytesMessage>,
) -> Result<(), Status> {
    let failed = |e: std::io::Error| Status::unavailable(format!("loading into {host}: {e}"));
    let mut load = Load::start(host).await.map_err(failed)?;
    while let Some(message) = incoming.message().await? {
        load.write(&message.data).await.map_err(failed)?;
    }
    load.finish().await.map_err(Status::internal)
}
