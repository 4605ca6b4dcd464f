//! Loading an exported image into a Docker engine: the `docker`
//! exporter's tarball streamed as the body of the engine API's
//! `POST /images/load` (what `docker load` does), over the engine's unix
//! socket or plain TCP address, as it arrives from the daemon.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::buildkit::engine_api::{Connection, connect};

/// An image load in progress: the request is open, its body chunked.
pub(super) struct Load {
    connection: Box<dyn Connection>,
    host: String,
}

impl Load {
    /// Opens the request to the engine at `host`.
    pub async fn start(host: &str) -> std::io::Result<Load> {
        let connection = connect(host).await?;
        let mut load = Load {
            connection,
            host: host.to_owned(),
        };
        let head = "POST /images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        load.connection.write_all(head.as_bytes()).await?;
        Ok(load)
    }

    /// Sends the next part of the tarball.
    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let size = format!("{:x}\r\n", data.len());
        self.connection.write_all(size.as_bytes()).await?;
        self.connection.write_all(data).await?;
        self.connection.write_all(b"\r\n").await
    }

    /// Ends the body and reads the engine's answer; its error, if any.
    pub async fn finish(mut self) -> Result<(), String> {
        let failed = |e: std::io::Error| format!("loading into {} failed: {e}", self.host);
        self.connection
            .write_all(b"0\r\n\r\n")
            .await
            .map_err(failed)?;
        self.connection.flush().await.map_err(failed)?;
        let mut answer = Vec::new();
        self.connection
            .read_to_end(&mut answer)
            .await
            .map_err(|e| format!("loading into {} failed: {e}", self.host))?;
        let answer = String::from_utf8_lossy(&answer);
        let status = answer.split_whitespace().nth(1).unwrap_or_default();
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        if status != "200" || body.contains("\"errorDetail\"") {
            return Err(format!(
                "the engine at {} refused the image ({status}): {}",
                self.host,
                body.trim()
            ));
        }
        Ok(())
    }
}
