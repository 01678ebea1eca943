//! Attio's wire format, in one place: the endpoint catalogue ([`route`]) that the
//! transport renders paths from and the simulator routes with, how the actions' commands
//! and follow-ups go on the wire ([`command`], [`requests`]), path encoding ([`path`]),
//! what is read of a record reply ([`reply`]), and Attio's error body with what its codes
//! mean ([`error`]).

pub mod command;
pub mod error;
pub mod path;
pub mod reply;
pub mod requests;
pub mod route;

pub use command::{
    batch_assert_body, documented_assert_path, simple_assert_body, simple_assert_path, CommandWire, Method,
};
pub use error::{is_missing_reference, parse_error_body, ErrorBody};
pub use path::{encode_path_segment, ATTIO_BASE_URL};
pub use reply::{record_id_of_reply, record_reply_body};
pub use requests::WireRequest;
pub use route::Route;
