//! BuildKit's status stream as the provider's build events: the same
//! [`Event`]s buildx's `rawjson` progress gives, straight from the
//! daemon's typed messages (a step's `cached` flag is exact, no text is
//! parsed).

use super::pb::moby::buildkit::v1::StatusResponse;
use crate::buildx::progress::Event;

/// The events of one status message, in the order buildx reports them.
pub(super) fn events_of(status: StatusResponse) -> Vec<Event> {
    let mut events = Vec::new();
    for v in status.vertexes {
        let (vertex, name) = (v.digest, v.name);
        if !v.error.is_empty() {
            events.push(Event::Failed {
                vertex,
                name,
                error: v.error,
            });
        } else if v.cached {
            events.push(Event::Cached { vertex, name });
        } else if v.completed.is_some() {
            events.push(Event::Completed { vertex, name });
        } else if v.started.is_some() {
            events.push(Event::Started { vertex, name });
        }
    }
    for log in status.logs {
        events.push(Event::Output {
            vertex: log.vertex,
            text: String::from_utf8_lossy(&log.msg).into_owned(),
        });
    }
    for warning in status.warnings {
        let mut message = String::from_utf8_lossy(&warning.short).trim().to_owned();
        if !warning.url.is_empty() {
            message.push_str(&format!(" (see {})", warning.url));
        }
        events.push(Event::Warning { message });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buildkit::pb::moby::buildkit::v1::{Vertex, VertexLog, VertexWarning};

    #[test]
    fn vertexes_logs_and_warnings_become_events() {
        let status = StatusResponse {
            vertexes: vec![
                Vertex {
                    digest: "sha256:a".into(),
                    name: "[1/2] FROM x".into(),
                    cached: true,
                    ..Vertex::default()
                },
                Vertex {
                    digest: "sha256:b".into(),
                    name: "[2/2] RUN false".into(),
                    error: "exit code: 1".into(),
                    ..Vertex::default()
                },
                Vertex {
                    digest: "sha256:c".into(),
                    name: "exporting".into(),
                    started: Some(prost_types::Timestamp::default()),
                    ..Vertex::default()
                },
            ],
            logs: vec![VertexLog {
                vertex: "sha256:b".into(),
                msg: b"oops\n".to_vec(),
                ..VertexLog::default()
            }],
            warnings: vec![VertexWarning {
                short: b"FromAsCasing: x ".to_vec(),
                url: "https://docs".into(),
                ..VertexWarning::default()
            }],
            ..StatusResponse::default()
        };
        let events = events_of(status);
        assert_eq!(
            events,
            [
                Event::Cached {
                    vertex: "sha256:a".into(),
                    name: "[1/2] FROM x".into()
                },
                Event::Failed {
                    vertex: "sha256:b".into(),
                    name: "[2/2] RUN false".into(),
                    error: "exit code: 1".into()
                },
                Event::Started {
                    vertex: "sha256:c".into(),
                    name: "exporting".into()
                },
                Event::Output {
                    vertex: "sha256:b".into(),
                    text: "oops\n".into()
                },
                Event::Warning {
                    message: "FromAsCasing: x (see https://docs)".into()
                },
            ]
        );
    }
}
