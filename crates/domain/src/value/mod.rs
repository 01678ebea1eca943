//! Attio's 17 attribute value types: a typed value model, parsing of the shorthand and
//! full write forms, and validation with an error per invalid value.
//!
//! [`parse_write`] reads what an assert writes to one attribute into a [`WriteValue`], given
//! what is known of the attribute ([`AttributeSpec`]); [`AttributeValue::to_write_json`] gives
//! the canonical object form back. Every validated value has a checked constructor
//! ([`Domain::parse`], [`PhoneNumber::parse`], [`PersonalName::parse`], …) and accessors.

mod actor_reference;
mod attribute_type;
mod attribute_value;
mod choice;
mod country;
mod currency;
mod domain;
mod email;
mod error;
mod json_form;
mod location;
mod location_text;
mod parse;
mod personal_name;
mod phone;
mod phone_plan;
mod record_reference;
mod scalar;
mod temporal;
mod uuid;

#[cfg(test)]
mod proptests;

pub use actor_reference::{ActorReference, ActorReferenceError};
pub use attribute_type::AttributeType;
pub use attribute_value::{AttributeSpec, AttributeValue, WriteValue};
pub use choice::{ChoiceError, OptionRef, StatusRef};
pub use country::{CountryCode, CountryCodeError};
pub use currency::{Currency, CurrencyCode, CurrencyError, CURRENCY_CODES, MAX_CURRENCY_DECIMALS};
pub use domain::{Domain, DomainError};
pub use email::{EmailAddress, EmailError};
pub use error::{ValueError, ValueProblem};
pub use location::{Location, LocationError, LocationParts, LOCATION_KEYS};
pub use parse::parse_write;
pub use personal_name::{PersonalName, PersonalNameError};
pub use phone::{PhoneError, PhoneNumber};
pub use record_reference::{MatchValue, RecordReference, RecordReferenceError};
pub use scalar::{check_text, NumberError, Rating, RatingError, TextError, MAX_TEXT_BYTES};
pub use temporal::{format_date, parse_date, TemporalError, Timestamp};
pub use uuid::{Uuid, UuidError};
