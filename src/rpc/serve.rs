//! Serving the provider: the gRPC server on an already bound listener,
//! the log forwarder beside it, and a bounded graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;

use super::engine::forward_logs;
use super::pb::resource_provider_server::ResourceProviderServer;
use super::server::{InFlight, ProviderService};
use crate::logging::LogLine;
use crate::provider::Provider;

/// The engine and its SDKs allow messages up to 400 MiB; so do we.
pub const MAX_MESSAGE_SIZE: usize = 400 * 1024 * 1024;

/// How long in-flight calls get to finish after shutdown starts; the
/// engine kills the process group 5 s after its SIGINT.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest the queued log lines may take to reach the engine once the
/// server has stopped: a bound for an engine that no longer answers, not a
/// wait (the forwarder returns as soon as the queue is empty).
pub const LOG_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// Accepted connections with Nagle's algorithm off: small request and
/// response frames otherwise wait out the peer's delayed ACK (~40 ms a call).
fn without_nagle(
    incoming: TcpListenerStream,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt as _;
    incoming.map(|accepted| {
        if let Ok(stream) = &accepted {
            // Best effort: a socket that refuses still works, only slower.
            let _ = stream.set_nodelay(true);
        }
        accepted
    })
}

/// Serves `provider` on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    provider: Arc<Provider>,
    lines: mpsc::UnboundedReceiver<LogLine>,
    engine_address: Option<String>,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (address_tx, address_rx) = watch::channel(engine_address);
    let flush = CancellationToken::new();
    let forwarder = tokio::spawn(forward_logs(lines, address_rx, flush.clone()));
    let in_flight = InFlight::default();
    let service = ResourceProviderServer::new(ProviderService::new(
        provider,
        address_tx,
        in_flight.clone(),
    ))
    .max_decoding_message_size(MAX_MESSAGE_SIZE)
    .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let stop = shutdown.clone();
    let server = tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(
            without_nagle(TcpListenerStream::new(listener)),
            async move { stop.cancelled().await },
        );
    tokio::pin!(server);
    let result = tokio::select! {
        result = &mut server => result,
        // Idle connections would hold tonic's graceful shutdown open
        // forever; what matters is the calls still running.
        () = async {
            shutdown.cancelled().await;
            let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
            while in_flight.count() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if in_flight.count() > 0 {
                tracing::warn!("{} calls still running {DRAIN_TIMEOUT:?} after shutdown began; exiting anyway", in_flight.count());
            }
        } => Ok(())
    };
    // Deliver the lines queued so far, then exit: the engine waits for
    // this process to end before its next step.
    flush.cancel();
    if tokio::time::timeout(LOG_FLUSH_TIMEOUT, forwarder)
        .await
        .is_err()
    {
        eprintln!(
            "docker-build: the engine took over {LOG_FLUSH_TIMEOUT:?} to take the last log lines; exiting without them"
        );
    }
    result
}
