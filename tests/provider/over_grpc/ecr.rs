//! AWS ECR with nobody running `docker login`: moto answers the ECR API
//! (tokens, repositories) and an htpasswd registry under an ECR-shaped
//! host name stands in for the registry itself; both come from
//! `scripts/test-env up`.

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{
    Session, clear_at, from_struct, moto, require_engine, start_with_env, start_with_env_without,
    tags_at, unique,
};

const AWS_VARIABLES: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

fn ecr_registry() -> String {
    std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY")
        .expect("DOCKER_BUILD_TEST_ECR_REGISTRY: run `source \"$(scripts/test-env env)\"`")
}

fn ecr_login() -> (&'static str, String) {
    (
        "AWS",
        std::env::var("DOCKER_BUILD_TEST_ECR_PASSWORD").expect("DOCKER_BUILD_TEST_ECR_PASSWORD"),
    )
}

/// The environment a provider sees on a machine with AWS credentials;
/// the instance metadata service is off so nothing leaves this machine.
fn aws_env(home: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("HOME", home.display().to_string()),
    ]
}

async fn create_repository(name: &str, immutable: bool) {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto())
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let client = aws_sdk_ecr::Client::new(&config);
    let mutability = if immutable {
        aws_sdk_ecr::types::ImageTagMutability::Immutable
    } else {
        aws_sdk_ecr::types::ImageTagMutability::Mutable
    };
    client
        .create_repository()
        .repository_name(name)
        .image_tag_mutability(mutability)
        .send()
        .await
        .expect("moto creates the repository");
}

fn app(dir: &std::path::Path, marker: &str) {
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM busybox:local\nRUN echo {marker} > /marker\n"),
    )
    .unwrap();
}

async fn session_with(dir: &std::path::Path, home: &std::path::Path) -> Session {
    let env = aws_env(home);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut session = start_with_env(dir, &pairs).await;
    session.configure(json!({})).await;
    session
}

#[tokio::test]
async fn ecr_push_needs_no_docker_login() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let repository = unique("ecr");
    app(dir.path(), &repository);
    create_repository(&repository, false).await;
    let mut session = session_with(dir.path(), home.path()).await;
    let tag = format!("{}/{repository}:stable", ecr_registry());
    let inputs = session.checked(json!({"push": true, "tags": [tag]})).await;
    let created = session
        .create(&inputs, false)
        .await
        .expect("the token came from ECR, through aws-sdk-ecr");
    let (user, password) = ecr_login();
    let mut tags = tags_at(&ecr_registry(), &repository, Some((user, &password))).await;
    tags.sort();
    assert_eq!(tags, ["cache", "stable"]);
    let state = from_struct(created.properties.as_ref().unwrap());
    assert_eq!(state["cacheReport"]["found"], json!(false));
    assert!(
        !session
            .log_lines()
            .iter()
            .any(|(_, m)| m.contains(&password)),
        "the token never reaches a log line"
    );

    // Refresh needs no credentials from state either: it gets a new token.
    let fresh = session
        .read(&created.id, created.properties.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(fresh.id, created.id);
    // A deleted tag drops out.
    clear_at(&ecr_registry(), &repository, Some((user, &password))).await;
    let gone = session
        .read(&created.id, created.properties.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(gone.id, "");
}

#[tokio::test]
async fn missing_ecr_repository_is_a_clear_error() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let repository = unique("ecr-missing");
    app(dir.path(), &repository);
    let mut session = session_with(dir.path(), home.path()).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:stable", ecr_registry())]}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("nothing can be pushed to a missing repository");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status
            .message()
            .contains(&format!("the ECR repository `{repository}` does not exist")),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("aws ecr create-repository"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn immutable_ecr_repository_warns_about_the_cache_tag() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let repository = unique("ecr-immutable");
    app(dir.path(), &repository);
    create_repository(&repository, true).await;
    let mut session = session_with(dir.path(), home.path()).await;
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{}/{repository}:stable", ecr_registry())]}))
        .await;
    // The stand-in registry does not enforce immutability; the warning
    // comes from ECR's description of the repository, before the build.
    session
        .create(&inputs, false)
        .await
        .expect("the first build still works");
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("immutable tags"))
        .await;
    assert_eq!(warning.severity, pb::LogSeverity::Warning as i32);
    assert!(warning.message.contains(":cache"), "{}", warning.message);
}

#[tokio::test]
async fn missing_aws_credentials_say_what_to_set() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    app(dir.path(), "no-credentials");
    let home_text = home.path().display().to_string();
    let moto = moto();
    let mut session = start_with_env_without(
        dir.path(),
        &[
            ("AWS_ENDPOINT_URL", &moto),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("HOME", &home_text),
            ("AWS_REGION", "us-east-1"),
        ],
        &AWS_VARIABLES[..2],
    )
    .await;
    session.configure(json!({})).await;
    let inputs = session.checked(json!({"push": true, "tags": [format!("{}/{}:stable", ecr_registry(), unique("nocreds"))]})).await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("no AWS credentials");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("no AWS credentials")
            && status.message().contains("AWS_ACCESS_KEY_ID"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn credentials_layer_host_then_provider_then_image() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let repository = unique("layers");
    app(dir.path(), &repository);
    // The htpasswd registry, under its plain address: not an ECR host, so
    // only the credentials given count.
    let host = crate::harness::locked_registry();
    let (user, password) = ecr_login();
    // The host's Docker configuration has a wrong password...
    let docker_config = home.path().join(".docker");
    std::fs::create_dir_all(&docker_config).unwrap();
    let wrong = base64_encode(&format!("{user}:wrong-host"));
    std::fs::write(
        docker_config.join("config.json"),
        json!({"auths": {host.clone(): {"auth": wrong}}}).to_string(),
    )
    .unwrap();
    let home_text = home.path().display().to_string();
    let mut session = start_with_env(
        dir.path(),
        &[("HOME", &home_text), ("AWS_EC2_METADATA_DISABLED", "true")],
    )
    .await;
    // ...the provider's is wrong too...
    session.configure(json!({"registries": [{"address": host, "username": user, "password": {"$secret": "wrong-provider"}}]})).await;
    // ...and the image's own is right: it wins.
    let tag = format!("{host}/{repository}:1");
    let inputs = session.checked(json!({"push": true, "tags": [tag], "registries": [{"address": format!("http://{host}/{repository}"), "username": user, "password": {"$secret": password}}]})).await;
    session
        .create(&inputs, false)
        .await
        .expect("the image's credentials win");
    session
        .logs
        .wait_for(|l| l.message.contains("is a URL, not a registry host"))
        .await;
    assert_eq!(
        tags_at(&host, &repository, Some((user, &password)))
            .await
            .len(),
        2
    );

    // Without the image's, the provider's (wrong) beat the host's.
    let inputs = session
        .checked(json!({"push": true, "tags": [format!("{host}/{repository}:2")]}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("the provider's wrong password is used");
    assert!(
        status.message().contains("401")
            || status.message().to_lowercase().contains("unauthorized"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn secrets_leave_no_trace_in_logs_argv_or_temp_files() {
    require_engine();
    let (dir, home, tmp) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let repository = unique("leak");
    let host = crate::harness::locked_registry();
    let (user, password) = ecr_login();
    let build_secret = format!("build-secret-{}", unique("x"));
    let marker = unique("leak-step");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM busybox:local\nRUN --mount=type=secret,id=TOKEN test -s /run/secrets/TOKEN && echo {marker} && sleep 2 && true\n"),
    )
    .unwrap();
    let (home_text, tmp_text) = (
        home.path().display().to_string(),
        tmp.path().display().to_string(),
    );
    let mut session = crate::harness::start_with_env_without(
        dir.path(),
        &[
            ("HOME", &home_text),
            ("TMPDIR", &tmp_text),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        // The test's own copy of the password is not the provider's to
        // hold: the provider, and every process under it, start without.
        &["DOCKER_BUILD_TEST_ECR_PASSWORD"],
    )
    .await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{host}/{repository}:1")],
            "registries": [{"address": host, "username": user, "password": {"$secret": password}}],
            "secrets": {"$secret": {"TOKEN": build_secret}},
        }))
        .await;
    let (build, _step) = crate::harness::create_in_background(&session, inputs, &marker).await;
    // Every process under the provider while the build runs: their
    // command lines and environments.
    let argv: String = crate::harness::descendants_of(session.child.id())
        .into_iter()
        .map(crate::harness::argv_and_environment)
        .collect::<Vec<_>>()
        .join("\n");
    let created = build
        .await
        .unwrap()
        .expect("the build succeeds")
        .into_inner();

    let state = from_struct(created.properties.as_ref().unwrap());
    let logs: Vec<String> = session.log_lines().into_iter().map(|(_, m)| m).collect();
    let plain_state = super::build::unmarked(&state).to_string();
    let mut exposed = 0;
    for secret in [password.as_str(), build_secret.as_str()] {
        use crate::figures::secret_bytes;
        exposed += secret_bytes(&argv, secret)
            + secret_bytes(&logs.join("\n"), secret)
            + secret_bytes(&plain_state, secret);
        for entry in walk(tmp.path()) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            exposed += secret_bytes(&String::from_utf8_lossy(&bytes), secret);
        }
    }
    crate::figures::record("secret_bytes", exposed);
    assert_eq!(exposed, 0, "secret bytes outside their marked places");
    for secret in [password.as_str(), build_secret.as_str()] {
        assert!(!argv.contains(secret), "argv or environment: {argv}");
        assert!(
            !session.log_lines().iter().any(|(_, m)| m.contains(secret)),
            "a log line holds a secret"
        );
        for entry in walk(tmp.path()) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{} holds a secret",
                entry.display()
            );
        }
    }
    assert!(
        walk(tmp.path()).is_empty(),
        "temporary files are gone: {:?}",
        walk(tmp.path())
    );
    assert_eq!(
        state["secrets"],
        json!({"$secret": {"TOKEN": build_secret}})
    );
    assert_eq!(
        state["registries"][0]["password"],
        json!({"$secret": password})
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn refresh_keeps_state_when_the_registry_answers_401() {
    require_engine();
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let host = crate::harness::locked_registry();
    let home_text = home.path().display().to_string();
    let mut session = start_with_env(dir.path(), &[("HOME", &home_text)]).await;
    session.configure(json!({})).await;
    let state = json!({
        "push": true,
        "tags": [format!("{host}/somewhere:1")],
        "digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ref": format!("{host}/somewhere:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        "contextHash": "x",
    });
    let state = crate::harness::to_struct(&state);
    let read = session.read("sha256:0123", &state).await.unwrap();
    assert_eq!(read.id, "sha256:0123", "a 401 is not a deletion");
    assert_eq!(read.properties.as_ref(), Some(&state));
    let warning = session
        .logs
        .wait_for(|l| l.message.contains("leaving the state unchanged"))
        .await;
    assert!(warning.message.contains("401"), "{}", warning.message);
}
