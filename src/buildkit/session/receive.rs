//! fsutil's DiffCopy, the receiving side, for an export to a directory:
//! the daemon sends every entry's stat (an empty stat ends them); we ask
//! for each regular file's content by the index of its stat, write it as
//! it arrives (an empty data packet ends a file), and say we are done once
//! the stats have ended and every file asked for is written. What the
//! directory held stays unless the export overwrites it, as buildx's
//! `local` output does; entries are owned by this process's user.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use prost::Message as _;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use crate::buildkit::pb::fsutil::types::{Packet, Stat, packet::PacketType};

/// The file type bits of a Go `os.FileMode` as fsutil sends it.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;
const MODE_TYPE: u32 = 0xFFF0_0000;

/// Receives the daemon's tree into `dir`, answering on `out`.
pub(super) async fn into_dir(
    dir: PathBuf,
    mut incoming: Streaming<Bytes>,
    out: mpsc::Sender<Result<Bytes, Status>>,
) {
    let mut receiver = Receiver {
        dir,
        next_id: 0,
        open: HashMap::new(),
        stats_done: false,
        token: crate::buildkit::new_id(),
    };
    let result = async {
        tokio::fs::create_dir_all(&receiver.dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", receiver.dir.display()))?;
        while let Some(message) = incoming.message().await.map_err(|e| e.to_string())? {
            let packet = Packet::decode(message).map_err(|e| e.to_string())?;
            if receiver.handle(packet, &out).await? {
                return Ok(());
            }
        }
        Err("the daemon stopped sending".to_owned())
    }
    .await;
    if let Err(error) = result {
        let packet = Packet {
            r#type: PacketType::PacketErr as i32,
            data: error.into_bytes(),
            ..Packet::default()
        };
        let _ = out.send(Ok(packet.encode_to_vec().into())).await;
    }
}

/// The state of one receive.
struct Receiver {
    dir: PathBuf,
    next_id: u32,
    /// Files asked for and not finished, by id: the file, its staging
    /// name and final path, and its stat.
    open: HashMap<u32, (tokio::fs::File, (PathBuf, PathBuf), Stat)>,
    stats_done: bool,
    /// Names this receive's staged entries apart from another's.
    token: String,
}

impl Receiver {
    /// Acts on one packet; `true` once the transfer is over.
    async fn handle(
        &mut self,
        packet: Packet,
        out: &mpsc::Sender<Result<Bytes, Status>>,
    ) -> Result<bool, String> {
        match PacketType::try_from(packet.r#type) {
            Ok(PacketType::PacketStat) => match packet.stat {
                Some(stat) => {
                    let id = self.next_id;
                    self.next_id += 1;
                    if self.create(id, stat).await? {
                        send(out, PacketType::PacketReq, id).await?;
                    }
                }
                None => self.stats_done = true,
            },
            Ok(PacketType::PacketData) => self.write(packet.id, &packet.data).await?,
            Ok(PacketType::PacketErr) => {
                return Err(format!(
                    "the daemon failed: {}",
                    String::from_utf8_lossy(&packet.data)
                ));
            }
            Ok(PacketType::PacketFin) => return Ok(true),
            _ => {}
        }
        if self.stats_done && self.open.is_empty() {
            // Everything asked for is written: done, and the daemon's FIN
            // ends the call.
            send(out, PacketType::PacketFin, 0).await?;
            self.stats_done = false;
        }
        Ok(false)
    }

    /// Makes the entry `stat` describes; `true` for a file whose content
    /// must be asked for.
    async fn create(&mut self, id: u32, stat: Stat) -> Result<bool, String> {
        let path = self.inside(&stat.path)?;
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        if stat.mode & MODE_DIR != 0 {
            tokio::fs::create_dir_all(&path).await.map_err(failed)?;
            set_permissions(&path, stat.mode & 0o7777)
                .await
                .map_err(failed)?;
            return Ok(false);
        }
        if stat.mode & MODE_TYPE & !MODE_SYMLINK != 0 {
            // Devices, pipes and sockets are not exported to a directory.
            return Ok(false);
        }
        // Every entry is made under a name of its own and renamed into
        // place, so what was there is replaced at once and two writers of
        // one directory (the nodes of a multi-node builder) never see each
        // other's half-written file.
        let staged = staging_name(&path, &self.token, id);
        let link = if stat.mode & MODE_SYMLINK != 0 {
            Some(tokio::fs::symlink(&stat.linkname, &staged).await)
        } else if !stat.linkname.is_empty() {
            // A hard link to a file still arriving links to it as staged.
            let target = self.inside(&stat.linkname)?;
            let target = self
                .open
                .values()
                .find(|(_, (_, final_path), _)| *final_path == target)
                .map_or(target, |(_, (staged, _), _)| staged.clone());
            Some(tokio::fs::hard_link(&target, &staged).await)
        } else {
            None
        };
        if let Some(made) = link {
            made.map_err(failed)?;
            tokio::fs::rename(&staged, &path).await.map_err(failed)?;
            return Ok(false);
        }
        let file = tokio::fs::File::create(&staged).await.map_err(failed)?;
        self.open.insert(id, (file, (staged, path), stat));
        Ok(true)
    }

    /// Appends to file `id`, or finishes it on empty data: its time and
    /// mode set through the open file, then renamed into place.
    async fn write(&mut self, id: u32, data: &[u8]) -> Result<(), String> {
        if !data.is_empty() {
            let (file, (_, path), _) = self
                .open
                .get_mut(&id)
                .ok_or_else(|| format!("data for a file not asked for ({id})"))?;
            return file
                .write_all(data)
                .await
                .map_err(|e| format!("cannot write {}: {e}", path.display()));
        }
        let Some((mut file, (staged, path), stat)) = self.open.remove(&id) else {
            return Err(format!("the end of a file not asked for ({id})"));
        };
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        file.flush().await.map_err(failed)?;
        let file = file.into_std().await;
        let modified =
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(stat.mod_time.max(0) as u64);
        file.set_modified(modified).map_err(failed)?;
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::Permissions::from_mode(stat.mode & 0o7777);
        file.set_permissions(mode).map_err(failed)?;
        drop(file);
        tokio::fs::rename(&staged, &path).await.map_err(failed)
    }

    /// `relative` under the directory, refusing a way out of it.
    fn inside(&self, relative: &str) -> Result<PathBuf, String> {
        let path = Path::new(relative);
        let escapes = path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
        if escapes || relative.is_empty() {
            return Err(format!(
                "the daemon sent a path outside the export: {relative}"
            ));
        }
        Ok(self.dir.join(path))
    }
}

/// A name beside `path` for the entry with `id` while it is made:
/// hidden, and this receive's own (`token`).
fn staging_name(path: &Path, token: &str, id: u32) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.receiving-{token}-{id}"))
}

async fn set_permissions(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).await
}

async fn send(
    out: &mpsc::Sender<Result<Bytes, Status>>,
    kind: PacketType,
    id: u32,
) -> Result<(), String> {
    let packet = Packet {
        r#type: kind as i32,
        id,
        ..Packet::default()
    };
    out.send(Ok(packet.encode_to_vec().into()))
        .await
        .map_err(|_| "the daemon stopped listening".to_owned())
}
