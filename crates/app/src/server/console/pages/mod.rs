//! The console's pages (server-rendered from the same data as the JSON API), the login
//! form and the embedded assets.

mod config;
mod dead_letters;
mod events;
mod overview;
mod try_page;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::html::{esc, frame};
use super::Console;
use crate::server::access::{expired_cookie, same_origin, session_cookie, Verdict};

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The pages behind the guard.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/console", get(overview::page))
        .route("/console/", get(overview::page))
        .route("/console/events", get(events::list))
        .route("/console/events/{id}", get(events::trace))
        .route("/console/dead-letters", get(dead_letters::page))
        .route("/console/try", get(try_page::page))
        .route("/console/config", get(config::page))
        .route("/console/logout", post(logout))
        .with_state(console)
}

/// The login form and the assets, open to all.
pub fn open_router(console: Console) -> Router {
    Router::new()
        .route("/console/login", get(login_form).post(login))
        .route("/console/assets/{file}", get(asset))
        .with_state(console)
}

/// The answer to a page request that is not allowed.
pub fn refused(verdict: Verdict, token_configured: bool) -> Response {
    match verdict {
        Verdict::NotLoopback => frame(
            StatusCode::FORBIDDEN,
            "Loopback only",
            "<main id=\"main\"><h1>Loopback only</h1><p>No <code>server.admin_token</code> is configured, so the console answers only to clients on loopback. Set <code>server.admin_token</code> to use it from elsewhere.</p></main>",
        ),
        Verdict::CrossSite => frame(
            StatusCode::FORBIDDEN,
            "Refused",
            "<main id=\"main\"><h1>Refused</h1><p>A change made with the console's session must come from the console's own pages.</p></main>",
        ),
        _ => login_page(StatusCode::UNAUTHORIZED, token_configured, None),
    }
}

fn login_page(status: StatusCode, token_configured: bool, error: Option<&str>) -> Response {
    let body = if token_configured {
        let error = error
            .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
            .unwrap_or_default();
        format!(
            "<main id=\"main\" class=\"login\"><h1>segment-attio console</h1><p>Log in with the service's admin token (<code>server.admin_token</code>).</p>{error}<form method=\"post\" action=\"/console/login\"><label for=\"f-token\">Admin token</label><input id=\"f-token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">Log in</button></form></main>"
        )
    } else {
        "<main id=\"main\" class=\"login\"><h1>segment-attio console</h1><p>No <code>server.admin_token</code> is configured: the console needs no login and answers only on loopback.</p><p><a href=\"/console\">Open the console</a></p></main>".to_owned()
    };
    frame(status, "Log in", &body)
}

async fn login_form(State(c): State<Console>) -> Response {
    login_page(StatusCode::OK, c.0.access.token_configured(), None)
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(State(c): State<Console>, headers: HeaderMap, form: Result<Form<LoginForm>, FormRejection>) -> Response {
    let access = &c.0.access;
    if !same_origin(&headers) {
        return refused(Verdict::CrossSite, access.token_configured());
    }
    let Ok(Form(form)) = form else {
        return login_page(
            StatusCode::BAD_REQUEST,
            access.token_configured(),
            Some("Give the admin token."),
        );
    };
    match access.login(&form.token) {
        Some(session) => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/console")]).into_response();
            if let Ok(cookie) = HeaderValue::from_str(&session_cookie(&session)) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        None => login_page(
            StatusCode::UNAUTHORIZED,
            access.token_configured(),
            Some("That is not the admin token."),
        ),
    }
}

async fn logout(State(c): State<Console>, headers: HeaderMap) -> Response {
    c.0.access.logout(&headers);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/console/login")]).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&expired_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}
