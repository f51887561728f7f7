//! The reply lines of MQSC commands, each id and text written once so a wording is fixed in one
//! place. Ids carry the 9.x severity letter; named by number as `crate::messages` names its texts.

/// First line of a syntax error; the command segment up to the error follows it.
pub const AMQ8405: &str = "AMQ8405I: Syntax error detected at or near end of command segment below:-";

/// The one reply that names its object, so a function rather than a constant.
pub fn amq8147(name: &str) -> String {
    format!("AMQ8147E: IBM MQ object {name} not found.")
}

pub const AMQ8150: &str = "AMQ8150E: IBM MQ object already exists.";
pub const AMQ8148: &str = "AMQ8148E: IBM MQ object in use.";

// Queue manager and security.
pub const AMQ8415: &str = "AMQ8415I: Ping IBM MQ Queue Manager command complete.";
pub const AMQ8408: &str = "AMQ8408I: Display Queue Manager details.";
pub const AMQ8005: &str = "AMQ8005I: IBM MQ queue manager changed.";
pub const AMQ8705: &str = "AMQ8705I: Display Queue Manager Status Details.";
pub const AMQ8560: &str = "AMQ8560I: IBM MQ security cache refreshed.";
/// SET AUTHREC's reply (the id and wording are UNCONFIRMED: docs/reference/mqi.md#oam-group-grants).
pub const AMQ8862: &str = "AMQ8862I: IBM MQ authority record set.";

// Queues.
pub const AMQ8006: &str = "AMQ8006I: IBM MQ queue created.";
pub const AMQ8008: &str = "AMQ8008I: IBM MQ queue changed.";
pub const AMQ8409: &str = "AMQ8409I: Display Queue details.";
pub const AMQ8143: &str = "AMQ8143E: IBM MQ queue not empty.";
pub const AMQ8022: &str = "AMQ8022I: IBM MQ queue cleared.";
pub const AMQ8450: &str = "AMQ8450I: Display queue status details.";

// Channels.
pub const AMQ8014: &str = "AMQ8014I: IBM MQ channel created.";
pub const AMQ8016: &str = "AMQ8016I: IBM MQ channel changed.";
pub const AMQ8414: &str = "AMQ8414I: Display Channel details.";
pub const AMQ8417: &str = "AMQ8417I: Display Channel Status details.";
pub const AMQ8420: &str = "AMQ8420I: Channel Status not found.";

// Listeners.
pub const AMQ8626: &str = "AMQ8626I: IBM MQ listener created.";
// UNCONFIRMED text.
pub const AMQ8627: &str = "AMQ8627I: IBM MQ listener changed.";
pub const AMQ8630: &str = "AMQ8630I: Display listener information details.";
pub const AMQ8631: &str = "AMQ8631I: Display listener status details.";
pub const AMQ8021: &str = "AMQ8021I: Request to start IBM MQ listener accepted.";
// UNCONFIRMED text.
pub const AMQ8730: &str = "AMQ8730E: Listener not active.";
// UNCONFIRMED text (reference lists only the START reply).
pub const AMQ8706: &str = "AMQ8706I: Request to stop IBM MQ Listener accepted.";

// Authentication information.
// UNCONFIRMED text (not in docs/reference/mq-commands.md#mqsc-replies).
pub const AMQ8563: &str = "AMQ8563I: IBM MQ authentication information object created.";
pub const AMQ8567: &str = "AMQ8567I: IBM MQ authentication information changed.";
// UNCONFIRMED text.
pub const AMQ8566: &str = "AMQ8566I: Display authentication information details.";

// UNCONFIRMED texts (not in docs/reference/mq-commands.md#mqsc-replies); MQ 9.x wording.
pub const AMQ8007: &str = "AMQ8007I: IBM MQ queue deleted.";
pub const AMQ8015: &str = "AMQ8015I: IBM MQ channel deleted.";
pub const AMQ8628: &str = "AMQ8628I: IBM MQ listener deleted.";
pub const AMQ8564: &str = "AMQ8564I: IBM MQ authentication information object deleted.";

// Channel authentication records.
// Reply id UNCONFIRMED (not in docs/reference/mq-commands.md#mqsc-replies).
pub const AMQ8878: &str = "AMQ8878I: Display channel authentication record details.";
pub const AMQ8877: &str = "AMQ8877I: IBM MQ channel authentication record set.";

// runmqsc itself, when the queue manager refuses its connection (MQRC 2035); its other
// connection replies (AMQ8146E, AMQ8118E) are the control commands' texts in crate::messages.
pub const AMQ8135: &str = "AMQ8135E: Not authorized.";
