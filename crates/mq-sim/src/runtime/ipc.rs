//! The queue manager's System V IPC: one shared-memory segment and one semaphore set keyed from
//! the installation root and data directory. Every process of the QM (and every locally bound
//! application) attaches the segment, so "processes still connected to a previous instance" are
//! found as MQ finds them (docs/reference/mq-processes-and-files.md#leftover-processes):
//! by who still maps it. amqiclen removes what nobody uses.

use crate::paths::{Installation, QmPaths};

pub fn key(inst: &Installation, qm: &QmPaths) -> libc::key_t {
    // The node takes part: nodes in separate PID namespaces on one kernel share SysV IPC, and one
    // node's queue-manager processes must never count as attached to another node's instance.
    let h = inst.qm_hash(qm) ^ crate::paths::fnv1a64(inst.node.as_bytes()).rotate_left(17);
    // Never IPC_PRIVATE (0), and keep it positive for readable ipcs output.
    (((h >> 32) ^ h) as u32 & 0x7fff_fff0 | 0x0400_0000) as libc::key_t
}

fn shm_id(k: libc::key_t) -> Option<i32> {
    let id = unsafe { libc::shmget(k, 0, 0) };
    (id >= 0).then_some(id)
}

fn sem_id(k: libc::key_t) -> Option<i32> {
    let id = unsafe { libc::semget(k, 0, 0) };
    (id >= 0).then_some(id)
}

pub fn exists(inst: &Installation, qm: &QmPaths) -> bool {
    let k = key(inst, qm);
    shm_id(k).is_some() || sem_id(k).is_some()
}

/// Number of processes attached to the segment (None when there is no segment).
pub fn attach_count(inst: &Installation, qm: &QmPaths) -> Option<u64> {
    let id = shm_id(key(inst, qm))?;
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    (unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } == 0).then_some(ds.shm_nattch as u64)
}

/// Creates the segment and semaphore set (owner: the caller, or `owner` when given, e.g. the mq user).
pub fn create(inst: &Installation, qm: &QmPaths, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    let k = key(inst, qm);
    let shm = unsafe { libc::shmget(k, 4096, libc::IPC_CREAT | 0o660) };
    if shm < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let sem = unsafe { libc::semget(k, 1, libc::IPC_CREAT | 0o660) };
    if sem < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if let Some((uid, gid)) = owner {
        unsafe {
            let mut ds: libc::shmid_ds = std::mem::zeroed();
            if libc::shmctl(shm, libc::IPC_STAT, &mut ds) == 0 {
                ds.shm_perm.uid = uid;
                ds.shm_perm.gid = gid;
                libc::shmctl(shm, libc::IPC_SET, &mut ds);
            }
            let mut sds: libc::semid_ds = std::mem::zeroed();
            if libc::semctl(sem, 0, libc::IPC_STAT, &mut sds as *mut libc::semid_ds) == 0 {
                sds.sem_perm.uid = uid;
                sds.sem_perm.gid = gid;
                libc::semctl(sem, 0, libc::IPC_SET, &mut sds as *mut libc::semid_ds);
            }
        }
    }
    Ok(())
}

static ATTACHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Attaches the segment for the life of this process (it shows in /proc/self/maps as /SYSV<key>).
pub fn attach(inst: &Installation, qm: &QmPaths) -> bool {
    let Some(id) = shm_id(key(inst, qm)) else { return false };
    let p = unsafe { libc::shmat(id, std::ptr::null(), 0) };
    if p as isize == -1 {
        return false;
    }
    ATTACHED.store(p as usize, std::sync::atomic::Ordering::SeqCst);
    super::procs::register_attached(inst, &format!("/SYSV{:08x}", key(inst, qm)));
    true
}

/// Detaches this process (the controller, before it removes the segment at a clean end).
pub fn detach() {
    let p = ATTACHED.swap(0, std::sync::atomic::Ordering::SeqCst);
    if p != 0 {
        unsafe { libc::shmdt(p as *const libc::c_void) };
    }
}

/// Removes segment and semaphores if nobody is attached; Err(n) when n processes still are.
pub fn remove_unused(inst: &Installation, qm: &QmPaths) -> Result<bool, u64> {
    let k = key(inst, qm);
    let mut removed = false;
    if let Some(id) = shm_id(k) {
        let n = attach_count(inst, qm).unwrap_or(0);
        if n > 0 {
            return Err(n);
        }
        unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        removed = true;
    }
    if let Some(id) = sem_id(k) {
        unsafe { libc::semctl(id, 0, libc::IPC_RMID) };
        removed = true;
    }
    Ok(removed)
}

/// Pids of processes mapping the segment (from /proc/PID/maps), as MQ lists them in AMQ8041.
pub fn attached_pids(inst: &Installation, qm: &QmPaths) -> Vec<i32> {
    let needle = format!("/SYSV{:08x}", key(inst, qm));
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        match std::fs::read_to_string(e.path().join("maps")) {
            Ok(maps) if maps.contains(&needle) => out.push(pid),
            // Not dumpable (a set-user-id program, or another user's application): its own
            // registration says what it attached (runtime/procs.rs).
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
                let Some(owner) = super::procs::euid(pid) else { continue };
                if super::procs::registered(inst, pid, owner).is_some_and(|r| r.attached.contains(&needle)) {
                    out.push(pid);
                }
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out
}
