//! The seam between the protocol and the resources: what every resource
//! (`image`, `index`) answers, over property maps, with the provider's
//! shared services at hand. `rpc` picks the resource once per request
//! from its [`ResourceKind`] and calls it through [`Resource`].

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{Provider, ProviderError};
use crate::failure::InputFailure;
use crate::model::ResourceDiff;
use crate::schema::{IMAGE_TOKEN, INDEX_TOKEN};
use crate::wire::PropertyMap;

/// The resources this provider manages: a request's type token, parsed
/// once at the protocol edge.
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

/// What Check answers: the inputs with defaults applied, and every
/// problem with its property path.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedInputs {
    /// The inputs to store and diff against.
    pub inputs: PropertyMap,
    /// Every input failure.
    pub failures: Vec<InputFailure>,
}

/// The result of a successful Create.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The resource id.
    pub id: String,
    /// The state to store.
    pub state: PropertyMap,
}

/// The result of a Read.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    /// The id; empty when the resource is gone.
    pub id: String,
    /// The refreshed state.
    pub state: PropertyMap,
    /// The refreshed inputs, when inputs were given.
    pub inputs: Option<PropertyMap>,
}

/// One resource's whole lifecycle. Each operation returns a complete
/// result or an error that leaves the stored state in force.
pub trait Resource: Sync {
    /// Check: defaults and every failure of the new inputs.
    fn check(&self, provider: &Provider, news: &PropertyMap) -> CheckedInputs;

    /// Diff: what changed between the stored state and the new inputs.
    fn diff<'a>(
        &'a self,
        provider: &'a Provider,
        olds: &'a PropertyMap,
        news: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<ResourceDiff, ProviderError>>;

    /// Create: `name` is the resource's name, `timeout` the engine's.
    fn create<'a>(
        &'a self,
        provider: &'a Provider,
        name: &'a str,
        properties: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<Created, ProviderError>>;

    /// Read: the resource as it is now.
    fn read<'a>(
        &'a self,
        provider: &'a Provider,
        id: &'a str,
        state: &'a PropertyMap,
        inputs: Option<&'a PropertyMap>,
    ) -> BoxFuture<'a, Result<Refreshed, ProviderError>>;

    /// Update: the new state for `news`.
    fn update<'a>(
        &'a self,
        provider: &'a Provider,
        news: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<PropertyMap, ProviderError>>;

    /// Delete, best effort where the outside world allows.
    fn delete<'a>(
        &'a self,
        provider: &'a Provider,
        state: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}
