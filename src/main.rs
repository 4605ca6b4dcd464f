//! The plugin binary: bind a port, tell the engine, serve until told to stop.
//!
//! Start-up order matters: the engine reads the port from the very first
//! line of stdout, so the listener is bound, the runtime started and the
//! signals caught (well under a millisecond), and the port printed before
//! anything else happens (logging set-up, schema parsing).

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::sync::Arc;

use docker_build::{cli, logging, provider::Provider, rpc};
use tokio_util::sync::CancellationToken;

fn main() -> std::process::ExitCode {
    let options = cli::parse(std::env::args().skip(1));
    let listener = match TcpListener::bind(("127.0.0.1", 0)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("docker-build: cannot listen on 127.0.0.1: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let port = match listener.local_addr() {
        Ok(address) => address.port(),
        Err(e) => {
            eprintln!("docker-build: cannot read the listening port: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The signal handlers are in place before anyone can know our port: a
    // SIGINT sent the moment the port is read is never lost.
    let (runtime, signals) = match runtime_with_signals() {
        Ok(ready) => ready,
        Err(e) => {
            eprintln!("docker-build: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{port}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return std::process::ExitCode::FAILURE;
        }
    }
    match run(&runtime, signals, listener, options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("docker-build: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// SIGINT and SIGTERM, as streams of the runtime's.
type Signals = (tokio::signal::unix::Signal, tokio::signal::unix::Signal);

/// The runtime, with SIGINT and SIGTERM already caught.
fn runtime_with_signals() -> std::io::Result<(tokio::runtime::Runtime, Signals)> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let signals = {
        // Signal streams belong to a runtime: create them inside it.
        let _inside = runtime.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok((runtime, signals))
}

fn run(
    runtime: &tokio::runtime::Runtime,
    signals: Signals,
    listener: TcpListener,
    options: cli::Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let lines = logging::init(options.verbosity, options.log_to_stderr);
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        // `work` stops operations (Cancel or a signal); `shutdown` stops the
        // server (a signal only), so a Cancel never drops a connection.
        let work = CancellationToken::new();
        let shutdown = CancellationToken::new();
        let base = std::env::current_dir()?;
        let provider = Arc::new(Provider::new(base, work.clone()));
        tokio::spawn(stop_on_signals(signals, work, shutdown.clone()));
        rpc::serve(listener, provider, lines, options.engine, shutdown).await?;
        Ok(())
    })
}

/// SIGINT (the engine's, sent to the process group) or SIGTERM: cancel the
/// work in flight and shut the server down.
async fn stop_on_signals(
    (mut interrupt, mut terminate): Signals,
    work: CancellationToken,
    shutdown: CancellationToken,
) {
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::debug!("signal received: cancelling work and shutting down");
    work.cancel();
    shutdown.cancel();
}
