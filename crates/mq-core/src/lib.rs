//! mq-core drives an IBM MQ installation: queue-manager names, the installation's files, running
//! its control commands as the mq user with a deadline, reading their replies, the MQI, and the
//! queue manager's process family in /proc. It knows nothing of OCF or Pacemaker.
