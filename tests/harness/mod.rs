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
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
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
    use docker_build::wire::sig;
    use prost_types::value::Kind;
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(*b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
        serde_json::Value::String(s) if s == "$unknown" => Kind::StringValue(sig::UNKNOWN.into()),
        serde_json::Value::String(s) => Kind::StringValue(s.clone()),
        serde_json::Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(to_value).collect(),
        }),
        serde_json::Value::Object(map) if map.len() == 1 && map.contains_key("$secret") => {
            let mut fields = std::collections::BTreeMap::new();
            fields.insert(
                sig::KEY.to_owned(),
                prost_types::Value {
                    kind: Some(Kind::StringValue(sig::SECRET.into())),
                },
            );
            fields.insert("value".to_owned(), to_value(&map["$secret"]));
            Kind::StructValue(prost_types::Struct { fields })
        }
        serde_json::Value::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
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
