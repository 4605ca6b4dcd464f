//! One Image operation with the provider's shared services at hand
//! ([`ImageOps`]), and what its Diff, Create, Read and Delete share: the
//! cache preflight, credentials for stored state, a build's directory.

use std::collections::BTreeSet;

use crate::build::Mode;
use crate::credential::Credential;
use crate::image::cache_policy::registry_imports;
use crate::image::{
    ImageSpec, Inputs, NewHash, decode_state, diff_image, missing_export_destinations,
    note_missing_exports,
};
use crate::model::{Reference, ResourceDiff};
use crate::provider::{Provider, ProviderError, credentials};
use crate::registry::Presence;
use crate::wire::PropertyMap;

/// An Image operation: the provider whose services it uses.
pub struct ImageOps<'a> {
    /// Configuration, backends, build slots and the hasher.
    pub provider: &'a Provider,
}

impl ImageOps<'_> {
    /// Diff: what changed between the stored state and the new inputs.
    pub async fn diff(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
    ) -> Result<ResourceDiff, ProviderError> {
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
            &missing_export_destinations(new.args(), self.provider.base()),
        );
        Ok(diff)
    }

    /// Asks the registry whether each registry cache import exists. A
    /// missing one is a first build: said plainly and left out of the
    /// build, so BuildKit never prints an alarming "not found". Returns
    /// the refs that were found.
    pub async fn preflight(
        &self,
        cache: &mut crate::build::CachePlan,
        credentials: &[Credential],
        mode: Mode,
    ) -> BTreeSet<Reference> {
        let mut found = BTreeSet::new();
        let mut missing = BTreeSet::new();
        for reference in registry_imports(cache) {
            match self.provider.registry().head(&reference, credentials).await {
                Presence::Found(_) => {
                    tracing::debug!("build cache found at {reference}");
                    found.insert(reference);
                }
                Presence::Missing => {
                    let creates = match mode {
                        Mode::Deploy => "this build creates it",
                        Mode::Preview => "`pulumi up` will create it",
                    };
                    tracing::info!(
                        "no build cache at {reference} yet: building from scratch; {creates}"
                    );
                    missing.insert(reference);
                }
                Presence::Unknown(why) => {
                    tracing::debug!(
                        "could not ask whether {reference} exists ({why}); leaving it to BuildKit"
                    );
                }
            }
        }
        cache.imports.retain(|c| !matches!(c, crate::model::cache::CacheFrom::Registry(r) if missing.contains(&r.reference)));
        found
    }

    /// Credentials for an image known only from its state (refresh and
    /// delete run without the program): stored ECR tokens have likely
    /// expired, so ECR hosts get a fresh one.
    pub async fn stored_credentials(
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
}
