//! A session's transport: BuildKit's `Control.Session` call is a stream of
//! byte messages each way, which carries one HTTP/2 connection on which
//! the client is the server. [`bridge`] turns the two message streams
//! into one byte stream for tonic's server.

use futures_util::FutureExt as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::Streaming;

use super::super::pb::moby::buildkit::v1::BytesMessage;

/// The largest message the bridge sends (well under the daemon's 16 MiB).
const MESSAGE_SIZE: usize = 256 * 1024;

/// How many bytes the bridge buffers each way.
const BRIDGE_BUFFER: usize = 1024 * 1024;

/// The byte stream the session's server reads and writes, and the tasks
/// that pump it to and from the call. The tasks end when either side
/// closes; they are aborted when the handles drop.
pub(super) struct Bridge {
    /// The server's end.
    pub stream: DuplexStream,
    /// Writes what the server wrote into the outgoing messages.
    pub outgoing: JoinHandle<()>,
    /// Where the incoming messages go, once the call has answered.
    pub far_writer: tokio::io::WriteHalf<DuplexStream>,
}

/// A bridge whose outgoing bytes become messages on `sender`.
pub(super) fn bridge(sender: mpsc::Sender<BytesMessage>) -> Bridge {
    let (near, far) = tokio::io::duplex(BRIDGE_BUFFER);
    let (mut far_reader, far_writer) = tokio::io::split(far);
    let outgoing = tokio::spawn(async move {
        loop {
            let mut buffer = vec![0u8; MESSAGE_SIZE];
            let mut filled = match far_reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            // HTTP/2 writes a frame's header and its payload apart: what
            // is already there goes into the same message, so the daemon
            // decodes one message per burst, not one per write.
            while filled < MESSAGE_SIZE {
                match far_reader.read(&mut buffer[filled..]).now_or_never() {
                    Some(Ok(n)) if n > 0 => filled += n,
                    _ => break,
                }
            }
            buffer.truncate(filled);
            if sender.send(BytesMessage { data: buffer }).await.is_err() {
                return;
            }
        }
    });
    Bridge {
        stream: near,
        outgoing,
        far_writer,
    }
}

/// Copies the daemon's messages into the server's stream until either
/// ends.
pub(super) async fn pump_incoming(
    mut incoming: Streaming<BytesMessage>,
    mut far_writer: tokio::io::WriteHalf<DuplexStream>,
) {
    while let Ok(Some(message)) = incoming.message().await {
        if far_writer.write_all(&message.data).await.is_err() {
            return;
        }
    }
    let _ = far_writer.shutdown().await;
}
