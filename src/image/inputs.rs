//! From a wire property map to typed [`ImageArgs`], keeping track of what
//! is not known yet.
//!
//! During preview some inputs may be unknown. They are never turned into
//! zero values: [`Inputs`] is either fully known, or partial with the list
//! of unknown paths alongside the known remainder, and only a fully known
//! one can be built (see `Inputs::known`).

use crate::failure::InputFailure;
use crate::schema::{Subject, decode_known, without_empty_strings};
use crate::wire::{PropertyMap, PropertyPath, Value};

use super::args::{ImageArgs, ImageState};

/// Typed inputs, with unknowns kept explicit.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// Every input is known.
    Known(ImageArgs),
    /// Some inputs are unknown (preview); `args` holds the known rest with
    /// each unknown value left out.
    Partial {
        /// The known inputs.
        args: ImageArgs,
        /// Where the unknown values are.
        unknown: Vec<PropertyPath>,
    },
}

impl Inputs {
    /// Decodes a checked property map.
    pub fn decode(map: &PropertyMap) -> Result<Inputs, InputFailure> {
        let map = &without_empty_strings(Subject::ImageInputs, map);
        let mut unknown = Vec::new();
        for (key, value) in map {
            value.unknown_paths(&PropertyPath::key(key.clone()), &mut unknown);
        }
        // Unknowns are left out by the decode, and listed above.
        let args: ImageArgs = decode_known(map)?;
        Ok(if unknown.is_empty() {
            Inputs::Known(args)
        } else {
            Inputs::Partial { args, unknown }
        })
    }

    /// The known inputs (all of them, or the known part).
    pub fn args(&self) -> &ImageArgs {
        match self {
            Inputs::Known(args) | Inputs::Partial { args, .. } => args,
        }
    }

    /// The inputs if every one is known.
    pub fn known(&self) -> Option<&ImageArgs> {
        match self {
            Inputs::Known(args) => Some(args),
            Inputs::Partial { .. } => None,
        }
    }

    /// Unknown paths (empty when fully known).
    pub fn unknown_paths(&self) -> &[PropertyPath] {
        match self {
            Inputs::Known(_) => &[],
            Inputs::Partial { unknown, .. } => unknown,
        }
    }

    /// Whether anything at or below `path`, or any parent of it, is unknown.
    pub fn touches_unknown(&self, path: &PropertyPath) -> bool {
        self.unknown_paths()
            .iter()
            .any(|u| u.starts_with(path) || path.starts_with(u))
    }
}

/// Decodes stored state (old outputs); state never holds unknowns.
pub fn decode_state(map: &PropertyMap) -> Result<ImageState, InputFailure> {
    decode_known(&without_empty_strings(Subject::ImageInputs, map))
}

/// The map without the values at `paths`, set aside before typed decoding
/// because their type is wrong. A bad value inside an array takes the whole
/// array with it, so no element is silently dropped or renumbered.
pub fn remove_paths(map: &mut PropertyMap, paths: &[PropertyPath]) {
    use crate::wire::Segment;
    for path in paths {
        let segments = path.segments();
        let cut = segments
            .iter()
            .position(|s| matches!(s, Segment::Index(_)))
            .unwrap_or(segments.len());
        let Some((Segment::Key(first), rest)) = segments[..cut].split_first() else {
            continue;
        };
        if rest.is_empty() {
            map.remove(first);
        } else if let Some(value) = map.get_mut(first) {
            remove_below(value, rest);
        }
    }
}

fn remove_below(value: &mut Value, rest: &[crate::wire::Segment]) {
    use crate::wire::Segment;
    let value = match value {
        Value::Secret(inner) => inner.as_mut(),
        other => other,
    };
    let (Value::Object(map), [Segment::Key(key), tail @ ..]) = (value, rest) else {
        return;
    };
    if tail.is_empty() {
        map.remove(key);
    } else if let Some(inner) = map.get_mut(key) {
        remove_below(inner, tail);
    }
}
