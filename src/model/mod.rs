//! The schema types more than one layer reads: image references, the
//! cache entries and exports the build renders, platforms, registry
//! logins, and the shape of a resource diff. Plain data with its validation; no rendering,
//! no input or output.

pub mod cache;
pub mod diff;
pub mod export;
pub mod platform;
pub mod reference;
pub mod registry;

pub use diff::{Change, ResourceDiff};
pub use reference::Reference;
pub use registry::RegistryLogin;
