//! The five standard objects and their standard attributes.

use super::build::{AttributeSpec as A, ObjectSpec};
use super::AttributeType as T;

fn rel(mut a: A, object: &str, attribute: &str) -> A {
    a.relationship = Some((object.to_owned(), attribute.to_owned()));
    a
}

fn socials() -> Vec<A> {
    ["angellist", "facebook", "instagram", "linkedin", "twitter"]
        .into_iter()
        .map(|s| A::new(s, T::Text))
        .collect()
}

pub fn standard_objects() -> Vec<ObjectSpec> {
    let mut people = vec![
        A::new("email_addresses", T::EmailAddress).unique().multi(),
        A::new("name", T::PersonalName),
        rel(A::reference("company", &["companies"]), "companies", "team"),
        A::new("description", T::Text),
        A::new("job_title", T::Text),
        A::new("phone_numbers", T::PhoneNumber).multi(),
        A::new("primary_location", T::Location),
    ];
    people.extend(socials());
    people.extend([
        A::new("avatar_url", T::Text).read_only(),
        A::new("twitter_follower_count", T::Number).read_only(),
        rel(
            A::reference("associated_deals", &["deals"]).multi(),
            "deals",
            "associated_people",
        ),
        rel(A::reference("associated_users", &["users"]).multi(), "users", "person"),
    ]);

    let mut companies = vec![
        A::new("domains", T::Domain).unique().multi(),
        A::new("name", T::Text),
        A::new("description", T::Text),
        rel(A::reference("team", &["people"]).multi(), "people", "company"),
        A::new("categories", T::Select).multi().options(&[
            "B2B",
            "B2C",
            "SAAS",
            "E-commerce",
            "Enterprise",
            "Marketplace",
        ]),
        A::new("primary_location", T::Location),
    ];
    companies.extend(socials());
    companies.extend([
        A::new("estimated_arr_usd", T::Select)
            .options(&["$0-$1M", "$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M+"])
            .read_only(),
        A::new("employee_range", T::Select)
            .options(&["1-10", "11-50", "51-250", "251-1K", "1K-5K", "5K+"])
            .read_only(),
        A::new("funding_raised_usd", T::Currency).currency("USD").read_only(),
        A::new("foundation_date", T::Date).read_only(),
        A::new("twitter_follower_count", T::Number).read_only(),
        rel(
            A::reference("associated_deals", &["deals"]).multi(),
            "deals",
            "associated_company",
        ),
        rel(
            A::reference("associated_workspaces", &["workspaces"]).multi(),
            "workspaces",
            "company",
        ),
    ]);

    let deals = vec![
        A::new("name", T::Text).required(),
        A::new("stage", T::Status)
            .required()
            .statuses(&["Lead", "In Progress", "Won 🎉", "Lost"]),
        A::new("owner", T::ActorReference).required(),
        A::new("value", T::Currency).currency("USD"),
        rel(
            A::reference("associated_people", &["people"]).multi(),
            "people",
            "associated_deals",
        ),
        rel(
            A::reference("associated_company", &["companies"]),
            "companies",
            "associated_deals",
        ),
    ];

    let users = vec![
        rel(A::reference("person", &["people"]), "people", "associated_users"),
        A::new("primary_email_address", T::EmailAddress).unique().required(),
        A::new("user_id", T::Text).unique().required(),
        rel(
            A::reference("workspace", &["workspaces"]).multi(),
            "workspaces",
            "users",
        ),
    ];

    let workspaces = vec![
        A::new("workspace_id", T::Text).unique().required(),
        A::new("name", T::Text),
        rel(A::reference("users", &["users"]).multi(), "users", "workspace"),
        rel(
            A::reference("company", &["companies"]),
            "companies",
            "associated_workspaces",
        ),
        A::new("avatar_url", T::Text),
    ];

    vec![
        ObjectSpec::new("people", "Person", "People", people),
        ObjectSpec::new("companies", "Company", "Companies", companies),
        ObjectSpec::new("deals", "Deal", "Deals", deals),
        ObjectSpec::new("users", "User", "Users", users),
        ObjectSpec::new("workspaces", "Workspace", "Workspaces", workspaces),
    ]
}
