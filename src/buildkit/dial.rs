//! Reaching a builder's BuildKit: `docker buildx dial-stdio` proxies one
//! raw connection to the builder's daemon whatever its driver (the
//! engine's own BuildKit, a container, a remote daemon behind TLS), with
//! buildx's own configuration of the builder; its stdin and stdout become
//! the HTTP/2 transport of a tonic channel.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, Join};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tonic::transport::{Channel, Endpoint, Uri};

use super::{BuildkitError, DIALER_EXIT_WAIT, Target};
use crate::build::builders::is_only_a_context;
use crate::build::locate::dies_with_provider;

/// How often an idle or busy connection is pinged.
const KEEPALIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a ping may go unanswered before the connection is dropped.
const KEEPALIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The dialer's pipes as one duplex stream.
type Pipes = Join<ChildStdout, ChildStdin>;

/// `buildx dial-stdio` for `target`: a builder by `--builder`, or a
/// Docker context (which buildx builds on but dials only as the current
/// context) by `DOCKER_CONTEXT`, its engine unshadowed by `DOCKER_HOST`.
fn dial_command(target: &Target<'_>) -> tokio::process::Command {
    let mut command = dies_with_provider(target.buildx);
    command.arg("dial-stdio");
    let context = target.builder.filter(|name| is_only_a_context(name));
    match (context, target.builder) {
        (Some(context), _) => {
            command
                .env("DOCKER_CONTEXT", context)
                .env_remove("DOCKER_HOST");
        }
        (None, Some(name)) => {
            command.args(["--builder", name]);
        }
        (None, None) => {}
    }
    if let Some(platform) = target.platform {
        command.args(["--platform", platform]);
    }
    if let Some(host) = target.host.filter(|h| !h.is_empty())
        && context.is_none()
    {
        command.env("DOCKER_HOST", host);
    }
    command
}

/// A channel to the BuildKit `target` names, through a `dial-stdio`
/// child of buildx that lives as long as the returned handle.
pub(super) async fn dial(target: &Target<'_>) -> Result<(Channel, Child), BuildkitError> {
    let mut command = dial_command(target);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| BuildkitError::Spawn { source })?;
    let pipes = tokio::io::join(
        child.stdout.take().expect("stdout was piped"),
        child.stdin.take().expect("stdin was piped"),
    );
    let once = Arc::new(Mutex::new(Some(pipes)));
    // The connector has one connection to give: a second dial (tonic
    // reconnecting) finds none and fails instead of hanging.
    let connector = tower::service_fn(move |_: Uri| {
        let pipes: Option<Pipes> = once.lock().unwrap_or_else(|e| e.into_inner()).take();
        async move {
            pipes
                .map(TokioIo::new)
                .ok_or_else(|| std::io::Error::other("the dial-stdio connection is gone"))
        }
    });
    // HTTP/2 pings find a connection whose far end died without closing
    // it (an engine stopped mid-build): the build then fails instead of
    // waiting forever.
    let endpoint = Endpoint::from_static("http://buildkitd")
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true);
    match endpoint.connect_with_connector(connector).await {
        Ok(channel) => Ok((channel, child)),
        Err(error) => Err(BuildkitError::Connect {
            builder: target.builder_name(),
            why: format!("{error}; {}", stderr_of(&mut child).await),
        }),
    }
}

/// What the dialer said before it ended (its reason for failing). One
/// still running after `DIALER_EXIT_WAIT` is killed: its words so far.
pub(super) async fn stderr_of(child: &mut Child) -> String {
    let Some(mut stderr) = child.stderr.take() else {
        return String::new();
    };
    if tokio::time::timeout(DIALER_EXIT_WAIT, child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    let mut text = String::new();
    let _ = stderr.read_to_string(&mut text).await;
    text.trim().to_owned()
}
