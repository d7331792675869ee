//! The collectors on fixtures: Linux's system files (and this machine against its own tools), Windows'
//! registry exports and PowerShell output.

mod linux;
mod windows;
