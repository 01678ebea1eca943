//! The labels of the transport's metrics, without an allocation per request.

use std::borrow::Cow;

use http::Method;

use crate::wire::Route;

/// The `status` label of a reply: the common codes without an allocation per request.
pub(super) fn status_label(status: u16) -> Cow<'static, str> {
    Cow::Borrowed(match status {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        other => return Cow::Owned(other.to_string()),
    })
}

/// A low-cardinality name of the endpoint a request went to, for metrics.
pub(super) fn endpoint_label(method: &Method, path_and_query: &str) -> &'static str {
    let path = path_and_query.split('?').next().unwrap_or("");
    Route::parse(method.as_str(), path).metrics_label()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_label_is_the_code_as_text() {
        for code in 100..600u16 {
            assert_eq!(status_label(code), code.to_string());
        }
    }
}
