//! The calls `pulumi preview` makes, in the order it makes them, against
//! the plugin binary: start-up, configuration, Check and Diff.

use std::time::Duration;

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{
    self, IMAGE_URN, Session, check, diff, from_struct, project, state_for, to_struct,
};

#[tokio::test]
async fn preview_sequence_plans_an_unchanged_image_as_no_change() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    let info = session
        .client
        .get_plugin_info(())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    session.configure(json!({"registries": [{"address": "r.example", "username": "u", "password": {"$secret": "p"}}], "version": "0.1.0"})).await;

    let news =
        json!({"push": true, "tags": ["r.example/app:1"], "secrets": {"$secret": {"TOKEN": "t0"}}});
    let checked = check(&mut session, news).await;
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let inputs = from_struct(checked.inputs.as_ref().unwrap());
    assert_eq!(inputs["context"], json!({"location": "."}));
    assert_eq!(inputs["dockerfile"], json!({"location": "Dockerfile"}));
    assert_eq!(
        inputs["secrets"],
        json!({"$secret": {"TOKEN": "t0"}}),
        "secrets stay secret through Check"
    );

    let state = state_for(dir.path(), &inputs);
    let same = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(
        same.changes,
        pb::diff_response::DiffChanges::DiffNone as i32,
        "{same:?}"
    );
    assert!(same.replaces.is_empty());

    std::fs::write(dir.path().join("app.txt"), "changed\n").unwrap();
    let changed = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(
        changed.changes,
        pb::diff_response::DiffChanges::DiffSome as i32
    );
    assert_eq!(changed.diffs, ["contextHash"]);
    assert_eq!(
        changed.detailed_diff["contextHash"].kind,
        pb::property_diff::Kind::Update as i32
    );
    assert!(changed.replaces.is_empty(), "an Image is never replaced");

    let mut new_secret = inputs.clone();
    new_secret["secrets"] = json!({"$secret": {"TOKEN": "t1"}});
    std::fs::write(dir.path().join("app.txt"), "hello\n").unwrap();
    let secret_changed = diff(&mut session, &state, &new_secret).await.unwrap();
    assert_eq!(secret_changed.diffs, ["secrets"]);
    assert!(secret_changed.detailed_diff.contains_key("secrets.TOKEN"));

    // The hash's cost is logged to the engine, tagged with the resource.
    let line = session
        .logs
        .wait_for(|l| l.message.contains("context hashed"))
        .await;
    assert_eq!(line.urn, IMAGE_URN);
    assert_eq!(line.severity, pb::LogSeverity::Debug as i32);
}

#[tokio::test]
async fn check_reports_every_failure_with_its_property() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let response = check(
        &mut session,
        json!({"push": true, "tags": ["ok.example/a:1", "NOPE:"], "context": {"location": "missing"}, "cacheTo": [{"inline": {}, "gha": {}}], "platforms": ["beos/ppc/v1/x"]}),
    )
    .await;
    let mut properties: Vec<&str> = response
        .failures
        .iter()
        .map(|f| f.property.as_str())
        .collect();
    properties.sort();
    assert_eq!(
        properties,
        ["cacheTo[0]", "context.location", "platforms[0]", "tags[1]"],
        "{:?}",
        response.failures
    );
}

#[tokio::test]
async fn unknowns_pass_check_and_diff_reports_them() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let news = json!({"push": true, "tags": ["$unknown"], "buildArgs": {"VERSION": "$unknown"}});
    let response = check(&mut session, news).await;
    assert!(response.failures.is_empty(), "{:?}", response.failures);
    let inputs = from_struct(response.inputs.as_ref().unwrap());
    assert_eq!(inputs["tags"], json!(["$unknown"]));
    let mut old = inputs.clone();
    old["tags"] = json!(["r.example/app:1"]);
    old["buildArgs"] = json!({"VERSION": "1"});
    let state = state_for(dir.path(), &old);
    let planned = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(planned.diffs, ["buildArgs", "tags"]);
    assert!(planned.detailed_diff.contains_key("tags[0]"));
    assert!(planned.detailed_diff.contains_key("buildArgs.VERSION"));
}

#[tokio::test]
async fn special_values_are_rejected_with_their_path() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let asset = json!({"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", "path": "x"});
    let response = check(&mut session, json!({"push": false, "labels": {"a": asset}})).await;
    assert_eq!(response.failures.len(), 1);
    assert_eq!(response.failures[0].property, "labels.a");
    assert!(
        response.failures[0].reason.contains("asset"),
        "{}",
        response.failures[0].reason
    );
    let reference = json!({"4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x"});
    let status = diff(
        &mut session,
        &json!({"push": false}),
        &json!({"push": false, "tags": [reference]}),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("tags[0]"), "{}", status.message());
}

#[tokio::test]
async fn messages_over_four_mebibytes_are_accepted() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    let big = "x".repeat(6 << 20);
    let response = check(&mut session, json!({"push": false, "labels": {"big": big}})).await;
    assert!(response.failures.is_empty());
    let inputs = from_struct(response.inputs.as_ref().unwrap());
    assert_eq!(inputs["labels"]["big"].as_str().unwrap().len(), 6 << 20);
}

#[tokio::test]
async fn schema_and_unsupported_calls_answer_clearly() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    let schema = session
        .client
        .get_schema(pb::GetSchemaRequest::default())
        .await
        .unwrap()
        .into_inner()
        .schema;
    assert_eq!(schema, include_str!("../../../schema.json"));
    let mapping = session
        .client
        .get_mapping(pb::GetMappingRequest {
            key: "tf".into(),
            provider: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(mapping.provider.is_empty() && mapping.data.is_empty());
    session
        .client
        .get_mappings(pb::GetMappingsRequest { key: "tf".into() })
        .await
        .unwrap();
    let construct = session
        .client
        .construct(pb::ConstructRequest::default())
        .await
        .unwrap_err();
    assert_eq!(construct.code(), tonic::Code::Unimplemented);
    assert!(
        construct.message().contains("not supported"),
        "{}",
        construct.message()
    );
    let invoke = session
        .client
        .invoke(pb::InvokeRequest {
            tok: "docker-build:index:x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        invoke.message().contains("no functions"),
        "{}",
        invoke.message()
    );
    let call = session
        .client
        .call(pb::CallRequest::default())
        .await
        .unwrap_err();
    assert_eq!(call.code(), tonic::Code::Unimplemented);
    // Create re-validates: bad inputs fail before anything is built.
    let bad = to_struct(
        &json!({"push": true, "dockerfile": {"inline": "FROM scratch", "location": "Dockerfile"}}),
    );
    let create = session.create(&bad, false).await.unwrap_err();
    assert_eq!(create.code(), tonic::Code::InvalidArgument);
    assert!(
        create.message().contains("dockerfile: set either"),
        "{}",
        create.message()
    );
    let other = session
        .client
        .check(pb::CheckRequest {
            urn: "urn:pulumi:dev::proj::docker-build:index:Builder::b".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(other.code(), tonic::Code::InvalidArgument);
    assert!(
        other.message().contains("docker-build:index:Builder"),
        "{}",
        other.message()
    );
}

#[tokio::test]
async fn cancel_stops_work_and_sigint_shuts_down_cleanly() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = from_struct(
        check(&mut session, json!({"push": false}))
            .await
            .inputs
            .as_ref()
            .unwrap(),
    );
    let state = state_for(dir.path(), &inputs);
    session.client.cancel(()).await.unwrap();
    let status = diff(&mut session, &state, &inputs).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Cancelled);
    // The connection survives a Cancel; only a signal stops the server.
    session.client.get_plugin_info(()).await.unwrap();
    let exit = session
        .interrupt_and_wait(Duration::from_secs(5))
        .expect("the provider exits within 5 s of SIGINT");
    assert!(exit.success(), "{exit:?}");
    assert!(
        session.stdout_rest.lock().unwrap().is_empty(),
        "nothing but the port reaches stdout"
    );
}

/// A SIGINT sent the moment the port is read (as a CLI closing a plugin
/// it only asked for its schema may) still shuts the plugin down: the
/// handlers are in place before the port is printed.
#[tokio::test]
async fn sigint_right_after_the_port_is_never_lost() {
    let dir = project();
    for _ in 0..20 {
        let (mut child, _, _) = harness::launch(dir.path(), &["127.0.0.1:9"]);
        std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let exit = loop {
            if let Some(exit) = child.try_wait().unwrap() {
                break exit;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("the provider ignored a SIGINT sent right after its port");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert!(exit.success(), "{exit:?}");
    }
}

#[tokio::test]
async fn attach_mode_learns_the_engine_from_attach() {
    let dir = project();
    let (engine, logs) = harness::start_engine().await;
    let (mut child, port, _) = harness::launch(dir.path(), &[]);
    let mut client = harness::connect(port).await;
    client
        .attach(pb::PluginAttach { address: engine })
        .await
        .unwrap();
    client
        .handshake(pb::ProviderHandshakeRequest::default())
        .await
        .unwrap();
    let news = json!({"push": false});
    let checked = client
        .check(pb::CheckRequest {
            urn: IMAGE_URN.into(),
            news: Some(to_struct(&news)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let inputs = checked.inputs.unwrap();
    let mut state = from_struct(&inputs);
    state["contextHash"] = json!("stale");
    client
        .diff(pb::DiffRequest {
            urn: IMAGE_URN.into(),
            olds: Some(to_struct(&state)),
            news: Some(inputs),
            ..Default::default()
        })
        .await
        .unwrap();
    logs.wait_for(|l| l.urn == IMAGE_URN).await;
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn hash_only_build_sources_ignores_edits_outside_them() {
    let dir = project();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/readme.md"), "1").unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = from_struct(
        check(
            &mut session,
            json!({"push": false, "hashOnlyBuildSources": true}),
        )
        .await
        .inputs
        .as_ref()
        .unwrap(),
    );
    let state = state_for(dir.path(), &inputs);

    std::fs::write(dir.path().join("docs/readme.md"), "2").unwrap();
    let outside = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(
        outside.changes,
        pb::diff_response::DiffChanges::DiffNone as i32,
        "docs/ is not copied: {outside:?}"
    );

    std::fs::write(dir.path().join("app.txt"), "changed").unwrap();
    let inside = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(inside.diffs, ["contextHash"], "app.txt is copied");

    // A source the provider cannot resolve statically: everything counts.
    std::fs::write(dir.path().join("app.txt"), "hello\n").unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nARG SRC=app.txt\nCOPY $SRC /\n",
    )
    .unwrap();
    let state = state_for(dir.path(), &inputs);
    std::fs::write(dir.path().join("docs/readme.md"), "3").unwrap();
    let fallback = diff(&mut session, &state, &inputs).await.unwrap();
    assert_eq!(
        fallback.diffs,
        ["contextHash"],
        "the whole context is hashed"
    );
}
