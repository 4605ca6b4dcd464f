//! Fixtures that break things on purpose: a registry that dies in the middle
//! of a push, a Docker engine of the test's own that can be stopped, and a
//! disk that is full.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A TCP proxy in front of the test registry that stops answering the
/// moment a blob upload starts: the registry "dies" mid-push. Connections
/// it accepts while dead are closed at once, like a host whose process is
/// gone; [`DyingRegistry::revive`] makes it forward again on the same port.
pub struct DyingRegistry {
    /// `127.0.0.1:<port>`, the address to tag images with.
    pub address: String,
    alive: Arc<AtomicBool>,
    died: Arc<Notify>,
    uploads_seen: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DyingRegistry {
    /// Starts the proxy in front of `upstream` (`host:port`).
    pub async fn start(upstream: String) -> DyingRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let alive = Arc::new(AtomicBool::new(true));
        let died = Arc::new(Notify::new());
        let uploads_seen = Arc::new(AtomicUsize::new(0));
        let (a, d, u) = (alive.clone(), died.clone(), uploads_seen.clone());
        let task = tokio::spawn(async move {
            // Dropped with the task: every open connection goes with it.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !a.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (a, d, u, upstream) = (a.clone(), d.clone(), u.clone(), upstream.clone());
                connections.spawn(forward(client, upstream, a, d, u));
            }
        });
        DyingRegistry {
            address,
            alive,
            died,
            uploads_seen,
            task,
        }
    }

    /// Waits until the proxy has died (a blob upload was attempted).
    pub async fn wait_until_dead(&self) {
        let notified = self.died.notified();
        if self.alive.load(Ordering::SeqCst) {
            notified.await;
        }
    }

    /// Whether the proxy has cut the registry off.
    pub fn is_dead(&self) -> bool {
        !self.alive.load(Ordering::SeqCst)
    }

    /// Forwards again from now on.
    pub fn revive(&self) {
        self.alive.store(true, Ordering::SeqCst);
    }

    /// How many blob uploads clients have started through the proxy.
    pub fn uploads_seen(&self) -> usize {
        self.uploads_seen.load(Ordering::SeqCst)
    }
}

impl Drop for DyingRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One proxied connection. Client bytes are scanned for the start of a blob
/// upload (`POST /v2/.../blobs/uploads/`); the first one kills the proxy
/// (once), and every connection checks the flag between reads.
async fn forward(
    mut client: TcpStream,
    upstream: String,
    alive: Arc<AtomicBool>,
    died: Arc<Notify>,
    uploads_seen: Arc<AtomicUsize>,
) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    let poll = Duration::from_millis(20);
    loop {
        if !alive.load(Ordering::SeqCst) {
            return;
        }
        tokio::select! {
            read = client_read.read(&mut up) => {
                let Ok(n) = read else { return };
                if n == 0 { return; }
                let text = String::from_utf8_lossy(&up[..n]);
                if text.starts_with("POST ") && text.contains("/blobs/uploads/") {
                    let first = uploads_seen.fetch_add(1, Ordering::SeqCst) == 0;
                    if first {
                        alive.store(false, Ordering::SeqCst);
                        died.notify_waiters();
                        return;
                    }
                }
                if server_write.write_all(&up[..n]).await.is_err() { return; }
            }
            read = server_read.read(&mut down) => {
                let Ok(n) = read else { return };
                if n == 0 { return; }
                if client_write.write_all(&down[..n]).await.is_err() { return; }
            }
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// A Docker engine of the test's own (same binaries as the test
/// environment's, its own data root and socket), with `busybox:local`
/// loaded, so the test may stop it without disturbing anyone else.
pub struct ScratchEngine {
    /// `unix://...` for DOCKER_HOST.
    pub host: String,
    root: tempfile::TempDir,
    daemon: Option<Child>,
}

impl ScratchEngine {
    /// Starts the engine and waits (up to 60 s) until it answers.
    pub fn start() -> ScratchEngine {
        // Unix socket paths are short (108 bytes): keep the root in /tmp.
        let root = tempfile::Builder::new()
            .prefix("dbt-e")
            .tempdir_in("/tmp")
            .unwrap();
        let path = root.path();
        let socket = path.join("d.sock");
        let config = serde_json::json!({
            "features": {"containerd-snapshotter": true},
            "data-root": path.join("data"),
            "exec-root": path.join("x"),
            "pidfile": path.join("d.pid"),
            "hosts": [format!("unix://{}", socket.display())],
            "iptables": false,
            "ip-forward": false,
        });
        std::fs::write(path.join("daemon.json"), config.to_string()).unwrap();
        let mut engine = ScratchEngine {
            host: format!("unix://{}", socket.display()),
            root,
            daemon: None,
        };
        engine.run_daemon();
        engine.load_busybox();
        engine
    }

    /// Stops the engine and starts it again on the same data (its images
    /// stay); waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        self.run_daemon();
    }

    /// Starts `dockerd` and waits (up to 60 s) until it answers.
    fn run_daemon(&mut self) {
        let path = self.root.path();
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(path.join("dockerd.log"))
            .unwrap();
        let daemon = Command::new("dockerd")
            .arg("--config-file")
            .arg(path.join("daemon.json"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd is on PATH (source the test environment's env.sh)");
        self.daemon = Some(daemon);
        let started = Instant::now();
        while !self.answers() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the scratch engine did not come up: {}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn answers(&self) -> bool {
        Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .env("DOCKER_HOST", &self.host)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Copies `busybox:local` from the test environment's engine.
    fn load_busybox(&self) {
        let mut save = Command::new("docker")
            .args(["save", "busybox:local"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let load = Command::new("docker")
            .arg("load")
            .env("DOCKER_HOST", &self.host)
            .stdin(save.stdout.take().unwrap())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(save.wait().unwrap().success(), "docker save busybox:local");
        assert!(
            load.success(),
            "busybox:local loads into the scratch engine"
        );
    }

    /// The last lines of the engine's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text =
            std::fs::read_to_string(self.root.path().join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Stops the engine the way `systemctl stop docker` does: SIGTERM, then
    /// waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = Command::new("kill")
                .args(["-s", "TERM", "--", &daemon.id().to_string()])
                .status();
            let started = Instant::now();
            while daemon.try_wait().unwrap().is_none() {
                if started.elapsed() > Duration::from_secs(30) {
                    let _ = daemon.kill();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for ScratchEngine {
    fn drop(&mut self) {
        self.stop();
        // The engine mounts overlays under its data root; they are gone
        // once it exits, but be thorough before the directory goes.
        let _ = Command::new("umount")
            .arg("-R")
            .arg(self.root.path())
            .stderr(Stdio::null())
            .status();
    }
}

/// A tmpfs of a few pages, filled until writes fail with ENOSPC: a disk
/// that is full. Needs root (as CI runs); unmounted when dropped.
pub struct FullDisk {
    dir: tempfile::TempDir,
}

impl FullDisk {
    /// Mounts the tmpfs and fills it, leaving `spare` bytes (rounded down to
    /// whole pages by the filesystem) free.
    pub fn new(spare: u64) -> FullDisk {
        let disk = FullDisk::empty();
        disk.fill(spare);
        disk
    }

    /// Mounts the tmpfs, still empty: [`FullDisk::fill`] fills it later.
    pub fn empty() -> FullDisk {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(mounted.success(), "mounting a tmpfs needs root, as in CI");
        FullDisk { dir }
    }

    /// Fills the disk until `spare` bytes are left.
    pub fn fill(&self, spare: u64) {
        let filler = self.free_bytes().saturating_sub(spare);
        std::fs::write(self.path().join(".filler"), vec![0u8; filler as usize]).unwrap();
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A directory on the disk (created before it fills up, so it exists).
    pub fn subdir(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Bytes still free.
    pub fn free_bytes(&self) -> u64 {
        let out = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(self.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap()
    }

    /// Everything on the disk except the filler, as relative paths.
    pub fn leftovers(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![self.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let relative = path
                    .strip_prefix(self.path())
                    .unwrap()
                    .display()
                    .to_string();
                if relative == ".filler" {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path.clone());
                }
                found.push(relative);
            }
        }
        found.sort();
        found
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}
