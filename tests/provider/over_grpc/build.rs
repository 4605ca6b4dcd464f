//! Real builds: the Docker engine and registry of `scripts/test-env`, the
//! provider binary, and the calls `pulumi up` makes. (The seed's cache
//! story has a test binary of its own: `tests/cache_story.rs`.)

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{
    Session, app, clear_repository, from_struct, registry, registry_tags, require_engine,
    to_struct, unique,
};

#[tokio::test]
async fn preview_with_an_unknown_tag_builds_nothing_and_fails_nothing() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "preview\n");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": ["$unknown"]}))
        .await;
    let created = session
        .create(&inputs, true)
        .await
        .expect("preview succeeds");
    let state = from_struct(created.properties.as_ref().unwrap());
    assert_eq!(state["digest"], json!("$unknown"));
    assert_eq!(state["tags"], json!(["$unknown"]));
    let skipped = session
        .logs
        .wait_for(|l| l.message.contains("skipping the preview build"))
        .await;
    assert_eq!(skipped.severity, pb::LogSeverity::Warning as i32);
    assert!(
        !session.log_lines().iter().any(|(_, m)| m.contains("RUN")),
        "no build step ran"
    );
}

#[tokio::test]
async fn preview_builds_without_pushing() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "preview-build\n");
    let repository = unique("preview");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", registry())]}))
        .await;
    let created = session
        .create(&inputs, true)
        .await
        .expect("preview build succeeds");
    let state = from_struct(created.properties.as_ref().unwrap());
    assert_eq!(
        state["digest"],
        json!("$unknown"),
        "not pushed, so no digest yet"
    );
    assert!(state["contextHash"].as_str().is_some_and(|h| h.len() == 64));
    assert!(
        registry_tags(&repository).await.is_empty(),
        "a preview pushes nothing, cache included"
    );
    session
        .logs
        .wait_for(|l| l.ephemeral && l.message.contains("RUN"))
        .await;
}

#[tokio::test]
async fn a_failing_dockerfile_reports_the_failing_step_and_its_output() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:local\nRUN echo about to fail && echo reason: missing-widget && false\n",
    )
    .unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": false})).await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("the build fails");
    assert_eq!(status.code(), tonic::Code::Unknown);
    let message = status.message();
    assert!(message.contains("RUN echo about to fail"), "{message}");
    assert!(
        message.contains("reason: missing-widget"),
        "the step's output is kept: {message}"
    );
}

#[tokio::test]
async fn read_drops_deleted_tags_and_keeps_state_when_the_registry_is_down() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "read\n");
    let repository = unique("read");
    let tag_a = format!("{}/{repository}:a", registry());
    let tag_b = format!("{}/{repository}:b", registry());
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [tag_a, tag_b], "autoCache": false}))
        .await;
    let created = session.create(&inputs, false).await.unwrap();
    let state = created.properties.clone().unwrap();

    let fresh = session.read(&created.id, &state).await.unwrap();
    assert_eq!(fresh.id, created.id);
    assert_eq!(
        from_struct(fresh.properties.as_ref().unwrap())["tags"],
        json!([tag_a, tag_b])
    );

    // Deleting the manifest removes both tags (they share the digest).
    clear_repository(&repository).await;
    let gone = session.read(&created.id, &state).await.unwrap();
    assert_eq!(gone.id, "", "no tag holds the digest: the image is gone");

    // A registry that cannot be reached changes nothing.
    let mut unreachable = from_struct(&state);
    unreachable["tags"] = json!(["127.0.0.1:1/nowhere:a"]);
    let unreachable = to_struct(&unreachable);
    let kept = session.read(&created.id, &unreachable).await.unwrap();
    assert_eq!(kept.id, created.id);
    assert_eq!(kept.properties.as_ref(), Some(&unreachable));
    session
        .logs
        .wait_for(|l| {
            l.severity == pb::LogSeverity::Warning as i32
                && l.message.contains("leaving the state unchanged")
        })
        .await;
}

#[tokio::test]
async fn delete_removes_the_pushed_digest_but_not_the_cache() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "delete\n");
    let repository = unique("delete");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:1", registry())]}))
        .await;
    let created = session.create(&inputs, false).await.unwrap();
    session
        .delete(&created.id, created.properties.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        registry_tags(&repository).await,
        ["cache"],
        "the image is gone, the cache stays"
    );
    // Deleting again: already gone counts as deleted.
    session
        .delete(&created.id, created.properties.as_ref().unwrap())
        .await
        .unwrap();
}

/// `state` with every marked secret blanked: what may be stored in plain.
pub fn unmarked(state: &serde_json::Value) -> serde_json::Value {
    match state {
        serde_json::Value::Object(map) if map.contains_key("$secret") => json!("[secret]"),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), unmarked(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        serde_json::Value::Array(items) => items.iter().map(unmarked).collect(),
        other => other.clone(),
    }
}

#[tokio::test]
async fn delete_keeps_a_digest_that_another_tag_still_uses() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), &unique("shared-digest"));
    let repository = unique("shared-digest");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    // Two images with the same content: one digest under two tags.
    let mut created = Vec::new();
    for tag in ["old", "new"] {
        let inputs = session
            .checked(json!({"push": true, "tags": [format!("{}/{repository}:{tag}", registry())], "autoCache": false}))
            .await;
        created.push(session.create(&inputs, false).await.unwrap());
    }
    assert_eq!(created[0].id, created[1].id, "same content, same digest");
    session
        .delete(&created[0].id, created[0].properties.as_ref().unwrap())
        .await
        .unwrap();
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(
        tags,
        ["new", "old"],
        "deleting would have taken `new` along"
    );
    let kept = session
        .logs
        .wait_for(|l| l.message.contains("not deleting"))
        .await;
    assert!(kept.message.contains("also tagged new"), "{}", kept.message);
}

/// A Dockerfile whose step runs 15 s; its marker, in the step's command
/// line.
fn slow_app(dir: &std::path::Path) -> String {
    let marker = unique("slow");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM busybox:local\nRUN echo {marker} && sleep 15 && true\n"),
    )
    .unwrap();
    marker
}

/// Cancel ends the solve on the daemon: the build's running step is
/// killed.
#[tokio::test]
async fn cancel_mid_build_stops_the_build_promptly() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = slow_app(dir.path());
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": false})).await;
    let (build, step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    let started = std::time::Instant::now();
    session.client.cancel(()).await.unwrap();
    let status = build
        .await
        .unwrap()
        .expect_err("a cancelled build is an error");
    assert_eq!(status.code(), tonic::Code::Cancelled);
    while !crate::harness::is_gone(step) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the build's step still running 5 s after Cancel"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    crate::figures::record("faults", 1);
}

/// SIGINT: the provider exits at once and its build's step goes with it.
#[tokio::test]
async fn sigint_mid_build_stops_the_build_and_exits() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = slow_app(dir.path());
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": false})).await;
    let (_build, step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    let exit = session
        .interrupt_and_wait(std::time::Duration::from_secs(5))
        .expect("the provider exits within 5 s of SIGINT");
    assert!(exit.success(), "{exit:?}");
    let started = std::time::Instant::now();
    while !crate::harness::is_gone(step) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the build's step outlived the provider"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    crate::figures::record("faults", 1);
}

#[tokio::test]
async fn build_secrets_reach_the_build_but_no_process() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let marker = unique("secret");
    std::fs::write(
        dir.path().join("Dockerfile"),
        // The step checks the secret without spelling it out: the step's
        // own text is shown as progress.
        format!("FROM busybox:local\nRUN --mount=type=secret,id=TOKEN test \"$(wc -c < /run/secrets/TOKEN)\" -eq 12 && grep -q '^s3cr3t-v' /run/secrets/TOKEN && echo {marker} && sleep 2 && true\n"),
    )
    .unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": false, "secrets": {"$secret": {"TOKEN": "s3cr3t-value"}}}))
        .await;
    let (build, _step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    // The step runs: no process under the provider is a buildx build, and
    // none holds the secret in its command line or environment (the
    // session answers it from memory).
    let processes = crate::harness::descendants_of(session.child.id());
    let mut seen = String::new();
    for pid in &processes {
        assert!(
            !crate::harness::is_buildx_build(*pid),
            "{}",
            crate::harness::cmdline(*pid)
        );
        seen.push_str(&crate::harness::argv_and_environment(*pid));
    }
    assert!(!processes.is_empty(), "the BuildKit connection is a child");
    assert!(!seen.contains("s3cr3t-value"), "{seen}");
    let created = build
        .await
        .unwrap()
        .expect("the build sees the secret (its RUN step checks it)");
    let state = from_struct(created.into_inner().properties.as_ref().unwrap());
    assert_eq!(
        state["secrets"],
        json!({"$secret": {"TOKEN": "s3cr3t-value"}}),
        "secret in state stays marked"
    );
    let logs: Vec<String> = session.log_lines().into_iter().map(|(_, m)| m).collect();
    let exposed = crate::figures::secret_bytes(&seen, "s3cr3t-value")
        + crate::figures::secret_bytes(&logs.join("\n"), "s3cr3t-value")
        + crate::figures::secret_bytes(&unmarked(&state).to_string(), "s3cr3t-value");
    crate::figures::record("secret_bytes", exposed);
    assert_eq!(exposed, 0, "the secret shows outside its marked place");
}

#[tokio::test]
async fn missing_buildx_and_unreachable_engine_say_what_to_do() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), "errors\n");
    let mut session = crate::harness::start_with_env(
        dir.path(),
        &[("DOCKER_BUILD_BUILDX", "/nonexistent/docker-buildx")],
    )
    .await;
    let inputs = session.checked(json!({"push": false})).await;
    let status = session.create(&inputs, false).await.expect_err("no buildx");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("buildx plugin was not found")
            && status.message().contains("apt-get install docker-buildx"),
        "{}",
        status.message()
    );

    let mut session = crate::harness::start_with_env(
        dir.path(),
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    )
    .await;
    let inputs = session.checked(json!({"push": false})).await;
    let status = session.create(&inputs, false).await.expect_err("no engine");
    assert_eq!(
        status.code(),
        tonic::Code::FailedPrecondition,
        "{}",
        status.message()
    );
    assert!(
        status
            .message()
            .contains("cannot reach the Docker engine at unix:///nonexistent/docker.sock"),
        "{}",
        status.message()
    );
    crate::figures::record("faults", 2);
}

#[tokio::test]
async fn a_rejected_cache_export_is_a_warning_not_a_failed_deploy() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), &unique("export"));
    let repository = unique("export-rejected");
    // The htpasswd registry refuses writes without a login: the image goes
    // to the open registry, its cache to the one that says 401.
    let locked = crate::harness::locked_registry();
    let cache = format!("{locked}/{repository}:cache");
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "cacheTo": [{"registry": {"ref": cache, "mode": "max", "ignoreError": true}}],
        }))
        .await;
    let created = session
        .create(&inputs, false)
        .await
        .expect("the deploy succeeds without its cache");
    assert!(created.id.starts_with("sha256:"));
    assert_eq!(
        registry_tags(&repository).await,
        ["1"],
        "the image was pushed"
    );
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("could not be exported"))
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
    assert!(
        warning.message.contains(&cache) && warning.message.contains("401"),
        "{}",
        warning.message
    );
    assert!(
        !session
            .log_lines()
            .iter()
            .any(|(s, _)| *s == pb::LogSeverity::Error as i32)
    );
    crate::figures::record("faults", 1);
}

#[tokio::test]
async fn a_registry_that_is_down_fails_the_push_clearly() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), &unique("down"));
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    // Nothing listens on port 1.
    let inputs = session
        .checked(json!({"push": true, "tags": ["127.0.0.1:1/nowhere:1"]}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("nothing can be pushed");
    assert_eq!(status.code(), tonic::Code::Unknown);
    assert!(
        status.message().contains("127.0.0.1:1"),
        "the message names the registry: {}",
        status.message()
    );
    // The cache could not be asked about: BuildKit tried, and said so at
    // info level only.
    assert!(
        !session
            .log_lines()
            .iter()
            .any(|(s, m)| *s == pb::LogSeverity::Error as i32 && m.contains("cache"))
    );
    crate::figures::record("faults", 1);
}

#[tokio::test]
async fn sigint_to_the_process_group_leaves_no_process_or_temp_file() {
    require_engine();
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = slow_app(dir.path());
    let tmp_text = tmp.path().display().to_string();
    let mut session =
        crate::harness::start_in_own_group(dir.path(), &[("TMPDIR", &tmp_text)]).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{}:1", registry(), unique("group"))]}))
        .await;
    let (_build, step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "a build writes no temporary file (its files, logins and secrets are served from memory)"
    );
    // What the engine does at the end: SIGINT to the plugin's whole group
    // (the plugin leads it, so its pid is the group's id).
    let pid = session.child.id();
    let status = std::process::Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    loop {
        let provider_gone = session.child.try_wait().unwrap().is_some();
        let clean = std::fs::read_dir(tmp.path()).unwrap().next().is_none();
        if provider_gone && crate::harness::is_gone(step) && clean {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "within 5 s: provider gone {provider_gone}, temp dir empty {clean}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    crate::figures::record("faults", 1);
}

/// SIGKILL to the plugin alone mid-build, on the native engine: the
/// build's step stops (the dialer dies with the provider, the connection
/// closes, BuildKit cancels the solve); while it runs, no secret (the
/// registry password, the build secret, the cache keys) is in any file
/// under TMPDIR or in any process of the machine, and no private Docker
/// configuration is made at all.
#[tokio::test]
async fn sigkill_mid_native_build_stops_it_and_no_secret_is_anywhere() {
    require_engine();
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("killed-native");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}/busybox:local\nRUN --mount=type=secret,id=TOKEN test -s /run/secrets/TOKEN && echo {marker} && sleep 30 && true\n", registry()),
    )
    .unwrap();
    let tmp_text = tmp.path().display().to_string();
    let mut session =
        crate::harness::start_with_env(dir.path(), &[("TMPDIR", tmp_text.as_str())]).await;
    let password = unique("killed-native-password");
    session
        .configure(json!({"registries": [{"address": registry(), "username": "u", "password": {"$secret": password}}]}))
        .await;
    let (build_secret, s3_key, s3_token) = (
        unique("killed-native-build"),
        unique("killed-native-s3"),
        unique("killed-native-token"),
    );
    let s3 = json!({"s3": {"bucket": "b", "region": "us-east-1", "endpointUrl": "http://127.0.0.1:1",
                           "accessKeyId": "AKID", "secretAccessKey": {"$secret": s3_key},
                           "sessionToken": {"$secret": s3_token}, "ignoreError": true}});
    let mut from = s3["s3"].clone();
    from.as_object_mut().unwrap().remove("ignoreError");
    let inputs = session
        .checked(
            json!({"push": true, "tags": [format!("{}/{}:1", registry(), unique("killed-native"))],
                        "builder": {"name": "dbt-remote-a"},
                        "secrets": {"$secret": {"TOKEN": build_secret}},
                        "cacheFrom": [{"s3": from}], "cacheTo": [s3]}),
        )
        .await;
    let (_build, step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    let mut forms = Vec::new();
    for secret in [&password, &build_secret, &s3_key, &s3_token] {
        forms.extend(secret_forms(secret));
    }
    assert_eq!(found_on_disk(tmp.path(), &forms), Vec::<String>::new());
    assert_eq!(
        found_in_processes(&forms, &["cmdline", "environ"]),
        Vec::<String>::new(),
        "while the build runs"
    );
    let configs = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("docker-build-auth-")
        })
        .count();
    assert_eq!(configs, 0, "no private Docker configuration");

    session.child.kill().unwrap(); // SIGKILL, to the provider only
    session.child.wait().unwrap();
    let started = std::time::Instant::now();
    while !crate::harness::is_gone(step) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the build's step still runs 10 s after its provider was killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(found_on_disk(tmp.path(), &forms), Vec::<String>::new());
    crate::figures::record("faults", 1);
}

#[tokio::test]
async fn a_registry_answering_401_fails_the_push_with_the_reason() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), &unique("unauthorized"));
    let locked = crate::harness::locked_registry();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{locked}/{}:1", unique("locked"))]}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("no credentials, no push");
    assert!(
        status.message().contains("401")
            || status.message().to_lowercase().contains("unauthorized"),
        "{}",
        status.message()
    );
    crate::figures::record("faults", 1);
}

/// A password as it could be stored: plain, base64 alone, and base64 of
/// `user:password` as in a Docker `auth` entry.
fn secret_forms(password: &str) -> Vec<String> {
    use base64::Engine as _;
    let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    vec![
        password.to_owned(),
        base64(password),
        base64(&format!("u:{password}")),
    ]
}

/// Every file under `root` (sockets and links skipped) holding one of
/// `forms`.
fn found_on_disk(root: &std::path::Path, forms: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            found.extend(found_on_disk(&path, forms));
        } else if kind.is_file() {
            let text =
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
            if forms.iter().any(|form| text.contains(form.as_str())) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Every process whose `what` (`cmdline`, `environ`) holds one of `forms`.
fn found_in_processes(forms: &[String], what: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        for what in what {
            let bytes = std::fs::read(format!("/proc/{pid}/{what}")).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            if forms.iter().any(|form| text.contains(form.as_str())) {
                found.push(format!("{pid} {what}"));
            }
        }
    }
    found
}

/// What the official provider takes, this one builds: secret ids with a
/// comma or none at all (answered from memory by id), a build argument
/// without a name (BuildKit ignores it), a login without an address
/// (warned of: it serves no registry).
#[tokio::test]
async fn names_the_official_provider_takes_build_here_too() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {}/busybox:local\nRUN --mount=type=secret,id=TOKEN test \"$(cat /run/secrets/TOKEN)\" = t && echo {}\n",
            registry(),
            unique("names")
        ),
    )
    .unwrap();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": false,
            "secrets": {"TOKEN": "t", "a,b": "x", "": "y"},
            "buildArgs": {"": "z"},
            "registries": [{"address": "", "username": "u", "password": "p"}],
        }))
        .await;
    session.create(&inputs, false).await.expect("built");
    session
        .logs
        .wait_for(|l| l.message.contains("registries[0] has no `address`"))
        .await;
}
