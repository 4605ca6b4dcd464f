//! The official provider's binary side by side with this one: the same
//! calls, sent by the same engine stand-in to both, are answered alike:
//! Check (`check`), CheckConfig (`config`), Diff of inputs (`diff`) and
//! of edited files (`edits`), a preview's Create (`preview`) and real
//! builds' outputs (`create`). Where this provider refuses on purpose
//! what the official one lets through to a failed build, the case says so,
//! and the test holds that the official one still accepts it, so the list
//! stays true.

use serde_json::{Value as Json, json};

use docker_build::rpc::pb;

use crate::harness::{Kind, Session};

mod check;
mod config;
mod create;
mod diff;
mod edits;
mod preview;

/// Both providers, configured alike, in one program directory.
struct Pair {
    ours: Session,
    official: Session,
}

impl Pair {
    async fn start(dir: &std::path::Path) -> Pair {
        let mut ours = Session::start(dir).await;
        ours.configure(json!({})).await;
        let mut official = Session::start_official(dir).await;
        official.configure(json!({})).await;
        Pair { ours, official }
    }

    /// Each case's Check by both; a line for each case not answered as
    /// it expects.
    async fn compare_checks(
        &mut self,
        kind: &Kind,
        cases: Vec<(&str, Json, Expect)>,
    ) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, inputs, expect) in cases {
            let (ours, our_failures, our_inputs) = accepts(&mut self.ours, kind, &inputs).await;
            let (theirs, their_failures, their_inputs) =
                accepts(&mut self.official, kind, &inputs).await;
            if !expect.holds(ours, theirs) {
                differences.push(format!(
                    "{name} ({expect:?}): ours {our_failures:?}, official {their_failures:?}"
                ));
            } else if ours && theirs && !inputs.to_string().contains("$unknown") {
                // (With unknowns the official one drops defaults and
                // unknown lists; the engine sends the inputs again once known.)
                differences.extend(
                    normalized_apart(&our_inputs, &their_inputs)
                        .map(|apart| format!("{name}: checked inputs differ at {apart}")),
                );
            }
        }
        differences
    }

    /// Each pair's Diff by both, against the state `state_of` makes of
    /// the official Check's answer to the `before` inputs (the old inputs,
    /// as the engine sends them); a line for each pair answered apart.
    async fn compare_diffs(
        &mut self,
        kind: &Kind,
        cases: Vec<(&str, Json, Json)>,
        state_of: impl Fn(&Json, Json) -> Json,
    ) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, before, after) in cases {
            let old_inputs = self.official.on(kind).checked(before.clone()).await;
            let state = state_of(&before, crate::harness::from_struct(&old_inputs));
            let answers = self.diff_both(kind, &state, &old_inputs, &after).await;
            if answers[0] != answers[1] {
                differences.push(format!(
                    "{name}: ours {:?}, official {:?}",
                    answers[0], answers[1]
                ));
            }
        }
        differences
    }
}

impl Pair {
    /// What each provider's Diff says of `after` (checked by each) against
    /// `state` and `old_inputs`, ours first.
    async fn diff_both(
        &mut self,
        kind: &Kind,
        state: &Json,
        old_inputs: &prost_types::Struct,
        after: &Json,
    ) -> [Summary; 2] {
        let state = crate::harness::to_struct(state);
        let mut answers = Vec::new();
        for session in [&mut self.ours, &mut self.official] {
            let news = session.on(kind).checked(after.clone()).await;
            let answer = session
                .on(kind)
                .diff_from("an-id", (&state, old_inputs), &news)
                .await;
            answers.push(summary(&answer.expect("diff answers")));
        }
        answers.try_into().unwrap()
    }
}

/// The official provider's state of an Image whose checked inputs are
/// `inputs`: they, with the context hash, digest and ref Create adds (Go
/// zero values for scalars, no empty lists or maps, as seen through the
/// real CLI).
fn official_image_state(mut inputs: Json, hash: &str) -> Json {
    inputs["contextHash"] = json!(hash);
    inputs["digest"] = json!(format!("sha256:{}", "4".repeat(64)));
    inputs["ref"] = json!(format!("r.example/app:1@sha256:{}", "4".repeat(64)));
    inputs
}

/// Whether `session` accepts `inputs` for `kind`, with its failures and
/// the inputs it returns.
async fn accepts(session: &mut Session, kind: &Kind, inputs: &Json) -> (bool, Vec<String>, Json) {
    let response = session.on(kind).check(inputs.clone()).await;
    let failures: Vec<String> = (response.failures.iter())
        .map(|f| format!("{}: {}", f.property, f.reason))
        .collect();
    let checked = response
        .inputs
        .as_ref()
        .map_or(Json::Null, crate::harness::from_struct);
    (failures.is_empty(), failures, checked)
}

/// Where the inputs this provider returns from Check say something else
/// than the official provider's: a value of ours that is not theirs
/// (secrets marked alike), or a value of theirs we leave out that is not
/// a Go zero value (which it returns for every input never given).
fn normalized_apart(ours: &Json, theirs: &Json) -> Option<String> {
    let mut apart = Vec::new();
    compare_at("", ours, theirs, &mut apart);
    (!apart.is_empty()).then(|| apart.join(", "))
}

fn compare_at(path: &str, ours: &Json, theirs: &Json, apart: &mut Vec<String>) {
    match (ours, theirs) {
        (Json::Object(a), Json::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => compare_at(&here, value, other, apart),
                    None => apart.push(format!("{here} (ours {value}, official none)")),
                }
            }
            for (key, value) in b.iter().filter(|(key, _)| !a.contains_key(*key)) {
                if !is_zero(value) {
                    apart.push(format!("{path}.{key} (ours none, official {value})"));
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare_at(&format!("{path}[{i}]"), x, y, apart);
            }
        }
        (a, b) if a == b => {}
        (a, b) => apart.push(format!("{path} (ours {a}, official {b})")),
    }
}

/// A Go zero value as the official provider writes one (a secret one, or
/// a struct of zero values, included).
fn is_zero(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => match o.get("$secret") {
            Some(inner) if o.len() == 1 => is_zero(inner),
            _ => o.values().all(is_zero),
        },
    }
}

/// What a case expects of the two providers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Both accept, or both refuse.
    Same,
    /// This provider refuses at Check what the official one accepts and
    /// only its build refuses; the reason is the `&str`.
    Stricter(&'static str),
    /// Accepted here and refused there: an input of this provider's own,
    /// or what the official one refuses wrongly; the `&str` says which.
    Ours(&'static str),
}

impl Expect {
    /// Whether `ours` and `theirs` (each: accepted) answer as expected.
    fn holds(self, ours: bool, theirs: bool) -> bool {
        match self {
            Expect::Same => ours == theirs,
            Expect::Stricter(_) => !ours && theirs,
            Expect::Ours(_) => ours && !theirs,
        }
    }
}

/// An ed25519 key at `path` behind `passphrase` (none when empty).
fn keygen(path: &std::path::Path, passphrase: &str) {
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
}

/// `base` with the keys of `extra` set.
fn merged(base: &Json, extra: Json) -> Json {
    let mut inputs = base.clone();
    for (key, value) in extra.as_object().unwrap() {
        inputs[key] = value.clone();
    }
    inputs
}

/// What a Diff answer says, in terms both providers share: whether
/// anything changed, whether it replaces, and which inputs changed.
type Summary = (i32, bool, Vec<String>);

fn summary(answer: &pb::DiffResponse) -> Summary {
    let mut keys: Vec<String> = (answer.detailed_diff.keys())
        .map(|k| k.split(['.', '[']).next().unwrap().to_owned())
        .collect();
    keys.sort();
    keys.dedup();
    (answer.changes, !answer.replaces.is_empty(), keys)
}
