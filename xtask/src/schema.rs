//! The part of a Pulumi package schema the SDK generators read, as types:
//! resources (and the provider) with their input and output properties,
//! object types and enums. Everything is sorted by token or name, so the
//! generated files do not depend on JSON key order.

use serde_json::Value;

/// A whole package: `schema.json`.
#[derive(Debug)]
pub struct Package {
    /// `docker-build`.
    pub name: String,
    /// The provider's version, for the plugin metadata.
    pub version: String,
    /// One-line description.
    pub description: String,
    /// Search keywords.
    pub keywords: Vec<String>,
    /// Homepage URL.
    pub homepage: String,
    /// SPDX licence.
    pub license: String,
    /// The provider resource (`pulumi:providers:<name>`).
    pub provider: Resource,
    /// Resources by token.
    pub resources: Vec<Resource>,
    /// Object types by token.
    pub objects: Vec<ObjectType>,
    /// String enums by token.
    pub enums: Vec<EnumType>,
}

/// A resource: a token, documentation and two property lists.
#[derive(Debug)]
pub struct Resource {
    /// `docker-build:index:Image`.
    pub token: String,
    /// The class name: the token's last segment (`Provider` for the
    /// provider).
    pub name: String,
    /// Markdown documentation.
    pub description: String,
    /// What a program passes in.
    pub inputs: Vec<Property>,
    /// What the resource exposes (inputs echoed, plus outputs).
    pub outputs: Vec<Property>,
}

impl Resource {
    /// Output properties that are not inputs: set by the provider only.
    pub fn output_only(&self) -> impl Iterator<Item = &Property> {
        self.outputs
            .iter()
            .filter(|o| !self.inputs.iter().any(|i| i.name == o.name))
    }
}

/// A named object type with properties.
#[derive(Debug)]
pub struct ObjectType {
    /// `docker-build:index:CacheTo`.
    pub token: String,
    /// `CacheTo`.
    pub name: String,
    /// Markdown documentation.
    pub description: String,
    /// Its properties.
    pub properties: Vec<Property>,
}

/// A string enum.
#[derive(Debug)]
pub struct EnumType {
    /// `docker-build:index:CacheMode`.
    pub token: String,
    /// `CacheMode`.
    pub name: String,
    /// Markdown documentation.
    pub description: String,
    /// Values with their documentation.
    pub values: Vec<EnumValue>,
}

/// One value of an enum.
#[derive(Debug)]
pub struct EnumValue {
    /// The wire value (`linux/amd64`).
    pub value: String,
    /// An explicit member name from the schema, if any.
    pub name: Option<String>,
    /// Markdown documentation.
    pub description: String,
}

/// One property of a resource or object type.
#[derive(Debug, Clone)]
pub struct Property {
    /// The wire (camelCase) name.
    pub name: String,
    /// Its type.
    pub ty: TypeRef,
    /// Markdown documentation.
    pub description: String,
    /// Whether a value must be given.
    pub required: bool,
    /// Whether the value is a secret.
    pub secret: bool,
    /// The schema default, if any.
    pub default: Option<Value>,
    /// Environment variables the default is read from, first set wins.
    pub default_env: Vec<String>,
}

/// A property's type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// Anything (`pulumi.json#/Any`).
    Any,
    /// A list of the element type.
    Array(Box<TypeRef>),
    /// A string-keyed map of the element type.
    Map(Box<TypeRef>),
    /// An object type, by class name.
    Object(String),
    /// An enum, by class name.
    Enum(String),
}

/// A schema that does not have the shape the generators expect.
#[derive(Debug)]
pub struct SchemaError(pub String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "schema.json: {}", self.0)
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The last segment of a token: `docker-build:index:CacheTo` → `CacheTo`.
pub fn token_name(token: &str) -> &str {
    token.rsplit(':').next().unwrap_or(token)
}

impl Package {
    /// Reads the model from a parsed schema, with the provider's `version`.
    pub fn from_json(schema: &Value, version: &str) -> Result<Package, SchemaError> {
        let types = schema
            .get("types")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let enum_tokens: Vec<&String> = types
            .iter()
            .filter(|(_, t)| t.get("enum").is_some())
            .map(|(token, _)| token)
            .collect();
        let type_of = |spec: &Value, path: &str| type_ref(spec, &enum_tokens, path);

        let mut objects = Vec::new();
        let mut enums = Vec::new();
        for (token, spec) in &types {
            if let Some(values) = spec.get("enum").and_then(Value::as_array) {
                enums.push(EnumType {
                    token: token.clone(),
                    name: token_name(token).to_owned(),
                    description: text(spec, "description"),
                    values: values
                        .iter()
                        .map(|v| EnumValue {
                            value: v
                                .get("value")
                                .map(|x| x.as_str().map_or(x.to_string(), str::to_owned))
                                .unwrap_or_default(),
                            name: v.get("name").and_then(Value::as_str).map(str::to_owned),
                            description: text(v, "description"),
                        })
                        .collect(),
                });
            } else {
                objects.push(ObjectType {
                    token: token.clone(),
                    name: token_name(token).to_owned(),
                    description: text(spec, "description"),
                    properties: properties(spec, "properties", "required", &type_of, token)?,
                });
            }
        }

        let resource = |token: &str, spec: &Value, name: &str| -> Result<Resource, SchemaError> {
            Ok(Resource {
                token: token.to_owned(),
                name: name.to_owned(),
                description: text(spec, "description"),
                inputs: properties(spec, "inputProperties", "requiredInputs", &type_of, token)?,
                outputs: properties(spec, "properties", "required", &type_of, token)?,
            })
        };
        let name = text(schema, "name");
        let provider_spec = schema.get("provider").cloned().unwrap_or(Value::Null);
        let provider = resource(
            &format!("pulumi:providers:{name}"),
            &provider_spec,
            "Provider",
        )?;
        let mut resources = Vec::new();
        if let Some(map) = schema.get("resources").and_then(Value::as_object) {
            for (token, spec) in map {
                resources.push(resource(token, spec, token_name(token))?);
            }
        }
        resources.sort_by(|a, b| a.token.cmp(&b.token));
        objects.sort_by(|a, b| a.token.cmp(&b.token));
        enums.sort_by(|a, b| a.token.cmp(&b.token));
        Ok(Package {
            name,
            version: version.to_owned(),
            description: text(schema, "description"),
            keywords: schema
                .get("keywords")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            homepage: text(schema, "homepage"),
            license: text(schema, "license"),
            provider,
            resources,
            objects,
            enums,
        })
    }
}

fn properties(
    spec: &Value,
    key: &str,
    required_key: &str,
    type_of: &dyn Fn(&Value, &str) -> Result<TypeRef, SchemaError>,
    owner: &str,
) -> Result<Vec<Property>, SchemaError> {
    let required: Vec<&str> = spec
        .get(required_key)
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Some(map) = spec.get(key).and_then(Value::as_object) {
        for (name, property) in map {
            out.push(Property {
                name: name.clone(),
                ty: type_of(property, &format!("{owner}.{name}"))?,
                description: text(property, "description"),
                required: required.contains(&name.as_str()),
                secret: property.get("secret").and_then(Value::as_bool) == Some(true),
                default: property.get("default").cloned(),
                default_env: property
                    .pointer("/defaultInfo/environment")
                    .and_then(Value::as_array)
                    .map(|vars| {
                        vars.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn type_ref(spec: &Value, enums: &[&String], path: &str) -> Result<TypeRef, SchemaError> {
    if let Some(reference) = spec.get("$ref").and_then(Value::as_str) {
        if reference == "pulumi.json#/Any" {
            return Ok(TypeRef::Any);
        }
        let token = reference
            .strip_prefix("#/types/")
            .ok_or_else(|| SchemaError(format!("{path}: unsupported reference {reference}")))?;
        let name = token_name(token).to_owned();
        return Ok(if enums.iter().any(|e| *e == token) {
            TypeRef::Enum(name)
        } else {
            TypeRef::Object(name)
        });
    }
    let element = |key: &str| -> Result<Box<TypeRef>, SchemaError> {
        match spec.get(key) {
            Some(items) => Ok(Box::new(type_ref(items, enums, path)?)),
            None => Ok(Box::new(TypeRef::Any)),
        }
    };
    match spec.get("type").and_then(Value::as_str) {
        Some("string") => Ok(TypeRef::String),
        Some("boolean") => Ok(TypeRef::Boolean),
        Some("integer") => Ok(TypeRef::Integer),
        Some("number") => Ok(TypeRef::Number),
        Some("array") => Ok(TypeRef::Array(element("items")?)),
        Some("object") => Ok(TypeRef::Map(element("additionalProperties")?)),
        other => Err(SchemaError(format!("{path}: unsupported type {other:?}"))),
    }
}
