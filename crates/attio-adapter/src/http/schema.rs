//! The attribute lists of objects, fetched once and kept for a while.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::ports::AttributeDefinition;
use domain::GatewayError;
use tokio::time::Instant;

/// The attributes of one object as `GET /v2/objects/{object}/attributes` listed them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectSchema {
    pub object: String,
    pub attributes: Vec<AttributeDefinition>,
    /// Slugs of listed attributes whose definition could not be read (for example a type
    /// this build does not know). They are let through unchecked.
    pub unreadable: Vec<String>,
}

impl ObjectSchema {
    pub fn get(&self, slug: &str) -> Option<&AttributeDefinition> {
        self.attributes.iter().find(|a| a.api_slug == slug)
    }

    pub fn is_unreadable(&self, slug: &str) -> bool {
        self.unreadable.iter().any(|s| s == slug)
    }

    /// Reads a `{"data":[Attribute]}` reply, keeping what can be read.
    pub fn from_reply(object: &str, reply: &serde_json::Value) -> Result<Self, GatewayError> {
        let list = reply
            .get("data")
            .and_then(|d| d.as_array())
            .ok_or_else(|| GatewayError::InvalidReply(format!("attributes of {object:?}: no \"data\" array")))?;
        let mut schema = ObjectSchema {
            object: object.to_owned(),
            ..Default::default()
        };
        for item in list {
            match serde_json::from_value::<AttributeDefinition>(item.clone()) {
                Ok(def) => schema.attributes.push(def),
                Err(e) => {
                    let slug = item.get("api_slug").and_then(|s| s.as_str()).unwrap_or("");
                    tracing::warn!(object, attribute = slug, error = %e, "attribute definition not understood; its values are not checked");
                    if !slug.is_empty() {
                        schema.unreadable.push(slug.to_owned());
                    }
                }
            }
        }
        Ok(schema)
    }
}

/// Object schemas by object slug, each valid for `ttl` after it was fetched.
#[derive(Debug)]
pub struct SchemaCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Arc<ObjectSchema>)>>,
}

impl SchemaCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<ObjectSchema>)>> {
        // Every update is one insert; a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached schema of `object`, or the result of `fetch` (which is then cached).
    /// Two callers missing at once may both fetch; the later result wins.
    pub async fn get_or_fetch<F, Fut>(&self, object: &str, fetch: F) -> Result<Arc<ObjectSchema>, GatewayError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<ObjectSchema, GatewayError>>,
    {
        if let Some((at, schema)) = self.lock().get(object) {
            if at.elapsed() < self.ttl {
                return Ok(schema.clone());
            }
        }
        let schema = Arc::new(fetch().await?);
        self.lock().insert(object.to_owned(), (Instant::now(), schema.clone()));
        Ok(schema)
    }

    /// Forgets every cached schema.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_schema_is_fetched_again_only_after_its_ttl() {
        let cache = SchemaCache::new(Duration::from_secs(60));
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(ObjectSchema::default())
        };
        cache.get_or_fetch("people", fetch).await.unwrap();
        cache.get_or_fetch("people", fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        cache.get_or_fetch("people", fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn unknown_attribute_types_are_kept_as_unreadable() {
        let reply = serde_json::json!({"data":[
            {"api_slug":"name","type":"text"},
            {"api_slug":"mood","type":"hologram"}
        ]});
        let s = ObjectSchema::from_reply("people", &reply).unwrap();
        assert!(s.get("name").is_some());
        assert!(s.is_unreadable("mood"));
    }
}
