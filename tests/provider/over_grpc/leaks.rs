//! Every secret input `schema.json` has, each with a canary of its own,
//! through a real build and an Index: no canary, plain or base64-encoded
//! (as in a Docker `auth` entry), may show in any child's argv or
//! environment (recorded by a wrapper around the real buildx, which now
//! only dials the builder and joins the Index), the engine log, an error,
//! state outside its secret marks, or a file left in the provider's
//! TMPDIR. The build secret and the cache keys travel in memory, in the
//! BuildKit session and solve: the S3 cache written with its keys is the
//! positive control.
//!
//! The list of secret paths comes from the schema; a secret input added
//! to the schema fails this test until it is given a canary here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use docker_build::schema::{Step, Subject, schema};
use serde_json::{Value as Json, json};

use super::build::unmarked;
use crate::harness::{INDEX, Session, from_struct, moto, registry, require_engine, unique};

/// How each secret path is given a canary: the scenario it belongs to.
const COVERED: [(&str, &str); 9] = [
    ("Image.secrets", "build"),
    ("Image.registries[].password", "build"),
    ("Image.cacheFrom[].s3.secretAccessKey", "build"),
    ("Image.cacheFrom[].s3.sessionToken", "build"),
    ("Image.cacheTo[].s3.secretAccessKey", "build"),
    ("Image.cacheTo[].s3.sessionToken", "build"),
    ("Image.cacheFrom[].azblob.secretAccessKey", "build"),
    ("Image.cacheTo[].azblob.secretAccessKey", "build"),
    ("Index.registry.password", "index"),
];

fn render(prefix: &str, path: &[Step]) -> String {
    let mut text = prefix.to_owned();
    for step in path {
        match step {
            Step::Property(name) => {
                text.push('.');
                text.push_str(name);
            }
            Step::Element => text.push_str("[]"),
            Step::Value => text.push_str("{}"),
        }
    }
    text
}

/// The canaries of one run, by secret path, and the ways each may leak.
#[derive(Default)]
struct Canaries(BTreeMap<String, String>);

impl Canaries {
    fn for_path(&mut self, path: &str) -> String {
        let canary = unique(&format!("canary-{}", path.replace(['.', '[', ']'], "-")));
        self.0.insert(path.to_owned(), canary.clone());
        canary
    }

    /// A canary that is valid base64, as an Azure Blob account key must be.
    fn for_base64_path(&mut self, path: &str) -> String {
        let canary = base64::engine::general_purpose::STANDARD.encode(self.for_path(path));
        self.0.insert(path.to_owned(), canary.clone());
        canary
    }

    /// Every form of every canary: plain, base64, and base64 of the
    /// `user:password` pair a Docker `auth` entry holds.
    fn forms(&self) -> Vec<(String, String)> {
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD
                .encode(s)
                .trim_end_matches('=')
                .to_owned()
        };
        self.0
            .iter()
            .flat_map(|(path, canary)| {
                [
                    (path.clone(), canary.clone()),
                    (format!("{path} (base64)"), b64(canary)),
                    (
                        format!("{path} (in a Docker auth)"),
                        b64(&format!("u:{canary}")),
                    ),
                ]
            })
            .collect()
    }

    /// The canaries (in any form) found in `haystack`, named by `place`,
    /// with the bytes they expose.
    fn found_in(&self, place: &str, haystack: &str) -> Vec<(String, u64)> {
        self.forms()
            .into_iter()
            .map(|(path, form)| {
                let bytes = crate::figures::secret_bytes(haystack, &form);
                (format!("{path} in {place}"), bytes)
            })
            .filter(|(_, bytes)| *bytes > 0)
            .collect()
    }
}

/// Every file below `dir`, read as text.
fn files_below(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            found.extend(files_below(&path));
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).unwrap_or_default();
            found.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    found
}

/// What the wrapper around buildx recorded, outside the provider's TMPDIR.
struct Recorded {
    /// Every command line.
    argv: PathBuf,
    /// The environment of each run.
    env: PathBuf,
    /// What each bake read from stdin (there should be none).
    stdin: PathBuf,
}

/// A `docker-buildx` that records each command line and environment, and
/// a bake's stdin, and runs the real one.
fn wrapper(dir: &Path) -> (PathBuf, Recorded) {
    let real = docker_build::build::locate::find_buildx().expect("buildx in the test environment");
    let recorded = Recorded {
        argv: dir.join("argv.log"),
        env: dir.join("env.log"),
        stdin: dir.join("stdin.log"),
    };
    let script = dir.join("docker-buildx");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{argv}'\nenv >> '{env}'\ncase \"$1\" in\n  bake) tee -a '{stdin}' | '{real}' \"$@\"; exit $? ;;\nesac\nexec '{real}' \"$@\"\n",
            argv = recorded.argv.display(),
            env = recorded.env.display(),
            stdin = recorded.stdin.display(),
            real = real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (script, recorded)
}

/// A new bucket in moto's S3 (moto takes unsigned requests).
async fn s3_bucket() -> String {
    let bucket = unique("leaks").to_lowercase();
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", moto()))
        .send()
        .await
        .expect("moto answers");
    assert!(response.status().is_success(), "{}", response.status());
    bucket
}

async fn create_image(session: &mut Session, inputs: prost_types::Struct) -> Result<Json, String> {
    session
        .create(&inputs, false)
        .await
        .map(|created| from_struct(created.properties.as_ref().unwrap()))
        .map_err(|status| status.message().to_owned())
}

#[tokio::test]
async fn no_schema_secret_leaks_anywhere() {
    require_engine();
    // The schema's secret inputs, every one covered below.
    let mut listed: Vec<String> = schema()
        .secret_paths(Subject::ImageInputs)
        .iter()
        .map(|p| render("Image", p))
        .collect();
    listed.extend(
        schema()
            .secret_paths(Subject::IndexInputs)
            .iter()
            .map(|p| render("Index", p)),
    );
    let covered: Vec<String> = COVERED.iter().map(|(p, _)| (*p).to_owned()).collect();
    listed.sort();
    let mut covered_sorted = covered.clone();
    covered_sorted.sort();
    assert_eq!(
        listed, covered_sorted,
        "every schema secret gets a canary here"
    );

    let (dir, tmp, logs) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}/busybox:local\nRUN --mount=type=secret,id=TOKEN test -s /run/secrets/TOKEN && echo {}\n", registry(), unique("leaks")),
    )
    .unwrap();
    let (buildx, recorded) = wrapper(logs.path());
    let tmp_text = tmp.path().display().to_string();
    let buildx_text = buildx.display().to_string();
    let mut session = crate::harness::start_with_env(
        dir.path(),
        &[
            ("TMPDIR", tmp_text.as_str()),
            ("DOCKER_BUILD_BUILDX", buildx_text.as_str()),
        ],
    )
    .await;
    let mut canaries = Canaries::default();
    let config_password = canaries.for_path("Provider.registries[].password");
    session
        .configure(json!({"registries": [{"address": "config.example", "username": "u", "password": {"$secret": config_password}}]}))
        .await;
    let mut errors = Vec::new();
    let mut states = Vec::new();
    let repository = format!("{}/{}", registry(), unique("leaks"));
    // A BuildKit daemon of the test fleet (the Docker engine's builder
    // has no S3 or Azure Blob cache), with S3 caches in moto's S3, and an
    // Azure Blob account no one answers: a failed import is a warning.
    let bucket = s3_bucket().await;
    let s3 = |id: &str, secret: &str, token: &str| {
        json!({"bucket": bucket, "region": "us-east-1", "endpointUrl": moto(), "usePathStyle": true,
               "name": unique("leaks"), "accessKeyId": id, "secretAccessKey": {"$secret": secret},
               "sessionToken": {"$secret": token}})
    };
    let azure = |key: &str| {
        json!({"name": "leaks", "accountUrl": "http://127.0.0.1:1/leaks",
               "secretAccessKey": {"$secret": key}})
    };
    let builder = json!({"name": "dbt-remote-a"});

    // "build": a pushed image with a build secret, a registry password,
    // an S3 cache each way (each with its own keys) and an Azure Blob
    // import.
    let image_inputs = json!({
        "push": true,
        "tags": [format!("{repository}:1")],
        "builder": builder,
        "secrets": {"$secret": {"TOKEN": canaries.for_path("Image.secrets")}},
        "registries": [{"address": registry(), "username": "u",
                        "password": {"$secret": canaries.for_path("Image.registries[].password")}}],
        "cacheFrom": [
            {"s3": s3("AKIDFROM", &canaries.for_path("Image.cacheFrom[].s3.secretAccessKey"),
                      &canaries.for_path("Image.cacheFrom[].s3.sessionToken"))},
            {"azblob": azure(&canaries.for_base64_path("Image.cacheFrom[].azblob.secretAccessKey"))},
        ],
        "cacheTo": [{"s3": s3("AKIDTO", &canaries.for_path("Image.cacheTo[].s3.secretAccessKey"),
                              &canaries.for_path("Image.cacheTo[].s3.sessionToken"))}],
    });
    let checked = session.checked(image_inputs).await;
    states.push(from_struct(&checked));
    let pushed = create_image(&mut session, checked)
        .await
        .expect("the build runs (a failed cache import is a warning)");
    states.push(pushed.clone());
    let listing = reqwest::get(format!("{}/{bucket}?list-type=2", moto()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listing.contains("manifests/"),
        "the S3 cache was exported: {listing}"
    );

    // "export": an Azure Blob export no one answers, which may fail the
    // build (buildkit configures the exporter before `ignore-error` counts).
    let mut export = azure(&canaries.for_base64_path("Image.cacheTo[].azblob.secretAccessKey"));
    export["ignoreError"] = json!(true);
    let checked = session
        .checked(json!({"push": false, "builder": builder, "cacheTo": [{"azblob": export}]}))
        .await;
    states.push(from_struct(&checked));
    match create_image(&mut session, checked).await {
        Ok(state) => states.push(state),
        Err(message) => errors.push(message),
    }
    // A cache secret next to extra hosts: the build takes both.
    let mut with_hosts = s3(
        "AKIDTO",
        &canaries.0["Image.cacheTo[].s3.secretAccessKey"].clone(),
        &canaries.0["Image.cacheTo[].s3.sessionToken"].clone(),
    );
    with_hosts["name"] = json!(unique("leaks-hosts"));
    let checked = session
        .checked(
            json!({"push": false, "builder": builder, "addHosts": ["db:10.0.0.1"],
                   "secrets": {"$secret": {"TOKEN": canaries.0["Image.secrets"].clone()}},
                   "cacheTo": [{"s3": with_hosts}]}),
        )
        .await;
    states.push(from_struct(&checked));
    let built = create_image(&mut session, checked)
        .await
        .expect("extra hosts next to a cache secret build");
    states.push(built);

    // "index": an Index pushed with a registry password.
    let index_news = json!({"tag": format!("{repository}:index"), "sources": [pushed["ref"]],
                            "registry": {"address": registry(), "username": "u",
                                         "password": {"$secret": canaries.for_path("Index.registry.password")}}});
    let inputs = session.on(&INDEX).checked(index_news).await;
    states.push(from_struct(&inputs));
    match session.on(&INDEX).create(&inputs, false).await {
        Ok(created) => states.push(from_struct(created.properties.as_ref().unwrap())),
        Err(status) => panic!("the index is created: {}", status.message()),
    }

    // Looked for everywhere.
    assert_eq!(canaries.0.len(), COVERED.len() + 1, "one canary per path");
    let mut leaks = Vec::new();
    let argv = std::fs::read_to_string(&recorded.argv).unwrap();
    for run in argv.lines() {
        assert!(
            run.starts_with("dial-stdio"),
            "no buildx build, bake or imagetools: {run}"
        );
    }
    leaks.extend(canaries.found_in("a child's argv", &argv));
    let env = std::fs::read_to_string(&recorded.env).unwrap_or_default();
    assert!(!env.is_empty(), "the wrapper recorded environments");
    leaks.extend(canaries.found_in("a child's environment", &env));
    let stdin = std::fs::read_to_string(&recorded.stdin).unwrap_or_default();
    leaks.extend(canaries.found_in("a child's stdin", &stdin));
    let log: Vec<String> = session.log_lines().into_iter().map(|(_, m)| m).collect();
    leaks.extend(canaries.found_in("the engine log", &log.join("\n")));
    leaks.extend(canaries.found_in("an error", &errors.join("\n")));
    for state in &states {
        leaks.extend(canaries.found_in("unmarked state", &unmarked(state).to_string()));
    }
    for (file, text) in files_below(tmp.path()) {
        leaks.extend(canaries.found_in(&format!("{}", file.display()), &text));
    }
    crate::figures::record("secret_bytes", leaks.iter().map(|(_, bytes)| bytes).sum());
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
}
