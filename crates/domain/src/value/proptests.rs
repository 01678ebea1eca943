//! Properties of `parse_write` over every attribute type: it never panics, valid values
//! round-trip through their write form, and invalid values get an error naming the attribute.

use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::slug::{AttributeSlug, ObjectSlug};

const TARGETS: [&str; 5] = ["companies", "people", "users", "workspaces", "deals"];

const KEYS: [&str; 30] = [
    "value",
    "domain",
    "email_address",
    "target_object",
    "target_record_id",
    "domains",
    "original_phone_number",
    "country_code",
    "first_name",
    "last_name",
    "full_name",
    "status",
    "option",
    "currency_value",
    "currency_code",
    "referenced_actor_type",
    "referenced_actor_id",
    "workspace_member_email_address",
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "locality",
    "region",
    "postcode",
    "latitude",
    "longitude",
    "email_addresses",
    "user_id",
    "x",
];

const SAMPLES: [&str; 14] = [
    "+447777777777",
    "07234172834",
    "2023-01-02T23:00:00-10:00",
    "a@b.co",
    "https://acme.com/x",
    "true",
    "Bloggs, Joe",
    "891dcbfc-9141-415d-9b2a-2238a6cc012d",
    "workspace-member",
    "GB",
    "4.99",
    "90.0",
    "1 Infinite Loop, Cupertino, CA, 95014, US",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        ".{0,30}".prop_map(Value::String),
        prop::sample::select(SAMPLES.to_vec()).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
            "[a-z_]{0,8}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_spec() -> impl Strategy<Value = AttributeSpec<'static>> {
    let none: &'static [&'static str] = &[];
    let one = |i: usize| -> &'static [&'static str] { &TARGETS[i..=i] };
    let targets = prop::sample::select(vec![none, one(0), one(1), one(2), one(3), one(4), &TARGETS[..]]);
    (
        prop::sample::select(AttributeType::ALL.to_vec()),
        any::<bool>(),
        prop::option::of(prop_oneof![prop::sample::select(CURRENCY_CODES.to_vec()), Just("XYZ")]),
        targets,
    )
        .prop_map(|(t, multi, code, targets)| {
            AttributeSpec::new("some_attribute", t)
                .multiselect(multi)
                .default_currency_code(code)
                .allowed_targets(targets)
        })
}

fn arb_domain() -> impl Strategy<Value = Domain> {
    let label = "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?";
    (prop::collection::vec(label, 1..4), "[a-z]{2,6}").prop_map(|(labels, tld)| {
        Domain::parse(&format!("{}.{tld}", labels.join("."))).expect("generated domains are valid")
    })
}

fn arb_email() -> impl Strategy<Value = EmailAddress<'static>> {
    ("[a-z0-9]{1,10}(\\.[a-z0-9+]{1,5})?", arb_domain()).prop_map(|(local, d)| {
        EmailAddress::parse(format!("{local}@{}", d.as_str())).expect("generated emails are valid")
    })
}

fn arb_phone() -> impl Strategy<Value = PhoneNumber> {
    let gb = "7[0-9]{9}".prop_map(|n| (format!("+44 {n}"), None));
    let nanp =
        "[2-9][0-9][02-9][2-9][0-9]{6}".prop_map(|n| (format!("+1 ({}) {}-{}", &n[..3], &n[3..6], &n[6..]), None));
    let fr = "[1-9][0-9]{8}".prop_map(|n| (format!("+33{n}"), Some("FR")));
    let ng = "[7-9][0-9]{9}".prop_map(|n| (format!("+234{n}"), None));
    let gb_national = "7[0-9]{9}".prop_map(|n| (format!("0{n}"), Some("GB")));
    prop_oneof![gb, nanp, fr, ng, gb_national].prop_map(|(number, cc)| {
        let cc = cc.map(|c| CountryCode::parse(c).expect("listed code"));
        PhoneNumber::parse(&number, cc).expect("generated phone numbers are valid")
    })
}

fn arb_location() -> impl Strategy<Value = Location> {
    let part = || prop::option::of("[A-Za-z0-9][A-Za-z0-9 ,.-]{0,20}");
    let countries: Vec<String> = CountryCode::all().map(|c| c.to_string()).collect();
    let lat = prop::option::of(
        (any::<bool>(), 0u32..90, "[0-9]{1,9}")
            .prop_map(|(neg, i, f)| format!("{}{i}.{f}", if neg { "-" } else { "" })),
    );
    let lon = prop::option::of(
        (any::<bool>(), 0u32..180, "[0-9]{1,9}")
            .prop_map(|(neg, i, f)| format!("{}{i}.{f}", if neg { "-" } else { "" })),
    );
    (
        (part(), part(), part(), part()),
        (part(), part(), part()),
        prop::option::of(prop::sample::select(countries)),
        lat,
        lon,
    )
        .prop_map(
            |((line_1, line_2, line_3, line_4), (locality, region, postcode), country_code, latitude, longitude)| {
                let parts = LocationParts {
                    line_1,
                    line_2,
                    line_3,
                    line_4,
                    locality,
                    region,
                    postcode,
                    country_code,
                    latitude,
                    longitude,
                };
                Location::new(parts).expect("generated locations are valid")
            },
        )
}

fn arb_record_reference() -> impl Strategy<Value = RecordReference> {
    let target = prop::sample::select(TARGETS.to_vec()).prop_map(|t| ObjectSlug::parse(t).expect("valid slug"));
    let by_id = (target.clone(), any::<u128>()).prop_map(|(target_object, id)| RecordReference::Id {
        target_object,
        target_record_id: Uuid::from_u128(id),
    });
    let value = prop_oneof![
        arb_domain().prop_map(MatchValue::Domain),
        arb_email().prop_map(MatchValue::EmailAddress),
        "[a-z0-9][a-z0-9-]{0,12}".prop_map(MatchValue::Text),
        (-1e9f64..1e9).prop_map(MatchValue::Number),
        arb_phone().prop_map(MatchValue::PhoneNumber),
    ];
    let attribute = "[a-z][a-z_]{0,12}".prop_filter("not a reference key", |a| a != "target_object");
    let by_match = (target, attribute, value).prop_map(|(target_object, attribute, value)| RecordReference::Match {
        target_object,
        matching_attribute: AttributeSlug::parse(attribute).expect("valid slug"),
        value,
    });
    prop_oneof![by_id, by_match]
}

/// A valid value of each writable type, with the spec that accepts it.
fn arb_valid() -> impl Strategy<Value = (AttributeSpec<'static>, AttributeValue)> {
    let spec = |t| AttributeSpec::new("some_attribute", t);
    let title = "[A-Za-z0-9][A-Za-z0-9 🎉]{0,20}";
    let min_ts = NaiveDate::from_ymd_opt(0, 1, 1)
        .expect("valid")
        .and_hms_opt(0, 0, 0)
        .expect("valid")
        .and_utc()
        .timestamp();
    let max_ts = NaiveDate::from_ymd_opt(9999, 12, 31)
        .expect("valid")
        .and_hms_opt(23, 59, 59)
        .expect("valid")
        .and_utc()
        .timestamp();
    prop_oneof![
        ".{0,40}".prop_map(move |s| (spec(AttributeType::Text), AttributeValue::Text(s))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(move |f| (spec(AttributeType::Number), AttributeValue::Number(f))),
        any::<bool>().prop_map(move |b| (spec(AttributeType::Checkbox), AttributeValue::Checkbox(b))),
        (
            -10_000_000_000i64..10_000_000_000,
            0u32..10_000,
            prop::option::of(prop::sample::select(CURRENCY_CODES.to_vec()))
        )
            .prop_map(move |(int, frac, code)| {
                let value: f64 = format!("{int}.{frac:04}").parse().expect("decimal text");
                let c = Currency::new(value, code.map(|c| CurrencyCode::parse(c).expect("listed")))
                    .expect("at most 4 decimals");
                (
                    spec(AttributeType::Currency).default_currency_code(code),
                    AttributeValue::Currency(c),
                )
            }),
        (0i32..=9999, 1u32..=365).prop_map(move |(y, d)| (
            spec(AttributeType::Date),
            AttributeValue::Date(NaiveDate::from_yo_opt(y, d).expect("day 1-365 exists"))
        )),
        (min_ts..=max_ts, 0u32..1_000_000_000).prop_map(move |(s, n)| {
            let at = DateTime::from_timestamp(s, n).expect("in range");
            (
                spec(AttributeType::Timestamp),
                AttributeValue::Timestamp(Timestamp::from_datetime(at).expect("years 0-9999")),
            )
        }),
        (0u8..=5).prop_map(move |r| (
            spec(AttributeType::Rating),
            AttributeValue::Rating(Rating::new(r).expect("0-5"))
        )),
        prop_oneof![
            title.prop_map(StatusRef::Title),
            any::<u128>().prop_map(|n| StatusRef::Id(Uuid::from_u128(n)))
        ]
        .prop_map(move |s| (spec(AttributeType::Status), AttributeValue::Status(s))),
        prop_oneof![
            title.prop_map(OptionRef::Title),
            any::<u128>().prop_map(|n| OptionRef::Id(Uuid::from_u128(n)))
        ]
        .prop_map(move |o| (spec(AttributeType::Select), AttributeValue::Select(o))),
        arb_record_reference().prop_map(move |r| (
            spec(AttributeType::RecordReference).allowed_targets(&TARGETS),
            AttributeValue::RecordReference(r)
        )),
        prop_oneof![
            arb_email().prop_map(ActorReference::WorkspaceMemberEmail),
            any::<u128>().prop_map(|n| ActorReference::WorkspaceMember(Uuid::from_u128(n)))
        ]
        .prop_map(move |a| (spec(AttributeType::ActorReference), AttributeValue::ActorReference(a))),
        arb_location().prop_map(move |l| (spec(AttributeType::Location), AttributeValue::Location(l))),
        arb_domain().prop_map(move |d| (spec(AttributeType::Domain), AttributeValue::Domain(d))),
        arb_email().prop_map(move |e| (spec(AttributeType::EmailAddress), AttributeValue::EmailAddress(e))),
        arb_phone().prop_map(move |p| (spec(AttributeType::PhoneNumber), AttributeValue::PhoneNumber(p))),
        ("[A-Za-z ]{0,12}", "[A-Za-z ]{0,12}", "[A-Za-z ]{0,12}").prop_filter_map("not all blank", move |(f, l, n)| {
            PersonalName::new(&f, &l, &n)
                .ok()
                .map(|p| (spec(AttributeType::PersonalName), AttributeValue::PersonalName(p)))
        }),
    ]
}

/// A value that the attribute type must refuse.
fn arb_invalid() -> impl Strategy<Value = (AttributeType, Value)> {
    let any_type = prop::sample::select(AttributeType::ALL.to_vec());
    let typed = |t: AttributeType, s: BoxedStrategy<Value>| s.prop_map(move |v| (t, v)).boxed();
    let words = || "[a-z]{1,12}".prop_map(|s| json!(s)).boxed();
    prop_oneof![
        (any_type.clone(), arb_json()).prop_map(|(t, v)| (t, json!({ "not_a_key": v }))),
        (any_type.clone(), arb_json()).prop_map(|(t, v)| (t, json!([[v]]))),
        (any_type, any::<bool>())
            .prop_filter("checkbox takes booleans", |(t, _)| *t != AttributeType::Checkbox)
            .prop_map(|(t, b)| (t, json!(b))),
        typed(AttributeType::Text, any::<i64>().prop_map(|i| json!(i)).boxed()),
        typed(AttributeType::Number, words()),
        typed(AttributeType::Checkbox, any::<i64>().prop_map(|i| json!(i)).boxed()),
        typed(AttributeType::Currency, words()),
        typed(
            AttributeType::Currency,
            (1u32..1000, 1u32..10)
                .prop_map(|(i, d)| json!(format!("{i}.0000{d}")))
                .boxed()
        ),
        typed(AttributeType::Date, words()),
        typed(AttributeType::Timestamp, words()),
        typed(AttributeType::Rating, (6i64..1000).prop_map(|i| json!(i)).boxed()),
        typed(AttributeType::Status, "[ ]{0,3}".prop_map(|s| json!(s)).boxed()),
        typed(AttributeType::Select, any::<f64>().prop_map(|f| json!(f)).boxed()),
        typed(
            AttributeType::RecordReference,
            any::<i64>().prop_map(|i| json!(i)).boxed()
        ),
        typed(AttributeType::ActorReference, words()),
        typed(AttributeType::Location, any::<i64>().prop_map(|i| json!(i)).boxed()),
        typed(AttributeType::Domain, words()),
        typed(AttributeType::EmailAddress, words()),
        typed(AttributeType::PhoneNumber, "[0-9]{1,12}".prop_map(|s| json!(s)).boxed()),
        typed(AttributeType::PersonalName, any::<i64>().prop_map(|i| json!(i)).boxed()),
        arb_json().prop_map(|v| (AttributeType::Interaction, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_write_never_panics(spec in arb_spec(), v in arb_json()) {
        let _ = parse_write(&spec, &v);
    }

    #[test]
    fn parse_write_never_panics_on_each_type_and_cardinality(v in arb_json()) {
        for t in AttributeType::ALL {
            for multi in [false, true] {
                let spec = AttributeSpec::new("a", t).multiselect(multi).allowed_targets(&TARGETS[..1]);
                let _ = parse_write(&spec, &v);
            }
        }
    }

    #[test]
    fn valid_values_round_trip_through_their_write_form((spec, value) in arb_valid()) {
        let written = value.to_write_json();
        prop_assert_eq!(parse_write(&spec, &written), Ok(WriteValue::One(value.clone())), "{}", written);
        let multi = spec.multiselect(true);
        prop_assert_eq!(parse_write(&multi, &json!([written])), Ok(WriteValue::Many(vec![value.clone()])));
        prop_assert_eq!(value.attribute_type(), spec.attribute_type);
    }

    #[test]
    fn invalid_values_get_an_error_naming_slug_and_type((t, v) in arb_invalid(), multi in any::<bool>()) {
        let spec = AttributeSpec::new("my_slug", t).multiselect(multi).allowed_targets(&TARGETS[..1]);
        let err = parse_write(&spec, &v);
        prop_assert!(err.is_err(), "{} accepted {}", t, v);
        let text = err.err().map(|e| e.to_string()).unwrap_or_default();
        let expected_head = format!("attribute \"my_slug\" ({t})");
        prop_assert!(text.starts_with(&expected_head), "{}", text);
    }
}
