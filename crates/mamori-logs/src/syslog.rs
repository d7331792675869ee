//! Linux auth.log / secure / syslog lines: RFC 3164 (「Jun 14 15:16:01 host prog[pid]: msg」, the year and
//! time zone supplied because the line has neither), RFC 5424 (「<34>1 2003-10-11T22:14:15.003Z host app
//! procid msgid - msg」) and RFC 3339-stamped lines (rsyslog's high-precision format); then what sshd, sudo
//! and su said.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::event::{Event, Kind, Origin};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub time: Option<DateTime<Utc>>,
    pub host: &'a str,
    /// The tag without its pid: 「sshd」, 「sshd(pam_unix)」, 「sudo」.
    pub program: &'a str,
    pub pid: Option<&'a str>,
    pub message: &'a str,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits 「prog[pid]: msg」 (or 「prog: msg」).
fn tag_and_message(rest: &str) -> Option<(&str, Option<&str>, &str)> {
    let (tag, msg) = match rest
        .split_once(": ")
        .or_else(|| rest.strip_suffix(':').map(|t| (t, "")))
    {
        Some((tag, msg)) if !tag.is_empty() && !tag.contains(' ') => (tag, msg),
        // 「syslogd 1.4.1: restart.」: the first word is the tag.
        _ => {
            let (tag, msg) = rest.split_once(' ')?;
            (tag.trim_end_matches(':'), msg)
        }
    };
    if tag.is_empty() {
        return None;
    }
    Some(
        match tag.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
            Some((prog, pid)) => (prog, Some(pid), msg),
            None => (tag, None, msg),
        },
    )
}

/// Reads one line. `year` and `zone` date RFC 3164 lines; RFC 5424 and RFC 3339 lines carry their own.
pub fn parse_line(line: &str, year: i32, zone: FixedOffset) -> Option<Line<'_>> {
    let line = line.trim_end_matches(['\r', '\n']);
    // A priority in front (「<34>」) is dropped.
    let body = match line.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((pri, rest))
            if !pri.is_empty() && pri.len() <= 3 && pri.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => line,
    };
    // RFC 5424: 「1 TIMESTAMP HOST APP PROCID MSGID SD MSG」.
    if let Some(rest) = body.strip_prefix("1 ") {
        let mut f = rest.splitn(6, ' ');
        let (ts, host, app, procid, _msgid, tail) = (
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
            f.next().unwrap_or(""),
        );
        let time = if ts == "-" {
            None
        } else {
            Some(DateTime::parse_from_rfc3339(ts).ok()?.to_utc())
        };
        // Structured data: 「-」 or one or more 「[…]」 elements, then the message.
        let message = if let Some(m) = tail.strip_prefix("- ") {
            m
        } else if tail == "-" {
            ""
        } else if tail.starts_with('[') {
            let mut depth = 0usize;
            let mut end = tail.len();
            let mut escaped = false;
            for (i, c) in tail.char_indices() {
                match c {
                    '\\' if !escaped => {
                        escaped = true;
                        continue;
                    }
                    '[' if !escaped => depth += 1,
                    ']' if !escaped => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 && !tail[i + 1..].starts_with('[') {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
                escaped = false;
            }
            tail[end..].trim_start()
        } else {
            tail
        };
        let message = message.strip_prefix('\u{feff}').unwrap_or(message);
        return Some(Line {
            time,
            host: if host == "-" { "" } else { host },
            program: if app == "-" { "" } else { app },
            pid: (procid != "-").then_some(procid),
            message,
        });
    }
    // RFC 3339 stamp: 「2024-01-15T10:00:00.123+09:00 host prog[pid]: msg」.
    if body.len() > 19 && body.as_bytes()[4] == b'-' && body.as_bytes()[10] == b'T' {
        let (ts, rest) = body.split_once(' ')?;
        let time = DateTime::parse_from_rfc3339(ts).ok()?.to_utc();
        let (host, rest) = rest.split_once(' ')?;
        let (program, pid, message) = tag_and_message(rest.trim_start())?;
        return Some(Line {
            time: Some(time),
            host,
            program,
            pid,
            message,
        });
    }
    // RFC 3164: 「Mmm dd hh:mm:ss host tag: msg」 (the day may be space-padded).
    let month = MONTHS.iter().position(|m| body.starts_with(m))? as u32 + 1;
    let rest = body.get(3..)?.trim_start();
    let (day, rest) = rest.split_once(' ')?;
    let (clock, rest) = rest.split_once(' ')?;
    let day: u32 = day.parse().ok()?;
    let mut hms = clock.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, m, s)?;
    let time = zone.from_local_datetime(&naive).single()?.to_utc();
    let (host, rest) = rest.split_once(' ')?;
    let (program, pid, message) = tag_and_message(rest.trim_start())?;
    Some(Line {
        time: Some(time),
        host,
        program,
        pid,
        message,
    })
}

/// The word after `marker` in `text`.
fn word_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let i = text.find(marker)? + marker.len();
    text[i..].split_whitespace().next()
}

/// What a line means for the detections (None: nothing they use).
pub fn event_of(line: &Line) -> Option<Event> {
    let msg = line.message;
    let e = |kind: Kind, account: &str, source: &str| {
        let mut ev = Event::new(kind);
        ev.origin = Origin::AuthLog;
        ev.time = line.time;
        ev.account = account.to_string();
        ev.source = source.to_string();
        Some(ev)
    };
    if line.program == "sshd" || line.program.starts_with("sshd-session") {
        if let Some(rest) = msg.strip_prefix("Accepted ") {
            let user = word_after(rest, " for ")?;
            return e(
                Kind::LogonSuccess,
                user,
                word_after(rest, " from ").unwrap_or(""),
            );
        }
        if let Some(rest) = msg.strip_prefix("Failed password for ") {
            let user = match rest.strip_prefix("invalid user ") {
                Some(r) => r.split_whitespace().next()?,
                None => rest.split_whitespace().next()?,
            };
            return e(
                Kind::LogonFailure,
                user,
                word_after(rest, " from ").unwrap_or(""),
            );
        }
        if let Some(rest) = msg.strip_prefix("Invalid user ") {
            // 「Invalid user  from 1.2.3.4」 has an empty name.
            let user = if rest.starts_with(" from ") || rest.starts_with("from ") {
                ""
            } else {
                rest.split_whitespace().next().unwrap_or("")
            };
            return e(
                Kind::SshInvalidUser,
                user,
                word_after(rest, "from ").unwrap_or(""),
            );
        }
        return None;
    }
    if line.program == "sudo" {
        // 「yamada : TTY=pts/0 ; PWD=/home/yamada ; USER=root ; COMMAND=/usr/bin/apt upgrade」
        let (user, rest) = msg.split_once(" : ")?;
        let command = rest.split_once("COMMAND=")?.1;
        return e(
            Kind::Sudo {
                command: command.to_string(),
            },
            user.trim(),
            "",
        );
    }
    None
}

/// RFC 3164 lines carry no year: a reader that moves to the next year when the month goes back (a log
/// running from December into January).
pub struct Reader {
    year: i32,
    zone: FixedOffset,
    last_month: Option<u32>,
}

impl Reader {
    pub fn new(year: i32, zone: FixedOffset) -> Reader {
        Reader {
            year,
            zone,
            last_month: None,
        }
    }

    pub fn line<'a>(&mut self, text: &'a str) -> Option<Line<'a>> {
        let line = parse_line(text, self.year, self.zone)?;
        if MONTHS.iter().any(|m| text.starts_with(m)) {
            let month = MONTHS
                .iter()
                .position(|m| text.starts_with(m))
                .expect("found") as u32
                + 1;
            if let Some(last) = self.last_month
                && month + 6 < last
            {
                self.year += 1;
                self.last_month = Some(month);
                return parse_line(text, self.year, self.zone);
            }
            self.last_month = Some(month);
        }
        Some(line)
    }
}
