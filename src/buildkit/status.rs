//! BuildKit's status stream as the provider's build events: the same
//! [`Event`]s buildx's `rawjson` progress gives, straight from the
//! daemon's typed messages (a step's `cached` flag is exact, no text is
//! parsed).

use super::pb::moby::buildkit::v1::StatusResponse;
use crate::build::progress::{Event, VertexState, vertex_event, warning_event};

/// The events of one status message, in the order buildx reports them.
pub(super) fn events_of(status: StatusResponse) -> Vec<Event> {
    let mut events = Vec::new();
    for v in status.vertexes {
        let state = VertexState {
            cached: v.cached,
            completed: v.completed.is_some(),
            started: v.started.is_some(),
        };
        events.extend(vertex_event(v.digest, v.name, Some(v.error), state));
    }
    for log in status.logs {
        events.push(Event::Output {
            vertex: log.vertex,
            text: String::from_utf8_lossy(&log.msg).into_owned(),
        });
    }
    for warning in status.warnings {
        let short = String::from_utf8_lossy(&warning.short);
        events.push(warning_event(&short, Some(&warning.url)));
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
