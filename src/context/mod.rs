//! The build context on disk: where it is, what `.dockerignore` leaves in
//! it, and a stable hash of what the build can read.
//!
//! `context` walks and hashes local directories and files; it knows nothing
//! of gRPC, Pulumi or buildx.

mod dockerignore;
mod hash;
mod location;

pub use dockerignore::IgnoreRules;
pub use hash::{ContextSources, HashError, LocalContext, hash_context};
pub use location::{Location, classify};
