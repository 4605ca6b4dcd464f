//! The Pulumi wire format for property values, kept apart from any meaning.
//!
//! `wire` turns `google.protobuf.Struct` trees into [`Value`]s with secrets
//! and unknowns as explicit variants, and back. It knows nothing of Docker
//! or of this package's schema.

mod path;
mod value;

pub use path::{PropertyPath, Segment};
pub use value::{
    PropertyMap, UnsupportedValue, Value, map_from_json, map_to_struct, prune_unknowns, sig,
    struct_to_map,
};
