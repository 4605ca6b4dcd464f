//! `pulumi-resource-docker-build`: a Pulumi resource provider that builds
//! container images through BuildKit's own API.
//!
//! Data flows one way: wire `Struct` ([`wire`]) → the resource [`rpc`]
//! picks ([`image`] or [`index`], each a [`provider::Resource`]) → its
//! parsed spec → a [`build`] request → the engine ([`buildkit`]) →
//! outputs → back to the wire. See
//! ARCHITECTURE.md for the layers and their invariants.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod build;
pub mod buildkit;
pub mod cli;
pub mod context;
pub mod credential;
pub mod ecr;
pub mod failure;
pub mod fakes;
pub mod image;
pub mod index;
pub mod logging;
pub mod model;
pub mod provider;
pub mod registry;
pub mod rpc;
pub mod schema;
pub mod timings;
pub mod wire;
