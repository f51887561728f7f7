//! The running queue manager: the execution controller `amqzxma0` that hosts the engine, its child
//! processes with IBM's names, the node-local run directory, the multi-instance lock, and the
//! control channel endmqm uses. Everything here runs as the installation's mq user.
//! The types the engine sees (QmRuntime, ListenerSpec, ...) are the engine's, in crate::engine.

pub mod clock;
pub mod control;
pub mod controller;
pub mod family;
pub mod ipc;
pub mod lock;
pub mod procs;
