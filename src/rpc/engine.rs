//! The engine's side channel: forwarding [`LogLine`]s to `Engine.Log`.
//!
//! The engine's address is known at start-up (the last command-line
//! argument) or later (Handshake, or Attach in debug mode); lines wait in
//! the channel until it is. A line that cannot be delivered is written to
//! stderr, which the engine keeps in its own logs.
//!
//! The tracing layer holds the channel's sender for the life of the
//! process, so the channel never closes: the forwarder stops when told to,
//! after delivering what is queued at that moment (flush, then stop), so a
//! plugin exits as soon as its last line is out, never after a fixed wait.

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tonic::transport::Endpoint;

use super::pb;
use super::pb::engine_client::EngineClient;
use crate::logging::{LogLine, Severity};

/// Sends every line from `lines` to the engine at the address `address`
/// eventually holds, until `lines` closes or `stop` is cancelled; then
/// delivers the lines already queued and returns. Lines that never had an
/// engine to go to are written to stderr.
pub async fn forward_logs(
    mut lines: mpsc::UnboundedReceiver<LogLine>,
    mut address: watch::Receiver<Option<String>>,
    stop: CancellationToken,
) {
    let target = loop {
        if let Some(target) = address.borrow_and_update().clone() {
            break Some(target);
        }
        tokio::select! {
            changed = address.changed() => if changed.is_err() { break None },
            () = stop.cancelled() => break None,
        }
    };
    let endpoint = target.and_then(|target| match Endpoint::from_shared(with_scheme(&target)) {
        Ok(endpoint) => Some(endpoint),
        Err(e) => {
            eprintln!(
                "docker-build: engine address `{target}` is unusable ({e}); log lines go to stderr"
            );
            None
        }
    });
    let Some(endpoint) = endpoint else {
        while let Some(line) = next_line(&mut lines, &stop).await {
            eprintln!("{}", line.message);
        }
        return;
    };
    let mut client = EngineClient::new(endpoint.connect_lazy());
    while let Some(line) = next_line(&mut lines, &stop).await {
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

/// The next line: waiting for one until `stop`, then only those queued.
async fn next_line(
    lines: &mut mpsc::UnboundedReceiver<LogLine>,
    stop: &CancellationToken,
) -> Option<LogLine> {
    if stop.is_cancelled() {
        return lines.try_recv().ok();
    }
    tokio::select! {
        biased;
        line = lines.recv() => line,
        () = stop.cancelled() => lines.try_recv().ok(),
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tonic::{Request, Response, Status};

    use super::*;
    use crate::rpc::pb::engine_server::{Engine, EngineServer};

    /// An engine that takes a while over each line and keeps them.
    #[derive(Clone, Default)]
    struct SlowEngine {
        received: Arc<Mutex<Vec<String>>>,
    }

    #[tonic::async_trait]
    impl Engine for SlowEngine {
        async fn log(&self, request: Request<pb::LogRequest>) -> Result<Response<()>, Status> {
            tokio::time::sleep(Duration::from_millis(30)).await;
            self.received
                .lock()
                .unwrap()
                .push(request.into_inner().message);
            Ok(Response::new(()))
        }

        async fn get_root_resource(
            &self,
            _: Request<pb::GetRootResourceRequest>,
        ) -> Result<Response<pb::GetRootResourceResponse>, Status> {
            Err(Status::unimplemented("not used"))
        }

        async fn set_root_resource(
            &self,
            _: Request<pb::SetRootResourceRequest>,
        ) -> Result<Response<pb::SetRootResourceResponse>, Status> {
            Err(Status::unimplemented("not used"))
        }

        async fn start_debugging(
            &self,
            _: Request<pb::StartDebuggingRequest>,
        ) -> Result<Response<()>, Status> {
            Err(Status::unimplemented("not used"))
        }

        async fn require_pulumi_version(
            &self,
            _: Request<pb::RequirePulumiVersionRequest>,
        ) -> Result<Response<pb::RequirePulumiVersionResponse>, Status> {
            Err(Status::unimplemented("not used"))
        }
    }

    fn line(message: &str) -> LogLine {
        LogLine {
            severity: Severity::Info,
            message: message.into(),
            urn: String::new(),
            ephemeral: false,
        }
    }

    /// Stopping delivers every line queued before it, then returns, while
    /// the sender (the tracing layer's) is still alive.
    #[tokio::test]
    async fn stop_flushes_the_queue_then_returns() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let engine = SlowEngine::default();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(EngineServer::new(engine.clone()))
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        let (sender, receiver) = mpsc::unbounded_channel();
        let (_address_tx, address_rx) = watch::channel(Some(address));
        let stop = CancellationToken::new();
        let forwarder = tokio::spawn(forward_logs(receiver, address_rx, stop.clone()));
        for n in 0..5 {
            sender.send(line(&format!("line {n}"))).unwrap();
        }
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), forwarder)
            .await
            .expect("the forwarder returns once the queue is delivered")
            .unwrap();
        let received = engine.received.lock().unwrap().clone();
        assert_eq!(received, ["line 0", "line 1", "line 2", "line 3", "line 4"]);
        // The sender lived throughout: stopping, not a closed channel, ended it.
        drop(sender);
    }

    /// With no engine address ever given, stopping returns at once.
    #[tokio::test]
    async fn stop_without_an_engine_returns() {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (_address_tx, address_rx) = watch::channel(None);
        let stop = CancellationToken::new();
        let forwarder = tokio::spawn(forward_logs(receiver, address_rx, stop.clone()));
        sender.send(line("to stderr")).unwrap();
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), forwarder)
            .await
            .expect("the forwarder returns")
            .unwrap();
    }
}
