//! The logins an Image's operations use: for a build, the provider's and
//! the image's `registries` with ECR tokens for every registry the build
//! touches (tags and registry caches), and a pushed image's ECR
//! repositories checked first; for Read and Delete, the stored logins with
//! fresh ECR tokens.

use std::collections::BTreeSet;

use super::ImageOps;
use crate::build::{CachePlan, Mode};
use crate::credential::Credential;
use crate::ecr::{RepositoryState, parse_ecr_host};
use crate::image::ImageSpec;
use crate::image::cache_policy::{registry_exports, registry_imports};
use crate::model::Reference;
use crate::provider::{ProviderError, credentials};

impl ImageOps<'_> {
    /// The logins a build of `spec` needs (provider settings, the image's
    /// `registries`, ECR tokens for every registry it touches); a pushed
    /// image's ECR repositories must exist.
    pub(super) async fn build_credentials(
        &self,
        spec: &ImageSpec,
        plan: &CachePlan,
        mode: Mode,
    ) -> Result<Vec<Credential>, ProviderError> {
        let args = &spec.args;
        let config = self.provider.config();
        let hosts = (registry_imports(plan).iter())
            .chain(&registry_exports(plan))
            .chain(&spec.tags)
            .map(Reference::registry)
            .collect();
        let credentials = self
            .provider
            .with_ecr_tokens(
                credentials(&config.registries, &args.registries),
                &hosts,
                false,
            )
            .await?;
        if mode == Mode::Deploy && args.push {
            self.check_ecr_repositories(&spec.tags).await?;
        }
        Ok(credentials)
    }

    /// Credentials for an image known only from its state (refresh and
    /// delete run without the program): stored ECR tokens have likely
    /// expired, so ECR hosts get a fresh one.
    pub(super) async fn stored_credentials(
        &self,
        stored: &ImageSpec,
    ) -> Result<Vec<Credential>, ProviderError> {
        let config = self.provider.config();
        let hosts = stored.tags.iter().map(Reference::registry).collect();
        self.provider
            .with_ecr_tokens(
                credentials(&config.registries, &stored.args.registries),
                &hosts,
                true,
            )
            .await
    }

    /// Before a build pushes to ECR: a missing repository is an error
    /// (nothing could be pushed); immutable tags are a warning (the cache
    /// tag can be written once but never refreshed).
    async fn check_ecr_repositories(&self, tags: &[Reference]) -> Result<(), ProviderError> {
        let mut seen = BTreeSet::new();
        for parsed in tags {
            let Some(registry) = parse_ecr_host(parsed.registry().as_str()) else {
                continue;
            };
            if !seen.insert((registry.host.clone(), parsed.path.clone())) {
                continue;
            }
            match self
                .provider
                .ecr()
                .repository(&registry, &parsed.path)
                .await
            {
                RepositoryState::Mutable => {}
                RepositoryState::Immutable => tracing::warn!(
                    "the ECR repository `{}` has immutable tags: the build cache tag `:cache` can be written once but never refreshed, so later builds will reuse an ever older cache (and pushing an existing tag fails). Make the repository's tags mutable, or point `cacheTo`/`cacheFrom` at a repository with mutable tags",
                    parsed.path
                ),
                RepositoryState::Missing => {
                    return Err(ProviderError::EcrRepositoryMissing {
                        repository: parsed.path.clone(),
                        account: registry.account.clone(),
                        region: registry.region.clone(),
                    });
                }
                RepositoryState::Unknown(why) => tracing::debug!(
                    "could not look up the ECR repository `{}` ({why}); going ahead",
                    parsed.path
                ),
            }
        }
        Ok(())
    }
}
