//! Conversions between request messages and domain values.

use crate::failure::InputFailure;
use crate::model::{Change, ResourceDiff};
use crate::provider::{ProviderError, Resource, ResourceKind};
use crate::wire::{PropertyMap, struct_to_map};

use super::pb;

/// A request's property map; special values we don't take are errors.
pub fn properties(wire: Option<&prost_types::Struct>) -> Result<PropertyMap, ProviderError> {
    Ok(struct_to_map(wire)?)
}

/// A request's property map for Check, where an unsupported value is a
/// failure of its property rather than an error of the call.
pub fn properties_or_failure(
    wire: Option<&prost_types::Struct>,
) -> Result<PropertyMap, InputFailure> {
    struct_to_map(wire).map_err(|e| InputFailure::new(e.path.clone(), e.to_string()))
}

/// CheckFailure messages.
pub fn check_failures(failures: Vec<InputFailure>) -> Vec<pb::CheckFailure> {
    failures
        .into_iter()
        .map(|f| pb::CheckFailure {
            property: f.property.to_string(),
            reason: f.reason,
        })
        .collect()
}

/// The resource a request is about, parsed once: its `type` field, or else
/// the type in its URN (`urn:pulumi:stack::project::[parent$]type::name`),
/// as older engines send only the URN.
/// The resource a request is for: the one place a [`ResourceKind`]
/// becomes the resource that answers for it.
pub fn resource(explicit: &str, urn: &str) -> Result<&'static dyn Resource, ProviderError> {
    Ok(match resource_kind(explicit, urn)? {
        ResourceKind::Image => &crate::image::IMAGE,
        ResourceKind::Index => &crate::index::INDEX,
    })
}

/// The kind a request's type token names (from its URN when the token is
/// not given).
pub fn resource_kind(explicit: &str, urn: &str) -> Result<ResourceKind, ProviderError> {
    if !explicit.is_empty() {
        return ResourceKind::parse(explicit);
    }
    let from_urn = urn
        .split("::")
        .nth(2)
        .and_then(|qualified| qualified.rsplit('$').next())
        .unwrap_or_default();
    ResourceKind::parse(from_urn)
}

/// A DiffResponse for a resource diff: each change an update, or a
/// replacement when its top-level property replaces the resource (an
/// Index's `tag`, or its `registry.address`; never for an Image).
pub fn diff_response(diff: &ResourceDiff) -> pb::DiffResponse {
    let detailed = diff
        .changes
        .iter()
        .map(|(path, change)| {
            let replace = path
                .top_level()
                .is_some_and(|key| diff.replaces.contains(key));
            let kind = match (change, replace) {
                (Change::Add, false) => pb::property_diff::Kind::Add,
                (Change::Add, true) => pb::property_diff::Kind::AddReplace,
                (Change::Delete, false) => pb::property_diff::Kind::Delete,
                (Change::Delete, true) => pb::property_diff::Kind::DeleteReplace,
                (Change::Update, false) => pb::property_diff::Kind::Update,
                (Change::Update, true) => pb::property_diff::Kind::UpdateReplace,
            };
            // contextHash is an output: its change comes from the files,
            // not from an input the program changed.
            let input_diff = path.top_level() != Some("contextHash");
            (
                path.to_string(),
                pb::PropertyDiff {
                    kind: kind as i32,
                    input_diff,
                },
            )
        })
        .collect();
    pb::DiffResponse {
        replaces: diff.replaces.iter().cloned().collect(),
        stables: Vec::new(),
        delete_before_replace: diff.delete_before_replace,
        changes: if diff.is_empty() {
            pb::diff_response::DiffChanges::DiffNone
        } else {
            pb::diff_response::DiffChanges::DiffSome
        } as i32,
        diffs: diff.top_level().into_iter().collect(),
        detailed_diff: detailed,
        has_detailed_diff: true,
    }
}

/// A DiffResponse listing changed top-level keys as updates.
pub fn key_diff_response(keys: &[&str]) -> pb::DiffResponse {
    pb::DiffResponse {
        changes: if keys.is_empty() {
            pb::diff_response::DiffChanges::DiffNone
        } else {
            pb::diff_response::DiffChanges::DiffSome
        } as i32,
        diffs: keys.iter().map(|k| (*k).to_owned()).collect(),
        detailed_diff: keys
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    pb::PropertyDiff {
                        kind: pb::property_diff::Kind::Update as i32,
                        input_diff: true,
                    },
                )
            })
            .collect(),
        has_detailed_diff: true,
        ..pb::DiffResponse::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_type_or_else_the_urn() {
        let kind = |explicit, urn| resource_kind(explicit, urn).ok();
        assert_eq!(
            kind("", "urn:pulumi:dev::proj::docker-build:index:Image::img"),
            Some(ResourceKind::Image)
        );
        assert_eq!(
            kind(
                "",
                "urn:pulumi:dev::proj::my:comp:C$docker-build:index:Index::i"
            ),
            Some(ResourceKind::Index)
        );
        assert_eq!(
            kind("docker-build:index:Image", "urn:pulumi:dev::proj::a:b:C::n"),
            Some(ResourceKind::Image)
        );
        assert!(matches!(
            resource_kind("x:y:Z", ""),
            Err(ProviderError::UnknownType(t)) if t == "x:y:Z"
        ));
    }
}
