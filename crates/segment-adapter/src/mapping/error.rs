//! Errors of mapping-kit: problems found when a mapping is loaded, and failures while a
//! mapping is resolved against an event.

use std::fmt;

/// One problem in a mapping, located by the JSON path of the offending value
/// (`/user_attributes/x`, or `/` for the mapping itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub problem: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.at, self.problem)
    }
}

/// Why a mapping could not be loaded or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The mapping is invalid; every problem found is listed.
    #[error("{}", join(.0))]
    Invalid(Vec<Problem>),
    /// A directive failed while resolving an event.
    #[error("{at} {problem}")]
    Runtime { at: String, problem: String },
    /// Mappings resolve against objects only (an event, or the payload of `@transform`).
    #[error("{at} data must be an object, got {got}")]
    NotAnObject { at: String, got: &'static str },
}

impl MappingError {
    pub(crate) fn runtime(at: &str, problem: impl Into<String>) -> Self {
        MappingError::Runtime {
            at: at.to_owned(),
            problem: problem.into(),
        }
    }

    /// The problems of an invalid mapping (empty for resolution errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            MappingError::Invalid(p) => p,
            _ => &[],
        }
    }
}

fn join(problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&p.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_mapping_lists_every_problem_with_its_path() {
        let e = MappingError::Invalid(vec![
            Problem {
                at: "/a".into(),
                problem: "has an invalid directive: @foo".into(),
            },
            Problem {
                at: "/b/@path".into(),
                problem: "should be a string or a mapping directive but it is a number".into(),
            },
        ]);
        assert_eq!(
            e.to_string(),
            "/a has an invalid directive: @foo; /b/@path should be a string or a mapping directive but it is a number"
        );
        assert_eq!(e.problems().len(), 2);
    }
}
