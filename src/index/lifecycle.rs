//! The Index behind the [`Resource`] seam: Check and Diff over its inputs
//! (`super`), and its lifecycle on its parsed spec (`parse_index`) as the
//! Image's is on its own: Create and Update join the sources with
//! manifest PUTs (`registry::JoinJob`), whose digest is the `ref`; Read
//! asks the registry whether the tag still exists (404: gone; 401 or an
//! outage: keep the state); Delete removes the pushed index, best effort
//! (404 counts as deleted; bad stored state or an unreachable registry
//! leaves it there, with a warning).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::{IndexSpec, check_index, diff_index, parse_index};
use crate::credential::Credential;
use crate::model::reference::names;
use crate::model::{Reference, ResourceDiff};
use crate::provider::{
    CheckedInputs, Created, Provider, ProviderError, Refreshed, Resource, credentials,
};
use crate::registry::{Deletion, JoinJob, Presence, tagged_elsewhere};
use crate::schema::{Subject, schema};
use crate::wire::{PropertyMap, Value};

/// `docker-build:index:Index`.
pub struct IndexResource;

/// The one Index resource.
pub static INDEX: IndexResource = IndexResource;

/// An Index operation: the provider whose services it uses.
struct IndexOps<'a> {
    /// Configuration and backends.
    provider: &'a Provider,
}

impl Resource for IndexResource {
    fn check(&self, _: &Provider, news: &PropertyMap) -> CheckedInputs {
        let (inputs, failures) = check_index(news);
        CheckedInputs { inputs, failures }
    }

    fn diff<'a>(
        &'a self,
        _: &'a Provider,
        olds: &'a PropertyMap,
        news: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<ResourceDiff, ProviderError>> {
        Box::pin(async move { diff_index(olds, news).map_err(ProviderError::InvalidState) })
    }

    fn create<'a>(
        &'a self,
        provider: &'a Provider,
        _name: &'a str,
        properties: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let token = provider.token_with_timeout(timeout);
            IndexOps { provider }
                .create_index(properties, preview, &token)
                .await
        })
    }

    fn read<'a>(
        &'a self,
        provider: &'a Provider,
        id: &'a str,
        state: &'a PropertyMap,
        inputs: Option<&'a PropertyMap>,
    ) -> BoxFuture<'a, Result<Refreshed, ProviderError>> {
        Box::pin(async move { IndexOps { provider }.read_index(id, state, inputs).await })
    }

    fn update<'a>(
        &'a self,
        provider: &'a Provider,
        news: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<PropertyMap, ProviderError>> {
        Box::pin(async move {
            let token = provider.token_with_timeout(timeout);
            let (_, state) = IndexOps { provider }
                .put_index(news, preview, &token)
                .await?;
            Ok(state)
        })
    }

    fn delete<'a>(
        &'a self,
        provider: &'a Provider,
        state: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { IndexOps { provider }.delete_index(state).await })
    }
}

/// An Index's inputs with its schema-secret values (the registry
/// password) marked, for state.
fn mark_index_secrets(mut inputs: PropertyMap) -> PropertyMap {
    schema().mark_secrets(Subject::IndexInputs, &mut inputs);
    inputs
}

impl IndexOps<'_> {
    /// The credentials for an Index's tag: provider settings, the
    /// resource's `registry`, ECR tokens where they apply.
    async fn index_credentials(
        &self,
        spec: &IndexSpec,
        for_cleanup: bool,
    ) -> Result<Vec<Credential>, ProviderError> {
        let config = self.provider.config();
        let own: Vec<_> = spec.args.registry.iter().cloned().collect();
        let hosts = spec
            .tag
            .iter()
            .chain(&spec.sources)
            .map(Reference::registry)
            .collect();
        self.provider
            .with_ecr_tokens(credentials(&config.registries, &own), &hosts, for_cleanup)
            .await
    }

    /// Create or Update: assemble the index, push it unless `push` is
    /// false, and record `ref`.
    async fn put_index(
        &self,
        properties: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<(String, PropertyMap), ProviderError> {
        let spec = parse_index(properties).map_err(ProviderError::InvalidInputs)?;
        let args = &spec.args;
        let mut state = mark_index_secrets(properties.clone());
        if preview || properties.values().any(Value::contains_unknowns) {
            // Nothing is pushed in a preview; the digest is not known yet.
            state.insert("ref".into(), Value::Unknown);
            return Ok((String::new(), state));
        }
        let Some(tag) = &spec.tag else {
            return Err(ProviderError::Internal(
                "an Index with a known tag has no parsed tag".into(),
            ));
        };
        let credentials = self.index_credentials(&spec, false).await?;
        let join = self.provider.registry().join(JoinJob {
            tags: std::slice::from_ref(tag),
            sources: &spec.sources,
            push: args.push(),
            credentials: &credentials,
        });
        let joined = tokio::select! {
            biased;
            () = token.cancelled() => return Err(ProviderError::Cancelled),
            joined = join => joined,
        };
        let joined = joined.map_err(|error| ProviderError::Join {
            what: "index",
            tag: tag.to_string(),
            sources: names(&spec.sources, ", "),
            error,
        })?;
        let reference = if args.push() {
            format!("{tag}@{}", joined.digest)
        } else {
            tracing::debug!(
                "index not pushed:\n{}",
                String::from_utf8_lossy(&joined.manifest)
            );
            args.tag.clone()
        };
        state.insert("ref".into(), Value::String(reference));
        Ok((args.tag.clone(), state))
    }

    /// Create for an Index: its id is its tag.
    async fn create_index(
        &self,
        properties: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<Created, ProviderError> {
        let (id, state) = self.put_index(properties, preview, token).await?;
        Ok(Created { id, state })
    }

    /// Read for an Index: does its tag still exist, and with which digest.
    async fn read_index(
        &self,
        id: &str,
        state: &PropertyMap,
        inputs: Option<&PropertyMap>,
    ) -> Result<Refreshed, ProviderError> {
        let spec = parse_index(state).map_err(ProviderError::InvalidStoredState)?;
        let args = &spec.args;
        let unchanged = Refreshed {
            id: id.to_owned(),
            state: state.clone(),
            inputs: inputs.cloned(),
        };
        let (true, Some(tag)) = (args.push(), &spec.tag) else {
            return Ok(unchanged);
        };
        let credentials = match self.index_credentials(&spec, true).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(
                    "could not check {} ({error}); keeping the stored state",
                    args.tag
                );
                return Ok(unchanged);
            }
        };
        match self.provider.registry().head(tag, &credentials).await {
            Presence::Missing => Ok(Refreshed {
                id: String::new(),
                state: PropertyMap::new(),
                inputs: None,
            }),
            Presence::Found(Some(digest)) => {
                let mut state = state.clone();
                state.insert(
                    "ref".into(),
                    Value::String(format!("{}@{digest}", args.tag)),
                );
                Ok(Refreshed {
                    id: id.to_owned(),
                    state,
                    inputs: inputs.cloned(),
                })
            }
            Presence::Found(None) => Ok(unchanged),
            Presence::Unknown(why) => {
                tracing::warn!(
                    "could not check {} ({why}); keeping the stored state",
                    args.tag
                );
                Ok(unchanged)
            }
        }
    }

    /// Delete for an Index: remove the pushed index, best effort, as an
    /// Image's Delete is: what cannot be deleted stays, with a warning.
    async fn delete_index(&self, state: &PropertyMap) -> Result<(), ProviderError> {
        let spec = match parse_index(state) {
            Ok(spec) => spec,
            Err(failures) => {
                let why = ProviderError::InvalidStoredState(failures);
                tracing::warn!("{why}; the index stays in the registry");
                return Ok(());
            }
        };
        let (true, Some(pushed), Some(tag)) = (spec.args.push(), &spec.pushed, &spec.tag) else {
            return Ok(());
        };
        let credentials = match self.index_credentials(&spec, true).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!("could not delete {pushed} ({error}); it stays in the registry");
                return Ok(());
            }
        };
        // Another tag on the same digest (a replacement under a new tag,
        // with the same content) would vanish with it: keep the index then.
        let own: BTreeSet<String> = tag.tag.iter().cloned().collect();
        let pinned = pushed.pinned(pushed.digest.as_deref().unwrap_or_default());
        let others = tagged_elsewhere(self.provider.registry(), &pinned, &own, &credentials).await;
        if !others.is_empty() {
            self.untag_only(tag, pushed, &others, &credentials).await;
            return Ok(());
        }
        match self.provider.registry().delete(pushed, &credentials).await {
            Deletion::Deleted => tracing::info!("deleted {pushed}"),
            Deletion::AlreadyGone => tracing::debug!("{pushed} was already gone"),
            Deletion::Failed(why) => tracing::warn!(
                "could not delete {pushed} ({why}): the registry may not allow deletions; it stays there"
            ),
        }
        Ok(())
    }

    /// An index also tagged elsewhere stays; registries that can delete a
    /// tag alone (OCI 1.1) let its old tag go, others keep it.
    async fn untag_only(
        &self,
        tag: &Reference,
        reference: &Reference,
        others: &[String],
        credentials: &[Credential],
    ) {
        let untagged = matches!(
            self.provider.registry().delete(tag, credentials).await,
            Deletion::Deleted | Deletion::AlreadyGone
        );
        tracing::info!(
            "not deleting the index {reference}: it is also tagged {}, which would go with it; {}",
            others.join(", "),
            if untagged {
                format!("removed only the tag {tag}")
            } else {
                format!("the registry cannot remove a tag alone, so {tag} stays")
            }
        );
    }
}
