//! The `docker-build:index:Image` resource, whole: its typed inputs and
//! state, the parse into an `ImageSpec`, Check, Diff, the context hash, the
//! cache policy, the build request, and Create, Read, Update and Delete
//! (`lifecycle`, `platforms`), behind the `provider::Resource` seam
//! (`resource`). It knows nothing of gRPC, and buildx knows nothing of it.

mod args;
mod build_request;
pub mod cache_policy;
mod check;
mod diff;
mod dockerfile_syntax;
mod hash;
mod inputs;
mod lifecycle;
mod ops;
mod outputs;
mod platforms;
mod resource;
mod sources;
mod spec;

pub use args::{
    BuildContext, BuilderConfig, CacheReport, Dockerfile, ImageArgs, ImageState, NamedContext, Ssh,
};
pub use build_request::build_request;
pub use check::{Checked, check_image, checked_spec};
pub use diff::{NewHash, diff_image, note_missing_exports};
pub use inputs::{Inputs, decode_state};
pub use outputs::{BuildOutputs, mark_secrets, state_map};
pub use resource::{IMAGE, ImageResource};
pub use sources::{context_sources, missing_export_destinations, official_sources};
pub use spec::ImageSpec;
