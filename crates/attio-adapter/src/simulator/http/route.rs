//! Maps a method and path to an endpoint.

use percent_encoding::percent_decode_str;

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
}
