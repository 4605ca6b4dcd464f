//! The small services of a session, answered from memory: registry
//! logins for the daemon's pulls and pushes, build secrets for `RUN
//! --mount=type=secret`, and the health check the daemon runs every few
//! seconds (a session that fails it twice is closed).

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::super::pb::grpc::health::v1 as health;
use super::super::pb::moby::buildkit::secrets::v1 as secrets;
use super::super::pb::moby::filesync::v1 as auth;
use crate::credential::{Credential, RegistryHost, credentials_for};

/// Registry logins: the build's own first, then the host's Docker
/// configuration, as buildx would find them.
pub(super) struct Logins {
    pub explicit: Arc<Vec<Credential>>,
}

#[tonic::async_trait]
impl auth::auth_server::Auth for Logins {
    async fn credentials(
        &self,
        request: Request<auth::CredentialsRequest>,
    ) -> Result<Response<auth::CredentialsResponse>, Status> {
        let host = RegistryHost::parse(&request.into_inner().host);
        let explicit = Arc::clone(&self.explicit);
        // The host's configuration may run a credential helper.
        let found = tokio::task::spawn_blocking(move || credentials_for(&host, &explicit))
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let (username, secret) = found.unwrap_or_default();
        Ok(Response::new(auth::CredentialsResponse {
            username,
            secret,
        }))
    }

    // Without a token authority the daemon fetches registry tokens itself
    // with the credentials above.
    async fn fetch_token(
        &self,
        _: Request<auth::FetchTokenRequest>,
    ) -> Result<Response<auth::FetchTokenResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }

    async fn get_token_authority(
        &self,
        _: Request<auth::GetTokenAuthorityRequest>,
    ) -> Result<Response<auth::GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<auth::VerifyTokenAuthorityRequest>,
    ) -> Result<Response<auth::VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }
}

/// Build secrets by id.
pub(super) struct Secrets {
    pub values: Arc<BTreeMap<String, String>>,
}

#[tonic::async_trait]
impl secrets::secrets_server::Secrets for Secrets {
    async fn get_secret(
        &self,
        request: Request<secrets::GetSecretRequest>,
    ) -> Result<Response<secrets::GetSecretResponse>, Status> {
        let id = request.into_inner().id;
        match self.values.get(&id) {
            Some(value) => Ok(Response::new(secrets::GetSecretResponse {
                data: value.as_bytes().to_vec(),
            })),
            // NotFound is how the daemon tells a missing secret (an error
            // for a required mount, nothing for an optional one).
            None => Err(Status::not_found(format!("secret {id} not found"))),
        }
    }
}

/// Always serving, for as long as the session lives.
pub(super) struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        _: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        Ok(Response::new(health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}
