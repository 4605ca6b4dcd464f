//! The Index resource behind the [`Resource`] seam: Check and Diff over
//! its inputs (`super`), a registry join for Create and Update, the
//! registry for Read and Delete (`lifecycle`).

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::lifecycle::IndexOps;
use super::{check_index, diff_index};
use crate::model::ResourceDiff;
use crate::provider::{CheckedInputs, Created, Provider, ProviderError, Refreshed, Resource};
use crate::wire::PropertyMap;

/// `docker-build:index:Index`.
pub struct IndexResource;

/// The one Index resource.
pub static INDEX: IndexResource = IndexResource;

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
            Ok(IndexOps { provider }
                .put_index(news, preview, &token)
                .await?
                .1)
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
