//! Resolving a compiled mapping against a payload (the event, an `@arrayPath` item, or the
//! reshaped payload of `@transform`).

use std::borrow::Cow;

use super::error::MappingError;
use super::node::{
    Arg, ArrayPath, ArrayRoot, Case, CaseOp, Flatten, If, Json, JsonMode, Merge, Node, Replace, Root, StrArg, Transform,
};
use super::ops::{assign, exclude_nulls, flatten, loosely_non_empty, remove_undefined};
use super::path::get_dynamic;
use super::replace::replace_literal;
use super::template::render;
use crate::json::{Obj, Val};

type Result<T> = std::result::Result<T, MappingError>;

/// `transform(mapping, data)`: the data must be an object; the result is cleaned of
/// `undefined` properties.
pub(crate) fn transform<'a>(root: &'a Root, data: &Val<'a>, at: &str) -> Result<Val<'a>> {
    if !matches!(data, Val::Obj(_)) {
        return Err(MappingError::NotAnObject {
            at: at.to_owned(),
            got: data.type_name(),
        });
    }
    let mut out = match root {
        Root::Plain(node) => resolve(node, data)?,
        Root::Reshaped(t) => run_transform(t, data)?,
    };
    remove_undefined(&mut out);
    Ok(out)
}

pub(crate) fn resolve<'a>(node: &'a Node, data: &Val<'a>) -> Result<Val<'a>> {
    Ok(match node {
        Node::Raw(v) => v.borrowed(),
        Node::Arr(items) => Val::Arr(items.iter().map(|n| resolve(n, data)).collect::<Result<_>>()?),
        Node::Obj(fields) => {
            let mut o = Obj::with_capacity(fields.len());
            for (k, n) in fields {
                // Keys are unique (they come from a JSON object), so no lookup is needed.
                o.0.push((Cow::Borrowed(&**k), resolve(n, data)?));
            }
            Val::Obj(o)
        }
        Node::Path(arg) => match &**arg {
            StrArg::Static(path) => path.get(data),
            StrArg::Dynamic { node, at } => {
                let p = resolve(node, data)?;
                match &p {
                    Val::Str(s) => get_dynamic(data, s),
                    other => return Err(expected_string(at, "@path", other)),
                }
            }
        },
        Node::Template(arg) => match &**arg {
            StrArg::Static(t) => Val::string(t.render(data)),
            StrArg::Dynamic { node, at } => {
                let t = resolve(node, data)?;
                match &t {
                    Val::Str(s) => Val::string(render(s, data)),
                    other => return Err(expected_string(at, "@template", other)),
                }
            }
        },
        Node::Literal(n) => resolve(n, data)?,
        Node::ExcludeWhenNull(n) => exclude_nulls(resolve(n, data)?),
        Node::If(d) => run_if(d, data)?,
        Node::ArrayPath(d) => run_array_path(d, data)?,
        Node::Case(d) => run_case(d, data)?,
        Node::Replace(d) => run_replace(d, data)?,
        Node::Json(d) => run_json(d, data)?,
        Node::Flatten(d) => run_flatten(d, data)?,
        Node::Merge(d) => run_merge(d, data)?,
        Node::Transform(d) => run_transform(d, data)?,
    })
}

fn expected_string(at: &str, directive: &str, got: &Val<'_>) -> MappingError {
    MappingError::runtime(at, format!("{directive}: expected string, got {}", got.type_name()))
}

fn run_if<'a>(d: &'a If, data: &Val<'a>) -> Result<Val<'a>> {
    let truthy = |a: &Option<Arg>| a.as_ref().is_some_and(|a| a.truthy);
    if !truthy(&d.exists) && !truthy(&d.blank) {
        return Err(MappingError::runtime(
            &d.at,
            "@if requires an \"exists\" key or a \"blank\" key",
        ));
    }
    let condition = if let Some(exists) = &d.exists {
        !resolve(&exists.node, data)?.is_nullish()
    } else if let Some(blank) = &d.blank {
        loosely_non_empty(&resolve(&blank.node, data)?)
    } else {
        false
    };
    match (&d.then, &d.otherwise) {
        (Some(then), _) if condition => resolve(then, data),
        (_, Some(otherwise)) if !condition && otherwise.truthy => resolve(&otherwise.node, data),
        _ => Ok(Val::Undefined),
    }
}

fn run_array_path<'a>(d: &'a ArrayPath, data: &Val<'a>) -> Result<Val<'a>> {
    let root = match &d.root {
        ArrayRoot::Path(p) => p.get(data),
        ArrayRoot::Directive(n) => resolve(n, data)?,
    };
    let Some(shape) = &d.shape else {
        return Ok(root);
    };
    match root {
        Val::Arr(items) => Ok(Val::Arr(
            items.iter().map(|item| resolve(shape, item)).collect::<Result<_>>()?,
        )),
        obj @ Val::Obj(_) => Ok(Val::Arr(vec![resolve(shape, &obj)?])),
        other => Ok(other),
    }
}

fn run_case<'a>(d: &'a Case, data: &Val<'a>) -> Result<Val<'a>> {
    let Some(op) = &d.op else {
        return Err(MappingError::runtime(&d.at, "@case requires a \"operator\" key"));
    };
    let Some(value) = d.value.as_ref().filter(|v| v.truthy) else {
        return Ok(Val::Undefined);
    };
    match resolve(&value.node, data)? {
        Val::Str(s) => match op {
            CaseOp::Lower => Ok(Val::string(s.to_lowercase())),
            CaseOp::Upper => Ok(Val::string(s.to_uppercase())),
            CaseOp::Other => Err(MappingError::runtime(
                &d.at,
                "operator key should have a value of \"lower\" or \"upper\"",
            )),
        },
        other => Ok(other),
    }
}

fn run_replace<'a>(d: &'a Replace, data: &Val<'a>) -> Result<Val<'a>> {
    if !d.value.truthy {
        return Ok(Val::Undefined);
    }
    let value = resolve(&d.value.node, data)?;
    let text: Cow<'_, str> = match &value {
        Val::Str(s) => Cow::Borrowed(s.as_ref()),
        Val::Num(_) | Val::Bool(_) => value.js_string(),
        _ => return Ok(Val::string(String::new())),
    };
    let mut out = replace_literal(&text, &d.pattern, &d.replacement, d.global, d.ignore_case);
    if let Some((p2, r2)) = &d.second {
        out = replace_literal(&out, p2, r2, d.global, d.ignore_case);
    }
    Ok(Val::string(out))
}

fn run_json<'a>(d: &'a Json, data: &Val<'a>) -> Result<Val<'a>> {
    if !d.value.truthy {
        return Err(MappingError::runtime(&d.at, "@json requires a \"value\" key"));
    }
    let value = resolve(&d.value.node, data)?;
    Ok(match d.mode {
        JsonMode::Encode => value.to_json().map_or(Val::Undefined, Val::string),
        JsonMode::Decode => match value {
            Val::Str(Cow::Borrowed(s)) => Val::parse(s).unwrap_or(Val::Str(Cow::Borrowed(s))),
            Val::Str(Cow::Owned(s)) => match Val::parse(&s) {
                Ok(v) => v.into_owned(),
                Err(_) => Val::Str(Cow::Owned(s)),
            },
            other => other,
        },
        JsonMode::Neither => Val::Undefined,
    })
}

fn run_flatten<'a>(d: &'a Flatten, data: &Val<'a>) -> Result<Val<'a>> {
    if d.separator.is_empty() {
        return Err(MappingError::runtime(&d.at, "@flatten requires a \"separator\" key"));
    }
    let value = resolve(&d.value, data)?;
    Ok(flatten(value, &d.separator, d.omit_arrays))
}

fn run_merge<'a>(d: &'a Merge, data: &Val<'a>) -> Result<Val<'a>> {
    let mut objects = d.objects.iter().map(|n| resolve(n, data)).collect::<Result<Vec<_>>>()?;
    if d.left {
        objects.reverse();
    }
    Ok(assign(objects))
}

fn run_transform<'a>(d: &'a Transform, data: &Val<'a>) -> Result<Val<'a>> {
    let reshaped = transform(&d.apply, data, &d.at)?;
    resolve(&d.mapping, &reshaped)
}
