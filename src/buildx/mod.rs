//! What a build asks for ([`request::BuildRequest`]), the [`Builder`] seam
//! and the buildx route: a request a buildx run builds, only when
//! `DOCKER_BUILD_ENGINE=buildx` asks (the build engine,
//! `crate::buildkit::Engine`, builds everything itself). It renders the
//! request ([`settings`], with the cache
//! and export syntax of [`render`] and [`csv`]) as a `build` command line
//! or, when a cache entry carries a secret, a bake definition on stdin
//! ([`plan`], [`bake`]); keeps credentials in a private Docker config
//! served by the provider's own binary ([`docker_config`],
//! [`credential_broker`]); runs buildx ([`runner`], failures in [`error`])
//! and reads its progress ([`progress`]); [`builders`] knows the named
//! builders. It knows
//! nothing of gRPC, Pulumi's wire format, or either resource.

pub mod bake;
pub mod builders;
pub mod credential_broker;
pub mod csv;
pub mod docker_config;
pub mod engine_probe;
pub mod error;
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
