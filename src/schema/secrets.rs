//! Which values are secret, as `schema.json` says: marking them in state,
//! and listing every secret input path (the leak tests draw their canaries
//! from that list, so a new secret input is tested without anyone
//! remembering to).

use serde_json::Value as Json;

use super::walk::ObjectPass;
use super::{Schema, Subject};
use crate::wire::{PropertyMap, PropertyPath, Value};

/// One step of a secret input's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A named property.
    Property(String),
    /// Any element of a list.
    Element,
    /// Any value of a map.
    Value,
}

impl Schema {
    /// Wraps as secret every value of `map` whose property the schema marks
    /// secret, at any depth, whatever the program sent.
    pub fn mark_secrets(&self, subject: Subject, map: &mut PropertyMap) {
        let (properties, required) = self.object_spec(subject);
        self.walk_objects(
            properties,
            required,
            map,
            &PropertyPath::root(),
            &mut MarkSecrets,
        );
    }

    /// Every input path of `subject` the schema marks secret.
    pub fn secret_paths(&self, subject: Subject) -> Vec<Vec<Step>> {
        let (properties, _) = self.object_spec(subject);
        let mut found = Vec::new();
        self.secret_paths_in(properties, &mut Vec::new(), &mut found, 0);
        found
    }

    fn secret_paths_in(
        &self,
        properties: &Json,
        prefix: &mut Vec<Step>,
        found: &mut Vec<Vec<Step>>,
        depth: usize,
    ) {
        let Some(properties) = properties.as_object() else {
            return;
        };
        // The schema's types do not nest into themselves; the bound only
        // guards against a defect turning into endless recursion.
        if depth > 8 {
            return;
        }
        for (name, spec) in properties {
            prefix.push(Step::Property(name.clone()));
            if spec.get("secret").and_then(Json::as_bool) == Some(true) {
                found.push(prefix.clone());
            } else {
                let mut target = spec;
                let mut pushed = 0;
                loop {
                    if let Some(items) = target.get("items") {
                        prefix.push(Step::Element);
                        target = items;
                    } else if let Some(values) = target.get("additionalProperties") {
                        prefix.push(Step::Value);
                        target = values;
                    } else {
                        break;
                    }
                    pushed += 1;
                }
                if let Some(def) = self.referenced(target) {
                    self.secret_paths_in(&def["properties"], prefix, found, depth + 1);
                }
                prefix.truncate(prefix.len() - pushed);
            }
            prefix.pop();
        }
    }
}

/// Wraps every value whose property the schema marks secret.
struct MarkSecrets;

impl ObjectPass<Value> for MarkSecrets {
    fn before(&mut self, properties: &Json, _: &[Json], map: &mut PropertyMap, _: &PropertyPath) {
        for (name, value) in map.iter_mut() {
            let secret = properties
                .get(name)
                .and_then(|spec| spec.get("secret"))
                .and_then(Json::as_bool);
            if secret == Some(true) {
                let taken = std::mem::replace(value, Value::Null);
                *value = taken.into_secret();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::schema;

    fn render(path: &[Step]) -> String {
        path.iter()
            .map(|s| match s {
                Step::Property(p) => format!(".{p}"),
                Step::Element => "[]".to_owned(),
                Step::Value => "{}".to_owned(),
            })
            .collect()
    }

    #[test]
    fn every_secret_input_is_listed() {
        let paths: Vec<String> = schema()
            .secret_paths(Subject::ImageInputs)
            .iter()
            .map(|p| render(p))
            .collect();
        assert_eq!(
            paths,
            [
                ".cacheFrom[].azblob.secretAccessKey",
                ".cacheFrom[].s3.secretAccessKey",
                ".cacheFrom[].s3.sessionToken",
                ".cacheTo[].azblob.secretAccessKey",
                ".cacheTo[].s3.secretAccessKey",
                ".cacheTo[].s3.sessionToken",
                ".registries[].password",
                ".secrets",
            ]
        );
        let index: Vec<String> = schema()
            .secret_paths(Subject::IndexInputs)
            .iter()
            .map(|p| render(p))
            .collect();
        assert_eq!(index, [".registry.password"]);
        let config: Vec<String> = schema()
            .secret_paths(Subject::ProviderConfig)
            .iter()
            .map(|p| render(p))
            .collect();
        assert_eq!(config, [".registries[].password"]);
    }

    #[test]
    fn marks_follow_the_schema_at_any_depth() {
        let mut map = crate::wire::map_from_json(json!({
            "push": true,
            "secrets": {"A": "1"},
            "registries": [{"address": "r", "password": "p"}],
            "cacheTo": [{"s3": {"bucket": "b", "secretAccessKey": "k"}}],
        }));
        schema().mark_secrets(Subject::ImageInputs, &mut map);
        let json = Value::Object(map.clone()).to_json();
        assert_eq!(json["registries"][0]["address"], "r");
        assert!(matches!(map["secrets"], Value::Secret(_)));
        let Value::Array(registries) = &map["registries"] else {
            panic!()
        };
        let Value::Object(registry) = &registries[0] else {
            panic!()
        };
        assert!(matches!(registry["password"], Value::Secret(_)));
        assert!(!matches!(registry["address"], Value::Secret(_)));
        assert!(map["cacheTo"].contains_secrets());
    }
}
