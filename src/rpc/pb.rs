//! Generated protobuf and gRPC code for the `pulumirpc` package, fenced
//! off here so wire types never leak into the domain modules.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("pulumirpc");
