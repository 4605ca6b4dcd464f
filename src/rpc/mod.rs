//! The gRPC edge: the `pulumirpc.ResourceProvider` service, the engine's
//! `Log` client, and the conversions between wire messages and domain
//! calls. Nothing outside this module sees a protobuf type.

pub mod codec;
mod convert;
mod engine;
pub mod pb;
mod serve;
mod server;
mod status;

pub use engine::with_scheme;
pub use serve::{DRAIN_TIMEOUT, MAX_MESSAGE_SIZE, serve};
pub use server::ProviderService;
pub use status::to_status;
