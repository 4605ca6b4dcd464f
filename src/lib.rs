//! `pulumi-resource-docker-build`: a Pulumi resource provider that builds
//! container images with `docker buildx build`.
//!
//! Data flows one way: wire `Struct` ([`wire`]) → typed arguments and
//! Check/Diff ([`image`], driven by [`schema`]) → provider operations
//! ([`provider`]) → back to the wire ([`rpc`]). See ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod buildx;
pub mod cli;
pub mod context;
pub mod credential;
pub mod ecr;
pub mod failure;
pub mod image;
pub mod index;
pub mod logging;
pub mod model;
pub mod provider;
pub mod registry;
pub mod rpc;
pub mod schema;
pub mod wire;
