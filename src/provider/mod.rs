//! What every resource shares: the provider configuration and its
//! credential precedence, the outside world (builds, registries, ECR), the
//! bound on builds at once, the context hasher, and the root cancellation
//! token; and the [`Resource`] seam each resource implements. It knows
//! nothing of gRPC (`rpc` translates requests) nor of any one resource.

mod build_slots;
mod config;
mod error;
mod registries;
mod resource;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use build_slots::BuildSlots;

pub use config::{ProviderConfig, check_config, diff_config};
pub use error::{ErrorKind, ProviderError};
pub use registries::{credentials, warn_about_url_addresses};
pub use resource::{CheckedInputs, Created, Refreshed, Resource, ResourceKind};

use crate::build::Builder;
use crate::context::{ContextHasher, OfficialMemo, default_cache_dir};
use crate::ecr::{Ecr, SdkEcr};
use crate::failure::InputFailure;
use crate::registry::{HttpRegistry, Registry};
use crate::timings::timed;
use crate::wire::PropertyMap;

/// The outside world a provider talks to.
pub struct Backends {
    /// Runs builds.
    pub builder: Arc<dyn Builder>,
    /// Talks to registries.
    pub registry: Arc<dyn Registry>,
    /// Talks to AWS ECR.
    pub ecr: Arc<dyn Ecr>,
}

impl Backends {
    /// BuildKit's API, HTTP registries and the AWS SDK.
    pub fn real() -> Backends {
        let builder: Arc<dyn Builder> = Arc::new(crate::buildkit::Engine::default());
        Backends {
            builder,
            registry: Arc::new(HttpRegistry::default()),
            ecr: Arc::new(SdkEcr::default()),
        }
    }
}

/// The docker-build provider.
pub struct Provider {
    /// The program's directory: relative paths resolve against it.
    base: PathBuf,
    config: RwLock<ProviderConfig>,
    /// Cancelled by the Cancel RPC or a signal; every operation's token is
    /// a child of it.
    cancel: CancellationToken,
    /// Runs builds (buildx, or a stand-in in tests).
    builder: Arc<dyn Builder>,
    /// Talks to registries.
    registry: Arc<dyn Registry>,
    /// Gets ECR tokens and looks up ECR repositories.
    ecr: Arc<dyn Ecr>,
    /// Hashes contexts, remembering file digests across calls and runs.
    hasher: Arc<ContextHasher>,
    /// Official `contextHash` values found to describe a tree.
    official: Arc<OfficialMemo>,
    /// The bound on builds running at once (`maxParallelBuilds`).
    build_slots: RwLock<BuildSlots>,
}

impl Provider {
    /// A provider resolving paths against `base`, stopped by `cancel`.
    pub fn new(base: PathBuf, cancel: CancellationToken) -> Provider {
        Provider::with_backends(base, cancel, Backends::real())
    }

    /// A provider with its outside world given explicitly.
    pub fn with_backends(base: PathBuf, cancel: CancellationToken, backends: Backends) -> Provider {
        let Backends {
            builder,
            registry,
            ecr,
        } = backends;
        let hasher = Arc::new(ContextHasher::with_defaults());
        Provider {
            base,
            config: RwLock::new(ProviderConfig::default()),
            cancel,
            builder,
            registry,
            ecr,
            hasher,
            official: Arc::new(OfficialMemo::new(default_cache_dir())),
            build_slots: RwLock::new(BuildSlots::new(
                ProviderConfig::default().max_parallel_builds(),
            )),
        }
    }

    /// The directory relative paths resolve against.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The current configuration.
    pub fn config(&self) -> ProviderConfig {
        // A poisoned lock only means a panic elsewhere; the data is plain.
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies a checked configuration.
    pub fn configure(&self, args: PropertyMap) -> Result<(), ProviderError> {
        let (normalized, failures) = check_config(args);
        if !failures.is_empty() {
            return Err(ProviderError::InvalidInputs(failures));
        }
        let config = config::decode(&normalized)?;
        warn_about_url_addresses("registries", &config.registries);
        let limit = config.max_parallel_builds();
        let mut slots = self.build_slots.write().unwrap_or_else(|e| e.into_inner());
        if slots.limit() != limit {
            *slots = BuildSlots::new(limit);
        }
        drop(slots);
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    /// Compares two provider configurations; the changed keys.
    pub fn diff_config(
        &self,
        olds: PropertyMap,
        news: PropertyMap,
    ) -> Result<Vec<&'static str>, ProviderError> {
        let old = config::decode(&config::normalize(olds))?;
        let new = config::decode(&config::normalize(news))?;
        Ok(diff_config(&old, &new))
    }

    /// Runs one build once a build slot is free (`maxParallelBuilds`).
    pub(crate) async fn run_build(
        &self,
        job: crate::build::BuildJob<'_>,
    ) -> Result<crate::build::BuildOutcome, ProviderError> {
        let slots = self
            .build_slots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _slot = timed("queued for a build slot", slots.acquire(&job.cancel)).await?;
        Ok(timed("build process", self.builder.build(job)).await?)
    }

    /// Asks every operation in flight to stop.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token for one operation, cancelled with the provider.
    pub fn operation_token(&self) -> CancellationToken {
        self.cancel.child_token()
    }

    /// Runs builds and joins images (buildx, or a stand-in in tests).
    pub fn builder(&self) -> &dyn Builder {
        self.builder.as_ref()
    }

    /// The registry client.
    pub fn registry(&self) -> &dyn Registry {
        self.registry.as_ref()
    }

    /// The ECR client.
    pub fn ecr(&self) -> &dyn Ecr {
        self.ecr.as_ref()
    }

    /// The context hasher, shared by every operation.
    pub fn hasher(&self) -> &Arc<ContextHasher> {
        &self.hasher
    }

    /// The official `contextHash` values found to describe a tree.
    pub fn official(&self) -> &Arc<OfficialMemo> {
        &self.official
    }

    /// A token for one operation, cancelled with the provider or when
    /// `timeout` (the engine's custom timeout, if any) runs out.
    pub fn token_with_timeout(&self, timeout: Option<Duration>) -> CancellationToken {
        let token = self.operation_token();
        if let Some(timeout) = timeout.filter(|t| !t.is_zero()) {
            let expiring = token.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(timeout) => expiring.cancel(),
                    () = expiring.cancelled() => {}
                }
            });
        }
        token
    }
}

/// Failures for a request's property map that did not decode.
pub fn failures_of(error: &ProviderError) -> Option<&[InputFailure]> {
    match error {
        ProviderError::InvalidInputs(failures) => Some(failures),
        _ => None,
    }
}
