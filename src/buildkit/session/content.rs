//! The content store a build's local cache directories are, served to the
//! daemon (containerd's content API, the calls BuildKit's proxy store
//! makes): each directory an OCI layout, its blobs under
//! `blobs/sha256/<hex>`, chosen by the call's `buildkit-attachable-store-id`
//! header (`local:<directory>`). A write lands in a temporary file next to
//! the blobs and becomes a blob only once its digest is checked; a blob
//! already there answers "already exists", which the daemon takes as done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::super::pb::containerd::services::content::v1 as api;
use super::filesync::first;

/// The largest piece of a blob in one message.
const CHUNK: usize = 1024 * 1024;

/// The content stores of one session: directories by store id.
pub(super) struct ContentStores {
    pub stores: Arc<BTreeMap<String, PathBuf>>,
}

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

impl ContentStores {
    fn chosen<T>(&self, request: &Request<T>) -> Result<PathBuf, Status> {
        let id = first(request.metadata(), "buildkit-attachable-store-id")
            .ok_or_else(|| Status::invalid_argument("the request names no content store"))?;
        self.stores
            .get(&id)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("unknown store {id}")))
    }
}

/// Where blob `digest` lives in the layout at `root`.
fn blob_path(root: &Path, digest: &str) -> Result<PathBuf, Status> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| Status::invalid_argument(format!("not a sha256 digest: {digest}")))?;
    Ok(root.join("blobs").join("sha256").join(hex))
}

#[tonic::async_trait]
impl api::content_server::Content for ContentStores {
    type ReadStream = Boxed<api::ReadContentResponse>;
    type WriteStream = Boxed<api::WriteContentResponse>;

    async fn info(
        &self,
        request: Request<api::InfoRequest>,
    ) -> Result<Response<api::InfoResponse>, Status> {
        let root = self.chosen(&request)?;
        let digest = request.into_inner().digest;
        let metadata = tokio::fs::metadata(blob_path(&root, &digest)?)
            .await
            .map_err(|_| Status::not_found(format!("content {digest}: not found")))?;
        let info = api::Info {
            digest,
            size: metadata.len() as i64,
            ..api::Info::default()
        };
        Ok(Response::new(api::InfoResponse { info: Some(info) }))
    }

    async fn read(
        &self,
        request: Request<api::ReadContentRequest>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        let root = self.chosen(&request)?;
        let asked = request.into_inner();
        let path = blob_path(&root, &asked.digest)?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|_| Status::not_found(format!("content {}: not found", asked.digest)))?;
        let offset = asked.offset.max(0) as u64;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let limit = match asked.size {
            size if size > 0 => size as u64,
            _ => u64::MAX,
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(send_blob(file.take(limit), offset, sender));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn status(
        &self,
        request: Request<api::StatusRequest>,
    ) -> Result<Response<api::StatusResponse>, Status> {
        let ref_name = request.into_inner().r#ref;
        Err(Status::not_found(format!(
            "no write in progress for {ref_name}"
        )))
    }

    async fn write(
        &self,
        request: Request<Streaming<api::WriteContentRequest>>,
    ) -> Result<Response<Self::WriteStream>, Status> {
        let root = self.chosen(&request)?;
        let mut incoming = request.into_inner();
        let first = incoming
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("an empty write"))?;
        if !first.expected.is_empty() && blob_path(&root, &first.expected)?.exists() {
            return Err(Status::already_exists(format!(
                "content {} already exists",
                first.expected
            )));
        }
        let ingest = Ingest::open(&root).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(ingest.serve(root, first, incoming, sender));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn abort(&self, _: Request<api::AbortRequest>) -> Result<Response<()>, Status> {
        // Each write's file goes when its stream ends uncommitted.
        Ok(Response::new(()))
    }
}

async fn send_blob(
    mut blob: tokio::io::Take<tokio::fs::File>,
    mut offset: u64,
    sender: tokio::sync::mpsc::Sender<Result<api::ReadContentResponse, Status>>,
) {
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let read = match blob.read(&mut buffer).await {
            Ok(0) => return,
            Ok(read) => read,
            Err(e) => {
                let _ = sender.send(Err(Status::internal(e.to_string()))).await;
                return;
            }
        };
        let message = api::ReadContentResponse {
            offset: offset as i64,
            data: buffer[..read].to_vec(),
        };
        if sender.send(Ok(message)).await.is_err() {
            return;
        }
        offset += read as u64;
    }
}

/// One write in progress: a temporary file beside the blobs, hashed as it
/// grows.
struct Ingest {
    file: tokio::fs::File,
    temporary: Option<tempfile::TempPath>,
    hash: Sha256,
    offset: i64,
}

impl Ingest {
    async fn open(root: &Path) -> Result<Ingest, Status> {
        let blobs = root.join("blobs").join("sha256");
        tokio::fs::create_dir_all(&blobs)
            .await
            .map_err(|e| Status::internal(format!("cannot create {}: {e}", blobs.display())))?;
        let named = tempfile::Builder::new()
            .prefix(".ingest-")
            .tempfile_in(&blobs)
            .map_err(|e| Status::internal(e.to_string()))?;
        let (file, temporary) = named.into_parts();
        Ok(Ingest {
            file: tokio::fs::File::from_std(file),
            temporary: Some(temporary),
            hash: Sha256::new(),
            offset: 0,
        })
    }

    /// Answers the write's messages, from the first, until it commits or
    /// its stream ends (then the temporary file goes).
    async fn serve(
        mut self,
        root: PathBuf,
        first: api::WriteContentRequest,
        mut incoming: Streaming<api::WriteContentRequest>,
        sender: tokio::sync::mpsc::Sender<Result<api::WriteContentResponse, Status>>,
    ) {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            let committing = message.action == api::WriteAction::Commit as i32;
            let answer = self.answer(&root, message).await;
            let failed = answer.is_err();
            if sender.send(answer).await.is_err() || failed || committing {
                return;
            }
            next = match incoming.message().await {
                Ok(Some(message)) => Some(message),
                _ => None,
            };
        }
    }

    async fn answer(
        &mut self,
        root: &Path,
        message: api::WriteContentRequest,
    ) -> Result<api::WriteContentResponse, Status> {
        let action = message.action;
        if action == api::WriteAction::Write as i32 || !message.data.is_empty() {
            if message.offset != self.offset {
                return Err(Status::invalid_argument(format!(
                    "write at {} where {} was expected",
                    message.offset, self.offset
                )));
            }
            self.file
                .write_all(&message.data)
                .await
                .map_err(|e| Status::internal(e.to_string()))?;
            self.hash.update(&message.data);
            self.offset += message.data.len() as i64;
        }
        let mut answer = api::WriteContentResponse {
            action,
            offset: self.offset,
            total: message.total,
            ..api::WriteContentResponse::default()
        };
        if action == api::WriteAction::Commit as i32 {
            answer.digest = self.commit(root, &message).await?;
        }
        Ok(answer)
    }

    /// Checks size and digest, then moves the file to its blob path.
    async fn commit(
        &mut self,
        root: &Path,
        message: &api::WriteContentRequest,
    ) -> Result<String, Status> {
        self.file
            .flush()
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        if message.total > 0 && message.total != self.offset {
            return Err(Status::failed_precondition(format!(
                "{} bytes written of {}",
                self.offset, message.total
            )));
        }
        let hash = std::mem::take(&mut self.hash).finalize();
        let digest = format!("sha256:{}", hex(&hash));
        if !message.expected.is_empty() && message.expected != digest {
            return Err(Status::failed_precondition(format!(
                "unexpected commit digest {digest}, expected {}",
                message.expected
            )));
        }
        let blob = blob_path(root, &digest)?;
        let temporary = self.temporary.take().expect("committed once");
        temporary
            .persist(&blob)
            .map_err(|e| Status::internal(format!("cannot store {}: {e}", blob.display())))?;
        Ok(digest)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
