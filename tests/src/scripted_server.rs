//! The scripted Attio stand-in as a real HTTP server on loopback: it records every
//! request (method, URL, JSON body, authorization header) and answers from the current
//! script, then like the reference oracle's default mock.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::scripted_attio::{default_reply, RecordedRequest, Reply};

#[derive(Default)]
struct State {
    script: Vec<Reply>,
    log: Vec<Received>,
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub request: RecordedRequest,
    /// The `authorization` header, if any.
    pub authorization: Option<String>,
    /// Why the body could not be read as JSON (it is then recorded as `null`).
    pub body_error: Option<String>,
}

/// A running scripted server. Cases run one after the other: `reset` installs the next
/// case's script and clears the log.
#[derive(Clone)]
pub struct ScriptedServer {
    addr: SocketAddr,
    /// The base URL recorded requests are reported under (the reference's).
    report_base: String,
    state: Arc<Mutex<State>>,
}

impl ScriptedServer {
    pub async fn start(report_base: &str) -> std::io::Result<ScriptedServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = ScriptedServer {
            addr,
            report_base: report_base.to_owned(),
            state: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(s.answer(req).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        Ok(server)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn reset(&self, script: Vec<Reply>) {
        if let Ok(mut st) = self.state.lock() {
            st.script = script;
            st.log.clear();
        }
    }

    /// Requests received since the last reset.
    pub fn requests(&self) -> Vec<Received> {
        self.state.lock().map(|s| s.log.clone()).unwrap_or_default()
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().as_str().to_owned();
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let (body, body_error) = if body.is_empty() {
            (Value::Null, None)
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => (v, None),
                Err(e) => (
                    Value::Null,
                    Some(format!("{e} in {:?}", String::from_utf8_lossy(&body))),
                ),
            }
        };
        let path = path_and_query.split('?').next().unwrap_or("").to_owned();
        let reply = match self.state.lock() {
            Ok(mut st) => {
                let i = st.log.len();
                st.log.push(Received {
                    request: RecordedRequest {
                        method: method.clone(),
                        url: format!("{}{}", self.report_base, path_and_query),
                        body,
                    },
                    authorization: auth,
                    body_error,
                });
                st.script
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| default_reply(&method, &path))
            }
            Err(_) => default_reply(&method, &path),
        };
        let mut resp = Response::builder()
            .status(reply.status)
            .header("content-type", "application/json");
        for (k, v) in &reply.headers {
            resp = resp.header(k.as_str(), v.as_str());
        }
        let text = if reply.body.is_null() {
            String::new()
        } else {
            reply.body.to_string()
        };
        resp.body(Full::new(Bytes::from(text)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}
