//! The build context on disk: where it is, what `.dockerignore` leaves in
//! it, and a stable hash of what the build can read.
//!
//! `context` walks and hashes local directories and files; it knows nothing
//! of gRPC, Pulumi or buildx.

mod build_sources;
mod dockerignore;
mod hash;
mod hash_cache;
mod location;
mod official;
mod single_flight;
mod sources;
mod walk;

pub use build_sources::{BuildSources, build_sources};
pub use dockerignore::IgnoreRules;
pub use hash::{ContextHasher, ContextSources, HashStats, hash_context};
pub use hash_cache::default_cache_dir;
pub use location::{Location, classify, clean, clean_location, is_fetched_url};
pub use official::{OfficialMemo, OfficialSources, go_mode_string};
pub use sources::{HashError, LocalContext};
