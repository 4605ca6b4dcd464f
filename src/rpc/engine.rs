//! The engine's side channel: forwarding [`LogLine`]s to `Engine.Log`.
//!
//! The engine's address is known at start-up (the last command-line
//! argument) or later (Handshake, or Attach in debug mode); lines wait in
//! the channel until it is. A line that cannot be delivered is written to
//! stderr, which the engine keeps in its own logs.

use tokio::sync::{mpsc, watch};
use tonic::transport::Endpoint;

use super::pb;
use super::pb::engine_client::EngineClient;
use crate::logging::{LogLine, Severity};

/// Sends every line from `lines` to the engine at the address `address`
/// eventually holds, until `lines` closes.
pub async fn forward_logs(
    mut lines: mpsc::UnboundedReceiver<LogLine>,
    mut address: watch::Receiver<Option<String>>,
) {
    let target = loop {
        if let Some(target) = address.borrow_and_update().clone() {
            break target;
        }
        if address.changed().await.is_err() {
            return;
        }
    };
    let endpoint = match Endpoint::from_shared(with_scheme(&target)) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            eprintln!(
                "docker-build: engine address `{target}` is unusable ({e}); log lines go to stderr"
            );
            while let Some(line) = lines.recv().await {
                eprintln!("{}", line.message);
            }
            return;
        }
    };
    let mut client = EngineClient::new(endpoint.connect_lazy());
    while let Some(line) = lines.recv().await {
        let request = pb::LogRequest {
            severity: severity(line.severity) as i32,
            message: line.message.clone(),
            urn: line.urn,
            stream_id: 0,
            ephemeral: line.ephemeral,
        };
        if let Err(status) = client.log(request).await {
            eprintln!(
                "docker-build: engine log failed ({}): {}",
                status.code(),
                line.message
            );
        }
    }
}

/// The engine sends `host:port`; tonic needs a URL.
pub fn with_scheme(address: &str) -> String {
    if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    }
}

fn severity(severity: Severity) -> pb::LogSeverity {
    match severity {
        Severity::Debug => pb::LogSeverity::Debug,
        Severity::Info => pb::LogSeverity::Info,
        Severity::Warning => pb::LogSeverity::Warning,
        Severity::Error => pb::LogSeverity::Error,
    }
}
