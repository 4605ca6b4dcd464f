//! Switching a stack from the official provider: its state, exactly as
//! `pulumi/pulumi-docker-build` writes it (Go zero values for every input
//! never given, cleaned Dockerfile paths, its own `contextHash`), read by
//! this provider's Check and Diff through the real binary. Nothing may
//! look changed until a file really changes.
//!
//! The official hash is computed here by a test-side implementation of
//! its algorithm (one SHA-256 stream: the Dockerfile's bytes, then each
//! file in Go's walk order as bytes, path, `FileMode.String()`), written
//! independently of the provider's own.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use docker_build::rpc::pb;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::harness::{Session, check, diff, from_struct, start_with_env};

/// The official `hashBuildContext` for trees without `.dockerignore`
/// patterns other than the exact names in `ignored`.
pub(super) fn official_hash(
    dockerfile: Option<&Path>,
    contexts: &[&Path],
    ignored: &[&str],
) -> String {
    fn walk(stream: &mut Sha256, root: &Path, prefix: &str, ignored: &[&str]) {
        let mut names: Vec<String> = fs::read_dir(root.join(prefix))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for name in names {
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if ignored.contains(&relative.as_str()) {
                continue;
            }
            let path = root.join(&relative);
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(stream, root, &relative, ignored);
                continue;
            }
            if fs::metadata(&path).unwrap().is_dir() {
                continue; // a link to a directory: EISDIR, skipped
            }
            stream.update(fs::read(&path).unwrap());
            stream.update(relative.as_bytes());
            let permissions = meta.permissions().mode() & 0o777;
            let mut mode = String::from(if meta.file_type().is_symlink() {
                "L"
            } else {
                "-"
            });
            for (i, c) in "rwxrwxrwx".chars().enumerate() {
                mode.push(if permissions & (1 << (8 - i)) != 0 {
                    c
                } else {
                    '-'
                });
            }
            stream.update(mode.as_bytes());
        }
    }
    let mut stream = Sha256::new();
    if let Some(dockerfile) = dockerfile {
        stream.update(fs::read(dockerfile).unwrap());
    }
    for root in contexts {
        walk(&mut stream, root, "", ignored);
    }
    stream
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `text` at `path` (its directories made) with permissions `mode`.
pub(super) fn write(path: &Path, text: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A program directory: `app/` (with an executable, a symlink, a link to
/// a directory, a nested directory sorted before a sibling file, an
/// ignored file) and a named context `lib/`.
fn program() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("app/Dockerfile"),
        "FROM busybox:local\nCOPY . /app\n",
        0o644,
    );
    write(&root.join("app/.dockerignore"), "secret.txt\n", 0o644);
    write(&root.join("app/secret.txt"), "never hashed", 0o644);
    write(&root.join("app/main.txt"), "hello\n", 0o644);
    write(&root.join("app/run.sh"), "#!/bin/sh\necho hi\n", 0o755);
    write(&root.join("app/a/b.txt"), "nested\n", 0o644);
    write(&root.join("app/a.txt"), "sibling\n", 0o644);
    symlink("main.txt", root.join("app/link.txt")).unwrap();
    symlink("a", root.join("app/dirlink")).unwrap();
    write(&root.join("lib/lib.txt"), "library\n", 0o644);
    dir
}

/// A Go zero value for every input never given. The official provider's
/// own state has them for scalars and leaves empty lists and maps out
/// (seen through the real CLI); they are all here, the harder case: either
/// shape reads as unchanged.
fn official_zeros() -> Json {
    json!({
        "addHosts": [], "buildArgs": {}, "buildOnPreview": true, "cacheFrom": [], "cacheTo": [],
        "exec": false, "exports": [], "labels": {}, "load": false, "network": "default",
        "noCache": false, "platforms": [], "pull": false, "registries": [], "secrets": {},
        "ssh": [], "tags": [], "target": "",
    })
}

fn official_state(inputs: Json, hash: &str) -> Json {
    let mut state = official_zeros();
    for (key, value) in inputs.as_object().unwrap() {
        state[key] = value.clone();
    }
    state["contextHash"] = json!(hash);
    state["digest"] =
        json!("sha256:4a5f3c1e0c9d2b7a6e8f1d0c3b2a19487f6e5d4c3b2a1908f7e6d5c4b3a29180");
    state["ref"] = json!(
        "r.example/app:1@sha256:4a5f3c1e0c9d2b7a6e8f1d0c3b2a19487f6e5d4c3b2a1908f7e6d5c4b3a29180"
    );
    state
}

async fn checked(session: &mut Session, news: Json) -> Json {
    let response = check(session, news).await;
    assert!(response.failures.is_empty(), "{:?}", response.failures);
    from_struct(response.inputs.as_ref().unwrap())
}

async fn changes(session: &mut Session, state: &Json, inputs: &Json) -> Vec<String> {
    let response: pb::DiffResponse = diff(session, state, inputs).await.unwrap();
    let mut keys: Vec<String> = response.detailed_diff.keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_stack_written_by_the_official_provider_shows_no_changes() {
    let dir = program();
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let xdg = cache.path().to_str().unwrap();
    let mut session = start_with_env(root, &[("XDG_CACHE_HOME", xdg)]).await;
    session.configure(json!({"host": ""})).await;

    // A local context with a named context, exports and caches.
    let program_inputs = json!({
        "push": true,
        "tags": ["r.example/app:1"],
        "context": {"location": "./app", "named": {"lib": {"location": "./lib"}}},
        "exports": [{"registry": {}}],
        "cacheFrom": [{"registry": {"ref": "r.example/app:cache"}}],
        "cacheTo": [{"inline": {}}],
    });
    let inputs = checked(&mut session, program_inputs).await;
    assert_eq!(
        inputs["dockerfile"],
        json!({"location": "app/Dockerfile"}),
        "cleaned as Go cleans it"
    );
    let app = root.join("app");
    let hash = official_hash(
        Some(&app.join("Dockerfile")),
        &[&app, &root.join("lib")],
        &["secret.txt"],
    );
    let state = official_state(
        json!({
            "push": true,
            "tags": ["r.example/app:1"],
            "context": {"location": "./app", "named": {"lib": {"location": "./lib"}}},
            "dockerfile": {"location": "app/Dockerfile", "inline": ""},
            "exports": [{"raw": "", "disabled": false, "registry": {
                "danglingNamePrefix": "", "push": true, "store": true, "ociMediaTypes": false,
                "compression": "gzip", "compressionLevel": 0, "forceCompression": false,
                "insecure": false, "nameCanonical": false, "pushByDigest": false, "unpack": false,
                "annotations": {}, "names": []}}],
            "cacheFrom": [{"raw": "", "disabled": false, "registry": {"ref": "r.example/app:cache"}}],
            "cacheTo": [{"raw": "", "disabled": false, "inline": {}}],
        }),
        &hash,
    );
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        Vec::<String>::new()
    );

    // The match is remembered beside the stat indexes: a new process (the
    // next preview) needs no read of the files to say the same.
    let memo = cache
        .path()
        .join("pulumi-docker-build/official")
        .join(&hash);
    assert!(memo.is_file(), "{} remembered", memo.display());
    let mut next = start_with_env(root, &[("XDG_CACHE_HOME", xdg)]).await;
    next.configure(json!({})).await;
    assert_eq!(
        changes(&mut next, &state, &inputs).await,
        Vec::<String>::new()
    );

    // An ignored file changes nothing; a real change is an update.
    fs::write(app.join("secret.txt"), "still ignored").unwrap();
    assert_eq!(
        changes(&mut next, &state, &inputs).await,
        Vec::<String>::new()
    );
    fs::write(app.join("a/b.txt"), "edited\n").unwrap();
    assert_eq!(changes(&mut next, &state, &inputs).await, ["contextHash"]);
    fs::write(app.join("a/b.txt"), "nested\n").unwrap();
    fs::set_permissions(app.join("main.txt"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        changes(&mut next, &state, &inputs).await,
        ["contextHash"],
        "an executable bit counts"
    );
}

#[tokio::test]
async fn inline_and_remote_official_stacks_show_no_changes() {
    let dir = program();
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let mut session =
        start_with_env(root, &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())]).await;
    session.configure(json!({})).await;

    // An inline Dockerfile, with the empty location an official program
    // may pass explicitly.
    let inline = "FROM busybox:local\nCOPY . /app\n";
    let inputs = checked(
        &mut session,
        json!({"push": false, "context": {"location": "app"},
               "dockerfile": {"inline": inline, "location": ""}, "target": ""}),
    )
    .await;
    assert_eq!(inputs["dockerfile"], json!({"inline": inline}));
    let hash = official_hash(None, &[&root.join("app")], &["secret.txt"]);
    let state = official_state(
        json!({"push": false, "context": {"location": "app"},
               "dockerfile": {"inline": inline, "location": ""}}),
        &hash,
    );
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        Vec::<String>::new()
    );

    // A remote context: the official hash is the digest of nothing.
    let remote = "https://github.com/example/app.git#main";
    let inputs = checked(
        &mut session,
        json!({"push": false, "context": {"location": remote}}),
    )
    .await;
    let state = official_state(
        json!({"push": false, "context": {"location": remote},
               "dockerfile": {"location": "", "inline": ""}}),
        &official_hash(None, &[], &[]),
    );
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        Vec::<String>::new()
    );
    let mut edited = inputs.clone();
    edited["target"] = json!("release");
    assert_eq!(changes(&mut session, &state, &edited).await, ["target"]);
}

/// An output value as an engine that was told `acceptOutputs` sends it.
fn output(value: Option<Json>, secret: bool) -> prost_types::Value {
    use docker_build::wire::sig;
    use prost_types::value::Kind;
    let mut fields = std::collections::BTreeMap::new();
    fields.insert(
        sig::KEY.to_owned(),
        crate::harness::to_value(&json!(sig::OUTPUT_VALUE)),
    );
    if let Some(value) = value {
        fields.insert("value".to_owned(), crate::harness::to_value(&value));
    }
    fields.insert(
        "secret".to_owned(),
        prost_types::Value {
            kind: Some(Kind::BoolValue(secret)),
        },
    );
    fields.insert(
        "dependencies".to_owned(),
        crate::harness::to_value(&json!([
            "urn:pulumi:dev::proj::aws:ecr/repository:Repository::repo"
        ])),
    );
    prost_types::Value {
        kind: Some(Kind::StructValue(prost_types::Struct { fields })),
    }
}

#[tokio::test]
async fn output_values_are_accepted_and_diff_never_fails_on_the_disk() {
    let dir = program();
    let root = dir.path();
    let mut session = Session::start(root).await;
    session.configure(json!({})).await;

    // Check with output values: a known tag, a secret build secret and a
    // label that is not known yet.
    let mut news =
        crate::harness::to_struct(&json!({"push": false, "context": {"location": "app"}}));
    news.fields.insert(
        "tags".into(),
        prost_types::Value {
            kind: Some(prost_types::value::Kind::ListValue(
                prost_types::ListValue {
                    values: vec![output(Some(json!("r.example/app:1")), false)],
                },
            )),
        },
    );
    news.fields.insert(
        "secrets".into(),
        output(Some(json!({"TOKEN": "t0k3n"})), true),
    );
    news.fields.insert("target".into(), output(None, false));
    let response = session
        .client
        .check(pb::CheckRequest {
            urn: crate::harness::IMAGE_URN.into(),
            news: Some(news),
            r#type: "docker-build:index:Image".into(),
            name: "img".into(),
            ..Default::default()
        })
        .await
        .expect("output values are accepted")
        .into_inner();
    assert!(response.failures.is_empty(), "{:?}", response.failures);
    let inputs = from_struct(response.inputs.as_ref().unwrap());
    assert_eq!(inputs["tags"], json!(["r.example/app:1"]));
    assert_eq!(
        inputs["secrets"],
        json!({"$secret": {"TOKEN": "t0k3n"}}),
        "still secret"
    );
    assert_eq!(inputs["target"], json!("$unknown"));

    // A local export destination that is gone is an update on `exports`;
    // a named context that is gone is a change, not a failed preview.
    let inputs = checked(
        &mut session,
        json!({"push": false, "context": {"location": "app", "named": {"lib": {"location": "lib"}}},
               "exports": [{"local": {"dest": "out"}}]}),
    )
    .await;
    let hash = official_hash(
        Some(&root.join("app/Dockerfile")),
        &[&root.join("app"), &root.join("lib")],
        &["secret.txt"],
    );
    let state = official_state(inputs.clone(), &hash);
    assert_eq!(changes(&mut session, &state, &inputs).await, ["exports[0]"]);
    fs::create_dir(root.join("out")).unwrap();
    fs::write(root.join("out/app"), "built").unwrap();
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        Vec::<String>::new()
    );
    fs::remove_dir_all(root.join("lib")).unwrap();
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        ["contextHash"]
    );
}

/// An official stack whose Image reads an S3 cache with one key pair and
/// an Azure Blob cache with its account key, and writes an S3 cache with
/// another key pair: Diff sees no change and Read answers (the keys used
/// to be refused, which failed both).
#[tokio::test]
async fn official_state_with_cache_secrets_shows_no_changes_and_reads() {
    let dir = program();
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let mut session =
        start_with_env(root, &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())]).await;
    session.configure(json!({})).await;
    let s3 = |id: &str, key: &str| {
        json!({"bucket": "b", "region": "us-east-1", "accessKeyId": id,
               "secretAccessKey": {"$secret": key}})
    };
    let azure = json!({"name": "c", "accountUrl": "https://a.blob.example",
                       "secretAccessKey": {"$secret": "YXp1cmUta2V5"}});
    let program_inputs = json!({
        "push": true,
        "tags": ["127.0.0.1:1/app:1"],
        "context": {"location": "./app"},
        "cacheFrom": [{"s3": s3("AKIDREAD", "read-key")}, {"azblob": azure}],
        "cacheTo": [{"s3": s3("AKIDWRITE", "write-key")}],
    });
    let inputs = checked(&mut session, program_inputs).await;
    let app = root.join("app");
    let hash = official_hash(Some(&app.join("Dockerfile")), &[&app], &["secret.txt"]);
    let s3_zeros = json!({"name": "", "endpointUrl": "", "blobsPrefix": "", "manifestsPrefix": "",
                          "usePathStyle": false, "sessionToken": ""});
    let official = |kind: &str, entry: &Json, export: bool| {
        let mut settings = entry[kind].clone();
        if kind == "s3" {
            for (key, zero) in s3_zeros.as_object().unwrap() {
                settings[key] = zero.clone();
            }
        }
        if export {
            settings["mode"] = json!("min");
            settings["ignoreError"] = json!(false);
        }
        json!({"raw": "", "disabled": false, kind: settings})
    };
    let state = official_state(
        json!({
            "push": true,
            "tags": ["127.0.0.1:1/app:1"],
            "context": {"location": "./app"},
            "dockerfile": {"location": "app/Dockerfile", "inline": ""},
            "cacheFrom": [official("s3", &json!({"s3": s3("AKIDREAD", "read-key")}), false),
                          official("azblob", &json!({"azblob": azure}), false)],
            "cacheTo": [official("s3", &json!({"s3": s3("AKIDWRITE", "write-key")}), true)],
        }),
        &hash,
    );
    assert_eq!(
        changes(&mut session, &state, &inputs).await,
        Vec::<String>::new()
    );
    let read = session
        .read("sha256:4a5f", &crate::harness::to_struct(&state))
        .await
        .expect("Read answers for state with cache keys");
    let refreshed = from_struct(read.properties.as_ref().unwrap());
    assert_eq!(refreshed["cacheFrom"].as_array().unwrap().len(), 2);
}
