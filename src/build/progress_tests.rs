use super::*;

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
    let reference = crate::model::Reference::parse("127.0.0.1:5000/app:cache").unwrap();
    assert!(!log.imported(&reference));
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
fn warnings_carry_their_link() {
    let event = warning_event(
        " FromAsCasing: 'as' and 'FROM' keywords' casing do not match ",
        Some("https://docs.docker.com/go/dockerfile/rule/from-as-casing/"),
    );
    let Event::Warning { message } = &event else {
        panic!("{event:?}")
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
