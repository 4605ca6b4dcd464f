//! The engine's side of a session with the plugin binary: an engine
//! stand-in serving `Engine.Log`, the provider launched the way the Pulumi
//! engine launches it (engine address as the last argument, program
//! directory as the working directory, the port read from the first line
//! of stdout), and the provider-level calls (Handshake, CheckConfig,
//! Configure, SIGINT). Resource calls are in `calls`.

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

use super::harness::to_struct;

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
    let mut command = Command::new(BINARY);
    command.args(args);
    launch_command(command, dir)
}

/// Starts `command` (the provider binary) in `dir` as the engine does and
/// reads the port from its first stdout line; the rest of its stdout is
/// kept.
fn launch_command(mut command: Command, dir: &Path) -> (Child, u16, Arc<Mutex<Vec<u8>>>) {
    let mut child = command
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
        Session::start_command(Command::new(BINARY), &["--logtostderr", "-v=9"], dir).await
    }

    /// Engine stand-in + the official provider (`pulumi/pulumi-docker-build`,
    /// built by `scripts/test-env`) launched in `dir`, to compare answers.
    pub async fn start_official(dir: &Path) -> Session {
        let built = std::env::var("DOCKER_BUILD_OFFICIAL_PROVIDER").expect(
            "DOCKER_BUILD_OFFICIAL_PROVIDER is not set: run `scripts/test-env up` and source its env.sh",
        );
        let binary = Path::new(&built).join("pulumi-resource-docker-build");
        assert!(
            binary.is_file(),
            "the official provider is not at {}",
            binary.display()
        );
        Session::start_command(Command::new(binary), &[], dir).await
    }

    /// Engine stand-in + `command` launched in `dir` with `flags` and the
    /// engine's address, as the engine launches a plugin.
    async fn start_command(mut command: Command, flags: &[&str], dir: &Path) -> Session {
        let (engine_address, logs) = start_engine().await;
        command.args(flags).arg(&engine_address);
        let (child, port, stdout_rest) = launch_command(command, dir);
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

    /// Handshake → CheckConfig → Configure, as `pulumi preview` begins (a
    /// plugin without Handshake, as the official one, is configured as the
    /// engine configures it: without).
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
            .await;
        match handshake {
            Ok(answer) => {
                let answer = answer.into_inner();
                assert!(answer.accept_secrets && answer.accept_resources);
            }
            Err(status) => assert_eq!(status.code(), tonic::Code::Unimplemented, "{status:?}"),
        }
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

    /// Log lines the engine received, as (severity, message).
    pub fn log_lines(&self) -> Vec<(i32, String)> {
        self.logs
            .all()
            .into_iter()
            .map(|l| (l.severity, l.message))
            .collect()
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
    let mut command = Command::new(BINARY);
    if own_group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    for name in remove {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    Session::start_command(command, &[], dir).await
}
