//! A scripted stand-in for Attio that answers exactly like the reference oracle's default
//! mock, with per-request overrides (`responses[i]` replaces the i-th reply).

use serde_json::{json, Value};

/// A request as it went on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub body: Value,
}

/// One scripted reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn from_case(v: &Value) -> Reply {
        Reply {
            status: v.get("status").and_then(Value::as_u64).map(|s| s as u16).unwrap_or(200),
            body: v.get("body").cloned().unwrap_or(Value::Null),
            headers: v
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The oracle's default reply to `method path` (path without the query string).
pub fn default_reply(method: &str, path: &str) -> Reply {
    let ok = |status: u16, body: Value| Reply {
        status,
        body,
        headers: Vec::new(),
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("PUT", ["v2", "objects", object, "records", "simple"]) => {
            let object = percent_decode(object);
            ok(
                200,
                json!({"data":{"id":{"workspace_id":"oracle-workspace-id","object_id":format!("{object}-object-id"),"record_id":format!("{object}-record-id")},"created_at":"2024-01-01T00:00:00.000000000Z","values":{}}}),
            )
        }
        ("PUT", ["v2", "batch", "records"]) => ok(202, json!({})),
        ("GET", ["v2", "objects"]) => ok(
            200,
            json!({"data":[
                {"api_slug":"users","singular_noun":"User","plural_noun":"Users"},
                {"api_slug":"people","singular_noun":"Person","plural_noun":"People"},
                {"api_slug":"companies","singular_noun":"Company","plural_noun":"Companies"},
                {"api_slug":"workspaces","singular_noun":"Workspace","plural_noun":"Workspaces"},
                {"api_slug":"deals","singular_noun":"Deal","plural_noun":"Deals"}
            ]}),
        ),
        ("GET", ["v1", "token"]) => ok(200, json!({"active": true})),
        _ => ok(200, json!({})),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The standard reason phrase of an HTTP status (what the reference reports as the error).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        423 => "Locked",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
