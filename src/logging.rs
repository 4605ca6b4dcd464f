//! Logging: a `tracing` layer that turns the provider's events into lines
//! for the Pulumi engine, tagged with the URN of the resource being worked
//! on, plus a plain stderr layer for the plugin's own debug output.
//!
//! The layer never blocks and never writes to stdout (the engine reads the
//! port from there). It only produces [`LogLine`]s into a channel; the
//! `rpc` module drains that channel into the engine's `Log` RPC. Events of
//! the gRPC stack itself (`h2`, `hyper`, `tonic`, `tower`) are not
//! forwarded, so sending a log line can never log about itself.
//!
//! Conventions for the rest of the crate: put `urn = %urn` on an
//! operation's span; mark a progress line with `status = true` to send it
//! as an ephemeral status line rather than a lasting message.

use std::fmt::Write as _;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// How serious a line is, in the engine's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Shown only with verbose output.
    Debug,
    /// A normal message.
    Info,
    /// Something the user should look at.
    Warning,
    /// The operation failed.
    Error,
}

/// One line for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// How serious it is.
    pub severity: Severity,
    /// The text.
    pub message: String,
    /// The resource it is about, or empty.
    pub urn: String,
    /// A transient status line (progress) rather than a lasting message.
    pub ephemeral: bool,
}

/// Forwards events to the engine through a channel.
pub struct EngineLayer {
    lines: mpsc::UnboundedSender<LogLine>,
}

impl EngineLayer {
    /// A layer and the receiving end of its lines.
    pub fn new() -> (EngineLayer, mpsc::UnboundedReceiver<LogLine>) {
        let (lines, receiver) = mpsc::unbounded_channel();
        (EngineLayer { lines }, receiver)
    }
}

/// Targets whose events are never forwarded: the transport's own. An
/// event about sending a line, forwarded, would send another: with an
/// engine that does not answer, without end (`hyper_util` says
/// "connecting to ..." on every attempt).
const TRANSPORT_TARGETS: [&str; 6] = ["h2", "hyper", "hyper_util", "tonic", "tower", "rustls"];

fn is_transport(target: &str) -> bool {
    TRANSPORT_TARGETS
        .iter()
        .any(|t| target == *t || target.starts_with(&format!("{t}::")))
}

/// The URN recorded on a span.
struct SpanUrn(String);

#[derive(Default)]
struct Fields {
    message: String,
    extra: String,
    urn: Option<String>,
    status: bool,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "urn" => self.urn = Some(value.to_owned()),
            name => {
                let _ = write!(self.extra, " {name}={value}");
            }
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "status" => self.status = value,
            name => {
                let _ = write!(self.extra, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "urn" => self.urn = Some(format!("{value:?}")),
            name => {
                let _ = write!(self.extra, " {name}={value:?}");
            }
        }
    }
}

impl<S> Layer<S> for EngineLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(urn), Some(span)) = (fields.urn, ctx.span(id)) {
            span.extensions_mut().insert(SpanUrn(urn));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if is_transport(metadata.target()) {
            return;
        }
        let severity = match *metadata.level() {
            Level::ERROR => Severity::Error,
            Level::WARN => Severity::Warning,
            Level::INFO => Severity::Info,
            Level::DEBUG => Severity::Debug,
            Level::TRACE => return,
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let urn = fields.urn.clone().or_else(|| {
            ctx.event_scope(event)?
                .find_map(|span| span.extensions().get::<SpanUrn>().map(|u| u.0.clone()))
        });
        let mut message = fields.message;
        message.push_str(&fields.extra);
        // The engine rejects nothing, but it shows invalid text badly.
        let line = LogLine {
            severity,
            message,
            urn: urn.unwrap_or_default(),
            ephemeral: fields.status,
        };
        // A closed channel means shutdown: nothing left to tell.
        let _ = self.lines.send(line);
    }
}

/// Installs the global subscriber: the engine layer, and a stderr layer
/// filtered by `RUST_LOG` (default from `verbosity`). Returns the lines
/// to forward to the engine.
pub fn init(verbosity: u8, to_stderr: bool) -> mpsc::UnboundedReceiver<LogLine> {
    use tracing_subscriber::prelude::*;
    let (engine, lines) = EngineLayer::new();
    // The transport's own chatter stays out even at high verbosity.
    let default = match verbosity {
        0 if !to_stderr => "warn",
        0..=3 => "info,docker_build=debug,h2=warn,hyper=warn,tower=warn",
        _ => "debug,h2=info,hyper=info,tower=info,tonic=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(filter);
    let engine = engine.with_filter(tracing_subscriber::filter::LevelFilter::DEBUG);
    // Only fails when a subscriber is already set (tests): keep that one.
    let _ = tracing_subscriber::registry()
        .with(engine)
        .with(stderr)
        .try_init();
    lines
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::prelude::*;

    use super::*;

    #[test]
    fn events_carry_the_span_urn_and_status_flag() {
        let (layer, mut lines) = EngineLayer::new();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "create",
                urn = "urn:pulumi:s::p::docker-build:index:Image::img"
            );
            let _guard = span.enter();
            tracing::info!(status = true, "#3 RUN make");
            tracing::warn!("cache export failed");
            tracing::info!(target: "h2::codec", "frame");
            tracing::info!(target: "hyper_util::client::legacy::connect::http", "connecting to 127.0.0.1:9");
        });
        let first = lines.try_recv().unwrap();
        assert_eq!(first.urn, "urn:pulumi:s::p::docker-build:index:Image::img");
        assert!(first.ephemeral);
        assert_eq!(first.message, "#3 RUN make");
        let second = lines.try_recv().unwrap();
        assert_eq!(
            (second.severity, second.ephemeral),
            (Severity::Warning, false)
        );
        assert!(
            lines.try_recv().is_err(),
            "transport events are not forwarded"
        );
    }
}
