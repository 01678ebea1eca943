pub mod cpu_time;
pub mod workload;
