//! The simulated installation's MQI: a C library with IBM's ABI, loaded by applications as
//! libmqm_r.so / libmqic_r.so. Never packaged.
