//! fsutil's DiffCopy, the sending side: the daemon opens one call per
//! local directory it needs (`dir-name`, with include, exclude and
//! follow patterns in the call's metadata); we send every selected
//! entry's stat, then an empty stat; the daemon asks for the content of
//! the files it does not already hold (by the index of their stat) and
//! says when it is done.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use super::super::pb::fsutil::types::{Packet, packet::PacketType};
use super::super::pb::moby::filesync::v1 as filesync;
use super::tree::{Content, Entry, Patterns, walk};

/// The largest chunk of a file in one message (the daemon accepts 16 MiB).
const CHUNK: usize = 1024 * 1024;

/// How many files are read and sent at once.
const PARALLEL_FILES: usize = 8;

/// A directory the session offers the daemon.
#[derive(Debug, Clone)]
pub enum LocalDir {
    /// A directory on disk.
    Path(std::path::PathBuf),
    /// One file held in memory (an inline Dockerfile), by name.
    File {
        /// Its name in the directory.
        name: String,
        /// Its content.
        bytes: Arc<Vec<u8>>,
    },
}

/// The FileSync service of one session.
pub(super) struct FileSync {
    pub dirs: Arc<BTreeMap<String, LocalDir>>,
}

type PacketStream = ReceiverStream<Result<Packet, Status>>;

#[tonic::async_trait]
impl filesync::file_sync_server::FileSync for FileSync {
    type DiffCopyStream = PacketStream;
    type TarStreamStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<PacketStream>, Status> {
        let name = first(request.metadata(), "dir-name").unwrap_or_default();
        let Some(dir) = self.dirs.get(&name).cloned() else {
            return Err(Status::not_found(format!(
                "no access allowed to dir {name:?}"
            )));
        };
        let patterns = Patterns {
            include: all(request.metadata(), "include-patterns"),
            exclude: all(request.metadata(), "exclude-patterns"),
            follow: all(request.metadata(), "followpaths"),
        };
        let entries = match dir {
            LocalDir::Path(path) => tokio::task::spawn_blocking(move || walk(&path, &patterns))
                .await
                .map_err(|e| Status::internal(e.to_string()))?
                .map_err(|e| Status::internal(format!("cannot read {name}: {e}")))?,
            LocalDir::File { name, bytes } => super::tree::single_file(&name, bytes),
        };
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(send(entries, request.into_inner(), sender));
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> Result<Response<PacketStream>, Status> {
        Err(Status::unimplemented("only diffcopy is served"))
    }
}

/// Sends the stats, then answers the daemon's requests until it is done.
async fn send(
    entries: Vec<Entry>,
    incoming: Streaming<Packet>,
    out: mpsc::Sender<Result<Packet, Status>>,
) {
    if let Some(contents) = send_stats(entries, &out).await {
        answer(contents, incoming, out).await;
    }
}

/// Every entry's stat, then the empty one that ends them; the content of
/// each file by its id. `None` when the daemon stopped listening.
async fn send_stats(
    entries: Vec<Entry>,
    out: &mpsc::Sender<Result<Packet, Status>>,
) -> Option<HashMap<u32, Content>> {
    let mut contents: HashMap<u32, Content> = HashMap::new();
    for (id, entry) in entries.into_iter().enumerate() {
        let id = id as u32;
        if !matches!(entry.content, Content::None) {
            contents.insert(id, entry.content);
        }
        let stat = Packet {
            r#type: PacketType::PacketStat as i32,
            stat: Some(entry.stat),
            ..Packet::default()
        };
        out.send(Ok(stat)).await.ok()?;
    }
    let last = Packet {
        r#type: PacketType::PacketStat as i32,
        ..Packet::default()
    };
    out.send(Ok(last)).await.ok()?;
    Some(contents)
}

/// Sends each file the daemon asks for, until it says it is done.
async fn answer(
    mut contents: HashMap<u32, Content>,
    mut incoming: Streaming<Packet>,
    out: mpsc::Sender<Result<Packet, Status>>,
) {
    // Files go out several at once, as fsutil's sender does: the daemon
    // asks for them one by one and each is a round trip through the
    // session.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(PARALLEL_FILES));
    let mut sending: JoinSet<Result<(), String>> = JoinSet::new();
    while let Ok(Some(packet)) = incoming.message().await {
        while let Some(done) = sending.try_join_next() {
            if let Err(error) = done.unwrap_or_else(|e| Err(e.to_string())) {
                let _ = out.send(Ok(error_packet(&error))).await;
                return;
            }
        }
        match PacketType::try_from(packet.r#type) {
            Ok(PacketType::PacketReq) => {
                let Some(content) = contents.remove(&packet.id) else {
                    let error = format!("invalid file id {}", packet.id);
                    let _ = out.send(Ok(error_packet(&error))).await;
                    return;
                };
                let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                    return;
                };
                let out = out.clone();
                sending.spawn(async move {
                    let sent = send_content(packet.id, content, &out).await;
                    drop(permit);
                    sent
                });
            }
            Ok(PacketType::PacketFin) => {
                while let Some(done) = sending.join_next().await {
                    if let Err(error) = done.unwrap_or_else(|e| Err(e.to_string())) {
                        let _ = out.send(Ok(error_packet(&error))).await;
                        return;
                    }
                }
                let fin = Packet {
                    r#type: PacketType::PacketFin as i32,
                    ..Packet::default()
                };
                let _ = out.send(Ok(fin)).await;
                return;
            }
            Ok(PacketType::PacketErr) => return,
            _ => {}
        }
    }
}

/// One file's content as data packets, then an empty one.
async fn send_content(
    id: u32,
    content: Content,
    out: &mpsc::Sender<Result<Packet, Status>>,
) -> Result<(), String> {
    let data = |data: Vec<u8>| Packet {
        r#type: PacketType::PacketData as i32,
        id,
        data,
        ..Packet::default()
    };
    let gone = || "the daemon stopped reading".to_owned();
    match content {
        Content::File(path) => {
            let failed = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
            let small = tokio::fs::metadata(&path).await.map_err(failed)?.len() <= CHUNK as u64;
            if small {
                // One trip to the blocking pool for the whole file.
                let whole = path.clone();
                let bytes = tokio::task::spawn_blocking(move || std::fs::read(whole))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(failed)?;
                if !bytes.is_empty() {
                    out.send(Ok(data(bytes))).await.map_err(|_| gone())?;
                }
            } else {
                let mut file = tokio::fs::File::open(&path).await.map_err(failed)?;
                loop {
                    let mut buffer = Vec::with_capacity(CHUNK);
                    let read = (&mut file)
                        .take(CHUNK as u64)
                        .read_to_end(&mut buffer)
                        .await
                        .map_err(failed)?;
                    if read == 0 {
                        break;
                    }
                    out.send(Ok(data(buffer))).await.map_err(|_| gone())?;
                }
            }
        }
        Content::Bytes(bytes) => {
            for chunk in bytes.chunks(CHUNK) {
                out.send(Ok(data(chunk.to_vec())))
                    .await
                    .map_err(|_| gone())?;
            }
        }
        Content::None => {}
    }
    out.send(Ok(data(Vec::new()))).await.map_err(|_| gone())
}

fn error_packet(message: &str) -> Packet {
    Packet {
        r#type: PacketType::PacketErr as i32,
        data: message.as_bytes().to_vec(),
        ..Packet::default()
    }
}

/// Every value of `key`, URL-decoded when the daemon marked it encoded
/// (`<key>-encoded`: what it does for values that are not plain ASCII).
fn all(metadata: &MetadataMap, key: &str) -> Vec<String> {
    let encoded = metadata
        .get(format!("{key}-encoded").as_str())
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v, "1" | "true" | "t" | "TRUE" | "True"));
    metadata
        .get_all(key)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| match encoded {
            true => percent_decode(v),
            false => v.to_owned(),
        })
        .collect()
}

/// The first value of `key`.
pub(super) fn first(metadata: &MetadataMap, key: &str) -> Option<String> {
    all(metadata, key).into_iter().next()
}

/// Go's `url.QueryUnescape`: `%XX` escapes and `+` as a space.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn encoded_values_decode_as_go_does() {
        assert_eq!(percent_decode("caf%C3%A9+x"), "café x");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
