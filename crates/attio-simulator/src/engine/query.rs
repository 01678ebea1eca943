//! `POST /v2/objects/{o}/records/query`: filters (shorthand and verbose), sorts,
//! limit and offset.

use std::cmp::Ordering;

use serde_json::Value;

use super::Engine;
use crate::api_error::ApiError;
use crate::schema::{AttributeDef, ObjectDef};
use crate::store::{Record, StoredValue};
use crate::values::{parse_value, unique_key, Item, Parsed, ValueContext, WriteMode};

const DEFAULT_LIMIT: u64 = 500;

enum Op {
    /// Equal to one of these unique keys (values parsed like writes).
    Keys(Vec<String>),
    Eq(Value),
    In(Vec<Value>),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Cmp(&'static str, Value),
    NotEmpty(bool),
}

enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Cond { attr: usize, field: Option<String>, op: Op },
}

fn filter_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(400, "filter_error", format!("Error in filter: {detail}"))
}

fn non_negative(body: &Value, key: &str, default: u64) -> Result<u64, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| ApiError::validation(format!("\"{key}\" must be a non-negative integer."))),
    }
}

impl Engine {
    pub fn query(&self, object: &ObjectDef, body: &Value) -> Result<Vec<Value>, ApiError> {
        if !body.is_object() && !body.is_null() {
            return Err(ApiError::validation("The body must be a JSON object."));
        }
        let limit = non_negative(body, "limit", DEFAULT_LIMIT)? as usize;
        let offset = non_negative(body, "offset", 0)? as usize;
        let pred = match body.get("filter") {
            None | Some(Value::Null) => Pred::And(Vec::new()),
            Some(f) => self.compile(object, f)?,
        };
        let sorts = self.compile_sorts(object, body.get("sorts"))?;
        let store = self.store.lock(object.index);
        let mut hits: Vec<&Record> = store.in_order().filter(|r| eval(&pred, r, object)).collect();
        if !sorts.is_empty() {
            hits.sort_by(|a, b| {
                sorts
                    .iter()
                    .map(|(attr, field, desc)| {
                        let o = cmp_opt(
                            sort_key(a, *attr, field.as_deref()),
                            sort_key(b, *attr, field.as_deref()),
                        );
                        if *desc {
                            o.reverse()
                        } else {
                            o
                        }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
        }
        Ok(hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|r| self.render(object, r))
            .collect())
    }

    fn compile(&self, object: &ObjectDef, f: &Value) -> Result<Pred, ApiError> {
        let map = f
            .as_object()
            .ok_or_else(|| filter_error("a filter must be an object"))?;
        let mut all = Vec::new();
        for (k, v) in map {
            let list = |v: &Value| -> Result<Vec<Pred>, ApiError> {
                v.as_array()
                    .ok_or_else(|| filter_error(format!("{k} takes an array")))?
                    .iter()
                    .map(|x| self.compile(object, x))
                    .collect()
            };
            all.push(match k.as_str() {
                "$and" => Pred::And(list(v)?),
                "$or" => Pred::Or(list(v)?),
                "$not" => Pred::Not(Box::new(self.compile(object, v)?)),
                "path" | "constraints" => return Err(filter_error("path filters are not supported by the simulator")),
                slug => {
                    let attr = object
                        .attribute(slug)
                        .ok_or_else(|| filter_error(format!("unknown attribute \"{slug}\"")))?;
                    self.compile_attribute(object, attr, v)?
                }
            });
        }
        Ok(Pred::And(all))
    }

    fn compile_attribute(&self, object: &ObjectDef, attr: &AttributeDef, v: &Value) -> Result<Pred, ApiError> {
        let cond = |field: Option<String>, op| Pred::Cond {
            attr: attr.index,
            field,
            op,
        };
        let Value::Object(m) = v else {
            return Ok(cond(None, Op::Keys(self.keys(object, attr, std::slice::from_ref(v))?)));
        };
        let mut parts = Vec::new();
        for (k, x) in m {
            if k.starts_with('$') {
                let op = match k.as_str() {
                    "$eq" => Op::Keys(self.keys(object, attr, std::slice::from_ref(x))?),
                    "$in" => Op::Keys(self.keys(object, attr, x.as_array().map_or(&[][..], |a| a.as_slice()))?),
                    _ => field_op(k, x)?,
                };
                parts.push(cond(None, op));
            } else if let Value::Object(ops) = x {
                for (op, operand) in ops {
                    parts.push(cond(Some(k.clone()), field_op(op, operand)?));
                }
            } else {
                parts.push(cond(Some(k.clone()), Op::Eq(x.clone())));
            }
        }
        Ok(Pred::And(parts))
    }

    /// Parses filter values as writes to `attr` and returns their unique keys.
    fn keys(&self, object: &ObjectDef, attr: &AttributeDef, values: &[Value]) -> Result<Vec<String>, ApiError> {
        let ctx = ValueContext {
            schema: &self.schema,
            object,
            mode: WriteMode::Simple,
        };
        let mut keys = Vec::new();
        for v in values {
            let Parsed::Items(items) = parse_value(&ctx, attr, v).map_err(|e| filter_error(e.message))? else {
                continue;
            };
            for item in items {
                match item {
                    Item::Plain(fields) => keys.push(unique_key(attr.attribute_type, &fields)),
                    Item::Reference(r) => {
                        if let Some(id) = self.find_reference(r)? {
                            keys.push(id.to_string());
                        }
                    }
                }
            }
        }
        Ok(keys)
    }

    fn compile_sorts(
        &self,
        object: &ObjectDef,
        sorts: Option<&Value>,
    ) -> Result<Vec<(usize, Option<String>, bool)>, ApiError> {
        let Some(sorts) = sorts.filter(|s| !s.is_null()) else {
            return Ok(Vec::new());
        };
        let bad = || ApiError::validation("\"sorts\" must be an array of {direction, attribute, field?}.");
        let mut out = Vec::new();
        for s in sorts.as_array().ok_or_else(bad)? {
            let slug = s.get("attribute").and_then(Value::as_str).ok_or_else(bad)?;
            let attr = object
                .attribute(slug)
                .ok_or_else(|| ApiError::attribute_not_found(slug))?;
            let desc = match s.get("direction").and_then(Value::as_str) {
                Some("asc") => false,
                Some("desc") => true,
                _ => return Err(bad()),
            };
            let field = s.get("field").and_then(Value::as_str).map(str::to_owned);
            out.push((attr.index, field, desc));
        }
        Ok(out)
    }
}

fn field_op(op: &str, x: &Value) -> Result<Op, ApiError> {
    let text = || {
        x.as_str()
            .map(str::to_lowercase)
            .ok_or_else(|| filter_error(format!("{op} takes a string")))
    };
    Ok(match op {
        "$eq" => Op::Eq(x.clone()),
        "$in" => Op::In(
            x.as_array()
                .cloned()
                .ok_or_else(|| filter_error("$in takes an array"))?,
        ),
        "$contains" => Op::Contains(text()?),
        "$starts_with" => Op::StartsWith(text()?),
        "$ends_with" => Op::EndsWith(text()?),
        "$gt" => Op::Cmp("$gt", x.clone()),
        "$gte" => Op::Cmp("$gte", x.clone()),
        "$lt" => Op::Cmp("$lt", x.clone()),
        "$lte" => Op::Cmp("$lte", x.clone()),
        "$not_empty" => Op::NotEmpty(x.as_bool().ok_or_else(|| filter_error("$not_empty takes a boolean"))?),
        other => return Err(filter_error(format!("unknown operator {other}"))),
    })
}

fn primary(sv: &StoredValue) -> Option<&Value> {
    [
        "value",
        "currency_value",
        "email_address",
        "domain",
        "phone_number",
        "full_name",
        "target_record_id",
    ]
    .iter()
    .find_map(|k| sv.fields.get(*k))
    .or_else(|| sv.fields.get("option").and_then(|o| o.get("title")))
    .or_else(|| sv.fields.get("status").and_then(|o| o.get("title")))
}

fn cmp_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn cmp_opt(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cmp_values(x, y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn sort_key<'r>(r: &'r Record, attr: usize, field: Option<&str>) -> Option<&'r Value> {
    let sv = r.values[attr].first()?;
    match field {
        Some(f) => sv.fields.get(f),
        None => primary(sv),
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn test_value(op: &Op, v: &Value) -> bool {
    let s = || v.as_str().map(str::to_lowercase).unwrap_or_default();
    match op {
        Op::Eq(x) => loose_eq(v, x),
        Op::In(xs) => xs.iter().any(|x| loose_eq(v, x)),
        Op::Contains(t) => s().contains(t.as_str()),
        Op::StartsWith(t) => s().starts_with(t.as_str()),
        Op::EndsWith(t) => s().ends_with(t.as_str()),
        Op::Cmp(name, x) => cmp_values(v, x).is_some_and(|o| match *name {
            "$gt" => o.is_gt(),
            "$gte" => o.is_ge(),
            "$lt" => o.is_lt(),
            _ => o.is_le(),
        }),
        Op::Keys(_) | Op::NotEmpty(_) => false,
    }
}

fn eval(p: &Pred, r: &Record, object: &ObjectDef) -> bool {
    match p {
        Pred::And(ps) => ps.iter().all(|p| eval(p, r, object)),
        Pred::Or(ps) => ps.iter().any(|p| eval(p, r, object)),
        Pred::Not(p) => !eval(p, r, object),
        Pred::Cond { attr, field, op } => {
            let values = &r.values[*attr];
            match op {
                Op::NotEmpty(want) => values.is_empty() != *want,
                Op::Keys(keys) => {
                    let t = object.attributes[*attr].attribute_type;
                    values.iter().any(|sv| keys.contains(&unique_key(t, &sv.fields)))
                }
                _ => values.iter().any(|sv| {
                    let v = match field {
                        Some(f) => sv.fields.get(f),
                        None => primary(sv),
                    };
                    v.is_some_and(|v| test_value(op, v))
                }),
            }
        }
    }
}
