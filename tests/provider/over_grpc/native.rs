//! The build engine speaks BuildKit's API itself: builds of every kind it
//! covers start no `buildx build` or `bake` (a wrapper around buildx
//! records every command line; only `dial-stdio`, the connection to a
//! builder, may appear), and each still does its job: a push with the
//! automatic cache, build arguments and a secret on the engine's own
//! builder; a `load` from a remote builder into the engine; a tarball
//! export to a file; an SSH agent mounted into a step; an HTTP tarball
//! and a Git repository as contexts the daemon fetches.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::harness::{Session, registry, registry_tags, require_engine, start_with_env, unique};

/// A `docker-buildx` that appends each command line to `log`, then runs
/// the real one.
fn recording_buildx(dir: &Path, log: &Path) -> PathBuf {
    let real = docker_build::buildx::locate::find_buildx().expect("buildx in the test environment");
    let script = dir.join("docker-buildx");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

async fn session_with_recording(dir: &Path, work: &Path) -> (Session, PathBuf) {
    let log = work.join("argv.log");
    let buildx = recording_buildx(work, &log);
    let buildx_text = buildx.display().to_string();
    let session = start_with_env(dir, &[("DOCKER_BUILD_BUILDX", buildx_text.as_str())]).await;
    (session, log)
}

/// Every recorded buildx run was a dial to a builder.
fn assert_only_dials(log: &Path) {
    let runs = std::fs::read_to_string(log).unwrap_or_default();
    assert!(runs.lines().count() >= 1, "a builder was dialed");
    for run in runs.lines() {
        assert!(
            run.starts_with("dial-stdio"),
            "a buildx run that is not a dial: {run}"
        );
    }
}

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

#[tokio::test]
async fn an_ssh_agent_socket_is_mounted_into_a_step_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let socket = work.path().join("agent.sock");
    let _agent = tokio::net::UnixListener::bind(&socket).unwrap();
    let marker = unique("native-ssh");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM busybox:local\nRUN --mount=type=ssh,id=deploy test -S \"$SSH_AUTH_SOCK\" && echo {marker}\n"),
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": false,
            "ssh": [{"id": "deploy", "paths": [socket.display().to_string()]}],
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("the step finds the agent's socket");
    assert_only_dials(&log);
}

/// Serves `body` to every request on a loopback port, until dropped.
async fn http_server(body: Vec<u8>) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let serving = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = stream.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    (format!("http://{address}/context.tar"), serving)
}

#[tokio::test]
async fn an_http_tarball_context_is_fetched_by_the_daemon_without_buildx() {
    require_engine();
    let (work, source) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-http");
    std::fs::write(source.path().join("marker.txt"), &marker).unwrap();
    std::fs::write(
        source.path().join("Dockerfile"),
        "FROM 127.0.0.1:5000/busybox:local\nCOPY marker.txt /marker.txt\n",
    )
    .unwrap();
    let tarball = work.path().join("context.tar");
    let packed = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&tarball)
        .arg("-C")
        .arg(source.path())
        .args(["Dockerfile", "marker.txt"])
        .status()
        .unwrap();
    assert!(packed.success());
    let (url, _server) = http_server(std::fs::read(&tarball).unwrap()).await;
    let rootfs = build_fetched_context(&url).await;
    assert!(
        String::from_utf8_lossy(&rootfs).contains(&marker),
        "the context's file is in the image"
    );
}

/// Builds the context at `url` (which the daemon fetches) on a remote
/// builder through a recording buildx, asserting that buildx only dialed;
/// the image's file system as a tarball.
async fn build_fetched_context(url: &str) -> Vec<u8> {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": false,
            "context": {"location": url},
            "builder": {"name": "dbt-remote-a"},
            "exports": [{"tar": {"dest": "out/rootfs.tar"}}],
        }))
        .await;
    session.create(&inputs, false).await.expect("the build");
    assert_only_dials(&log);
    std::fs::read(dir.path().join("out/rootfs.tar")).expect("the tarball")
}

/// `git daemon` serving `root` on a free loopback port, until dropped.
struct GitDaemon {
    port: u16,
    child: std::process::Child,
}

impl GitDaemon {
    fn serve(root: &Path) -> GitDaemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `git daemon` would run `git-daemon` as a child of its own, which
        // outlives a kill: start that one directly.
        let exec_path = std::process::Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git");
        let exec_path = String::from_utf8_lossy(&exec_path.stdout).trim().to_owned();
        let child = std::process::Command::new(Path::new(&exec_path).join("git-daemon"))
            .args(["--export-all", "--reuseaddr", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", root.display()))
            .arg(root)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git-daemon");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "git daemon is up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        GitDaemon { port, child }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let done = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}

#[tokio::test]
async fn a_git_context_is_fetched_by_the_daemon_without_buildx() {
    require_engine();
    let repos = tempfile::tempdir().unwrap();
    let marker = unique("native-git");
    let repo = repos.path().join("app.git");
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::write(repo.join("web/marker.txt"), &marker).unwrap();
    std::fs::write(
        repo.join("web/Dockerfile"),
        "FROM 127.0.0.1:5000/busybox:local\nCOPY marker.txt /marker.txt\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "app"]);
    let daemon = GitDaemon::serve(repos.path());
    let context = format!("git://127.0.0.1:{}/app.git#main:web", daemon.port);
    let rootfs = build_fetched_context(&context).await;
    assert!(
        String::from_utf8_lossy(&rootfs).contains(&marker),
        "the repository's file is in the image"
    );
}

/// On an engine's classic image store the engine itself pushes what its
/// builder made (as buildx's `docker` driver has it do), with the login in
/// a request header; the state gets the registry's digest.
#[tokio::test]
async fn the_classic_store_pushes_through_the_engine_with_its_login_without_buildx() {
    require_engine();
    let classic = std::env::var("DOCKER_BUILD_TEST_CLASSIC_ENGINE").expect("classic engine");
    let ecr = std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY").expect("ECR stand-in");
    let password = std::env::var("DOCKER_BUILD_TEST_ECR_PASSWORD").expect("ECR password");
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("classic-push")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({"host": classic})).await;
    let repository = unique("classic-push");
    let tag = format!("{ecr}/{repository}:1");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [tag],
            "autoCache": false,
            "registries": [{"address": ecr, "username": "AWS", "password": {"$secret": password}}],
        }))
        .await;
    let created = session.create(&inputs, false).await.expect("pushed");
    let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
    let login = docker_build::credential::Credential {
        host: docker_build::credential::RegistryHost::parse(&ecr),
        username: "AWS".into(),
        password: password.clone(),
    };
    use docker_build::registry::{HttpRegistry, Presence, Registry};
    let Presence::Found(Some(pushed)) = HttpRegistry::default().head(&tag, &[login]).await else {
        panic!("{tag} is not in the registry");
    };
    assert_eq!(state["digest"], json!(pushed), "the registry's digest");
    assert_eq!(state["ref"], json!(format!("{tag}@{pushed}")));
    assert_only_dials(&log);
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&password));
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

/// Two platforms that no one node of `dbt-multi` builds both of: each is
/// solved on its own node, pushed by digest, and joined under the tag,
/// as buildx spreads such a build.
#[tokio::test]
async fn platforms_spread_over_a_two_node_builder_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("spread")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-spread");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "platforms": ["plan9/amd64", "plan9/386"],
            "autoCache": false,
            "builder": {"name": "dbt-multi"},
        }))
        .await;
    let created = session.create(&inputs, false).await.expect("pushed");
    let state = crate::harness::from_struct(created.properties.as_ref().unwrap());
    assert!(state["digest"].as_str().unwrap().starts_with("sha256:"));
    let mut platforms = crate::registry_kit::index_platforms(&repository, "1")
        .await
        .expect("an index");
    platforms.sort();
    assert_eq!(platforms, ["plan9/386", "plan9/amd64"]);
    assert_only_dials(&log);
    let dials = std::fs::read_to_string(&log).unwrap();
    assert!(
        dials.contains("plan9/amd64") && dials.contains("plan9/386"),
        "a dial per node: {dials}"
    );
}

/// SSH keys given as files are offered through an agent of the build's
/// own (OpenSSH's, holding the keys in memory), mounted into the step,
/// and stopped with the build.
#[tokio::test]
async fn ssh_key_files_reach_a_step_through_an_agent_of_the_builds_own() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let key = work.path().join("deploy_key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let marker = unique("native-ssh-key");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM busybox:local\nRUN --mount=type=ssh,id=deploy test -S \"$SSH_AUTH_SOCK\" && echo {marker}\n"),
    )
    .unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({
            "push": false,
            "ssh": [{"id": "deploy", "paths": [key.display().to_string()]}],
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("the step finds the agent's socket");
    assert_only_dials(&log);
    let plugin = session.child.id();
    let agents: Vec<u32> = crate::harness::children_of(plugin)
        .into_iter()
        .filter(|pid| crate::harness::cmdline(*pid).contains("ssh-agent"))
        .filter(|pid| !crate::harness::is_gone(*pid))
        .collect();
    assert!(agents.is_empty(), "the build's agent stopped with it");
}

/// The content of `name` in the tarball at `path`.
fn file_in_tar(path: &Path, name: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let mut at = 0;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        let entry = String::from_utf8_lossy(&header[..100])
            .trim_end_matches('\0')
            .to_owned();
        if entry.is_empty() {
            return None;
        }
        let size_text = String::from_utf8_lossy(&header[124..136]);
        let size =
            usize::from_str_radix(size_text.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        if entry.trim_start_matches("./") == name {
            return Some(bytes[at + 512..at + 512 + size].to_vec());
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    None
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
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("an OCI layout"))
            .unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    assert!(layout.join("blobs/sha256").join(&digest[7..]).exists());
    assert_only_dials(&log);
}

/// A builder that cannot be dialed is reported as buildx would report
/// it, without a buildx build to find out: no such builder names the ones
/// there are.
#[tokio::test]
async fn a_builder_that_is_not_there_is_named_without_a_buildx_build() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let inputs = session
        .checked(json!({"push": false, "builder": {"name": "dbt-nowhere"}}))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("no such builder");
    assert!(
        status
            .message()
            .contains("no buildx builder or Docker context named `dbt-nowhere`")
            && status.message().contains("dbt-remote-a"),
        "{}",
        status.message()
    );
    assert_only_dials(&log);
}

/// A multi-platform image with the automatic cache is one build per
/// platform (each pushed under a tag of its own) joined under the tags:
/// no buildx build for any of it.
#[tokio::test]
async fn per_platform_builds_and_their_join_run_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), unique("per-platform")).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let repository = unique("native-per-platform");
    let inputs = session
        .checked(json!({
            "push": true,
            "tags": [format!("{}/{repository}:1", registry())],
            "platforms": ["plan9/amd64", "plan9/386"],
        }))
        .await;
    session.create(&inputs, false).await.expect("pushed");
    let mut tags = registry_tags(&repository).await;
    tags.sort();
    assert_eq!(
        tags,
        [
            "1",
            "1-plan9-386",
            "1-plan9-amd64",
            "cache-plan9-386",
            "cache-plan9-amd64"
        ]
    );
    assert_only_dials(&log);
}

/// An image exported to an OCI layout directory is the base of the next
/// build as an `oci-layout://` named context: the layout is a content
/// store of the session, the image pinned by its tag's digest.
#[tokio::test]
async fn an_oci_layout_is_a_named_context_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-layout");
    let layout = work.path().join("layout");
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY m /base-file\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let base = session
        .checked(json!({
            "push": false,
            "tags": ["layout-base:v1"],
            "builder": {"name": "dbt-remote-a"},
            "exports": [{"oci": {"dest": layout.display().to_string(), "tar": false}}],
        }))
        .await;
    session
        .create(&base, false)
        .await
        .expect("the base in a layout");

    let app = tempfile::tempdir().unwrap();
    std::fs::write(
        app.path().join("Dockerfile"),
        "FROM base\nCOPY n /app-file\n",
    )
    .unwrap();
    std::fs::write(app.path().join("n"), "app").unwrap();
    let out = work.path().join("fs.tar");
    let inputs = session
        .checked(json!({
            "push": false,
            "context": {
                "location": app.path().display().to_string(),
                "named": {"base": {"location": format!("oci-layout://{}:v1", layout.display())}},
            },
            "builder": {"name": "dbt-remote-a"},
            "exports": [{"tar": {"dest": out.display().to_string()}}],
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("built on the layout");
    assert_eq!(
        file_in_tar(&out, "base-file").expect("the base's file"),
        marker.as_bytes()
    );
    assert!(file_in_tar(&out, "app-file").is_some());
    assert_only_dials(&log);
}

/// `load` from a remote builder into an engine at `ssh://`: the tarball
/// goes through `docker system dial-stdio` over SSH into that engine.
#[tokio::test]
async fn load_into_an_engine_over_ssh_without_buildx() {
    require_engine();
    let host = std::env::var("DOCKER_BUILD_TEST_SSH_HOST").expect("DOCKER_BUILD_TEST_SSH_HOST");
    let ssh_path = std::env::var("DOCKER_BUILD_TEST_SSH_PATH").expect("DOCKER_BUILD_TEST_SSH_PATH");
    let second = std::env::var("DOCKER_BUILD_TEST_SECOND_ENGINE_SOCKET").expect("second engine");
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("native-ssh-load");
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let argv = work.path().join("argv.log");
    let buildx = recording_buildx(work.path(), &argv);
    let path = format!("{ssh_path}:{}", std::env::var("PATH").unwrap());
    let buildx_text = buildx.display().to_string();
    let mut session = start_with_env(
        dir.path(),
        &[
            ("DOCKER_BUILD_BUILDX", buildx_text.as_str()),
            ("PATH", path.as_str()),
        ],
    )
    .await;
    session.configure(json!({"host": host})).await;
    let tag = format!("ssh-load:{}", marker.to_lowercase());
    let inputs = session
        .checked(json!({
            "push": false,
            "load": true,
            "tags": [tag],
            "builder": {"name": "dbt-remote-a"},
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("loaded over ssh");
    let inspected = std::process::Command::new("docker")
        .args(["image", "inspect", &tag])
        .env("DOCKER_HOST", &second)
        .output()
        .unwrap();
    assert!(
        inspected.status.success(),
        "{}",
        String::from_utf8_lossy(&inspected.stderr)
    );
    assert_only_dials(&argv);
    let _ = std::process::Command::new("docker")
        .args(["image", "rm", &tag])
        .env("DOCKER_HOST", &second)
        .output();
}

/// Platforms spread over nodes and not pushed: each node's result is its
/// own (a directory here), as buildx has it; one tarball for several nodes
/// is refused, naming the export.
#[tokio::test]
async fn platforms_spread_over_nodes_and_not_pushed_without_buildx() {
    require_engine();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marker = unique("spread-local");
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let (mut session, log) = session_with_recording(dir.path(), work.path()).await;
    session.configure(json!({})).await;
    let tree = work.path().join("tree");
    let spread = |exports: serde_json::Value| {
        json!({
            "push": false,
            "platforms": ["plan9/amd64", "plan9/386"],
            "builder": {"name": "dbt-multi"},
            "exports": exports,
        })
    };
    let inputs = session
        .checked(spread(
            json!([{"local": {"dest": tree.display().to_string()}}]),
        ))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("exported by each node");
    assert_eq!(std::fs::read_to_string(tree.join("m")).unwrap(), marker);

    let tarball = work.path().join("all.tar");
    let inputs = session
        .checked(spread(
            json!([{"tar": {"dest": tarball.display().to_string()}}]),
        ))
        .await;
    let status = session
        .create(&inputs, false)
        .await
        .expect_err("one tarball for two nodes");
    assert!(
        status.message().contains("tarball export (exports)"),
        "{}",
        status.message()
    );
    assert!(!tarball.exists());
    assert_only_dials(&log);
}

/// Writes a CA, a server certificate for 127.0.0.1 and a client
/// certificate into `dir` (Docker's names for the client side: `ca.pem`,
/// `cert.pem`, `key.pem`).
fn tls_files(dir: &Path) {
    let openssl = |args: &[&str]| {
        let done = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &key,
            &[
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-subj",
                "/CN=test-ca",
            ],
        ]
        .concat(),
    );
    for (name, subject, extension) in [
        (
            "server",
            "/CN=127.0.0.1",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "/CN=client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), extension).unwrap();
        let (key_file, csr) = (format!("{name}-key.pem"), format!("{name}.csr"));
        openssl(
            &[
                &["req"][..],
                &key,
                &["-keyout", &key_file, "-out", &csr, "-subj", subject],
            ]
            .concat(),
        );
        let (cert, ext) = (format!("{name}.pem"), format!("{name}.ext"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "1",
            "-extfile",
            &ext,
        ]);
    }
    std::fs::copy(dir.join("client.pem"), dir.join("cert.pem")).unwrap();
    std::fs::copy(dir.join("client-key.pem"), dir.join("key.pem")).unwrap();
}

/// A TLS endpoint in front of the engine's unix socket that wants a
/// client certificate from `dir`'s CA, as `dockerd --tlsverify` does; its
/// port, and how many connections it took.
async fn tls_engine(
    dir: &Path,
    engine: &str,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder(std::sync::Arc::new(roots))
        .build()
        .unwrap();
    let chain = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = engine.trim_start_matches("unix://").to_owned();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = taken.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, socket, counter) = (acceptor.clone(), socket.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut unix = tokio::net::UnixStream::connect(socket).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut unix).await;
            });
        }
    });
    (port, taken)
}

/// `load` from a remote builder into an engine behind TLS that checks
/// client certificates (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`): the
/// tarball goes in over TLS with the client certificate.
#[tokio::test]
async fn load_into_an_engine_behind_tls_without_buildx() {
    require_engine();
    let (dir, work, certs) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    tls_files(certs.path());
    let engine = std::env::var("DOCKER_HOST").expect("DOCKER_HOST");
    let (port, taken) = tls_engine(certs.path(), &engine).await;
    let marker = unique("native-tls-load");
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nCOPY m /m\n").unwrap();
    std::fs::write(dir.path().join("m"), &marker).unwrap();
    let argv = work.path().join("argv.log");
    let buildx = recording_buildx(work.path(), &argv);
    let (buildx_text, cert_path) = (
        buildx.display().to_string(),
        certs.path().display().to_string(),
    );
    let mut session = start_with_env(
        dir.path(),
        &[
            ("DOCKER_BUILD_BUILDX", buildx_text.as_str()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", cert_path.as_str()),
        ],
    )
    .await;
    session
        .configure(json!({"host": format!("tcp://127.0.0.1:{port}")}))
        .await;
    let tag = format!("tls-load:{}", marker.to_lowercase());
    let inputs = session
        .checked(json!({
            "push": false,
            "load": true,
            "tags": [tag],
            "builder": {"name": "dbt-remote-a"},
        }))
        .await;
    session
        .create(&inputs, false)
        .await
        .expect("loaded over TLS");
    assert!(
        taken.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "through the TLS endpoint"
    );
    let inspected = std::process::Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    assert!(
        inspected.status.success(),
        "{}",
        String::from_utf8_lossy(&inspected.stderr)
    );
    assert_only_dials(&argv);
    let _ = std::process::Command::new("docker")
        .args(["image", "rm", &tag])
        .output();
}
