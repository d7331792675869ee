//! Linux auth.log / secure / syslog lines: RFC 3164 (「Jun 14 15:16:01 host prog[pid]: msg」, the year and
//! time zone supplied because the line has neither), RFC 5424 (「<34>1 2003-10-11T22:14:15.003Z host app
//! procid msgid - msg」) and RFC 3339-stamped lines (rsyslog's high-precision format); then what sshd, sudo
//! and the account tools (useradd, usermod, gpasswd, passwd …) said.

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

/// sshd's 「USER from ADDR port N …」: the user name is sent by the client and may hold anything,
/// 「 from 10.0.0.1」 included, so the address is the word after the *last* 「 from 」 sshd wrote.
fn user_and_source(rest: &str) -> (&str, &str) {
    match rest.rfind(" from ") {
        Some(i) => (
            &rest[..i],
            rest[i + 6..].split_whitespace().next().unwrap_or(""),
        ),
        None => (rest.split_whitespace().next().unwrap_or(""), ""),
    }
}

/// 「message repeated 5 times: [ Failed password for root …]」 → (5, the message).
pub fn repeated(message: &str) -> Option<(u64, &str)> {
    let rest = message.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(" times: [")?;
    let n: u64 = n.parse().ok()?;
    let inner = rest.strip_suffix(']').unwrap_or(rest);
    Some((n, inner.trim_start()))
}

/// The text between the quotes after `marker`: 「add 'bob' to group 'sudo'」.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let i = text.find(marker)? + marker.len();
    let rest = text[i..].strip_prefix('\'')?;
    Some(&rest[..rest.find('\'')?])
}

/// shadow-utils and PAM: what useradd, userdel, usermod, groupadd, gpasswd and passwd wrote.
fn account_change(program: &str, msg: &str) -> Option<(Kind, String)> {
    // 「new user: name=bob, UID=1001, …」 (useradd, adduser).
    if let Some(rest) = msg.strip_prefix("new user: name=") {
        let name = rest.split([',', ' ']).next()?;
        return Some((Kind::AccountCreated, name.into()));
    }
    // 「delete user 'bob'」 (userdel).
    if let Some(name) = quoted_after(msg, "delete user ") {
        return Some((Kind::AccountDeleted, name.into()));
    }
    // 「change user name 'old' to 'new'」 (usermod -l).
    if let Some(old) = quoted_after(msg, "change user name ") {
        let new_name = quoted_after(msg, &format!("'{old}' to "))?.to_string();
        return Some((Kind::AccountRenamed { new_name }, old.into()));
    }
    // 「add 'bob' to group 'sudo'」 (useradd -G, usermod -aG); the 「shadow group」 line repeats it.
    if msg.starts_with("add '") && !msg.contains(" to shadow group ") {
        let name = quoted_after(msg, "add ")?;
        let group = quoted_after(msg, " to group ")?.to_string();
        return Some((Kind::GroupMemberAdded { group }, name.into()));
    }
    if msg.starts_with("delete '") && !msg.contains(" from shadow group ") {
        let name = quoted_after(msg, "delete ")?;
        let group = quoted_after(msg, " from group ")?.to_string();
        return Some((Kind::GroupMemberRemoved { group }, name.into()));
    }
    // 「user bob added by root to group sudo」, 「user bob removed by root from group sudo」 (gpasswd).
    if let Some(rest) = msg.strip_prefix("user ") {
        let name = rest.split_whitespace().next()?;
        if rest.contains(" added by ") {
            let group = word_after(rest, " to group ")?.to_string();
            return Some((Kind::GroupMemberAdded { group }, name.into()));
        }
        if rest.contains(" removed by ") {
            let group = word_after(rest, " from group ")?.to_string();
            return Some((Kind::GroupMemberRemoved { group }, name.into()));
        }
    }
    // 「new group: name=devs, GID=1002」 from groupadd (useradd writes one for every user's own group).
    if program == "groupadd"
        && let Some(rest) = msg.strip_prefix("new group: name=")
    {
        let group = rest.split([',', ' ']).next()?.to_string();
        return Some((
            Kind::GroupCreated {
                group: group.clone(),
            },
            group,
        ));
    }
    // 「pam_unix(passwd:chauthtok): password changed for bob」, 「change user 'bob' password」 (usermod -p).
    if let Some(name) = word_after(msg, "password changed for ") {
        return Some((Kind::PasswordChanged, name.into()));
    }
    if let Some(name) = quoted_after(msg, "change user ")
        && msg.ends_with(" password")
    {
        return Some((Kind::PasswordChanged, name.into()));
    }
    None
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
            // 「Accepted publickey for yamada from 10.0.0.5 port 22 ssh2」
            let rest = rest.split_once(" for ")?.1;
            let (user, source) = user_and_source(rest);
            return e(Kind::LogonSuccess, user, source);
        }
        if let Some(rest) = msg.strip_prefix("Failed password for ") {
            let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
            let (user, source) = user_and_source(rest);
            return e(Kind::LogonFailure, user.trim(), source);
        }
        if let Some(rest) = msg.strip_prefix("Invalid user ") {
            // 「Invalid user  from 1.2.3.4」 has an empty name.
            let (user, source) = match rest.strip_prefix("from ") {
                Some(r) => ("", r.split_whitespace().next().unwrap_or("")),
                None => user_and_source(rest),
            };
            return e(Kind::SshInvalidUser, user.trim(), source);
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
    if matches!(
        line.program,
        "useradd"
            | "adduser"
            | "userdel"
            | "deluser"
            | "usermod"
            | "groupadd"
            | "gpasswd"
            | "passwd"
            | "chpasswd"
    ) {
        let (kind, account) = account_change(line.program, msg)?;
        return e(kind, &account, "");
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
