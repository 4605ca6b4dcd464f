//! The Image resource behind the [`Resource`] seam: Check and Diff over
//! its inputs, the build for Create and Update, the registry for Read and
//! Delete (`lifecycle`, `platforms`).

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::check_image;
use super::ops::ImageOps;
use crate::model::ResourceDiff;
use crate::provider::{
    CheckedInputs, Created, Provider, ProviderError, Refreshed, Resource, warn_about_url_addresses,
};
use crate::wire::PropertyMap;

/// `docker-build:index:Image`.
pub struct ImageResource;

/// The one Image resource.
pub static IMAGE: ImageResource = ImageResource;

impl Resource for ImageResource {
    fn check(&self, provider: &Provider, news: &PropertyMap) -> CheckedInputs {
        let checked = check_image(news, provider.base());
        if let Some(spec) = &checked.spec {
            warn_about_url_addresses("registries", &spec.args.registries);
        }
        CheckedInputs {
            inputs: checked.inputs,
            failures: checked.failures,
        }
    }

    fn diff<'a>(
        &'a self,
        provider: &'a Provider,
        olds: &'a PropertyMap,
        news: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<ResourceDiff, ProviderError>> {
        Box::pin(async move { ImageOps { provider }.diff(olds, news).await })
    }

    fn create<'a>(
        &'a self,
        provider: &'a Provider,
        name: &'a str,
        properties: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let token = provider.token_with_timeout(timeout);
            ImageOps { provider }
                .create(name, properties, preview, &token)
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
        Box::pin(async move { ImageOps { provider }.read(id, state, inputs).await })
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
            ImageOps { provider }.update(news, preview, &token).await
        })
    }

    fn delete<'a>(
        &'a self,
        provider: &'a Provider,
        state: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { ImageOps { provider }.delete(state).await })
    }
}
