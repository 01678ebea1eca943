//! The fields of the three actions: types, formats, requirements and default mappings,
//! as the reference declares them.

use domain::actions::ActionKind;
use serde_json::{json, Value};

/// The JSON-schema type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string; `email` fields must hold a valid email address.
    String {
        email: bool,
    },
    /// A key-value object (attribute maps).
    Object,
    Boolean,
    Number,
    /// A string that a date parser accepts, or any number.
    Datetime,
}

/// One field of an action.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub key: &'static str,
    pub ty: FieldType,
    pub required: bool,
}

const fn f(key: &'static str, ty: FieldType, required: bool) -> FieldDef {
    FieldDef { key, ty, required }
}

const TEXT: FieldType = FieldType::String { email: false };

const COMMON: [FieldDef; 3] = [
    f("enable_batching", FieldType::Boolean, false),
    f("batch_size", FieldType::Number, false),
    f("received_at", FieldType::Datetime, false),
];

const IDENTIFY_USER: [FieldDef; 7] = [
    f("email_address", FieldType::String { email: true }, true),
    f("user_id", TEXT, true),
    f("user_attributes", FieldType::Object, false),
    f("person_attributes", FieldType::Object, false),
    COMMON[0],
    COMMON[1],
    COMMON[2],
];

const GROUP_WORKSPACE: [FieldDef; 8] = [
    f("domain", TEXT, true),
    f("workspace_id", TEXT, true),
    f("user_id", TEXT, false),
    f("company_attributes", FieldType::Object, false),
    f("workspace_attributes", FieldType::Object, false),
    COMMON[0],
    COMMON[1],
    COMMON[2],
];

const ASSERT_RECORD: [FieldDef; 6] = [
    f("object", TEXT, true),
    f("matching_attribute", TEXT, true),
    f("attributes", FieldType::Object, false),
    COMMON[0],
    COMMON[1],
    COMMON[2],
];

const UPSERT_LIST_ENTRY: [FieldDef; 6] = [
    f("list", TEXT, true),
    f("parent_object", TEXT, true),
    f("parent_matching_attribute", TEXT, true),
    f("parent_attributes", FieldType::Object, true),
    f("entry_attributes", FieldType::Object, false),
    COMMON[2],
];

const REMOVE_LIST_ENTRY: [FieldDef; 5] = [
    f("list", TEXT, true),
    f("parent_object", TEXT, true),
    f("parent_matching_attribute", TEXT, true),
    f("parent_attributes", FieldType::Object, true),
    COMMON[2],
];

const CREATE_NOTE: [FieldDef; 7] = [
    f("parent_object", TEXT, true),
    f("parent_matching_attribute", TEXT, true),
    f("parent_attributes", FieldType::Object, true),
    f("title", TEXT, true),
    f("content", TEXT, true),
    f("format", TEXT, false),
    COMMON[2],
];

/// The most fields an action declares.
pub const MAX_FIELDS: usize = 8;

const _: () = assert!(
    IDENTIFY_USER.len() <= MAX_FIELDS
        && GROUP_WORKSPACE.len() <= MAX_FIELDS
        && ASSERT_RECORD.len() <= MAX_FIELDS
        && UPSERT_LIST_ENTRY.len() <= MAX_FIELDS
        && REMOVE_LIST_ENTRY.len() <= MAX_FIELDS
        && CREATE_NOTE.len() <= MAX_FIELDS
);

/// The declared fields of `action`, in declaration order.
pub fn fields(action: ActionKind) -> &'static [FieldDef] {
    match action {
        ActionKind::IdentifyUser => &IDENTIFY_USER,
        ActionKind::GroupWorkspace => &GROUP_WORKSPACE,
        ActionKind::AssertRecord => &ASSERT_RECORD,
        ActionKind::UpsertListEntry => &UPSERT_LIST_ENTRY,
        ActionKind::RemoveListEntry => &REMOVE_LIST_ENTRY,
        ActionKind::CreateNote => &CREATE_NOTE,
    }
}

/// The action's default mapping (the reference's field defaults, which its presets use).
///
/// Deviation D4: `assertRecord` has no default `object` (the reference's `"person"` is not
/// an Attio slug), so a mapping must name one.
pub fn default_mapping(action: ActionKind) -> Value {
    let common = json!({
        "enable_batching": false,
        "batch_size": 1000,
        "received_at": {"@path": "$.receivedAt"},
    });
    let mut m = match action {
        ActionKind::IdentifyUser => json!({
            "email_address": {"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.email"}}},
            "user_id": {"@path": "$.userId"},
            "user_attributes": {},
            "person_attributes": {},
        }),
        ActionKind::GroupWorkspace => json!({
            "domain": {"@if": {"exists": {"@path": "$.traits.website"}, "then": {"@path": "$.traits.website"}, "else": {"@path": "$.website"}}},
            "workspace_id": {"@if": {"exists": {"@path": "$.groupId"}, "then": {"@path": "$.groupId"}, "else": {"@path": "$.context.group_id"}}},
            "user_id": {"@path": "$.userId"},
            "company_attributes": {},
            "workspace_attributes": {},
        }),
        ActionKind::AssertRecord => json!({
            "matching_attribute": "email_addresses",
            "attributes": {},
        }),
        // The list and note actions have no reference defaults: the parent is the person
        // of the event's email address, as identifyUser's Person.
        ActionKind::UpsertListEntry | ActionKind::RemoveListEntry | ActionKind::CreateNote => {
            let mut m = json!({
                "parent_object": "people",
                "parent_matching_attribute": "email_addresses",
                "parent_attributes": {"email_addresses": {"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.properties.email"}}}},
                "received_at": {"@path": "$.receivedAt"},
            });
            if action == ActionKind::UpsertListEntry {
                m["entry_attributes"] = json!({});
            }
            if action == ActionKind::CreateNote {
                m["title"] = json!({"@path": "$.event"});
                m["format"] = json!("plaintext");
            }
            return m;
        }
    };
    if let (Some(m), Some(c)) = (m.as_object_mut(), common.as_object()) {
        for (k, v) in c {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

/// The presets of the reference: `type = "identify"` → identifyUser and
/// `type = "group"` → groupWorkspace, each with its default mapping.
pub fn presets() -> [(&'static str, ActionKind, &'static str); 2] {
    [
        ("Identify User", ActionKind::IdentifyUser, "type = \"identify\""),
        ("Group Workspace", ActionKind::GroupWorkspace, "type = \"group\""),
    ]
}

/// `defaults` with `mapping`'s keys laid on top (a shallow merge, as the reference's
/// "use default mappings" does).
pub fn with_defaults(action: ActionKind, mapping: &Value) -> Value {
    let mut m = default_mapping(action);
    if let (Some(base), Some(top)) = (m.as_object_mut(), mapping.as_object()) {
        for (k, v) in top {
            base.insert(k.clone(), v.clone());
        }
    }
    m
}
