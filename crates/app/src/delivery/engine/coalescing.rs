//! `[delivery] coalesce` in batch mode: the waiting assertions a batch takes from one lane
//! (one record of one subscription) are sent as few merged assertions
//! ([`domain::coalesce`]), and what the batch's reply says of a merged assertion is said
//! of every event it stands for.

use std::collections::HashMap;

use domain::coalesce::{coalesce, AttributeKind};
use domain::fingerprint::assertion_writes;
use domain::ports::AttioGateway;
use domain::{AssertValue, Assertion, AttioCommand, Plan, WriteMode};

use crate::prepare::Writes;

/// The assertions of one batch as sent, and how many of the events' assertions each
/// stands for (in order).
pub(super) struct Merged {
    pub assertions: Vec<Assertion<'static>>,
    pub writes: Vec<Writes>,
    pub groups: Vec<usize>,
}

impl Merged {
    /// Every assertion sent as it is.
    pub fn unmerged(runs: Vec<Vec<(Assertion<'static>, Writes)>>) -> Self {
        let (assertions, writes): (Vec<_>, Vec<_>) = runs.into_iter().flatten().unzip();
        let groups = vec![1; assertions.len()];
        Self {
            assertions,
            writes,
            groups,
        }
    }

    /// The positions among the events' assertions that position `p` among the sent ones
    /// stands for.
    pub fn expand(&self, positions: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut starts = Vec::with_capacity(self.groups.len());
        let mut at = 0;
        for g in &self.groups {
            starts.push(at);
            at += g;
        }
        positions
            .into_iter()
            .filter_map(|p| Some((*starts.get(p)?, *self.groups.get(p)?)))
            .flat_map(|(start, n)| start..start + n)
            .collect()
    }
}

/// Merges each lane's run (its waiting assertions, in order) into as few assertions as
/// [`coalesce`] allows. Attribute kinds come from `schema`'s attribute lists (cached by
/// the HTTP gateway); an object whose attributes cannot be listed has unknown kinds,
/// which [`coalesce`] treats conservatively.
pub(super) async fn merge_runs(schema: &dyn AttioGateway, runs: Vec<Vec<(Assertion<'static>, Writes)>>) -> Merged {
    let kinds = kinds_of(schema, &runs).await;
    let kind = |object: &str, attribute: &str| {
        kinds
            .get(&(object.to_owned(), attribute.to_owned()))
            .copied()
            .unwrap_or(AttributeKind::Unknown)
    };
    let mut merged = Merged {
        assertions: Vec::new(),
        writes: Vec::new(),
        groups: Vec::new(),
    };
    for run in runs {
        if run.len() < 2 {
            for (a, w) in run {
                merged.assertions.push(a);
                merged.writes.push(w);
                merged.groups.push(1);
            }
            continue;
        }
        let (assertions, writes): (Vec<_>, Vec<_>) = run.into_iter().unzip();
        let fingerprinted = writes.iter().any(Option::is_some);
        let mut at = 0;
        while at < assertions.len() {
            // Batch mode writes with `upsert` only (a batching subscription refuses others).
            let (assertion, n) = match coalesce(&assertions[at..], WriteMode::Upsert, &kind) {
                Some(c) if c.merged > 1 => (c.assertion, c.merged),
                _ => (assertions[at].clone(), 1),
            };
            let w = if n == 1 {
                writes[at].clone()
            } else if fingerprinted {
                assertion_writes(&assertion)
            } else {
                None
            };
            merged.assertions.push(assertion);
            merged.writes.push(w);
            merged.groups.push(n);
            at += n;
        }
    }
    merged
}

/// The kinds of the attributes of every object the runs of more than one assertion
/// write, from `schema`'s attribute lists.
async fn kinds_of(
    schema: &dyn AttioGateway,
    runs: &[Vec<(Assertion<'static>, Writes)>],
) -> HashMap<(String, String), AttributeKind> {
    let mut kinds: HashMap<(String, String), AttributeKind> = HashMap::new();
    let mut objects = Vec::new();
    for run in runs.iter().filter(|r| r.len() > 1) {
        for (a, _) in run {
            objects_of(a, &mut objects);
        }
    }
    for object in objects {
        if let Ok(attributes) = schema.list_attributes(&object).await {
            for d in &attributes {
                kinds.insert((object.as_str().to_owned(), d.api_slug.clone()), AttributeKind::of(d));
            }
        }
    }
    kinds
}

/// The objects an assertion writes: its own and its nested assertions'.
fn objects_of(a: &Assertion<'_>, out: &mut Vec<domain::ObjectSlug>) {
    if !out.contains(&a.object) {
        out.push(a.object.clone());
    }
    for (_, v) in &a.values {
        if let AssertValue::Nested(n) = v {
            objects_of(n, out);
        }
    }
}

/// Single mode: merges the longest prefix of a lane's waiting plans (in order) that one
/// plan can stand for, and says how many it stands for; `None` when fewer than two merge.
/// Only plans of `upsert` asserts without follow-up, each command asserting another
/// record, with the same records in the same order, are merged, command by command (the
/// commands of one plan write other records, so running the merged commands in order
/// leaves what running the plans one after the other would).
pub(super) async fn merge_plans(schema: &dyn AttioGateway, plans: &[Plan<'static>]) -> Option<(Plan<'static>, usize)> {
    let first = plans.first()?;
    let shape = mergeable_shape(first)?;
    let run: Vec<Vec<&Assertion<'static>>> = plans
        .iter()
        .map_while(|p| {
            let columns = columns(p)?;
            (mergeable_shape(p)? == shape).then_some(columns)
        })
        .collect();
    if run.len() < 2 {
        return None;
    }
    let runs: Vec<Vec<(Assertion<'static>, Writes)>> = (0..shape.len())
        .map(|i| run.iter().map(|c| (c[i].clone(), None)).collect())
        .collect();
    let kinds = kinds_of(schema, &runs).await;
    let kind = |object: &str, attribute: &str| {
        kinds
            .get(&(object.to_owned(), attribute.to_owned()))
            .copied()
            .unwrap_or(AttributeKind::Unknown)
    };
    // The prefix every command can merge over, then each command merged over it.
    let mut n = run.len();
    for column in &runs {
        let assertions: Vec<Assertion<'static>> = column.iter().map(|(a, _)| a.clone()).collect();
        n = n.min(coalesce(&assertions, WriteMode::Upsert, &kind).map_or(1, |c| c.merged));
    }
    if n < 2 {
        return None;
    }
    let mut commands = Vec::with_capacity(runs.len());
    for column in &runs {
        let assertions: Vec<Assertion<'static>> = column.iter().take(n).map(|(a, _)| a.clone()).collect();
        let c = coalesce(&assertions, WriteMode::Upsert, &kind)?;
        if c.merged != n {
            return None;
        }
        commands.push(AttioCommand::SimpleAssert(c.assertion));
    }
    Some((
        Plan {
            commands,
            follow_up: None,
            write_mode: WriteMode::Upsert,
        },
        n,
    ))
}

/// The records (object, matching attribute) a plan's commands assert, when the plan can
/// be merged with others: `upsert`, no follow-up, one assertion per command, no record
/// asserted twice.
fn mergeable_shape(plan: &Plan<'static>) -> Option<Vec<(String, String)>> {
    if plan.follow_up.is_some() || plan.write_mode != WriteMode::Upsert || plan.commands.is_empty() {
        return None;
    }
    let mut shape: Vec<(String, String)> = Vec::with_capacity(plan.commands.len());
    for a in columns(plan)? {
        let key = (a.object.as_str().to_owned(), a.matching_attribute.as_str().to_owned());
        if shape.contains(&key) {
            return None;
        }
        shape.push(key);
    }
    Some(shape)
}

fn columns<'p>(plan: &'p Plan<'static>) -> Option<Vec<&'p Assertion<'static>>> {
    plan.commands
        .iter()
        .map(|c| match c {
            AttioCommand::SimpleAssert(a) => Some(a),
            AttioCommand::BatchAssert(_) => None,
        })
        .collect()
}
