//! A faithful Attio simulator: a real HTTP server holding records in memory.
