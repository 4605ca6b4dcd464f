//! Diff for `docker-build:index:Image`: a pure function of the old state,
//! the new inputs and the new context hash.
//!
//! Every change is an in-place update; an Image never asks to be replaced
//! (a replacement would delete the old digest, which may be the very one
//! the new image pushes). The rules follow the Go provider: registry
//! passwords never count (tokens rotate), secrets listed in
//! `ignoreSecretsInDiffCalculation` don't count, `pull` on an image that
//! exports anything always rebuilds, and the context hash is compared.
//! Inputs are destructured field by field so a new input cannot be
//! forgotten here without a compile error.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use crate::context::clean_location;
use crate::schema::{Subject, schema};
use crate::wire::PropertyPath;

use super::args::{BuildContext, Dockerfile, ImageArgs, ImageState, NamedContext};
use super::inputs::Inputs;
use crate::model::{Change, RegistryLogin, ResourceDiff};

/// The new context hash as Diff sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewHash {
    /// Computed from the files on disk.
    Known(String),
    /// Not computable yet: the context or Dockerfile is unknown.
    Unknown,
    /// Different from ours, but the stored hash, written by the official
    /// provider, still describes these files: unchanged.
    OfficialMatch,
}

/// Compares `old` state with `new` inputs and the new context hash.
pub fn diff_image(old: &ImageState, new: &Inputs, new_hash: &NewHash) -> ResourceDiff {
    let mut diff = Differ {
        changes: BTreeMap::new(),
        unknown_tops: BTreeSet::new(),
    };
    for path in new.unknown_paths() {
        diff.changes.insert(path.clone(), Change::Update);
        if let Some(top) = path.top_level() {
            diff.unknown_tops.insert(top.to_owned());
        }
    }

    diff.inputs(&old.args, new.args());

    // A base image can change upstream with no local edit: with `pull`, an
    // image that exports anything is always rebuilt.
    let always_rebuild = new.args().pull.unwrap_or(false) && new.args().exports_anything();
    let hash_changed = match new_hash {
        NewHash::Known(hash) => *hash != old.context_hash,
        NewHash::Unknown => true,
        NewHash::OfficialMatch => false,
    };
    if always_rebuild || hash_changed {
        diff.changes
            .insert(PropertyPath::key("contextHash"), Change::Update);
    }
    ResourceDiff {
        changes: diff.changes,
        replaces: BTreeSet::new(),
        delete_before_replace: false,
    }
}

/// Adds an update for each `exports` entry whose destination is gone from
/// disk (found by `missing_export_destinations`): the build recreates it.
pub fn note_missing_exports(diff: &mut ResourceDiff, missing: &[usize]) {
    for &i in missing {
        diff.changes
            .entry(PropertyPath::key("exports").index(i))
            .or_insert(Change::Update);
    }
}

/// The context with its local locations cleaned (`./app` equals `app`).
fn cleaned_context(context: &Option<BuildContext>) -> Option<BuildContext> {
    context.as_ref().map(|c| BuildContext {
        location: clean_location(&c.location),
        named: c
            .named
            .iter()
            .map(|(name, n)| {
                let location = clean_location(&n.location);
                (name.clone(), NamedContext { location })
            })
            .collect(),
    })
}

/// The Dockerfile with a local location cleaned.
fn cleaned_dockerfile(dockerfile: &Option<Dockerfile>) -> Option<Dockerfile> {
    dockerfile.as_ref().map(|d| Dockerfile {
        location: d.location.as_deref().map(clean_location),
        inline: d.inline.clone(),
    })
}

/// A registry entry as Diff sees it: no password.
#[derive(Serialize)]
struct RegistryIdentity<'a> {
    address: &'a str,
    username: Option<&'a str>,
}

/// Registries compared by address and user only.
fn without_passwords(registries: &[RegistryLogin]) -> Vec<RegistryIdentity<'_>> {
    registries
        .iter()
        .map(|r| RegistryIdentity {
            address: &r.address,
            username: r.username.as_deref(),
        })
        .collect()
}

struct Differ {
    changes: BTreeMap<PropertyPath, Change>,
    /// Top-level properties holding unknowns: already reported as updates.
    unknown_tops: BTreeSet<String>,
}

impl Differ {
    /// Compares every input: destructured without `..`, so a new input
    /// does not compile until it is decided here.
    // long: destructures both ImageArgs without `..`.
    fn inputs(&mut self, old: &ImageArgs, new: &ImageArgs) {
        let ImageArgs {
            add_hosts,
            build_args,
            build_on_preview,
            builder,
            cache_from,
            cache_to,
            context,
            dockerfile,
            exec: _, // chooses how buildx runs, not what it builds
            exports,
            ignore_secrets_in_diff_calculation,
            labels,
            load,
            network,
            no_cache,
            platforms,
            pull,
            push,
            registries,
            secrets,
            ssh,
            tags,
            target,
            auto_cache,
            hash_only_build_sources,
        } = new;
        let ImageArgs {
            add_hosts: old_add_hosts,
            build_args: old_build_args,
            build_on_preview: old_build_on_preview,
            builder: old_builder,
            cache_from: old_cache_from,
            cache_to: old_cache_to,
            context: old_context,
            dockerfile: old_dockerfile,
            exec: _,
            exports: old_exports,
            ignore_secrets_in_diff_calculation: _, // never a reason to rebuild
            labels: old_labels,
            load: old_load,
            network: old_network,
            no_cache: old_no_cache,
            platforms: old_platforms,
            pull: old_pull,
            push: old_push,
            registries: old_registries,
            secrets: old_secrets,
            ssh: old_ssh,
            tags: old_tags,
            target: old_target,
            auto_cache: old_auto_cache,
            hash_only_build_sources: _, // only changes how the hash is taken; the hash itself is compared
        } = old;

        self.field("addHosts", old_add_hosts, add_hosts);
        self.field("buildArgs", old_build_args, build_args);
        self.field(
            "buildOnPreview",
            &old_build_on_preview.unwrap_or(true),
            &build_on_preview.unwrap_or(true),
        );
        self.field("builder", old_builder, builder);
        self.field("cacheFrom", old_cache_from, cache_from);
        self.field("cacheTo", old_cache_to, cache_to);
        self.field(
            "context",
            &cleaned_context(old_context),
            &cleaned_context(context),
        );
        self.field(
            "dockerfile",
            &cleaned_dockerfile(old_dockerfile),
            &cleaned_dockerfile(dockerfile),
        );
        self.field("exports", old_exports, exports);
        self.field("labels", old_labels, labels);
        self.field("load", &old_load.unwrap_or(false), &load.unwrap_or(false));
        self.field(
            "network",
            &old_network.as_deref().unwrap_or("default"),
            &network.as_deref().unwrap_or("default"),
        );
        self.field(
            "noCache",
            &old_no_cache.unwrap_or(false),
            &no_cache.unwrap_or(false),
        );
        self.field("platforms", old_platforms, platforms);
        self.field("pull", &old_pull.unwrap_or(false), &pull.unwrap_or(false));
        self.field("push", old_push, push);
        self.field(
            "registries",
            &without_passwords(old_registries),
            &without_passwords(registries),
        );
        let ignored: BTreeSet<&String> = ignore_secrets_in_diff_calculation
            .iter()
            .filter(|id| old_secrets.contains_key(*id) && secrets.contains_key(*id))
            .collect();
        let counted = |map: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            map.iter()
                .filter(|(k, _)| !ignored.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        self.field("secrets", &counted(old_secrets), &counted(secrets));
        self.field("ssh", old_ssh, ssh);
        self.field("tags", old_tags, tags);
        self.field("target", old_target, target);
        // Unset means the provider's setting, not false: compared as given.
        self.field_as_given("autoCache", old_auto_cache, auto_cache);
        let _ = hash_only_build_sources;
    }

    /// Compares a property whose absence does not mean its zero value.
    fn field_as_given<T: Serialize + ?Sized>(&mut self, name: &str, old: &T, new: &T) {
        self.compare_field(name, old, new, false);
    }

    /// Compares a property, a zero value or its schema default equal to
    /// its absence at every depth (the official provider stores
    /// `target: ""`, `pull: false`...).
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, old: &T, new: &T) {
        self.compare_field(name, old, new, true);
    }

    fn compare_field<T: Serialize + ?Sized>(&mut self, name: &str, old: &T, new: &T, strip: bool) {
        if self.unknown_tops.contains(name) {
            return;
        }
        // Invariant: these are plain data types whose serialisation cannot fail.
        let old = serde_json::to_value(old).expect("inputs serialise to JSON");
        let new = serde_json::to_value(new).expect("inputs serialise to JSON");
        if strip {
            // Two given scalars (a defaulted bool, say) that differ changed
            // in place, whatever either means.
            let scalars = [&old, &new]
                .iter()
                .all(|v| !(v.is_null() || v.is_array() || v.is_object()));
            let old = schema().strip_unset(Subject::ImageInputs, name, old);
            let new = schema().strip_unset(Subject::ImageInputs, name, new);
            if scalars && old != new {
                self.changes.insert(PropertyPath::key(name), Change::Update);
                return;
            }
            return compare(&PropertyPath::key(name), &old, &new, &mut self.changes);
        }
        compare(&PropertyPath::key(name), &old, &new, &mut self.changes);
    }
}

fn is_absent(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Array(items) => items.is_empty(),
        Json::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Structural comparison, reporting the deepest paths that differ.
fn compare(path: &PropertyPath, old: &Json, new: &Json, out: &mut BTreeMap<PropertyPath, Change>) {
    if old == new {
        return;
    }
    match (is_absent(old), is_absent(new)) {
        (true, true) => return,
        (true, false) => {
            out.insert(path.clone(), Change::Add);
            return;
        }
        (false, true) => {
            out.insert(path.clone(), Change::Delete);
            return;
        }
        (false, false) => {}
    }
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null),
                );
                compare(&path.field(key.clone()), x, y, out);
            }
        }
        (Json::Array(a), Json::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => compare(&path.index(i), x, y, out),
                    (None, Some(_)) => {
                        out.insert(path.index(i), Change::Add);
                    }
                    (Some(_), None) => {
                        out.insert(path.index(i), Change::Delete);
                    }
                    (None, None) => {}
                }
            }
        }
        _ => {
            out.insert(path.clone(), Change::Update);
        }
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
