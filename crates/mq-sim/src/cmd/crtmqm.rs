//! crtmqm: creates a queue manager: data directory (Prefix/qmgrs/<dir> or -md), recovery log
//! directory (-ld), qm.ini, the engine's default objects, and its QueueManager stanza in mqs.ini.
//! Output and codes per docs/reference/mq-commands.md#crtmqm (8 = already exists).

use super::target;
use crate::authority;
use crate::engine::{self, CreateOptions};
use crate::ini::{IniFile, Stanza};
use crate::messages::{self, version_at_least};
use crate::nha;
use crate::paths::{qm_dir_name, validate_qm_name, QmPaths};
use crate::runtime::controller;
use crate::status::QmState;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

const USAGE: &str = "crtmqm [-z] [-q] [-c Text] [-d DefXmitQ] [-h MaxHandles] [-lc | -ll | -lla | -lln | -lr InstanceName] [-lf LogFilePages] [-lp LogPrimaryFiles] [-ls LogSecondaryFiles] [-ld LogPath] [-md DataPath] [-u DeadQ] [-p Port] [-ic File] [-ii File] [-oa user|group] QMgrName";

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("crtmqm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut opts = CreateOptions::default();
    let (mut make_default, mut log_linear) = (false, false);
    // Every log-type option given, in order (-lc, -ll, -lla, -lln, -lr): IBM says "specify one only".
    let mut log_types: Vec<String> = Vec::new();
    let mut log_management: Option<&str> = None;
    let mut replicated: Option<String> = None;
    let mut port: Option<String> = None;
    let (mut ld, mut md): (Option<PathBuf>, Option<PathBuf>) = (None, None);
    let (mut lf, mut lp, mut ls) = ("4096".to_string(), "3".to_string(), "2".to_string());
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut val = |flag: &str| -> Result<String, i32> {
            it.next().ok_or_else(|| {
                eprintln!("crtmqm: flag {flag} needs a value");
                messages::usage(USAGE)
            })
        };
        let r: Result<(), i32> = (|| {
            match a.as_str() {
                "-q" => make_default = true,
                "-z" => {}
                "-lc" => {
                    log_types.push(a.clone());
                    log_linear = false
                }
                "-ll" => {
                    log_types.push(a.clone());
                    log_linear = true
                }
                // Linear logging with automatic / manual log management (9.0.2+).
                "-lla" | "-lln" => {
                    log_types.push(a.clone());
                    log_linear = true;
                    log_management = Some(if a == "-lla" { "Automatic" } else { "Manual" });
                }
                // Replicated logging: a Native HA instance (docs/reference/native-ha.md#crtmqm-lr).
                "-lr" => {
                    log_types.push(a.clone());
                    replicated = Some(val("-lr")?);
                }
                "-p" => port = Some(val("-p")?),
                "-c" => opts.description = Some(val("-c")?),
                "-d" => opts.default_xmit_q = Some(val("-d")?),
                "-u" => opts.dead_letter_q = Some(val("-u")?),
                "-h" => {
                    let v = val("-h")?;
                    opts.max_handles = Some(v.parse().map_err(|_| {
                        eprintln!("crtmqm: -h value '{v}' is not a number");
                        messages::usage(USAGE)
                    })?)
                }
                "-lf" => lf = val("-lf")?,
                "-lp" => lp = val("-lp")?,
                "-ls" => ls = val("-ls")?,
                "-ld" => ld = Some(PathBuf::from(val("-ld")?)),
                "-md" => md = Some(PathBuf::from(val("-md")?)),
                // Accepted as MQ does; their effects (listener on -p, MQSC/ini files, OAM model) are not simulated.
                "-ic" | "-ii" | "-oa" | "-t" | "-x" | "-g" => {
                    val(&a)?;
                }
                s if s.starts_with('-') => {
                    eprintln!("crtmqm: unknown flag '{s}'");
                    return Err(messages::usage(USAGE));
                }
                _ if name.is_none() => name = Some(a.clone()),
                _ => {
                    eprintln!("crtmqm: unexpected argument '{a}'");
                    return Err(messages::usage(USAGE));
                }
            }
            Ok(())
        })();
        if let Err(rc) = r {
            return rc;
        }
    }
    let Some(name) = name else { return messages::usage(USAGE) };
    if let Some(instance) = &replicated {
        // rc 39 (invalid parameter) for every -lr refusal: UNCONFIRMED, crtmqm's codes beyond 8 are
        // not documented (docs/reference/native-ha.md#crtmqm-lr).
        if log_types.len() > 1 {
            eprintln!("crtmqm: specify only one of -lc, -ll, -lla, -lln, -lr (given: {})", log_types.join(" "));
            messages::usage(USAGE);
            return 39;
        }
        if !nha::supported(&inst.version) {
            eprintln!("crtmqm: -lr (Native HA) is not available in IBM MQ {} (from 9.4.4)", inst.version);
            messages::usage(USAGE);
            return 39;
        }
        if nha::config::validate_instance_name(instance).is_err() {
            // Instance-name rules are UNCONFIRMED (docs/reference/native-ha.md#crtmqm-lr).
            eprintln!("crtmqm: -lr instance name '{instance}' is not valid (1-48 of A-Z a-z 0-9 . _ % -)");
            messages::usage(USAGE);
            return 39;
        }
        if let Some(p) = &port {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => opts.listener_port = Some(n),
                _ => {
                    eprintln!("crtmqm: -p value '{p}' is not a port number from 1 to 65535");
                    messages::usage(USAGE);
                    return 39;
                }
            }
        }
    }
    if validate_qm_name(&name).is_err() {
        crate::mqprintln!("{}", messages::AMQ7048);
        return 72;
    }
    let mut mqs = match inst.read_mqs_ini() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("crtmqm: {e}");
            return 71;
        }
    };
    if mqs.find("QueueManager", "Name", &name).is_some() {
        crate::mqprintln!("{}", messages::AMQ8110);
        return 8;
    }
    let dir = qm_dir_name(&name);
    let prefix = inst.data_root.clone();
    let data_dir = md.as_ref().map(|m| m.join(&dir)).unwrap_or_else(|| prefix.join("qmgrs").join(&dir));
    if data_dir.join("qm.ini").exists() {
        crate::mqprintln!("{}", messages::AMQ8110);
        return 8;
    }
    let log_parent = ld.clone().unwrap_or_else(|| prefix.join("log"));
    let log_dir = log_parent.join(&dir);
    let qm = QmPaths {
        name: name.clone(),
        dir_name: dir.clone(),
        prefix: prefix.clone(),
        data_dir: data_dir.clone(),
        data_path_explicit: md.is_some(),
        log_dir: log_dir.clone(),
        qm_ini: data_dir.join("qm.ini"),
        errors_dir: data_dir.join("errors"),
        installation: Some(inst.name.clone()),
    };
    // 2770 from 9.1 on, 2775 before (docs/reference/mq-processes-and-files.md#directory-permissions).
    let mode = if version_at_least(&inst.version, 9, 1) { 0o2770 } else { 0o2775 };
    for d in [&data_dir, &qm.errors_dir, &data_dir.join("@ipcc"), &log_dir, &log_dir.join("active")] {
        if let Err(e) =
            std::fs::create_dir_all(d).and_then(|_| std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode)))
        {
            eprintln!("crtmqm: cannot create {}: {e}", d.display());
            return 71;
        }
    }
    let qm_ini = IniFile {
        header: vec![
            "#*******************************************************************#".into(),
            format!("#* Module Name: qm.ini                                             *#"),
            format!("#* Type       : IBM MQ queue manager configuration file            *#"),
            "#*******************************************************************#".into(),
        ],
        stanzas: vec![
            Stanza::new("ExitPath")
                .with("ExitsDefaultPath", prefix.join("exits").display().to_string())
                .with("ExitsDefaultPath64", prefix.join("exits64").display().to_string()),
            Stanza::new("Log")
                .with("LogPrimaryFiles", lp)
                .with("LogSecondaryFiles", ls)
                .with("LogFilePages", lf)
                .with(
                    "LogType",
                    if replicated.is_some() {
                        nha::config::LOG_TYPE_REPLICATED
                    } else if log_linear {
                        "LINEAR"
                    } else {
                        "CIRCULAR"
                    },
                )
                .with("LogBufferPages", "0")
                .with("LogPath", format!("{}/", log_dir.display()))
                .with("LogWriteIntegrity", "TripleWrite"),
            Stanza::new("Service").with("Name", "AuthorizationService").with("EntryPoints", "14"),
            Stanza::new("ServiceComponent")
                .with("Service", "AuthorizationService")
                .with("Name", "MQSeries.UNIX.auth.service")
                .with("Module", "amqzfu")
                .with("ComponentDataSize", "0"),
            Stanza::new("Channels"),
            Stanza::new("TCP").with("SndBuffSize", "0").with("RcvBuffSize", "0"),
        ],
    };
    let mut qm_ini = qm_ini;
    if let Some(m) = log_management {
        if let Some(log) = qm_ini.first_mut("Log") {
            log.set("LogManagement", m);
        }
    }
    if let Some(instance) = &replicated {
        // The three NativeHAInstance stanzas are the administrator's to add (IBM: edit qm.ini on
        // each instance); strmqm refuses to start until they are there.
        qm_ini.stanzas.push(Stanza::new(nha::config::LOCAL_STANZA).with("Name", instance.clone()));
    }
    if let Err(e) = qm_ini.write(&qm.qm_ini) {
        eprintln!("crtmqm: cannot write {}: {e}", qm.qm_ini.display());
        return 71;
    }
    let report = match engine::create_qm_files(&inst, &qm, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("crtmqm: {e}");
            let _ = std::fs::remove_dir_all(&data_dir);
            return 71;
        }
    };
    controller::write_status(&inst, &qm, QmState::EndedImmediately, false, false);
    mqs.stanzas.push(qm.stanza(&inst));
    if make_default {
        mqs.stanzas.retain(|s| !s.key.eq_ignore_ascii_case("DefaultQueueManager"));
        mqs.stanzas.push(Stanza::new("DefaultQueueManager").with("Name", name.clone()));
    }
    if let Err(e) = mqs.write(&inst.mqs_ini()) {
        eprintln!("crtmqm: cannot write {}: {e}", inst.mqs_ini().display());
        return 71;
    }
    if nix::unistd::Uid::effective().is_root() {
        if let Ok(ids) = authority::mq_ids(&inst) {
            for p in [&data_dir, &log_dir, &inst.mqs_ini()] {
                let _ = authority::chown_tree(p, &ids);
            }
            // The parents crtmqm made for -md/-ld belong to the mq user too (as MQ requires them to).
            for p in [md.as_ref(), ld.as_ref()].into_iter().flatten() {
                let _ = std::os::unix::fs::chown(p, Some(ids.uid.as_raw()), Some(ids.gid.as_raw()));
            }
        }
    }
    let product = messages::product(&inst.version);
    if version_at_least(&inst.version, 9, 2) {
        crate::mqprintln!("{product} queue manager '{name}' created.");
    } else {
        crate::mqprintln!("{product} queue manager created.");
    }
    crate::mqprintln!("Directory '{}' created.", data_dir.display());
    crate::mqprintln!("The queue manager is associated with installation '{}'.", inst.name);
    crate::mqprintln!("Creating or replacing default objects for queue manager '{name}'.");
    crate::mqprintln!("Default objects statistics : {} created. 0 replaced. 0 failed.", report.objects_created);
    crate::mqprintln!("Completing setup.");
    crate::mqprintln!("Setup completed.");
    0
}
