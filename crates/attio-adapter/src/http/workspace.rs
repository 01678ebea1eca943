//! Reading what the pre-send check needs of the workspace (attribute lists, select options,
//! statuses, members), cached like the attribute lists, and checking assertions with it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::wire::Route;
use domain::value::AttributeType;
use domain::{Assertion, GatewayError};
use tokio::time::Instant;

use super::choices::{choices_from_reply, members_from_reply, Choice, Member};
use super::gateway::HttpAttioGateway;
use super::validate::{named_lookups, needs_object_slugs, objects_in, validate_assertion, Choices, Workspace};

/// Cached options or statuses by (object, attribute).
pub(super) type ChoiceCache = HashMap<(String, String), (Instant, Arc<Vec<Choice>>)>;
/// Cached workspace members.
pub(super) type MemberCache = Option<(Instant, Arc<Vec<Member>>)>;

/// Whether a read failed because the object (or attribute) does not exist or is not
/// active: such an answer will not change by retrying.
fn is_not_found(e: &GatewayError) -> bool {
    matches!(e, GatewayError::Status { status: 404, .. })
}

impl HttpAttioGateway {
    /// The options or statuses of a select or status attribute, `None` when they cannot be
    /// read (then values are not checked against them).
    async fn choices(&self, object: &str, attribute: &str, t: AttributeType) -> Option<Arc<Vec<Choice>>> {
        let key = (object.to_owned(), attribute.to_owned());
        if let Some((at, c)) = self.inner.choices.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            if at.elapsed() < self.inner.schema_ttl {
                return Some(c.clone());
            }
        }
        let (kind, route) = if t == AttributeType::Status {
            ("statuses", Route::ListStatuses(object.to_owned(), attribute.to_owned()))
        } else {
            ("options", Route::ListOptions(object.to_owned(), attribute.to_owned()))
        };
        let path = route.path();
        match self.get_json(&path).await {
            Ok(reply) => {
                let c = Arc::new(choices_from_reply(&reply));
                self.inner
                    .choices
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, (Instant::now(), c.clone()));
                Some(c)
            }
            Err(e) => {
                tracing::debug!(object, attribute, error = %e, "could not read the {kind}; values are not checked against them");
                None
            }
        }
    }

    /// The workspace's members, `None` when they cannot be read (the token may lack
    /// `user_management:read`).
    async fn members(&self) -> Option<Arc<Vec<Member>>> {
        if let Some((at, m)) = &*self.inner.members.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < self.inner.schema_ttl {
                return Some(m.clone());
            }
        }
        match self.get_json(&Route::ListMembers.path()).await {
            Ok(reply) => {
                let m = Arc::new(members_from_reply(&reply));
                *self.inner.members.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), m.clone()));
                Some(m)
            }
            Err(e) => {
                tracing::debug!(error = %e, "could not read the workspace members; actor references are not checked");
                None
            }
        }
    }

    /// Forgets everything cached about the workspace, so that the next check reads it again
    /// (after Attio refused something the cache said was there).
    pub fn forget_schema(&self) {
        self.inner.schemas.clear();
        self.inner.choices.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.inner.members.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.inner.objects_by_id.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Checks each assertion against the workspace (see [`super::validate`]): one result per
    /// assertion. An object Attio does not find refuses the assertions that write to it; any
    /// other failure to read the workspace is returned for every assertion (it may be
    /// retryable).
    pub async fn check_each(&self, assertions: &[Assertion<'_>]) -> Vec<Result<(), GatewayError>> {
        let all = |e: GatewayError| assertions.iter().map(|_| Err(e.clone())).collect();
        let reading = self.inner.workspace_reads.lock().await;
        let mut objects = Vec::new();
        for a in assertions {
            objects_in(a, &mut objects);
        }
        let mut schemas = HashMap::with_capacity(objects.len());
        let mut missing: HashMap<&str, GatewayError> = HashMap::new();
        for object in objects {
            match self.schema(object).await {
                Ok(s) => {
                    schemas.insert(object.as_str().to_owned(), s);
                }
                Err(e) if is_not_found(&e) => {
                    missing.insert(
                        object.as_str(),
                        GatewayError::Rejected(format!(
                            "refused before sending to Attio: object {:?} does not exist or is not activated in this workspace ({e})",
                            object.as_str()
                        )),
                    );
                }
                Err(e) => return all(e),
            }
        }
        let mut lookups = Vec::new();
        let mut actors = false;
        for a in assertions {
            actors |= named_lookups(a, &schemas, &mut lookups);
        }
        let mut choices = Choices::new();
        for (object, attribute, t) in lookups {
            if let Some(c) = self.choices(&object, &attribute, t).await {
                choices.insert((object, attribute), c);
            }
        }
        let members = if actors { self.members().await } else { None };
        let object_slugs = if assertions.iter().any(|a| needs_object_slugs(a, &schemas)) {
            match self.object_slugs_by_id().await {
                Ok(m) => Some(m),
                Err(e) => return all(e),
            }
        } else {
            None
        };
        drop(reading);
        let ws = Workspace {
            schemas: &schemas,
            object_slugs: object_slugs.as_deref(),
            choices: Some(&choices),
            members: members.as_deref().map(Vec::as_slice),
        };
        assertions
            .iter()
            .map(|a| {
                let mut objects = Vec::new();
                objects_in(a, &mut objects);
                if let Some(e) = objects.iter().find_map(|o| missing.get(o.as_str())) {
                    return Err(e.clone());
                }
                validate_assertion(a, ws)
            })
            .collect()
    }
}
