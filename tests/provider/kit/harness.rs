//! An engine stand-in for integration tests: it serves `Engine.Log`,
//! launches the provider binary the way the Pulumi engine does (engine
//! address as the last argument, program directory as the working
//! directory), reads the port from the first line of stdout, and connects.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docker_build::rpc::pb;
use docker_build::rpc::pb::engine_server::{Engine, EngineServer};
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

// Re-exported: every binary that includes the harness sees them here.
#[allow(unused_imports)]
pub use crate::registry_kit::{clear_at, clear_repository, registry_tags, tags_at};
use docker_build::context::hash_context;
use docker_build::image::{ImageArgs, context_sources};
use serde_json::json;

/// Log lines the provider sent to the engine.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<pb::LogRequest>>>);

impl Logs {
    pub fn all(&self) -> Vec<pb::LogRequest> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until a line matching `pred` arrives.
    pub async fn wait_for(&self, pred: impl Fn(&pb::LogRequest) -> bool) -> pb::LogRequest {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self.all().into_iter().find(|l| pred(l)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no matching log line; got {:?}",
                self.all()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

struct EngineService {
    logs: Logs,
}

#[tonic::async_trait]
impl Engine for EngineService {
    async fn log(&self, request: Request<pb::LogRequest>) -> Result<Response<()>, Status> {
        self.logs.0.lock().unwrap().push(request.into_inner());
        Ok(Response::new(()))
    }

    async fn get_root_resource(
        &self,
        _: Request<pb::GetRootResourceRequest>,
    ) -> Result<Response<pb::GetRootResourceResponse>, Status> {
        Ok(Response::new(pb::GetRootResourceResponse::default()))
    }

    async fn set_root_resource(
        &self,
        _: Request<pb::SetRootResourceRequest>,
    ) -> Result<Response<pb::SetRootResourceResponse>, Status> {
        Ok(Response::new(pb::SetRootResourceResponse::default()))
    }

    async fn start_debugging(
        &self,
        _: Request<pb::StartDebuggingRequest>,
    ) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }

    async fn require_pulumi_version(
        &self,
        _: Request<pb::RequirePulumiVersionRequest>,
    ) -> Result<Response<pb::RequirePulumiVersionResponse>, Status> {
        Ok(Response::new(pb::RequirePulumiVersionResponse::default()))
    }
}

/// A running engine stand-in plus a provider process.
pub struct Session {
    pub engine_address: String,
    pub logs: Logs,
    pub child: Child,
    pub port: u16,
    pub client: ResourceProviderClient<Channel>,
    /// Everything the provider printed on stdout after the port line.
    pub stdout_rest: Arc<Mutex<Vec<u8>>>,
}

pub const BINARY: &str = env!("CARGO_BIN_EXE_pulumi-resource-docker-build");

/// Starts the engine stand-in.
pub async fn start_engine() -> (String, Logs) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let logs = Logs::default();
    let service = EngineServer::new(EngineService { logs: logs.clone() });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (address, logs)
}

/// Launches the provider in `dir` with `args`, returning it and its port.
pub fn launch(dir: &Path, args: &[&str]) -> (Child, u16, Arc<Mutex<Vec<u8>>>) {
    let mut child = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("provider binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let port: u16 = first
        .trim_end_matches('\n')
        .parse()
        .unwrap_or_else(|_| panic!("first stdout line is not a port: {first:?}"));
    assert!(first.ends_with('\n'));
    let rest = Arc::new(Mutex::new(Vec::new()));
    let sink = rest.clone();
    std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stdout.read_to_end(&mut buffer);
        sink.lock().unwrap().extend(buffer);
    });
    (child, port, rest)
}

pub async fn connect(port: u16) -> ResourceProviderClient<Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .expect("provider accepts connections");
    ResourceProviderClient::new(channel)
        .max_decoding_message_size(400 << 20)
        .max_encoding_message_size(400 << 20)
}

impl Session {
    /// Engine stand-in + provider launched in `dir`.
    pub async fn start(dir: &Path) -> Session {
        let (engine_address, logs) = start_engine().await;
        let (child, port, stdout_rest) = launch(dir, &["--logtostderr", "-v=9", &engine_address]);
        let client = connect(port).await;
        Session {
            engine_address,
            logs,
            child,
            port,
            client,
            stdout_rest,
        }
    }

    /// Handshake → CheckConfig → Configure, as `pulumi preview` begins.
    pub async fn configure(&mut self, config: serde_json::Value) {
        let handshake = self
            .client
            .handshake(pb::ProviderHandshakeRequest {
                engine_address: self.engine_address.clone(),
                configure_with_urn: true,
                supports_views: true,
                invoke_with_preview: true,
                accepts_byte_string: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(handshake.accept_secrets && handshake.accept_resources);
        let checked = self
            .client
            .check_config(pb::CheckRequest {
                urn: "urn:pulumi:dev::proj::pulumi:providers:docker-build::default".into(),
                news: Some(to_struct(&config)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(checked.failures.is_empty(), "{:?}", checked.failures);
        let configured = self
            .client
            .configure(pb::ConfigureRequest {
                args: checked.inputs,
                accept_secrets: true,
                accept_resources: true,
                sends_old_inputs: true,
                sends_old_inputs_to_delete: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            configured.accept_secrets && configured.supports_preview && configured.accept_resources
        );
    }

    /// Sends SIGINT, as the engine does at the end of a deployment, and
    /// waits for the process to exit.
    pub fn interrupt_and_wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        // `--` so the pid can never be read as an option.
        let _ = Command::new("kill")
            .args(["-s", "INT", "--", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const IMAGE_URN: &str = "urn:pulumi:dev::proj::docker-build:index:Image::img";

/// A Struct from JSON, where `{"$secret": v}` becomes a secret and the
/// string `"$unknown"` the unknown sentinel.
pub fn to_struct(json: &serde_json::Value) -> prost_types::Struct {
    match to_value(json).kind {
        Some(prost_types::value::Kind::StructValue(s)) => s,
        _ => panic!("not an object"),
    }
}

pub fn to_value(json: &serde_json::Value) -> prost_types::Value {
    test_value(json).to_wire()
}

/// JSON as the tests write it (`{"$secret": v}` for a secret, `"$unknown"`
/// for an unknown) as the provider's own value, which encodes itself.
fn test_value(json: &serde_json::Value) -> docker_build::wire::Value {
    use docker_build::wire::Value;
    match json {
        serde_json::Value::String(s) if s == "$unknown" => Value::Unknown,
        serde_json::Value::Object(map) if map.len() == 1 && map.contains_key("$secret") => {
            Value::Secret(Box::new(test_value(&map["$secret"])))
        }
        serde_json::Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), test_value(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(test_value).collect()),
        plain => Value::from_json(plain),
    }
}

/// JSON from a Struct, with secrets as `{"$secret": v}`.
pub fn from_struct(s: &prost_types::Struct) -> serde_json::Value {
    use docker_build::wire::{Value, struct_to_map};
    fn json(value: &Value) -> serde_json::Value {
        match value {
            Value::Secret(inner) => serde_json::json!({"$secret": json(inner)}),
            Value::Unknown => serde_json::Value::String("$unknown".into()),
            Value::Array(items) => items.iter().map(json).collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            plain => plain.to_json(),
        }
    }
    let map = struct_to_map(Some(s)).unwrap();
    map.iter()
        .map(|(k, v)| (k.clone(), json(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Writes a small app into `dir`: a Dockerfile of four steps (two of them
/// cacheable work) and `app.txt` holding `content`.
pub fn app(dir: &Path, content: &str) {
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM busybox:local\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy.txt\nRUN echo built > /built.txt\n",
    )
    .unwrap();
    std::fs::write(dir.join("app.txt"), content).unwrap();
}

/// A program directory with a Dockerfile and one source file.
pub fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.txt /\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.txt"), "hello\n").unwrap();
    dir
}

pub async fn check(session: &mut Session, news: serde_json::Value) -> pb::CheckResponse {
    session
        .client
        .check(pb::CheckRequest {
            urn: IMAGE_URN.into(),
            news: Some(to_struct(&news)),
            r#type: "docker-build:index:Image".into(),
            name: "img".into(),
            random_seed: vec![1, 2, 3],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

pub async fn diff(
    session: &mut Session,
    olds: &serde_json::Value,
    news: &serde_json::Value,
) -> Result<pb::DiffResponse, tonic::Status> {
    session
        .client
        .diff(pb::DiffRequest {
            id: "sha256:00".into(),
            urn: IMAGE_URN.into(),
            olds: Some(to_struct(olds)),
            news: Some(to_struct(news)),
            old_inputs: Some(to_struct(olds)),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The state Create would store for checked inputs, with the real hash.
pub fn state_for(dir: &std::path::Path, checked: &serde_json::Value) -> serde_json::Value {
    let plain = strip_secrets(checked);
    let args: ImageArgs = serde_json::from_value(plain).unwrap();
    let hash = hash_context(&context_sources(&args, dir).unwrap()).unwrap();
    let mut state = checked.clone();
    state["contextHash"] = json!(hash);
    state["digest"] = json!("sha256:00");
    state["ref"] = json!("r.example/app:1@sha256:00");
    state
}

pub fn strip_secrets(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) if map.contains_key("$secret") => {
            strip_secrets(&map["$secret"])
        }
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), strip_secrets(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        serde_json::Value::Array(items) => items.iter().map(strip_secrets).collect(),
        other => other.clone(),
    }
}

/// The local registry the test environment runs.
pub fn registry() -> String {
    std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".to_owned())
}

/// The test environment's moto (the ECR API and S3 stand-in).
pub fn moto() -> String {
    std::env::var("DOCKER_BUILD_TEST_MOTO")
        .expect("DOCKER_BUILD_TEST_MOTO: run `source \"$(scripts/test-env env)\"`")
}

/// Fails loudly unless the Docker engine and the registry answer.
pub fn require_engine() {
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    let answered = engine.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        answered,
        "the Docker engine is not reachable (DOCKER_HOST={:?}): run `scripts/test-env up` and `source \"$(scripts/test-env env)\"` first. {:?}",
        std::env::var("DOCKER_HOST").ok(),
        engine.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    );
    let registry_up = std::net::TcpStream::connect(registry()).is_ok();
    assert!(
        registry_up,
        "the test registry at {} is not running: run `scripts/test-env up`",
        registry()
    );
}

/// A repository name no other test uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// `docker buildx prune -af`: forget every local build cache.
pub fn prune_build_cache() {
    let status = Command::new("docker")
        .args(["buildx", "prune", "-af"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

impl Session {
    /// Check that must pass; the checked inputs.
    pub async fn checked(&mut self, news: serde_json::Value) -> prost_types::Struct {
        let response = check(self, news).await;
        assert!(response.failures.is_empty(), "{:?}", response.failures);
        response.inputs.unwrap()
    }

    pub async fn create(
        &mut self,
        inputs: &prost_types::Struct,
        preview: bool,
    ) -> Result<pb::CreateResponse, tonic::Status> {
        self.client
            .create(pb::CreateRequest {
                urn: IMAGE_URN.into(),
                properties: Some(inputs.clone()),
                preview,
                name: "img".into(),
                r#type: "docker-build:index:Image".into(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn update(
        &mut self,
        id: &str,
        olds: &prost_types::Struct,
        news: &prost_types::Struct,
        preview: bool,
    ) -> Result<pb::UpdateResponse, tonic::Status> {
        self.client
            .update(pb::UpdateRequest {
                id: id.into(),
                urn: IMAGE_URN.into(),
                olds: Some(olds.clone()),
                news: Some(news.clone()),
                preview,
                r#type: "docker-build:index:Image".into(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn read(
        &mut self,
        id: &str,
        state: &prost_types::Struct,
    ) -> Result<pb::ReadResponse, tonic::Status> {
        self.client
            .read(pb::ReadRequest {
                id: id.into(),
                urn: IMAGE_URN.into(),
                properties: Some(state.clone()),
                r#type: "docker-build:index:Image".into(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn delete(
        &mut self,
        id: &str,
        state: &prost_types::Struct,
    ) -> Result<(), tonic::Status> {
        self.client
            .delete(pb::DeleteRequest {
                id: id.into(),
                urn: IMAGE_URN.into(),
                properties: Some(state.clone()),
                r#type: "docker-build:index:Image".into(),
                ..Default::default()
            })
            .await
            .map(|_| ())
    }

    /// Log lines the engine received, as (severity, message).
    pub fn log_lines(&self) -> Vec<(i32, String)> {
        self.logs
            .all()
            .into_iter()
            .map(|l| (l.severity, l.message))
            .collect()
    }
}

/// Process ids whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let parent = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if parent == Some(pid) {
            children.push(child);
        }
    }
    children
}

/// The command line of a process, arguments separated by spaces.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Whether a process is gone (or a zombie about to be reaped).
pub fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// A session whose provider runs with extra environment variables.
pub async fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Session {
    start_with_env_without(dir, env, &[]).await
}

/// A session whose provider runs with extra environment variables and
/// without the variables named in `remove`.
pub async fn start_with_env_without(dir: &Path, env: &[(&str, &str)], remove: &[&str]) -> Session {
    start_configured(dir, env, remove, false).await
}

/// A session whose provider leads its own process group, as the engine
/// starts plugins (it signals the whole group).
pub async fn start_in_own_group(dir: &Path, env: &[(&str, &str)]) -> Session {
    start_configured(dir, env, &[], true).await
}

async fn start_configured(
    dir: &Path,
    env: &[(&str, &str)],
    remove: &[&str],
    own_group: bool,
) -> Session {
    let (engine_address, logs) = start_engine().await;
    let mut command = Command::new(BINARY);
    if own_group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    for name in remove {
        command.env_remove(name);
    }
    command
        .arg(&engine_address)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let port: u16 = first.trim().parse().unwrap();
    let client = connect(port).await;
    Session {
        engine_address,
        logs,
        child,
        port,
        client,
        stdout_rest: Arc::new(Mutex::new(Vec::new())),
    }
}

/// The Create call running in the background.
pub type PendingCreate =
    tokio::task::JoinHandle<Result<tonic::Response<pb::CreateResponse>, tonic::Status>>;

/// Starts Create for `inputs` without waiting for it, and waits until the
/// build's step whose command line holds `marker` runs (in BuildKit's
/// container, a process of this machine); returns the call and that
/// step's pid. (A shell runs its last command in its own place: a step
/// that ends `&& true` keeps the shell, and the marker, alive.)
pub async fn create_in_background(
    session: &Session,
    inputs: prost_types::Struct,
    marker: &str,
) -> (PendingCreate, u32) {
    let mut client = session.client.clone();
    let call = tokio::spawn(async move {
        client
            .create(pb::CreateRequest {
                urn: IMAGE_URN.into(),
                properties: Some(inputs),
                ..Default::default()
            })
            .await
    });
    let step = wait_for_process(marker).await;
    (call, step)
}

/// Waits until some process of this machine has `needle` in its command
/// line; its pid.
pub async fn wait_for_process(needle: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
            .filter(|pid| *pid != std::process::id())
            .find(|pid| cmdline(*pid).contains(needle) && !is_gone(*pid));
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "no process runs {needle}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every process under `pid` (children, theirs, ...).
pub fn descendants_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(next) = queue.pop() {
        for child in children_of(next) {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

/// The command line and environment of `pid`, as text.
pub fn argv_and_environment(pid: u32) -> String {
    let environ = std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', "\n"))
        .unwrap_or_default();
    format!("{}\n{environ}", cmdline(pid))
}

/// Whether `pid` is a build or bake run of buildx (a `dial-stdio`, the
/// BuildKit connection, is not).
pub fn is_buildx_build(pid: u32) -> bool {
    let argv = cmdline(pid);
    argv.contains("docker-buildx") && (argv.contains(" build ") || argv.contains(" bake "))
}

/// The htpasswd registry (the ECR stand-in's) under its plain address: a
/// registry that answers 401 without a login.
pub fn locked_registry() -> String {
    let ecr = std::env::var("DOCKER_BUILD_TEST_ECR_REGISTRY")
        .unwrap_or_else(|_| "127.0.0.1:5001".to_owned());
    format!("127.0.0.1:{}", ecr.rsplit(':').next().unwrap_or("5001"))
}
