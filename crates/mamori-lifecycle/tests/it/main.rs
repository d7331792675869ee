//! Support ends and updates found from device rows as the agent and facilities write them, the status
//! on a given day, and the services baseline.

mod lifecycle;
mod never_panic;
