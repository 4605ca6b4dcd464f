//! `pulumirpc.ResourceProvider`: each RPC decodes its request, calls the
//! domain [`Provider`] inside a span carrying the resource's URN (so its
//! log lines reach the engine tagged), and encodes the answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::convert::{
    check_failures, diff_response, key_diff_response, properties, properties_or_failure, resource,
};
use super::pb;
use super::status::to_status;
use crate::provider::{Provider, ProviderError, check_config};
use crate::schema::SCHEMA_JSON;
use crate::wire::map_to_struct;

/// Counts calls in flight, so shutdown can wait for them and no longer.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Marks one call as running until the guard drops.
    fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.0.clone())
    }

    /// How many calls are running.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The service the engine talks to.
pub struct ProviderService {
    provider: Arc<Provider>,
    in_flight: InFlight,
    /// Where the engine listens, once known; read by the log forwarder.
    engine_address: watch::Sender<Option<String>>,
}

impl ProviderService {
    /// A service for `provider`, publishing the engine address to
    /// `engine_address`.
    pub fn new(
        provider: Arc<Provider>,
        engine_address: watch::Sender<Option<String>>,
        in_flight: InFlight,
    ) -> Self {
        ProviderService {
            provider,
            in_flight,
            engine_address,
        }
    }

    fn learn_engine_address(&self, address: &str) {
        if !address.is_empty() && self.engine_address.borrow().is_none() {
            let _ = self.engine_address.send(Some(address.to_owned()));
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

/// The engine's timeout in seconds; 0 means "use your own default".
fn timeout(seconds: f64) -> Option<std::time::Duration> {
    (seconds.is_finite() && seconds > 0.0).then(|| std::time::Duration::from_secs_f64(seconds))
}

/// The resource's name: sent by current engines, else the URN's last part.
fn resource_name(name: &str, urn: &str) -> String {
    if name.is_empty() {
        urn.rsplit("::").next().unwrap_or_default().to_owned()
    } else {
        name.to_owned()
    }
}

fn refuse<T>(error: ProviderError) -> Reply<T> {
    Err(to_status(error))
}

#[tonic::async_trait]
impl pb::resource_provider_server::ResourceProvider for ProviderService {
    async fn handshake(
        &self,
        request: Request<pb::ProviderHandshakeRequest>,
    ) -> Reply<pb::ProviderHandshakeResponse> {
        let request = request.into_inner();
        self.learn_engine_address(&request.engine_address);
        // Must agree with Configure's answer below.
        Ok(Response::new(pb::ProviderHandshakeResponse {
            accept_secrets: true,
            accept_resources: true,
            accept_outputs: true,
            supports_autonaming_configuration: false,
            accepts_byte_string: false,
            accepts_outputs_in_invoke: false,
            accepts_outputs_in_call: false,
            accepts_outputs_in_check: false,
        }))
    }

    async fn parameterize(
        &self,
        _: Request<pb::ParameterizeRequest>,
    ) -> Reply<pb::ParameterizeResponse> {
        refuse(ProviderError::NotSupported("Parameterize"))
    }

    async fn get_schema(&self, _: Request<pb::GetSchemaRequest>) -> Reply<pb::GetSchemaResponse> {
        Ok(Response::new(pb::GetSchemaResponse {
            schema: SCHEMA_JSON.to_owned(),
        }))
    }

    async fn check_config(&self, request: Request<pb::CheckRequest>) -> Reply<pb::CheckResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let news = match properties_or_failure(request.news.as_ref()) {
            Ok(news) => news,
            Err(failure) => {
                return Ok(Response::new(pb::CheckResponse {
                    inputs: request.news,
                    failures: check_failures(vec![failure]),
                }));
            }
        };
        let (inputs, failures) = check_config(news);
        Ok(Response::new(pb::CheckResponse {
            inputs: Some(map_to_struct(&inputs)),
            failures: check_failures(failures),
        }))
    }

    async fn diff_config(&self, request: Request<pb::DiffRequest>) -> Reply<pb::DiffResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let result = (|| {
            let olds = properties(request.olds.as_ref())?;
            let news = properties(request.news.as_ref())?;
            self.provider.diff_config(olds, news)
        })();
        match result {
            Ok(keys) => Ok(Response::new(key_diff_response(&keys))),
            Err(error) => refuse(error),
        }
    }

    async fn configure(
        &self,
        request: Request<pb::ConfigureRequest>,
    ) -> Reply<pb::ConfigureResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let args = match request.args.as_ref() {
            Some(args) => properties(Some(args)),
            // Engines before structured config sent JSON text per key.
            None => Ok(request
                .variables
                .iter()
                .map(|(key, value)| {
                    let name = key.rsplit(':').next().unwrap_or(key).to_owned();
                    (name, crate::wire::Value::String(value.clone()))
                })
                .collect()),
        };
        match args.and_then(|args| self.provider.configure(args)) {
            Ok(()) => Ok(Response::new(pb::ConfigureResponse {
                accept_secrets: true,
                supports_preview: true,
                accept_resources: true,
                accept_outputs: true,
                supports_autonaming_configuration: false,
            })),
            Err(error) => refuse(error),
        }
    }

    async fn invoke(&self, request: Request<pb::InvokeRequest>) -> Reply<pb::InvokeResponse> {
        let token = request.into_inner().tok;
        Err(Status::unimplemented(format!(
            "the docker-build provider has no functions; `{token}` cannot be invoked"
        )))
    }

    async fn call(&self, _: Request<pb::CallRequest>) -> Reply<pb::CallResponse> {
        refuse(ProviderError::NotSupported("Call (component methods)"))
    }

    async fn check(&self, request: Request<pb::CheckRequest>) -> Reply<pb::CheckResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("check", urn = %request.urn);
        let _entered = span.enter();
        let news = match properties_or_failure(request.news.as_ref()) {
            Ok(news) => news,
            Err(failure) => {
                return Ok(Response::new(pb::CheckResponse {
                    inputs: request.news,
                    failures: check_failures(vec![failure]),
                }));
            }
        };
        let checked = resource(&request.r#type, &request.urn)
            .map(|resource| resource.check(&self.provider, &news));
        match checked {
            Ok(checked) => Ok(Response::new(pb::CheckResponse {
                inputs: Some(map_to_struct(&checked.inputs)),
                failures: check_failures(checked.failures),
            })),
            Err(error) => refuse(error),
        }
    }

    async fn diff(&self, request: Request<pb::DiffRequest>) -> Reply<pb::DiffResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("diff", urn = %request.urn);
        let provider = &self.provider;
        let result = async {
            let olds = properties(request.olds.as_ref())?;
            let news = properties(request.news.as_ref())?;
            resource(&request.r#type, &request.urn)?
                .diff(provider, &olds, &news)
                .await
        }
        .instrument(span)
        .await;
        match result {
            Ok(diff) => Ok(Response::new(diff_response(&diff))),
            Err(error) => refuse(error),
        }
    }

    async fn create(&self, request: Request<pb::CreateRequest>) -> Reply<pb::CreateResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("create", urn = %request.urn);
        let provider = &self.provider;
        let result = async {
            let properties = properties(request.properties.as_ref())?;
            let resource = resource(&request.r#type, &request.urn)?;
            let name = resource_name(&request.name, &request.urn);
            resource
                .create(
                    provider,
                    &name,
                    &properties,
                    request.preview,
                    timeout(request.timeout),
                )
                .await
        }
        .instrument(span)
        .await;
        match result {
            Ok(created) => Ok(Response::new(pb::CreateResponse {
                id: created.id,
                properties: Some(map_to_struct(&created.state)),
                refresh_before_update: false,
            })),
            Err(error) => refuse(error),
        }
    }

    async fn read(&self, request: Request<pb::ReadRequest>) -> Reply<pb::ReadResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("read", urn = %request.urn);
        let provider = &self.provider;
        let result = async {
            let state = properties(request.properties.as_ref())?;
            let inputs = match request.inputs.as_ref() {
                Some(inputs) => Some(properties(Some(inputs))?),
                None => None,
            };
            resource(&request.r#type, &request.urn)?
                .read(provider, &request.id, &state, inputs.as_ref())
                .await
        }
        .instrument(span)
        .await;
        match result {
            Ok(refreshed) => Ok(Response::new(pb::ReadResponse {
                id: refreshed.id,
                properties: Some(map_to_struct(&refreshed.state)),
                inputs: refreshed.inputs.as_ref().map(map_to_struct),
                refresh_before_update: false,
            })),
            Err(error) => refuse(error),
        }
    }

    type ListStream = tokio_stream::Empty<Result<pb::ListResponse, Status>>;

    async fn list(&self, _: Request<pb::ListRequest>) -> Reply<Self::ListStream> {
        refuse(ProviderError::NotSupported("List"))
    }

    async fn update(&self, request: Request<pb::UpdateRequest>) -> Reply<pb::UpdateResponse> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("update", urn = %request.urn);
        let provider = &self.provider;
        let result = async {
            let news = properties(request.news.as_ref())?;
            resource(&request.r#type, &request.urn)?
                .update(provider, &news, request.preview, timeout(request.timeout))
                .await
        }
        .instrument(span)
        .await;
        match result {
            Ok(state) => Ok(Response::new(pb::UpdateResponse {
                properties: Some(map_to_struct(&state)),
                refresh_before_update: false,
            })),
            Err(error) => refuse(error),
        }
    }

    async fn delete(&self, request: Request<pb::DeleteRequest>) -> Reply<()> {
        let _running = self.in_flight.enter();
        let request = request.into_inner();
        let span = tracing::info_span!("delete", urn = %request.urn);
        let provider = &self.provider;
        let result = async {
            let state = properties(request.properties.as_ref())?;
            resource(&request.r#type, &request.urn)?
                .delete(provider, &state)
                .await
        }
        .instrument(span)
        .await;
        match result {
            Ok(()) => Ok(Response::new(())),
            Err(error) => refuse(error),
        }
    }

    async fn construct(&self, _: Request<pb::ConstructRequest>) -> Reply<pb::ConstructResponse> {
        refuse(ProviderError::NotSupported(
            "Construct (component resources)",
        ))
    }

    async fn cancel(&self, _: Request<()>) -> Reply<()> {
        tracing::debug!("cancel requested: stopping work in flight");
        self.provider.cancel();
        Ok(Response::new(()))
    }

    async fn get_plugin_info(&self, _: Request<()>) -> Reply<pb::PluginInfo> {
        Ok(Response::new(pb::PluginInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }

    async fn attach(&self, request: Request<pb::PluginAttach>) -> Reply<()> {
        self.learn_engine_address(&request.into_inner().address);
        Ok(Response::new(()))
    }

    async fn get_mapping(
        &self,
        _: Request<pb::GetMappingRequest>,
    ) -> Reply<pb::GetMappingResponse> {
        Ok(Response::new(pb::GetMappingResponse::default()))
    }

    async fn get_mappings(
        &self,
        _: Request<pb::GetMappingsRequest>,
    ) -> Reply<pb::GetMappingsResponse> {
        Ok(Response::new(pb::GetMappingsResponse::default()))
    }
}
