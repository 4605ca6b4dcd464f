//! CheckConfig: the provider's own configuration, as the engine sends it
//! (every value a string, as stack configuration is; lists as JSON text).

use serde_json::{Value as Json, json};

use super::Expect;
use crate::harness::Session;

/// Provider configurations worth comparing.
fn config_cases() -> Vec<(&'static str, Json, Expect)> {
    use Expect::*;
    let login = r#"[{"address":"r.example","username":"u","password":"p"}]"#;
    vec![
        ("nothing", json!({}), Same),
        (
            "a host",
            json!({"host": "unix:///var/run/docker.sock"}),
            Same,
        ),
        (
            "an ssh host",
            json!({"host": "ssh://user@example.com"}),
            Same,
        ),
        ("an empty host", json!({"host": ""}), Same),
        ("logins as JSON text", json!({"registries": login}), Same),
        (
            "logins as a list",
            json!({"registries": [{"address": "r.example", "username": "u", "password": "p"}]}),
            Same,
        ),
        (
            "logins that are not JSON",
            json!({"registries": "not json"}),
            Same,
        ),
        ("a host that is not a string", json!({"host": 5}), Same),
        (
            "a key the schema does not have",
            json!({"colour": "blue"}),
            Same,
        ),
        ("the plugin's version", json!({"version": "0.0.22"}), Same),
        (
            "a login without an address",
            json!({"registries": [{"username": "u", "password": "p"}]}),
            Same,
        ),
        (
            "a login with an empty address",
            json!({"registries": [{"address": "", "username": "u"}]}),
            Same,
        ),
    ]
}

#[tokio::test]
async fn check_config_accepts_and_refuses_what_the_official_provider_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut ours = Session::start(dir.path()).await;
    let mut official = Session::start_official(dir.path()).await;
    let mut differences = Vec::new();
    for (name, config, expect) in config_cases() {
        let answer = check_config(&mut ours, &config).await;
        let theirs = check_config(&mut official, &config).await;
        if !expect.holds(answer.0, theirs.0) {
            differences.push(format!(
                "{name} ({expect:?}): ours {:?}, official {:?}",
                answer.1, theirs.1
            ));
        } else if config.get("registries").is_some() && answer.0 {
            // The configuration is stored as the provider's inputs: a
            // login's password secret there, as the official one marks it.
            let password = &answer.2["registries"][0]["password"];
            if !password.is_null() && password.get("$secret").is_none() {
                differences.push(format!("{name}: the password is stored as {password}"));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // What the official provider ignores silently, this one names.
    let warning = ours
        .logs
        .wait_for(|l| l.message.contains("`docker-build:colour` is not a setting"))
        .await;
    assert_eq!(
        warning.severity,
        docker_build::rpc::pb::LogSeverity::Warning as i32
    );
}

/// Whether `session` takes `config`, with its failures (a refused call
/// is one).
async fn check_config(session: &mut Session, config: &Json) -> (bool, Vec<String>, Json) {
    let request = docker_build::rpc::pb::CheckRequest {
        urn: "urn:pulumi:dev::proj::pulumi:providers:docker-build::default".into(),
        news: Some(crate::harness::to_struct(config)),
        ..Default::default()
    };
    match session.client.check_config(request).await {
        Ok(answer) => {
            let answer = answer.into_inner();
            let failures: Vec<String> = (answer.failures.iter())
                .map(|f| format!("{}: {}", f.property, f.reason))
                .collect();
            let inputs = answer
                .inputs
                .as_ref()
                .map_or(Json::Null, crate::harness::from_struct);
            (failures.is_empty(), failures, inputs)
        }
        Err(status) => (false, vec![status.message().to_owned()], Json::Null),
    }
}
