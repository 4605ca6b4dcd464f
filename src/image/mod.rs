//! The `docker-build:index:Image` resource's data: typed inputs and state,
//! each schema type's validation (and, for caches, its buildx rendering),
//! Check and Diff. Everything here is plain data and pure functions apart
//! from Check's existence tests on local paths; it knows nothing of gRPC.

mod args;
mod cache;
mod check;
mod csv;
mod diff;
mod dockerfile_syntax;
mod export;
mod inputs;
mod reference;
mod sources;
mod spec;

pub use args::{
    BuildContext, BuilderConfig, CacheReport, Dockerfile, ImageArgs, ImageState, NamedContext,
    Registry, Ssh,
};
pub use cache::{
    CacheFrom, CacheFromInput, CacheTo, CacheToInput, SecretAttributes, cache_from_registry,
    cache_to_registry,
};
pub use check::{Checked, check_image, checked_spec};
pub use diff::{Change, NewHash, ResourceDiff, diff_image, note_missing_exports};
pub use export::{Export, ExportInput, ImageExport};
pub use inputs::{Inputs, decode_known, decode_state, prune_unknowns};
pub use reference::Reference;
pub use sources::{context_sources, missing_export_destinations, official_sources};
pub use spec::{DockerfileSource, ImageSpec};
