//! The build engine: from typed Image inputs to a finished `docker buildx
//! build`. It plans the command line ([`plan`]; a build with cache secrets
//! as a bake definition on stdin, [`bake`]), decides the caches
//! ([`cache`]), keeps credentials in a private Docker config
//! ([`docker_config`]), runs buildx ([`runner`]) and reads its progress
//! ([`progress`]); [`builders`] knows the named builders. It knows nothing of gRPC or Pulumi's wire format.

pub mod bake;
pub mod builders;
pub mod credential_broker;
pub mod csv;
pub mod docker_config;
pub mod engine_probe;
pub mod error;
pub mod imagetools;
pub mod locate;
pub mod plan;
pub mod progress;
pub mod render;
pub mod request;
pub mod runner;
pub mod settings;

pub use plan::{BuildPlan, plan_build};
pub use request::{BuildRequest, CachePlan, DockerfileSource, Mode, SshAgent};
pub use runner::{BuildError, BuildJob, BuildOutcome, Builder, Buildx};
