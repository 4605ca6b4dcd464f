//! The Index resource's inputs, side by side: their types, Check (schema,
//! then references) and Diff. An Index joins images already in a registry
//! under one tag (manifest PUTs, `registry::JoinJob`); its lifecycle, behind
//! the [`Resource`](crate::provider::Resource) seam, lives in `lifecycle`.
//!
//! Diff rules, as in the official provider: a new `tag` or a new
//! `registry.address` (unless there was none) replaces the index; new
//! `sources` or `registry.username` update it in place; `push` and the
//! password never cause a change on their own. A replaced index is deleted
//! before its successor is pushed: its tag is being abandoned, and an
//! index with the same content has the same digest, which deleting the old
//! one afterwards would take from the new tag too.

mod lifecycle;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::credential::RegistryHost;
use crate::failure::InputFailure;
use crate::model::Change;
use crate::model::Reference;
use crate::model::RegistryLogin;
use crate::model::ResourceDiff;
use crate::schema::{Subject, decode_known, schema, without_empty_strings};
use crate::wire::{PropertyMap, PropertyPath, Value};

pub use lifecycle::{INDEX, IndexResource};

/// An Index's inputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexArgs {
    /// The tag the index is pushed under.
    #[serde(default)]
    pub tag: String,
    /// The images joined, by reference.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Whether to push (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
    /// Credentials for the tag's registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryLogin>,
}

impl IndexArgs {
    /// Whether the index is pushed.
    pub fn push(&self) -> bool {
        self.push.unwrap_or(true)
    }

    /// Decodes inputs or state (unknown values left out).
    pub fn decode(map: &PropertyMap) -> Result<IndexArgs, InputFailure> {
        decode_known(map)
    }
}

/// Check: the schema's defaults and types, then the parse.
pub fn check_index(news: &PropertyMap) -> (PropertyMap, Vec<InputFailure>) {
    let mut inputs = without_empty_strings(Subject::IndexInputs, news);
    schema().apply_defaults(Subject::IndexInputs, &mut inputs);
    let mut failures = schema().check_object(Subject::IndexInputs, &inputs);
    if failures.is_empty()
        && let Err(found) = parse_index(&inputs)
    {
        failures = found;
    }
    // Stored as the engine's inputs: what the schema marks secret is
    // secret there too, however the program sent it.
    schema().mark_secrets(Subject::IndexInputs, &mut inputs);
    (inputs, failures)
}

/// An Index's inputs, parsed: the tag and sources as references (each
/// `None`/left out while unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    /// The inputs as declared.
    pub args: IndexArgs,
    /// The tag, parsed, once known.
    pub tag: Option<Reference>,
    /// The known sources, parsed.
    pub sources: Vec<Reference>,
    /// In stored state: the pushed index (`ref`, `tag@digest`), parsed;
    /// `None` before a push or when nothing was pushed.
    pub pushed: Option<Reference>,
}

/// Checked inputs (or stored state) parsed once, for Check, Create,
/// Update, Read and Delete alike: a tag (not a digest) and at least one
/// source, each a reference. Values still unknown are not judged.
pub fn parse_index(inputs: &PropertyMap) -> Result<IndexSpec, Vec<InputFailure>> {
    let args = IndexArgs::decode(inputs).map_err(|f| vec![f])?;
    let mut failures = Vec::new();
    let known = |key: &str| inputs.get(key).is_some_and(|v| !v.contains_unknowns());
    let mut tag = None;
    if known("tag") {
        match Reference::parse(&args.tag) {
            Ok(reference) if reference.digest.is_some() => failures.push(InputFailure::new(
                PropertyPath::key("tag"),
                format!(
                    "`{}` names a digest; an index is pushed under a tag",
                    args.tag
                ),
            )),
            Ok(reference) => tag = Some(reference),
            Err(reason) => failures.push(InputFailure::new(PropertyPath::key("tag"), reason)),
        }
    }
    let sources = parse_sources(inputs, &mut failures);
    let pushed = parse_pushed(inputs, &mut failures);
    if failures.is_empty() {
        Ok(IndexSpec {
            args,
            tag,
            sources,
            pushed,
        })
    } else {
        Err(failures)
    }
}

/// The stored `ref` of a pushed index (`tag@digest`), parsed; `None`
/// when there is none yet or it names no digest (an index not pushed).
fn parse_pushed(state: &PropertyMap, failures: &mut Vec<InputFailure>) -> Option<Reference> {
    let Some(Value::String(text)) = state.get("ref").map(Value::unsecret) else {
        return None;
    };
    if text.is_empty() {
        return None;
    }
    match Reference::parse(text) {
        Ok(reference) => reference.digest.is_some().then_some(reference),
        Err(reason) => {
            failures.push(InputFailure::new(PropertyPath::key("ref"), reason));
            None
        }
    }
}

/// The known `sources`, parsed; a failure for each that does not parse
/// and for an empty list.
fn parse_sources(inputs: &PropertyMap, failures: &mut Vec<InputFailure>) -> Vec<Reference> {
    let Some(Value::Array(items)) = inputs.get("sources").map(Value::unsecret) else {
        return Vec::new();
    };
    if items.is_empty() {
        failures.push(InputFailure::new(
            PropertyPath::key("sources"),
            "at least one image is needed to make an index",
        ));
    }
    let mut sources = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Value::String(source) = item.unsecret() {
            match Reference::parse(source) {
                Ok(reference) => sources.push(reference),
                Err(reason) => failures.push(InputFailure::new(
                    PropertyPath::key("sources").index(i),
                    reason,
                )),
            }
        }
    }
    sources
}

/// Diff of an Index's stored state against its new inputs. Both are
/// destructured without `..`, so a new input does not compile until Diff
/// decides about it.
pub fn diff_index(olds: &PropertyMap, news: &PropertyMap) -> Result<ResourceDiff, InputFailure> {
    let IndexArgs {
        tag: old_tag,
        sources: old_sources,
        push: _, // pushing or not never replaces or rebuilds an index
        registry: old_registry,
    } = IndexArgs::decode(&without_empty_strings(Subject::IndexInputs, olds))?;
    let IndexArgs {
        tag,
        sources,
        push: _,
        registry,
    } = IndexArgs::decode(&without_empty_strings(Subject::IndexInputs, news))?;
    let unknown = |key: &str| news.get(key).is_some_and(Value::contains_unknowns);
    let mut changes = BTreeMap::new();
    let mut replaces = BTreeSet::new();
    if unknown("tag") || old_tag != tag {
        changes.insert(PropertyPath::key("tag"), Change::Update);
        replaces.insert("tag".to_owned());
    }
    if unknown("sources") || old_sources != sources {
        changes.insert(PropertyPath::key("sources"), Change::Update);
    }
    // The password never counts (tokens rotate); the address moves the
    // index to another registry, unless there was none before. Addresses
    // compare as hosts (`docker.io` is `index.docker.io`), and a zero value
    // the official provider stored is no address or user at all.
    let identity = |r: Option<RegistryLogin>| {
        r.map(
            |RegistryLogin {
                 address,
                 username,
                 password: _,
             }| {
                let host = (!address.is_empty()).then(|| RegistryHost::parse(&address));
                (host, username.filter(|u| !u.is_empty()))
            },
        )
        .unwrap_or_default()
    };
    let ((old_address, old_username), (address, username)) =
        (identity(old_registry), identity(registry));
    if unknown("registry") || old_address != address {
        changes.insert(PropertyPath::key("registry"), Change::Update);
        if old_address.is_some() {
            replaces.insert("registry".to_owned());
        }
    } else if old_username != username {
        changes.insert(PropertyPath::key("registry"), Change::Update);
    }
    let delete_before_replace = !replaces.is_empty();
    Ok(ResourceDiff {
        changes,
        replaces,
        delete_before_replace,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use crate::wire::map_from_json as map;

    #[test]
    fn check_fills_push_and_names_bad_references() {
        let (inputs, failures) = check_index(&map(
            json!({"tag": "r.example/app:1", "sources": ["r.example/app:amd64"]}),
        ));
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(inputs["push"], Value::Bool(true));
        let (_, failures) = check_index(&map(
            json!({"tag": "Bad Tag", "sources": ["ok/app:1", "Not Valid"]}),
        ));
        let paths: Vec<String> = failures.iter().map(|f| f.property.to_string()).collect();
        assert_eq!(paths, ["tag", "sources[1]"]);
        let (_, failures) = check_index(&map(json!({"tag": "r/app:1"})));
        assert_eq!(failures[0].property.to_string(), "sources");
    }

    #[test]
    fn a_login_password_given_as_plain_text_is_returned_secret() {
        let (inputs, _) = check_index(&map(json!({
            "tag": "r.example/app:1", "sources": ["r.example/app:amd64"],
            "registry": {"address": "r.example", "username": "u", "password": "p"},
        })));
        let Value::Object(registry) = &inputs["registry"] else {
            panic!("a registry: {inputs:?}");
        };
        assert!(
            matches!(registry["password"], Value::Secret(_)),
            "{registry:?}"
        );
        assert_eq!(registry["username"], Value::String("u".into()));
    }

    #[test]
    fn an_unknown_source_is_left_for_later() {
        let mut news = map(json!({"tag": "r.example/app:1"}));
        news.insert("sources".into(), Value::Array(vec![Value::Unknown]));
        let (_, failures) = check_index(&news);
        assert!(failures.is_empty(), "{failures:?}");
    }

    fn diff(old: serde_json::Value, new: serde_json::Value) -> (Vec<String>, Vec<String>) {
        let d = diff_index(&map(old), &map(new)).unwrap();
        (
            d.top_level().into_iter().collect(),
            d.replaces.into_iter().collect(),
        )
    }

    #[test]
    fn diff_follows_the_official_rules() {
        let base = json!({"tag": "r/app:1", "sources": ["r/a:1"], "push": true,
            "registry": {"address": "r", "username": "u", "password": "p"}});
        let with = |key: &str, value: serde_json::Value| {
            let mut v = base.clone();
            v[key] = value;
            v
        };
        assert_eq!(diff(base.clone(), base.clone()), (vec![], vec![]));
        assert_eq!(
            diff(base.clone(), with("tag", json!("r/app:2"))),
            (vec!["tag".into()], vec!["tag".into()])
        );
        assert_eq!(
            diff(base.clone(), with("sources", json!(["r/a:2"]))),
            (vec!["sources".into()], vec![])
        );
        assert_eq!(
            diff(base.clone(), with("push", json!(false))),
            (vec![], vec![])
        );
        let password = with(
            "registry",
            json!({"address": "r", "username": "u", "password": "q"}),
        );
        assert_eq!(diff(base.clone(), password), (vec![], vec![]));
        let user = with(
            "registry",
            json!({"address": "r", "username": "v", "password": "p"}),
        );
        assert_eq!(diff(base.clone(), user), (vec!["registry".into()], vec![]));
        let moved = with(
            "registry",
            json!({"address": "s", "username": "u", "password": "p"}),
        );
        assert_eq!(
            diff(base.clone(), moved),
            (vec!["registry".into()], vec!["registry".into()])
        );
        let mut none = base.clone();
        none.as_object_mut().unwrap().remove("registry");
        assert_eq!(
            diff(none, base),
            (vec!["registry".into()], vec![]),
            "a first address updates"
        );
    }

    #[test]
    fn the_index_reads_unset_as_the_image_does() {
        // An explicit "" is unset at Check.
        let (inputs, failures) = check_index(&map(json!({
            "tag": "r.example/app:1", "sources": ["r.example/app:amd64"],
            "registry": {"address": "r.example", "username": "", "password": ""}})));
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(
            inputs["registry"],
            map_value(json!({"address": "r.example"}))
        );
        // Docker Hub's names are one host.
        let hub = |address: &str| {
            json!({"tag": "docker.io/me/app:1", "sources": ["me/app:a"],
            "registry": {"address": address, "username": "me"}})
        };
        assert_eq!(
            diff(hub("docker.io"), hub("index.docker.io")),
            (vec![], vec![])
        );
        assert_eq!(
            diff(hub("docker.io"), hub("https://index.docker.io/v1/")),
            (vec![], vec![])
        );
        // State the official provider wrote: zero values for what was never given.
        let official = json!({"tag": "r/app:1", "sources": ["r/a:1"], "push": true,
            "registry": {"address": "", "username": "", "password": ""}});
        let program = json!({"tag": "r/app:1", "sources": ["r/a:1"], "push": true});
        assert_eq!(diff(official, program), (vec![], vec![]));
    }

    fn map_value(value: serde_json::Value) -> Value {
        Value::Object(map(value))
    }
}
