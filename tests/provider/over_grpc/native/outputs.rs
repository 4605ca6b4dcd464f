//! Where builds go, with no buildx build: a push with the automatic cache,
//! a load and tarballs, the build arguments buildx acts on, local cache
//! directories, exports to directories.

use super::*;

#[tokio::test]
async fn a_pushed_build_with_arguments_and_a_secret_runs_no_buildx_build() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:local AS base\nARG GREETING\nRUN --mount=type=secret,id=TOKEN test \"$(cat /run/secrets/TOKEN)\" = t0ken && echo \"$GREETING\" > /greeting\nFROM base AS app\nLABEL stage=app\n",
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-push");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "buildArgs": {"GREETING": "hello"},
            "target": "app",
            "secrets": {"$secret": {"TOKEN": "t0ken"}},
        }))
        .await;
    let created = session.create(&inputs, false).await.expect("the build");
    assert!(created.id.starts_with("sha256:"), "{}", created.id);
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(tags, ["1", "cache"], "the image and its automatic cache");
    assert_only_dials(&log);
}

#[tokio::test]
async fn load_from_a_remote_builder_and_a_tarball_export_run_no_buildx_build() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-load");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM 127.0.0.1:5000/busybox:local\nRUN echo {marker} > /marker\n"),
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let tag = format!("native-load:{marker}");
    let inputs = session
        .checked(json!({
            "push": false,
            "load": true,
            "tags": [tag],
            "builder": {"name": "dbt-remote-a"},
            "exports": [{"tar": {"dest": "out/rootfs.tar"}}],
        }))
        .await;
    session.create(&inputs, false).await.expect("the build");
    let inspected = std::process::Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    assert!(
        inspected.status.success(),
        "the image is in the engine: {}",
        String::from_utf8_lossy(&inspected.stderr)
    );
    let _ = std::process::Command::new("docker")
        .args(["image", "rm", &tag])
        .output();
    let tarball = std::fs::read(dir.path().join("out/rootfs.tar")).expect("the tarball");
    assert!(
        tarball.len() > 512 && &tarball[257..262] == b"ustar",
        "a tar file"
    );
    let listing = String::from_utf8_lossy(&tarball);
    assert!(listing.contains("marker"), "the build's file is in it");
    assert_only_dials(&log);
}

/// `BUILDKIT_INLINE_CACHE` and `BUILDKIT_MULTI_PLATFORM`, which buildx
/// acts on itself, are acted on the same way: the pushed image carries its
/// cache in its config, and one platform is pushed as an index.
#[tokio::test]
async fn the_build_arguments_buildx_acts_on_work_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM 127.0.0.1:5000/busybox:local\nRUN echo inline > /inline\n",
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-inline");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "autoCache": false,
            "builder": {"name": "dbt-remote-a"},
            "buildArgs": {"BUILDKIT_INLINE_CACHE": "1", "BUILDKIT_MULTI_PLATFORM": "1"},
        }))
        .await;
    session.create(&inputs, false).await.expect("pushed");
    assert_only_dials(&log);
    let client = reqwest::Client::new();
    let get = |path: String, accept: &'static str| {
        let request = client
            .get(format!("http://{}/v2/{repository}/{path}", registry()))
            .header("Accept", accept);
        async move {
            let body = request.send().await.unwrap().bytes().await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()
        }
    };
    let lists = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";
    let index = get("manifests/1".into(), lists).await;
    let manifests = index["manifests"]
        .as_array()
        .expect("an index for one platform");
    let image = manifests[0]["digest"].as_str().unwrap().to_owned();
    let images = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    let manifest = get(format!("manifests/{image}"), images).await;
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let config = get(format!("blobs/{config}"), "*/*").await;
    assert!(
        config.get("moby.buildkit.cache.v0").is_some(),
        "the inline cache is in the image config"
    );
}

/// A local cache directory is a content store the session serves: the
/// first build writes its cache there (an OCI layout whose `index.json`
/// names it `latest`), and a build on an emptied builder cache (a fresh
/// runner) takes its steps from it: the step that writes a random value
/// is not run again.
#[tokio::test]
async fn a_local_cache_directory_is_written_and_read_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-local-cache");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM 127.0.0.1:5000/busybox:local\nRUN echo {marker} && cat /proc/sys/kernel/random/uuid > /m\n"),
    )
    .unwrap();
    let cache = work.path().join("cache");
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let mut outputs = Vec::new();
    for round in 0..2 {
        let out = work.path().join(format!("fs-{round}.tar"));
        let inputs = session
            .checked(json!({
                "push": false,
                "builder": {"name": "dbt-remote-b"},
                "cacheTo": [{"local": {"dest": cache.display().to_string(), "mode": "max"}}],
                "cacheFrom": [{"local": {"src": cache.display().to_string()}}],
                "exports": [{"tar": {"dest": out.display().to_string()}}],
            }))
            .await;
        session.create(&inputs, false).await.expect("a build");
        outputs.push(file_in_tar(&out, "m").expect("/m in the tarball"));
        if round == 0 {
            let index: serde_json::Value = serde_json::from_slice(
                &std::fs::read(cache.join("index.json")).expect("index.json"),
            )
            .unwrap();
            let manifest = &index["manifests"][0];
            assert_eq!(
                manifest["annotations"]["org.opencontainers.image.ref.name"],
                "latest"
            );
            let digest = manifest["digest"].as_str().unwrap();
            let blob = cache
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:"));
            assert!(blob.exists(), "the cache manifest is a blob of the layout");
            let pruned = std::process::Command::new("docker")
                .args(["buildx", "prune", "-af", "--builder", "dbt-remote-b"])
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(pruned.success());
        }
    }
    assert_eq!(
        outputs[0], outputs[1],
        "the step came from the directory, not run again"
    );
    assert_only_dials(&log);
}

/// An export to a directory (`local`, and `oci` with `tar: false`) is a
/// file tree the daemon sends through the session, received into it:
/// contents, symlinks and permissions as built.
#[tokio::test]
async fn exports_to_a_directory_are_received_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-dir");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM 127.0.0.1:5000/busybox:local AS build\nRUN mkdir -p /out/sub && echo {marker} > /out/sub/f && ln -s sub/f /out/link && chmod 750 /out/sub && chmod 640 /out/sub/f\nFROM scratch\nCOPY --from=build /out /\n"
        ),
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let tree = work.path().join("tree");
    let layout = work.path().join("layout");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("kept"), "was here").unwrap();
    let inputs = session
        .checked(json!({
            "push": false,
            "builder": {"name": "dbt-remote-a"},
            "exports": [
                {"local": {"dest": tree.display().to_string()}},
                {"oci": {"dest": layout.display().to_string(), "tar": false}},
            ],
        }))
        .await;
    session.create(&inputs, false).await.expect("exported");
    use std::os::unix::fs::PermissionsExt as _;
    let content = std::fs::read_to_string(tree.join("sub/f")).unwrap();
    assert_eq!(content.trim(), marker);
    assert_eq!(
        std::fs::read_link(tree.join("link")).unwrap(),
        Path::new("sub/f")
    );
    let mode = |p: &str| {
        std::fs::metadata(tree.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!((mode("sub"), mode("sub/f")), (0o750, 0o640));
    assert!(tree.join("kept").exists(), "what was there stays");
    let names: Vec<String> = std::fs::read_dir(&tree)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".receiving-")),
        "nothing half-received is left: {names:?}"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("an OCI layout"))
            .unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    assert!(layout.join("blobs/sha256").join(&digest[7..]).exists());
    assert_only_dials(&log);
}
