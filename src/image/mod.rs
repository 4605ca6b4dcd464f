//! The `docker-build:index:Image` resource, whole: its typed inputs and
//! state, the parse into an `ImageSpec`, Check, Diff, the context hash, the
//! cache policy, the build request, and Create, Read, Update and Delete
//! (`lifecycle`, which implements the `provider::Resource` seam;
//! `platforms`). It knows nothing of gRPC, and the build layer nothing of
//! it.

use crate::provider::Provider;

mod args;
mod build_request;
pub mod cache_policy;
mod check;
mod credentials;
mod diff;
mod dockerfile_syntax;
mod export_names;
mod hash;
mod inputs;
mod lifecycle;
mod outputs;
mod platforms;
mod preflight;
mod sources;
mod spec;
mod ssh_check;

pub use args::{
    BuildContext, BuilderConfig, CacheReport, Dockerfile, ImageArgs, ImageState, NamedContext, Ssh,
};
pub use build_request::build_request;
pub use check::{Checked, check_image, checked_spec};
pub use diff::{NewHash, diff_image, note_missing_exports};
pub use inputs::{Inputs, decode_state};
pub use lifecycle::{IMAGE, ImageResource};
pub use outputs::{BuildOutputs, mark_secrets, state_map};
pub use sources::{context_sources, missing_export_destinations, official_sources};
pub use spec::ImageSpec;

/// One Image operation: the provider whose services (configuration,
/// backends, build slots, the hasher) it uses.
pub struct ImageOps<'a> {
    /// The provider this operation runs in.
    pub provider: &'a Provider,
}
