//! Contexts the build engine serves or has the daemon fetch, with no
//! buildx build: an HTTP tarball, a Git repository, an OCI layout as a
//! named context.

use super::*;

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
