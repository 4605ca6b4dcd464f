//! What the daemon sends back, on `FileSend/DiffCopy`: an exporter's
//! tarball (`tar`, and `docker` or `oci` with a destination), written where
//! the export names or loaded into a Docker engine (`load` on a builder
//! that is not the engine's own), or a directory (`local`, and `oci` or
//! `docker` with `tar=false`) as fsutil's packets, received into it.
//! The daemon opens one call per exporter, naming it by its index in the
//! solve (`buildkit-attachable-exporter-id`). Both kinds travel under one
//! declared message type, so the service is written out here with a codec
//! that leaves decoding to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use prost::Message as _;
use tokio::io::AsyncWriteExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::{Request, Response, Status, Streaming};

use super::filesync::first;
use super::load::Load;
use super::raw_codec::RawCodec;
use crate::buildkit::pb::moby::filesync::v1::BytesMessage;

/// Where an exporter's result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A tarball, to this file.
    File(PathBuf),
    /// A tarball, into the Docker engine at this address (`unix://`,
    /// `tcp://`).
    Engine(String),
    /// A file tree, into this directory (what is there stays unless the
    /// export overwrites it).
    Dir(PathBuf),
}

/// The FileSend service of one session: destinations by exporter index.
#[derive(Clone)]
pub(super) struct FileSend {
    pub targets: Arc<BTreeMap<u32, Output>>,
}

impl tonic::server::NamedService for FileSend {
    const NAME: &'static str = "moby.filesync.v1.FileSend";
}

type Answer = ReceiverStream<Result<Bytes, Status>>;

impl<B> Service<http::Request<B>> for FileSend
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move {
            if request.uri().path() != "/moby.filesync.v1.FileSend/DiffCopy" {
                let status = Status::unimplemented("only DiffCopy is served");
                return Ok(status.into_http());
            }
            let mut grpc = tonic::server::Grpc::new(RawCodec);
            Ok(grpc.streaming(DiffCopy(service), request).await)
        })
    }
}

/// One `DiffCopy` call.
struct DiffCopy(FileSend);

impl tonic::server::StreamingService<Bytes> for DiffCopy {
    type Response = Bytes;
    type ResponseStream = Answer;
    type Future = BoxFuture<Response<Answer>, Status>;

    fn call(&mut self, request: Request<Streaming<Bytes>>) -> Self::Future {
        let targets = Arc::clone(&self.0.targets);
        Box::pin(async move {
            let id = first(request.metadata(), "buildkit-attachable-exporter-id")
                .and_then(|id| id.parse::<u32>().ok())
                .unwrap_or(0);
            let incoming = request.into_inner();
            let (sender, receiver) = tokio::sync::mpsc::channel(64);
            match targets.get(&id) {
                Some(Output::File(path)) => to_file(path, tarball(incoming)).await?,
                Some(Output::Engine(host)) => to_engine(host, tarball(incoming)).await?,
                Some(Output::Dir(dir)) => {
                    let dir = dir.clone();
                    tokio::spawn(super::receive::into_dir(dir, incoming, sender));
                }
                None => return Err(Status::not_found(format!("exporter {id} not found"))),
            }
            Ok(Response::new(ReceiverStream::new(receiver)))
        })
    }
}

/// A tarball's pieces, as the `BytesMessage`s they arrive in.
fn tarball(
    incoming: Streaming<Bytes>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, Status>> + Unpin {
    incoming.map(|message| {
        let message = message?;
        BytesMessage::decode(message)
            .map(|m| m.data)
            .map_err(|e| Status::invalid_argument(format!("not an exporter's bytes: {e}")))
    })
}

async fn to_file(
    path: &Path,
    mut incoming: impl futures_util::Stream<Item = Result<Vec<u8>, Status>> + Unpin,
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
    while let Some(data) = incoming.next().await {
        file.write_all(&data?)
            .await
            .map_err(|e| failed("write", e))?;
    }
    file.flush().await.map_err(|e| failed("write", e))
}

async fn to_engine(
    host: &str,
    mut incoming: impl futures_util::Stream<Item = Result<Vec<u8>, Status>> + Unpin,
) -> Result<(), Status> {
    let failed = |e: std::io::Error| Status::unavailable(format!("loading into {host}: {e}"));
    let mut load = Load::start(host).await.map_err(failed)?;
    while let Some(data) = incoming.next().await {
        load.write(&data?).await.map_err(failed)?;
    }
    load.finish().await.map_err(Status::internal)
}
