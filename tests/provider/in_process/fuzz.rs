//! Malformed input, at volume: random and mutated Check, Diff and Create
//! requests against the provider in process (and a sample through gRPC).
//! Nothing may panic or hang; every problem is a failure naming a property,
//! or an InvalidArgument; the server keeps answering.

use std::sync::Arc;

use docker_build::fakes::{BuildAnswer, Fakes};
use docker_build::image::IMAGE;
use docker_build::provider::{Provider, ProviderError, Resource};
use docker_build::wire::{PropertyMap, Value, sig};
use serde_json::json;

use crate::harness::{Session, project, to_struct};

/// Why the fuzz test's builder refuses every build: only Create may reach
/// it, and only with inputs that passed validation.
const REFUSED: &str = "refused by the fuzz test's builder";

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const NAMES: [&str; 12] = [
    "push",
    "tags",
    "context",
    "dockerfile",
    "cacheFrom",
    "cacheTo",
    "exports",
    "platforms",
    "ssh",
    "buildArgs",
    "secrets",
    "registries",
];

fn random_value(r: &mut Random, depth: u32) -> Value {
    match r.below(if depth > 3 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(r.below(2) == 0),
        2 => Value::Number(*r.pick(&[0.0, -1.0, 1.5, 1e300, f64::NAN, 22.0])),
        3 => Value::String(
            r.pick(&[
                "",
                ".",
                "..",
                "../../etc",
                "/",
                "a:b",
                "Bad Tag",
                "x".repeat(5000).as_str(),
                "\u{0}",
                "é/ü",
                sig::UNKNOWN,
            ])
            .to_string(),
        ),
        4 => Value::Unknown,
        5 => Value::String(format!("r.example/app:{}", r.below(100))),
        6 => Value::Array(
            (0..r.below(4))
                .map(|_| random_value(r, depth + 1))
                .collect(),
        ),
        7 => Value::Object(
            (0..r.below(4))
                .map(|_| (r.pick(&NAMES).to_string(), random_value(r, depth + 1)))
                .collect(),
        ),
        _ => random_value(r, depth + 1).into_secret(),
    }
}

/// A valid input, then mutated: a property replaced, removed or added.
fn mutated(r: &mut Random) -> PropertyMap {
    let seed = json!({
        "push": true,
        "tags": ["r.example/app:1"],
        "context": {"location": "."},
        "cacheTo": [{"registry": {"ref": "r.example/app:cache", "mode": "max"}}],
        "exports": [{"tar": {"dest": "out.tar"}}],
        "platforms": ["linux/amd64"],
    });
    let Value::Object(mut map) = Value::from_json(&seed) else {
        unreachable!()
    };
    if r.below(50) == 0 {
        // Deep nesting: a list and map tower far deeper than any input.
        let mut value = Value::String("deep".into());
        for level in 0..(20 + r.below(60)) {
            value = if level % 2 == 0 {
                Value::Array(vec![value])
            } else {
                Value::Object([(r.pick(&NAMES).to_string(), value)].into_iter().collect())
            };
        }
        map.insert(r.pick(&NAMES).to_string(), value);
    }
    for _ in 0..=r.below(3) {
        let name = r.pick(&NAMES).to_string();
        match r.below(3) {
            0 => {
                map.remove(&name);
            }
            _ => {
                map.insert(name, random_value(r, 0));
            }
        }
    }
    map
}

fn valid_property(property: &str) -> bool {
    // A root-level failure names nothing; every other names a schema input.
    property.is_empty()
        || NAMES.iter().any(|n| {
            property == *n
                || property.starts_with(&format!("{n}."))
                || property.starts_with(&format!("{n}["))
        })
        || property.starts_with("context")
        || property.starts_with("dockerfile")
}

/// What one mutated input did: failures named, and whether Create got as
/// far as the builder.
#[derive(Default)]
struct Outcome {
    failures_named: usize,
    built: bool,
}

/// Check, then Diff (when Check accepts) and Create on the raw input, as a
/// hostile or buggy engine might send it. Panics on any answer that is not
/// a named failure, a clean rejection or the builder's refusal.
async fn exercise(provider: &Provider, state: &PropertyMap, news: PropertyMap) -> Outcome {
    let mut outcome = Outcome::default();
    let checked = IMAGE.check(provider, &news);
    for failure in &checked.failures {
        let property = failure.property.to_string();
        assert!(
            valid_property(&property),
            "failure names no input: {property:?}: {}",
            failure.reason
        );
        assert!(!failure.reason.is_empty());
        outcome.failures_named += 1;
    }
    if checked.failures.is_empty() {
        // Diff of accepted inputs answers (or names a problem).
        let _ = IMAGE.diff(provider, state, &checked.inputs).await;
    }
    let timeout = Some(std::time::Duration::from_secs(10));
    match IMAGE.create(provider, "img", &news, true, timeout).await {
        Ok(_) => {}
        Err(ProviderError::InvalidInputs(failures)) => {
            for failure in failures {
                let property = failure.property.to_string();
                assert!(valid_property(&property), "Create: {property:?}");
            }
        }
        Err(ProviderError::Build(error)) if error.to_string().contains(REFUSED) => {
            outcome.built = true;
        }
        Err(
            ProviderError::Unsupported(_)
            | ProviderError::Hash(_)
            | ProviderError::Ecr(_)
            | ProviderError::EcrRepositoryMissing { .. },
        ) => {}
        Err(other) => panic!("Create answered {other:?}"),
    }
    outcome
}

#[tokio::test]
async fn ten_thousand_malformed_requests_never_crash_and_always_name_the_property() {
    let dir = project();
    // The fuzzed tags name hosts that do not exist: the registry answers
    // at once that it cannot be reached, rather than after a timeout each.
    let fakes = Fakes::default();
    fakes.builder.always(BuildAnswer::Refused(REFUSED.into()));
    fakes.registry.unreachable("unreachable in the fuzz test");
    let provider = Arc::new(fakes.provider(dir.path()));
    let mut r = Random(0x5eed_1234_abcd_ef01);
    let (mut tried, mut failures_named, mut crashes) = (0u64, 0usize, 0u64);
    let state = {
        let Value::Object(map) = Value::from_json(
            &json!({"push": true, "tags": ["r.example/app:1"], "contextHash": "x", "digest": "", "ref": ""}),
        ) else {
            unreachable!()
        };
        Arc::new(map)
    };
    for _ in 0..10_000 {
        let news = mutated(&mut r);
        tried += 1;
        let (provider, state) = (provider.clone(), state.clone());
        // Each input in its own task: a panic is counted, not fatal.
        match tokio::spawn(async move { exercise(&provider, &state, news).await }).await {
            Ok(outcome) => failures_named += outcome.failures_named,
            Err(error) if error.is_panic() => crashes += 1,
            Err(error) => panic!("{error}"),
        }
    }
    let builds = fakes.builder.calls().len();
    crate::figures::record("inputs", tried);
    crate::figures::record("crashes", crashes);
    println!(
        "fuzz: {tried} inputs tried, {failures_named} failures named, {builds} reached the builder, {crashes} crashes"
    );
    assert_eq!(crashes, 0, "no input may crash the provider");
    assert!(failures_named > 1000, "the mutations do produce failures");
    assert!(builds > 100, "some mutations are valid enough to build");
}

#[tokio::test]
async fn malformed_requests_through_grpc_keep_the_server_answering() {
    let dir = project();
    let mut session = Session::start(dir.path()).await;
    session.configure(json!({})).await;
    let mut r = Random(0xfeed_beef_0bad_cafe);
    crate::figures::record("inputs", 300);
    for _ in 0..300 {
        let news = mutated(&mut r);
        let json = Value::Object(news).to_json();
        let response = session
            .client
            .check(docker_build::rpc::pb::CheckRequest {
                urn: crate::harness::IMAGE_URN.into(),
                news: Some(to_struct(&json)),
                ..Default::default()
            })
            .await;
        match response {
            Ok(checked) => {
                for failure in checked.into_inner().failures {
                    assert!(valid_property(&failure.property), "{failure:?}");
                }
            }
            Err(status) => assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}"),
        }
    }
    // Deeper than protobuf decoding allows (100 levels): the caller's error.
    let mut deep = json!("bottom");
    for _ in 0..150 {
        deep = json!([deep]);
    }
    let status = session
        .client
        .check(docker_build::rpc::pb::CheckRequest {
            urn: crate::harness::IMAGE_URN.into(),
            news: Some(to_struct(&json!({"tags": deep}))),
            ..Default::default()
        })
        .await
        .expect_err("too deep to decode");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("could not be decoded"),
        "{status:?}"
    );
    session
        .client
        .get_plugin_info(())
        .await
        .expect("still answering");
}
