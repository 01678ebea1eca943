//! Shared helpers of the acceptance suites.
