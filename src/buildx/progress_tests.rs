use super::*;

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// buildx 0.13 pretty-prints each object over many lines.
fn pretty(value: serde_json::Value) -> String {
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

#[test]
fn pretty_printed_and_compact_streams_give_the_same_events() {
    let objects = [
        serde_json::json!({"vertexes": [{"digest": "sha256:a", "name": "[1/2] FROM busybox:local", "started": "t"}]}),
        serde_json::json!({"vertexes": [{"digest": "sha256:a", "name": "[1/2] FROM busybox:local", "started": "t", "completed": "t", "cached": true}]}),
        serde_json::json!({"logs": [{"vertex": "sha256:a", "stream": 1, "data": b64("hello\n"), "timestamp": "t"}]}),
    ];
    let pretty_text: String = objects.iter().cloned().map(pretty).collect();
    let compact_text: String = objects.iter().map(|o| o.to_string() + "\n").collect();
    let mut a = ProgressParser::default();
    let mut b = ProgressParser::default();
    let from_pretty = a.feed(pretty_text.as_bytes());
    let from_compact = b.feed(compact_text.as_bytes());
    assert_eq!(from_pretty, from_compact);
    assert_eq!(from_pretty.len(), 3);
    assert_eq!(
        from_pretty[2],
        Event::Output {
            vertex: "sha256:a".into(),
            text: "hello\n".into()
        }
    );
}

#[test]
fn split_anywhere_still_parses() {
    let text = pretty(
        serde_json::json!({"vertexes": [{"digest": "d", "name": "[2/2] RUN make", "started": "t"}]}),
    ) + "ERROR: failed to solve\n";
    for split in 0..text.len() {
        let mut parser = ProgressParser::default();
        let mut events = parser.feed(&text.as_bytes()[..split]);
        events.extend(parser.feed(&text.as_bytes()[split..]));
        events.extend(parser.finish());
        assert_eq!(events.len(), 2, "split at {split}: {events:?}");
        assert_eq!(events[1], Event::Plain("ERROR: failed to solve".into()));
    }
}

#[test]
fn counts_cached_steps_and_ignores_internal_ones() {
    let mut log = BuildLog::default();
    let events = [
        Event::Started {
            vertex: "i".into(),
            name: "[internal] load build definition from Dockerfile".into(),
        },
        Event::Cached {
            vertex: "a".into(),
            name: "[1/3] FROM busybox:local".into(),
        },
        Event::Cached {
            vertex: "b".into(),
            name: "[2/3] RUN echo a".into(),
        },
        Event::Completed {
            vertex: "c".into(),
            name: "[3/3] RUN echo b".into(),
        },
        Event::Completed {
            vertex: "e".into(),
            name: "exporting to image".into(),
        },
    ];
    for event in &events {
        log.record(event);
    }
    assert_eq!(log.step_counts(), (2, 3));
}

#[test]
fn cache_import_failures_are_told_apart_from_step_failures() {
    let mut log = BuildLog::default();
    log.record(&Event::Failed {
        vertex: "x".into(),
        name: "importing cache manifest from 127.0.0.1:5000/app:cache".into(),
        error: "failed to configure registry cache importer: not found".into(),
    });
    assert_eq!(
        log.failed_imports(),
        [(
            "127.0.0.1:5000/app:cache".to_owned(),
            "failed to configure registry cache importer: not found".to_owned()
        )]
    );
    assert!(!log.imported("127.0.0.1:5000/app:cache"));
    assert_eq!(
        log.failure_report(),
        None,
        "a failed cache import is not a failed build"
    );
    log.record(&Event::Started {
        vertex: "r".into(),
        name: "[2/2] RUN false".into(),
    });
    log.record(&Event::Output {
        vertex: "r".into(),
        text: "compiling...\nboom: missing file\n".into(),
    });
    log.record(&Event::Failed {
        vertex: "r".into(),
        name: "[2/2] RUN false".into(),
        error: "exit code: 1".into(),
    });
    let report = log.failure_report().unwrap();
    assert!(
        report.contains("[2/2] RUN false")
            && report.contains("exit code: 1")
            && report.contains("boom: missing file"),
        "{report}"
    );
}

#[test]
fn warnings_are_decoded() {
    let mut parser = ProgressParser::default();
    let text = serde_json::json!({"warnings": [{"vertex": "v", "level": 1, "short": b64("FromAsCasing: 'as' and 'FROM' keywords' casing do not match"), "url": "https://docs.docker.com/go/dockerfile/rule/from-as-casing/"}]}).to_string();
    let events = parser.feed(text.as_bytes());
    let Event::Warning { message } = &events[0] else {
        panic!("{events:?}")
    };
    assert!(
        message.starts_with("FromAsCasing") && message.contains("(see https://docs.docker.com"),
        "{message}"
    );
}

#[test]
fn status_lines_show_step_names_and_latest_output() {
    let mut log = BuildLog::default();
    assert_eq!(
        log.record(&Event::Started {
            vertex: "a".into(),
            name: "[2/2] RUN make".into()
        }),
        Some("[2/2] RUN make".into())
    );
    assert_eq!(
        log.record(&Event::Completed {
            vertex: "a".into(),
            name: "[2/2] RUN make".into()
        }),
        None
    );
    assert_eq!(
        log.record(&Event::Output {
            vertex: "a".into(),
            text: "cc main.c\n".into()
        }),
        Some("[2/2] RUN make: cc main.c".into())
    );
}
