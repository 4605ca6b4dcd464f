//! The provider's operations in domain terms: property maps in, checked
//! inputs, diffs and states out. It owns the provider configuration and
//! the root cancellation token, and knows nothing of gRPC (the `rpc`
//! module translates requests into calls here).

mod build_slots;
mod config;
mod error;
mod index_ops;
mod lifecycle;
mod outputs;
mod platforms;
mod registries;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use build_slots::BuildSlots;

pub use config::{ProviderConfig, check_config, diff_config};
pub use error::ProviderError;
pub use lifecycle::{Created, Refreshed};
pub use outputs::{BuildOutputs, mark_secrets, state_map};
pub use registries::credentials;

use crate::buildx::{Builder, Buildx};
use crate::context::{ContextHasher, OfficialMemo, default_cache_dir};
use crate::ecr::{Ecr, SdkEcr};
use crate::failure::InputFailure;
use crate::image::{
    Checked, Inputs, NewHash, check_image, context_sources, decode_state, diff_image,
    missing_export_destinations, note_missing_exports, official_sources,
};
use crate::model::ResourceDiff;
use crate::registry::{HttpRegistry, Registry};
use crate::schema::{IMAGE_TOKEN, INDEX_TOKEN};
use crate::wire::{PropertyMap, PropertyPath};

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
    /// buildx, HTTP registries and the AWS SDK.
    pub fn real() -> Backends {
        Backends {
            builder: Arc::new(Buildx),
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
        job: crate::buildx::BuildJob<'_>,
    ) -> Result<crate::buildx::BuildOutcome, ProviderError> {
        let slots = self
            .build_slots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _slot = slots.acquire(&job.cancel).await?;
        Ok(self.builder.build(job).await?)
    }

    /// Asks every operation in flight to stop.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token for one operation, cancelled with the provider.
    pub fn operation_token(&self) -> CancellationToken {
        self.cancel.child_token()
    }

    /// Check: defaults and every failure of an Image's inputs.
    pub fn check(&self, kind: ResourceKind, news: &PropertyMap) -> Result<Checked, ProviderError> {
        if kind == ResourceKind::Index {
            let (inputs, failures) = crate::index::check_index(news);
            return Ok(Checked {
                inputs,
                failures,
                spec: None,
            });
        }
        let checked = check_image(news, &self.base);
        if let Some(spec) = &checked.spec {
            warn_about_url_addresses("registries", &spec.args.registries);
        }
        Ok(checked)
    }

    /// Diff: what changed between the stored state and the new inputs.
    pub async fn diff(
        &self,
        kind: ResourceKind,
        olds: &PropertyMap,
        news: &PropertyMap,
    ) -> Result<ResourceDiff, ProviderError> {
        if kind == ResourceKind::Index {
            return crate::index::diff_index(olds, news).map_err(ProviderError::InvalidState);
        }
        let old = decode_state(olds).map_err(ProviderError::InvalidState)?;
        let new = Inputs::decode(news)?;
        let hash = match self.new_hash(&new).await {
            Ok(NewHash::Known(ours)) if ours != old.context_hash => {
                self.recognise_official(&old.context_hash, ours, &new)
                    .await?
            }
            Ok(hash) => hash,
            // A context that cannot be read is a change to report, not a
            // reason to fail the whole preview; the build will say why.
            Err(ProviderError::Hash(e)) => {
                tracing::warn!("{e}; the image will be rebuilt");
                NewHash::Unknown
            }
            Err(e) => return Err(e),
        };
        let mut diff = diff_image(&old, &new, &hash);
        note_missing_exports(
            &mut diff,
            &missing_export_destinations(new.args(), &self.base),
        );
        Ok(diff)
    }

    /// `ours` differs from the stored hash: is the stored one the official
    /// provider's value for these same files? (Once per tree: a match is
    /// remembered.)
    async fn recognise_official(
        &self,
        stored: &str,
        ours: String,
        inputs: &Inputs,
    ) -> Result<NewHash, ProviderError> {
        if !OfficialMemo::could_be_official(stored) || inputs.known().is_none() {
            return Ok(NewHash::Known(ours));
        }
        let args = inputs.args().clone();
        let (base, stored) = (self.base.clone(), stored.to_owned());
        let memo = self.official.clone();
        let token = self.operation_token();
        let span = tracing::Span::current();
        let work = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let sources =
                || official_sources(&args, &base).map_err(|e| std::io::Error::other(e.to_string()));
            let matched = memo.matches(&stored, &ours, sources);
            if matched {
                tracing::debug!(
                    "the stored contextHash is the official provider's for these files"
                );
                NewHash::OfficialMatch
            } else {
                NewHash::Known(ours)
            }
        });
        tokio::select! {
            biased;
            () = token.cancelled() => Err(ProviderError::Cancelled),
            joined = work => joined
                .map_err(|e| ProviderError::Internal(format!("context hashing stopped: {e}"))),
        }
    }

    /// The context hash of `inputs`, or unknown when its sources are.
    pub async fn new_hash(&self, inputs: &Inputs) -> Result<NewHash, ProviderError> {
        let sources_unknown = ["context", "dockerfile"]
            .iter()
            .any(|key| inputs.touches_unknown(&PropertyPath::key(*key)));
        let args = match (inputs.known(), sources_unknown) {
            (_, true) => return Ok(NewHash::Unknown),
            (Some(args), false) => args.clone(),
            (None, false) => inputs.args().clone(),
        };
        let base = self.base.clone();
        let token = self.operation_token();
        // Hashing reads files: keep it off the async workers, and stop
        // waiting for it when the operation is cancelled.
        let span = tracing::Span::current();
        let hasher = self.hasher.clone();
        let work = tokio::task::spawn_blocking(move || -> Result<String, ProviderError> {
            let _entered = span.enter();
            let sources = context_sources(&args, &base)?;
            let (hash, stats) = hasher.hash(&sources)?;
            tracing::debug!(
                "context hashed in {:?}: {} files, {} read ({} bytes), {} from the index; {}",
                stats.elapsed,
                stats.files,
                stats.read,
                stats.bytes_read,
                stats.from_index,
                &hash[..12]
            );
            Ok(hash)
        });
        tokio::select! {
            biased;
            () = token.cancelled() => Err(ProviderError::Cancelled),
            joined = work => match joined {
                Ok(result) => result.map(NewHash::Known),
                Err(e) => Err(ProviderError::Internal(format!("context hashing stopped: {e}"))),
            },
        }
    }
}

/// A registry `address` written as a URL works (its host is used), but
/// tools that pass it on verbatim fail; say what is used instead.
fn warn_about_url_addresses(property: &str, registries: &[crate::model::Registry]) {
    for (i, registry) in registries.iter().enumerate() {
        let host = crate::credential::RegistryHost::parse(&registry.address);
        if registry.address.trim().contains('/') {
            tracing::warn!(
                "{property}[{i}].address `{}` is a URL, not a registry host: using `{host}`",
                registry.address
            );
        }
    }
}

/// The resources this provider manages: a request's type token, parsed
/// once at the protocol edge; every operation matches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `docker-build:index:Image`.
    Image,
    /// `docker-build:index:Index`.
    Index,
}

impl ResourceKind {
    /// The kind a type token names.
    pub fn parse(type_token: &str) -> Result<ResourceKind, ProviderError> {
        match type_token {
            IMAGE_TOKEN => Ok(ResourceKind::Image),
            INDEX_TOKEN => Ok(ResourceKind::Index),
            other => Err(ProviderError::UnknownType(other.to_owned())),
        }
    }
}

/// Failures for a request's property map that did not decode.
pub fn failures_of(error: &ProviderError) -> Option<&[InputFailure]> {
    match error {
        ProviderError::InvalidInputs(failures) => Some(failures),
        _ => None,
    }
}
