//! Attio's 17 attribute value types: a typed value model, parsing of the shorthand and
//! full write forms, and validation with an error per invalid value.

mod attribute_type;
mod email;

pub use attribute_type::AttributeType;
pub use email::{EmailAddress, EmailError};
