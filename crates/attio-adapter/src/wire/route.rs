//! Attio's endpoints: one catalogue that the transport renders paths from and the
//! simulator routes requests with, so both sides agree on every path by construction.
//! Adding an endpoint is a variant here, its line in [`Route::parse`] and in
//! [`Route::path`] (a round-trip test checks the two agree).

use percent_encoding::percent_decode_str;

use super::path::encode_path_segment as seg;

/// `PUT /v2/batch/records`.
pub const BATCH_RECORDS: &str = "/v2/batch/records";
/// `POST /v2/notes`, `GET /v2/notes`.
pub const NOTES: &str = "/v2/notes";

/// An endpoint, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Identify,
    LegacyToken,
    ListObjects,
    GetObject(String),
    ListAttributes(String),
    GetAttribute(String, String),
    ListOptions(String, String),
    ListStatuses(String, String),
    Assert(String),
    AssertSimple(String),
    CreateRecord(String),
    QueryRecords(String),
    GetRecord(String, String),
    UpdateRecord {
        object: String,
        record: String,
        append: bool,
    },
    DeleteRecord(String, String),
    Batch,
    ListLists,
    GetList(String),
    ListListAttributes(String),
    AssertEntry(String),
    CreateEntry(String),
    QueryEntries(String),
    GetEntry(String, String),
    DeleteEntry(String, String),
    CreateNote,
    ListNotes,
    GetNote(String),
    DeleteNote(String),
    ListMembers,
    GetMember(String),
    Unknown,
}

impl Route {
    pub fn parse(method: &str, path: &str) -> Route {
        let segs: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let o = |i: usize| s[i].to_owned();
        match (method, s.as_slice()) {
            ("GET", ["v2", "self"]) => Route::Identify,
            ("GET", ["v1", "token"]) => Route::LegacyToken,
            ("GET", ["v2", "objects"]) => Route::ListObjects,
            ("GET", ["v2", "objects", _]) => Route::GetObject(o(2)),
            ("GET", ["v2", "objects", _, "attributes"]) => Route::ListAttributes(o(2)),
            ("GET", ["v2", "objects", _, "attributes", _]) => Route::GetAttribute(o(2), o(4)),
            ("GET", ["v2", "objects", _, "attributes", _, "options"]) => Route::ListOptions(o(2), o(4)),
            ("GET", ["v2", "objects", _, "attributes", _, "statuses"]) => Route::ListStatuses(o(2), o(4)),
            ("PUT", ["v2", "objects", _, "records"]) => Route::Assert(o(2)),
            ("POST", ["v2", "objects", _, "records"]) => Route::CreateRecord(o(2)),
            ("PUT", ["v2", "objects", _, "records", "simple"]) => Route::AssertSimple(o(2)),
            ("POST", ["v2", "objects", _, "records", "query"]) => Route::QueryRecords(o(2)),
            ("GET", ["v2", "objects", _, "records", _]) => Route::GetRecord(o(2), o(4)),
            ("PATCH" | "PUT", ["v2", "objects", _, "records", _]) => Route::UpdateRecord {
                object: o(2),
                record: o(4),
                append: method == "PATCH",
            },
            ("DELETE", ["v2", "objects", _, "records", _]) => Route::DeleteRecord(o(2), o(4)),
            ("PUT", ["v2", "batch", "records"]) => Route::Batch,
            ("GET", ["v2", "lists"]) => Route::ListLists,
            ("GET", ["v2", "lists", _]) => Route::GetList(o(2)),
            ("GET", ["v2", "lists", _, "attributes"]) => Route::ListListAttributes(o(2)),
            ("PUT", ["v2", "lists", _, "entries"]) => Route::AssertEntry(o(2)),
            ("POST", ["v2", "lists", _, "entries"]) => Route::CreateEntry(o(2)),
            ("POST", ["v2", "lists", _, "entries", "query"]) => Route::QueryEntries(o(2)),
            ("GET", ["v2", "lists", _, "entries", _]) => Route::GetEntry(o(2), o(4)),
            ("DELETE", ["v2", "lists", _, "entries", _]) => Route::DeleteEntry(o(2), o(4)),
            ("POST", ["v2", "notes"]) => Route::CreateNote,
            ("GET", ["v2", "notes"]) => Route::ListNotes,
            ("GET", ["v2", "notes", _]) => Route::GetNote(o(2)),
            ("DELETE", ["v2", "notes", _]) => Route::DeleteNote(o(2)),
            ("GET", ["v2", "workspace_members"]) => Route::ListMembers,
            ("GET", ["v2", "workspace_members", _]) => Route::GetMember(o(2)),
            _ => Route::Unknown,
        }
    }

    /// The percent-encoded path of this endpoint (without a query).
    pub fn path(&self) -> String {
        match self {
            Route::Identify => "/v2/self".to_owned(),
            Route::LegacyToken => "/v1/token".to_owned(),
            Route::ListObjects => "/v2/objects".to_owned(),
            Route::GetObject(o) => format!("/v2/objects/{}", seg(o)),
            Route::ListAttributes(o) => format!("/v2/objects/{}/attributes", seg(o)),
            Route::GetAttribute(o, a) => format!("/v2/objects/{}/attributes/{}", seg(o), seg(a)),
            Route::ListOptions(o, a) => format!("/v2/objects/{}/attributes/{}/options", seg(o), seg(a)),
            Route::ListStatuses(o, a) => format!("/v2/objects/{}/attributes/{}/statuses", seg(o), seg(a)),
            Route::Assert(o) | Route::CreateRecord(o) => format!("/v2/objects/{}/records", seg(o)),
            Route::AssertSimple(o) => format!("/v2/objects/{}/records/simple", seg(o)),
            Route::QueryRecords(o) => format!("/v2/objects/{}/records/query", seg(o)),
            Route::GetRecord(o, r)
            | Route::DeleteRecord(o, r)
            | Route::UpdateRecord {
                object: o, record: r, ..
            } => {
                format!("/v2/objects/{}/records/{}", seg(o), seg(r))
            }
            Route::Batch => BATCH_RECORDS.to_owned(),
            Route::ListLists => "/v2/lists".to_owned(),
            Route::GetList(l) => format!("/v2/lists/{}", seg(l)),
            Route::ListListAttributes(l) => format!("/v2/lists/{}/attributes", seg(l)),
            Route::AssertEntry(l) | Route::CreateEntry(l) => format!("/v2/lists/{}/entries", seg(l)),
            Route::QueryEntries(l) => format!("/v2/lists/{}/entries/query", seg(l)),
            Route::GetEntry(l, e) | Route::DeleteEntry(l, e) => format!("/v2/lists/{}/entries/{}", seg(l), seg(e)),
            Route::CreateNote | Route::ListNotes => NOTES.to_owned(),
            Route::GetNote(n) | Route::DeleteNote(n) => format!("{NOTES}/{}", seg(n)),
            Route::ListMembers => "/v2/workspace_members".to_owned(),
            Route::GetMember(m) => format!("/v2/workspace_members/{}", seg(m)),
            Route::Unknown => "/".to_owned(),
        }
    }

    /// The HTTP method of this endpoint (`UpdateRecord` appends with `PATCH`, overwrites
    /// with `PUT`).
    pub fn method(&self) -> &'static str {
        match self {
            Route::Assert(_) | Route::AssertSimple(_) | Route::Batch | Route::AssertEntry(_) => "PUT",
            Route::UpdateRecord { append: true, .. } => "PATCH",
            Route::UpdateRecord { append: false, .. } => "PUT",
            Route::CreateRecord(_)
            | Route::QueryRecords(_)
            | Route::CreateEntry(_)
            | Route::QueryEntries(_)
            | Route::CreateNote => "POST",
            Route::DeleteRecord(..) | Route::DeleteEntry(..) | Route::DeleteNote(_) => "DELETE",
            _ => "GET",
        }
    }

    /// A low-cardinality name of the endpoint, for the transport's metrics
    /// (`segment_attio_attio_request_seconds{endpoint}`, docs/metrics.md).
    pub fn metrics_label(&self) -> &'static str {
        match self {
            Route::AssertSimple(_) => "simple_assert",
            Route::Batch => "batch_assert",
            Route::ListAttributes(_) | Route::ListListAttributes(_) => "list_attributes",
            Route::ListObjects => "list_objects",
            Route::QueryEntries(_) => "query_list_entries",
            Route::GetList(_)
            | Route::AssertEntry(_)
            | Route::CreateEntry(_)
            | Route::GetEntry(..)
            | Route::DeleteEntry(..) => "list_entry",
            Route::CreateNote | Route::ListNotes | Route::GetNote(_) | Route::DeleteNote(_) => "notes",
            Route::QueryRecords(_) => "query_records",
            Route::Identify | Route::LegacyToken => "credentials",
            Route::Assert(_)
            | Route::CreateRecord(_)
            | Route::GetRecord(..)
            | Route::UpdateRecord { .. }
            | Route::DeleteRecord(..) => "documented_assert",
            Route::GetObject(_)
            | Route::GetAttribute(..)
            | Route::ListOptions(..)
            | Route::ListStatuses(..)
            | Route::ListLists
            | Route::ListMembers
            | Route::GetMember(_)
            | Route::Unknown => "other",
        }
    }

    /// The name used in request counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Identify => "identify",
            Route::LegacyToken => "token",
            Route::ListObjects => "list_objects",
            Route::GetObject(_) => "get_object",
            Route::ListAttributes(_) => "list_attributes",
            Route::GetAttribute(..) => "get_attribute",
            Route::ListOptions(..) => "list_options",
            Route::ListStatuses(..) => "list_statuses",
            Route::Assert(_) => "assert",
            Route::AssertSimple(_) => "assert_simple",
            Route::CreateRecord(_) => "create_record",
            Route::QueryRecords(_) => "query_records",
            Route::GetRecord(..) => "get_record",
            Route::UpdateRecord { .. } => "update_record",
            Route::DeleteRecord(..) => "delete_record",
            Route::Batch => "batch",
            Route::ListLists => "list_lists",
            Route::GetList(_) => "get_list",
            Route::ListListAttributes(_) => "list_list_attributes",
            Route::AssertEntry(_) => "assert_entry",
            Route::CreateEntry(_) => "create_entry",
            Route::QueryEntries(_) => "query_entries",
            Route::GetEntry(..) => "get_entry",
            Route::DeleteEntry(..) => "delete_entry",
            Route::CreateNote => "create_note",
            Route::ListNotes => "list_notes",
            Route::GetNote(_) => "get_note",
            Route::DeleteNote(_) => "delete_note",
            Route::ListMembers => "list_members",
            Route::GetMember(_) => "get_member",
            Route::Unknown => "unknown",
        }
    }

    /// Writes count against the write limit; GETs and queries against the read limit.
    pub fn is_write(&self, method: &str) -> bool {
        match self {
            Route::QueryRecords(_) | Route::QueryEntries(_) => false,
            Route::Unknown => method != "GET" && method != "HEAD",
            _ => method != "GET",
        }
    }
}

/// The decoded value of query parameter `name`.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k) == name).then(|| decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_paths_are_recognised() {
        assert_eq!(
            Route::parse("PUT", "/v2/objects/people/records/simple"),
            Route::AssertSimple("people".into())
        );
        assert_eq!(Route::parse("PUT", "/v2/batch/records"), Route::Batch);
        assert_eq!(
            Route::parse("GET", "/v2/objects/my%20obj"),
            Route::GetObject("my obj".into())
        );
        assert_eq!(
            Route::parse("GET", "/v2/objects/people/records/query"),
            Route::GetRecord("people".into(), "query".into())
        );
        assert_eq!(Route::parse("DELETE", "/v2/objects"), Route::Unknown);
    }

    #[test]
    fn queries_are_reads_and_puts_are_writes() {
        assert!(!Route::QueryRecords("people".into()).is_write("POST"));
        assert!(Route::AssertSimple("people".into()).is_write("PUT"));
        assert!(!Route::ListObjects.is_write("GET"));
    }

    #[test]
    fn query_parameters_are_decoded() {
        let q = Some("matching_attribute=email%5Faddresses&append_to_existing_values=true");
        assert_eq!(query_param(q, "matching_attribute").as_deref(), Some("email_addresses"));
        assert_eq!(query_param(q, "append_to_existing_values").as_deref(), Some("true"));
        assert_eq!(query_param(q, "nope"), None);
    }

    #[test]
    fn every_rendered_path_routes_back_to_its_endpoint() {
        let o = || "my obj/x".to_owned();
        let routes = [
            Route::Identify,
            Route::LegacyToken,
            Route::ListObjects,
            Route::GetObject(o()),
            Route::ListAttributes(o()),
            Route::GetAttribute(o(), "a&b".into()),
            Route::ListOptions(o(), "a".into()),
            Route::ListStatuses(o(), "a".into()),
            Route::Assert(o()),
            Route::AssertSimple(o()),
            Route::CreateRecord(o()),
            Route::QueryRecords(o()),
            Route::GetRecord(o(), "r 1".into()),
            Route::UpdateRecord {
                object: o(),
                record: "r".into(),
                append: true,
            },
            Route::UpdateRecord {
                object: o(),
                record: "r".into(),
                append: false,
            },
            Route::DeleteRecord(o(), "r".into()),
            Route::Batch,
            Route::ListLists,
            Route::GetList(o()),
            Route::ListListAttributes(o()),
            Route::AssertEntry(o()),
            Route::CreateEntry(o()),
            Route::QueryEntries(o()),
            Route::GetEntry(o(), "e".into()),
            Route::DeleteEntry(o(), "e".into()),
            Route::CreateNote,
            Route::ListNotes,
            Route::GetNote("n?1".into()),
            Route::DeleteNote("n".into()),
            Route::ListMembers,
            Route::GetMember("m".into()),
        ];
        for r in routes {
            assert_eq!(Route::parse(r.method(), &r.path()), r, "{} {}", r.method(), r.path());
        }
    }

    #[test]
    fn metrics_labels_name_the_endpoint_family() {
        let label = |m: &str, p: &str| Route::parse(m, p).metrics_label();
        assert_eq!(label("PUT", "/v2/objects/people/records/simple"), "simple_assert");
        assert_eq!(label("PUT", "/v2/batch/records"), "batch_assert");
        assert_eq!(
            label("POST", "/v2/lists/onboarding/entries/query"),
            "query_list_entries"
        );
        assert_eq!(label("PUT", "/v2/lists/onboarding/entries"), "list_entry");
        assert_eq!(label("GET", "/v2/notes"), "notes");
        assert_eq!(label("GET", "/v1/token"), "credentials");
        assert_eq!(label("PATCH", "/v2/objects/people/records/r1"), "documented_assert");
        assert_eq!(label("GET", "/v2/workspace_members"), "other");
    }
}
