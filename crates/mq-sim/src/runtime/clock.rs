//! Dates and times as MQ prints them (STARTDA 2025-04-27, STARTTI 03.38.01, error-log stamps),
//! in UTC: the simulator has no time-zone database and the test machines run UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// (year, month, day, hour, minute, second) of a UNIX time.
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32)
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// ("YYYY-MM-DD", "HH.MM.SS") as DISPLAY QMSTATUS shows STARTDA / STARTTI.
pub fn mq_date_time(secs: u64) -> (String, String) {
    let (y, mo, d, h, mi, s) = civil(secs);
    (format!("{y:04}-{mo:02}-{d:02}"), format!("{h:02}.{mi:02}.{s:02}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(super::mq_date_time(1_745_725_081), ("2025-04-27".into(), "03.38.01".into()));
    }
}
