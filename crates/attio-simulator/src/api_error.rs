//! The errors the simulator answers, in Attio's error body
//! ([`ErrorBody`], shared with the transport that reads it back).

use attio_adapter::wire::error::{code, kind, ErrorBody};

/// An error answered the way Attio answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub error_type: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(status: u16, error_type: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error_type,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(status, kind::INVALID_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, kind::AUTH, code::UNAUTHORIZED, message)
    }

    pub fn rate_limited() -> Self {
        Self::new(
            429,
            kind::RATE_LIMIT,
            code::RATE_LIMIT_EXCEEDED,
            "Rate limit exceeded, please try again later",
        )
    }

    pub fn server_error(status: u16) -> Self {
        Self::new(
            status,
            kind::INTERNAL,
            code::INTERNAL_SERVER_ERROR,
            "An internal error occurred.",
        )
    }

    pub fn object_not_found(object: &str) -> Self {
        Self::invalid(
            404,
            code::NOT_FOUND,
            format!("Object with slug/ID \"{object}\" not found."),
        )
    }

    pub fn attribute_not_found(attribute: &str) -> Self {
        Self::invalid(
            404,
            code::NOT_FOUND,
            format!("Attribute with slug/ID \"{attribute}\" not found."),
        )
    }

    pub fn record_not_found(record: &str) -> Self {
        Self::invalid(404, code::NOT_FOUND, format!("Record with ID \"{record}\" not found."))
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::invalid(404, code::NOT_FOUND, format!("No route for {method} {path}."))
    }

    /// The `validation_type` error Attio gives for a value of the wrong shape.
    pub fn invalid_value(slug: &str) -> Self {
        Self::invalid(
            400,
            code::VALIDATION_TYPE,
            format!("An invalid value was passed to attribute with slug \"{slug}\"."),
        )
    }

    /// Like [`ApiError::invalid_value`], with the reason appended.
    pub fn invalid_value_because(slug: &str, reason: &str) -> Self {
        Self::invalid(
            400,
            code::VALIDATION_TYPE,
            format!("An invalid value was passed to attribute with slug \"{slug}\": {reason}"),
        )
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::invalid(400, code::VALIDATION_TYPE, message)
    }

    pub fn value_not_found(message: impl Into<String>) -> Self {
        Self::invalid(400, code::VALUE_NOT_FOUND, message)
    }

    pub fn missing_value(message: impl Into<String>) -> Self {
        Self::invalid(400, code::MISSING_VALUE, message)
    }

    pub fn body(&self) -> serde_json::Value {
        ErrorBody {
            status_code: self.status,
            kind: self.error_type,
            code: self.code,
            message: &self.message,
        }
        .to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_has_attios_four_fields() {
        let e = ApiError::object_not_found("people");
        assert_eq!(
            e.body(),
            json!({"status_code":404,"type":"invalid_request_error","code":"not_found",
                   "message":"Object with slug/ID \"people\" not found."})
        );
    }

    #[test]
    fn the_transport_reads_back_what_the_simulator_answers() {
        let e = ApiError::value_not_found("Record with ID \"x\" not found.");
        let detail = attio_adapter::wire::parse_error_body(e.body().to_string().as_bytes()).expect("Attio's shape");
        assert_eq!(detail.code.as_deref(), Some(code::VALUE_NOT_FOUND));
        assert_eq!(detail.status_code, Some(400));
        assert_eq!(detail.message.as_deref(), Some(e.message.as_str()));
    }

    #[test]
    fn rate_limit_body_is_exact() {
        let e = ApiError::rate_limited();
        assert_eq!(e.body()["type"], "rate_limit_error");
        assert_eq!(e.body()["code"], "rate_limit_exceeded");
        assert_eq!(e.status, 429);
    }
}
