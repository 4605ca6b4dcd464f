//! Load: sixteen Images created at once through one provider process
//! (the engine's default parallelism exceeds the cores), each with its own
//! content, then planned again with nothing changed. Prints the wall time
//! next to sixteen sequential raw buildx builds; asserts correctness only.

use std::time::Instant;

use docker_build::rpc::pb;
use serde_json::json;

use crate::harness::{IMAGE_URN, Session, from_struct, registry, require_engine, unique};

const IMAGES: usize = 16;

#[tokio::test]
async fn sixteen_concurrent_creates_succeed_with_distinct_digests() {
    require_engine();
    let root = tempfile::tempdir().unwrap();
    let run = unique("load");
    let mut dirs = Vec::new();
    for i in 0..IMAGES {
        let dir = root.path().join(format!("app{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            "FROM busybox:local\nCOPY id.txt /id.txt\n",
        )
        .unwrap();
        std::fs::write(dir.join("id.txt"), format!("{run} image {i}\n")).unwrap();
        dirs.push(dir);
    }
    let mut session = Session::start(root.path()).await;
    session.configure(json!({})).await;
    let mut inputs = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let news = json!({"push": true, "tags": [format!("{}/{run}-{i}:1", registry())], "context": {"location": dir.display().to_string()}});
        inputs.push(session.checked(news).await);
    }

    let started = Instant::now();
    let creates = inputs.iter().enumerate().map(|(i, properties)| {
        let mut client = session.client.clone();
        let urn = format!("{IMAGE_URN}{i}");
        let properties = properties.clone();
        tokio::spawn(async move {
            client
                .create(pb::CreateRequest {
                    urn,
                    properties: Some(properties),
                    ..Default::default()
                })
                .await
        })
    });
    let mut states = Vec::new();
    for create in creates.collect::<Vec<_>>() {
        let created = create
            .await
            .unwrap()
            .expect("every concurrent create succeeds")
            .into_inner();
        states.push(created);
    }
    let concurrent = started.elapsed();

    let mut digests: Vec<String> = states.iter().map(|s| s.id.clone()).collect();
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), IMAGES, "distinct content, distinct digests");
    for (i, created) in states.iter().enumerate() {
        let state = from_struct(created.properties.as_ref().unwrap());
        assert_eq!(
            state["ref"],
            json!(format!("{}/{run}-{i}:1@{}", registry(), created.id)),
            "each state is its own image's"
        );
    }

    // A second run plans nothing.
    for (created, news) in states.iter().zip(&inputs) {
        let olds = from_struct(created.properties.as_ref().unwrap());
        let diff = crate::harness::diff(&mut session, &olds, &from_struct(news))
            .await
            .unwrap();
        assert_eq!(
            diff.changes,
            pb::diff_response::DiffChanges::DiffNone as i32,
            "{:?}",
            diff.diffs
        );
    }

    // The same builds, one after another, with raw buildx (figures only).
    let buildx = docker_build::build::locate::find_buildx().expect("buildx");
    let raw_started = Instant::now();
    for (i, dir) in dirs.iter().enumerate() {
        std::fs::write(dir.join("id.txt"), format!("{run} raw {i}\n")).unwrap();
        let status = std::process::Command::new(&buildx)
            .args([
                "build",
                "--provenance",
                "false",
                "--progress",
                "quiet",
                "--push",
                "-t",
                &format!("{}/{run}-raw-{i}:1", registry()),
                ".",
            ])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    println!(
        "load: {IMAGES} concurrent creates through one provider: {:.1} s; {IMAGES} sequential raw buildx builds: {:.1} s",
        concurrent.as_secs_f64(),
        raw_started.elapsed().as_secs_f64()
    );
}
