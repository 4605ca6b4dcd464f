//! AWS ECR without `docker login`: registry tokens from the AWS SDK's
//! default credential chain (environment, profile, SSO, instance roles),
//! cached until shortly before they expire, and a repository check before
//! a build. `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_ECR` are honoured by the
//! SDK, which is how tests reach a local ECR stand-in.
//!
//! This module knows nothing of gRPC or buildx; it hands out credentials.

mod host;
mod sdk;

pub use host::{EcrRegistry, parse_ecr_host};
pub use sdk::{SdkEcr, default_aws_credentials};

use futures_util::future::BoxFuture;

/// A registry login for ECR (user `AWS` and a 12-hour token).
#[derive(Clone, PartialEq, Eq)]
pub struct EcrToken {
    /// The user name (always `AWS` today).
    pub username: String,
    /// The token.
    pub password: String,
}

impl std::fmt::Debug for EcrToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrToken")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What ECR says about a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryState {
    /// It exists and tags can be overwritten.
    Mutable,
    /// It exists and tags cannot be overwritten (the `:cache` tag then
    /// cannot be refreshed).
    Immutable,
    /// It does not exist.
    Missing,
    /// ECR could not be asked; why.
    Unknown(String),
}

/// Why no ECR token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcrError {
    /// The AWS credential chain found nothing.
    #[error(
        "no AWS credentials for the ECR registry {host}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (run `aws sso login` for SSO profiles), or run on an instance or task with an IAM role; or give credentials for {host} in `registries`"
    )]
    NoCredentials {
        /// The registry host.
        host: String,
    },
    /// ECR answered with an error.
    #[error("ECR refused a registry token for {host}: {detail}")]
    Api {
        /// The registry host.
        host: String,
        /// What ECR said.
        detail: String,
    },
}

/// The ECR operations the provider needs.
pub trait Ecr: Send + Sync {
    /// A registry token for `registry`.
    fn token<'a>(&'a self, registry: &'a EcrRegistry) -> BoxFuture<'a, Result<EcrToken, EcrError>>;
    /// The state of `repository` in `registry`.
    fn repository<'a>(
        &'a self,
        registry: &'a EcrRegistry,
        repository: &'a str,
    ) -> BoxFuture<'a, RepositoryState>;
}
