use std::fmt;

/// The six calls of the Segment Spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Identify,
        EventType::Track,
        EventType::Page,
        EventType::Screen,
        EventType::Group,
        EventType::Alias,
    ];

    /// The `type` value as the Spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Identify => "identify",
            EventType::Track => "track",
            EventType::Page => "page",
            EventType::Screen => "screen",
            EventType::Group => "group",
            EventType::Alias => "alias",
        }
    }

    /// The one-letter path analytics.js posts to (`/v1/t` for track).
    pub fn short_path(self) -> &'static str {
        match self {
            EventType::Identify => "i",
            EventType::Track => "t",
            EventType::Page => "p",
            EventType::Screen => "s",
            EventType::Group => "g",
            EventType::Alias => "a",
        }
    }

    /// Parses a `type` value. Case-sensitive, as Segment's API is.
    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn type_names_are_case_sensitive() {
        assert_eq!(EventType::parse("Track"), None);
        assert_eq!(EventType::parse("TRACK"), None);
        assert_eq!(EventType::parse(""), None);
    }

    #[test]
    fn short_paths_are_the_first_letter_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for t in EventType::ALL {
            assert!(t.as_str().starts_with(t.short_path()));
            assert!(seen.insert(t.short_path()));
        }
    }
}
