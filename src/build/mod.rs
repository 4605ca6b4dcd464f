//! What a build is, apart from how it runs: what it asks for
//! ([`request::BuildRequest`]), the [`Builder`] seam the build engine
//! (`crate::buildkit::Engine`) implements, and what buildx's conventions
//! still give the engine: the syntax of cache entries and exports
//! ([`render`], [`csv`]), which builder names exist ([`builders`]), where
//! buildx is (the dialer, [`locate`]), the effective engine
//! ([`engine_probe`]), how `addHosts` entries read ([`extra_hosts`]), progress events ([`progress`]) and the errors of a
//! build ([`error`]). It knows nothing of gRPC, Pulumi's wire format, or
//! either resource.

pub mod builder;
pub mod builders;
pub mod csv;
pub mod engine_probe;
pub mod error;
pub mod extra_hosts;
pub mod locate;
pub mod progress;
pub mod render;
pub mod request;

pub use builder::{BuildError, BuildJob, BuildOutcome, Builder};
pub use request::{BuildRequest, CachePlan, DockerfileSource, Mode, SshAgent};
