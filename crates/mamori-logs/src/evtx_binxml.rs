//! The fields the detections use, read straight from an EVTX chunk's BinXML, without rendering
//! XML or JSON. A record is (almost always) one template instance: the chunk holds the template,
//! the shape of the event's XML with numbered holes, and the record only the values for the holes.
//! Each template is read once per chunk into a [`Plan`] (which hole is the EventID, the Channel,
//! TargetUserName …); a record then costs finding its few values. What this reader does not know
//! (another record shape, a value type it does not render, nested BinXML where fields may be)
//! makes it give the chunk up ([`Unsupported`]), and the caller reads that chunk through the `evtx`
//! crate's full rendering: the events are the same either way, which the tests check record by
//! record on every sample.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

/// The EventData / UserData fields the detections read, by their names in the event XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    TargetUserName,
    SubjectUserName,
    IpAddress,
    WorkstationName,
    LogonType,
    NewTargetUserName,
    MemberName,
    MemberSid,
    ServiceName,
    AccountName,
    ClientAddress,
    /// Kerberos result code (4768, 4771): 0x0 is a success.
    Status,
    /// 1149 (RemoteConnectionManager): user, domain, source address.
    Param1,
    Param3,
}

/// Every field, with its name in the event data.
pub const FIELDS: [(&str, Field); 14] = [
    ("TargetUserName", Field::TargetUserName),
    ("SubjectUserName", Field::SubjectUserName),
    ("IpAddress", Field::IpAddress),
    ("WorkstationName", Field::WorkstationName),
    ("LogonType", Field::LogonType),
    ("NewTargetUserName", Field::NewTargetUserName),
    ("MemberName", Field::MemberName),
    ("MemberSid", Field::MemberSid),
    ("ServiceName", Field::ServiceName),
    ("AccountName", Field::AccountName),
    ("ClientAddress", Field::ClientAddress),
    ("Status", Field::Status),
    ("Param1", Field::Param1),
    ("Param3", Field::Param3),
];

impl Field {
    pub fn name(self) -> &'static str {
        FIELDS[self as usize].0
    }

    fn of_name(name: &str) -> Option<Field> {
        FIELDS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }
}

/// This reader cannot read the chunk the way the full rendering would: read it that way instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported(pub u32);

type Res<T> = Result<T, Unsupported>;

/// Where a value of the event comes from in the template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Slot {
    /// Not in the template: empty.
    #[default]
    Missing,
    Literal(String),
    /// The record's substitution value with this index.
    Hole(u16),
    /// More than one piece, or child elements: only the full rendering knows.
    Mixed,
}

impl Slot {
    fn add(&mut self, piece: Slot) {
        *self = match self {
            Slot::Missing => piece,
            _ => Slot::Mixed,
        };
    }
}

/// What one template says about where each value is.
#[derive(Debug, Default)]
struct Plan {
    event_id: Slot,
    time: Slot,
    channel: Slot,
    provider: Slot,
    fields: [Slot; FIELDS.len()],
    /// Holes in the content of Event, EventData, UserData or UserData's element, with where they
    /// are: a nested BinXML value there holds fields of its own.
    open_holes: Vec<(u16, Ctx)>,
}

impl Plan {
    fn slot(&mut self, t: Target) -> &mut Slot {
        match t {
            Target::EventId => &mut self.event_id,
            Target::Channel => &mut self.channel,
            Target::Field(f) => &mut self.fields[f as usize],
        }
    }
}

/// Little-endian reads that fail (not panic) past the end.
fn u8_at(d: &[u8], p: usize) -> Res<u8> {
    d.get(p).copied().ok_or(Unsupported(line!()))
}
fn u16_at(d: &[u8], p: usize) -> Res<u16> {
    let b = d
        .get(p..p.checked_add(2).ok_or(Unsupported(line!()))?)
        .ok_or(Unsupported(line!()))?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}
fn u32_at(d: &[u8], p: usize) -> Res<u32> {
    let b = d
        .get(p..p.checked_add(4).ok_or(Unsupported(line!()))?)
        .ok_or(Unsupported(line!()))?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}
fn u64_at(d: &[u8], p: usize) -> Res<u64> {
    let b = d
        .get(p..p.checked_add(8).ok_or(Unsupported(line!()))?)
        .ok_or(Unsupported(line!()))?;
    Ok(u64::from_le_bytes(
        b.try_into().map_err(|_| Unsupported(line!()))?,
    ))
}
fn bytes_at(d: &[u8], p: usize, n: usize) -> Res<&[u8]> {
    d.get(p..p.checked_add(n).ok_or(Unsupported(line!()))?)
        .ok_or(Unsupported(line!()))
}

/// UTF-16LE text up to its first NUL, as the rendering shows it; invalid UTF-16 is left to it.
fn utf16(bytes: &[u8]) -> Res<String> {
    let mut s = String::with_capacity(bytes.len() / 2);
    push_utf16(bytes, &mut s)?;
    Ok(s)
}

/// [`utf16`] onto the end of `s` (ASCII, the usual case, a byte at a time).
fn push_utf16(bytes: &[u8], s: &mut String) -> Res<()> {
    let mut i = 0;
    while let Some(&[lo, hi]) = bytes.get(i..i + 2) {
        if hi != 0 || lo >= 0x80 {
            let units = bytes[i..]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0);
            for c in char::decode_utf16(units) {
                s.push(c.map_err(|_| Unsupported(line!()))?);
            }
            return Ok(());
        }
        if lo == 0 {
            return Ok(());
        }
        s.push(lo as char);
        i += 2;
    }
    Ok(())
}

/// Whether UTF-16LE text (up to its first NUL) is the ASCII text `ascii`, ignoring ASCII case.
fn utf16_is(bytes: &[u8], ascii: &str) -> bool {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut text = units.take_while(|&u| u != 0);
    for a in ascii.bytes() {
        match text.next() {
            Some(u) if u < 0x80 && (u as u8).eq_ignore_ascii_case(&a) => {}
            _ => return false,
        }
    }
    text.next().is_none()
}

/// A name in the chunk's string table (link u32, hash u16, length u16, UTF-16 text).
fn name_at(chunk: &[u8], offset: u32) -> Res<String> {
    let p = offset as usize;
    let len = u16_at(chunk, p + 6)? as usize;
    utf16(bytes_at(chunk, p + 8, len * 2)?)
}

/// Reads a name reference at `p` and returns (name offset, position after it): a name stored right
/// there is skipped over.
fn name_ref(chunk: &[u8], p: usize) -> Res<(u32, usize)> {
    let offset = u32_at(chunk, p)?;
    let mut after = p + 4;
    if offset as usize == after {
        let len = u16_at(chunk, after + 6)? as usize;
        after += 10 + len * 2;
    }
    Ok((offset, after))
}

/// Where in the event an element is, as far as the fields care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ctx {
    /// Outside any element: a record's template starts here.
    Root,
    Event,
    System,
    Provider,
    TimeCreated,
    EventData,
    /// A `Data` element until its `Name` attribute is known.
    Data,
    UserData,
    /// UserData's element, whose children are the fields.
    UserDataChild,
    /// An element whose content is this value.
    Value(Target),
    /// Nothing the detections read.
    Ignored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    EventId,
    Channel,
    Field(Field),
}

impl Ctx {
    /// The context of an element `name` opened in this one.
    fn child(self, name: &str) -> Res<Ctx> {
        let field = || Field::of_name(name).map_or(Ctx::Ignored, |f| Ctx::Value(Target::Field(f)));
        Ok(match (self, name) {
            (Ctx::Root, "Event") => Ctx::Event,
            (Ctx::Root, _) => return Err(Unsupported(line!())),
            (Ctx::Event, "System") => Ctx::System,
            (Ctx::Event, "EventData") => Ctx::EventData,
            (Ctx::Event, "UserData") => Ctx::UserData,
            (Ctx::System, "EventID") => Ctx::Value(Target::EventId),
            (Ctx::System, "Channel") => Ctx::Value(Target::Channel),
            (Ctx::System, "Provider") => Ctx::Provider,
            (Ctx::System, "TimeCreated") => Ctx::TimeCreated,
            (Ctx::EventData, "Data") => Ctx::Data,
            (Ctx::EventData | Ctx::UserDataChild, _) => field(),
            (Ctx::UserData, _) => Ctx::UserDataChild,
            _ => Ctx::Ignored,
        })
    }

    /// Content here may be a nested BinXML value holding fields.
    fn is_open(self) -> bool {
        matches!(
            self,
            Ctx::Root | Ctx::Event | Ctx::EventData | Ctx::UserData | Ctx::UserDataChild
        )
    }
}

/// Reads the template definition at `offset` in the chunk, placed in `base`, into its plan.
fn plan_of(chunk: &[u8], offset: u32, base: Ctx) -> Res<Plan> {
    let start = offset as usize;
    let size = u32_at(chunk, start + 20)? as usize;
    let mut p = start + 24;
    let end = p
        .checked_add(size)
        .ok_or(Unsupported(line!()))?
        .min(chunk.len());
    let mut plan = Plan::default();
    let mut stack: Vec<Ctx> = vec![base];
    // In an element's start tag: the attribute whose value comes next, and a Data's Name.
    let mut attribute: Option<String> = None;
    let mut data_name: Option<String> = None;
    let mut in_start_tag = false;
    let mut user_data_children = 0;
    while p < end {
        let token = u8_at(chunk, p)?;
        p += 1;
        // A value (literal or hole) at this point of the XML.
        let piece = match token {
            0x00 => break,
            0x0f => {
                p += 3;
                None
            }
            0x01 | 0x41 => {
                // Dependency id, data size, then the name.
                let (name_offset, after) = name_ref(chunk, p + 6)?;
                p = after;
                if token == 0x41 {
                    p += 4;
                }
                let name = name_at(chunk, name_offset)?;
                let parent = *stack.last().ok_or(Unsupported(line!()))?;
                if let Ctx::Value(t) = parent {
                    // Child elements inside a value: only the rendering knows what it becomes.
                    *plan.slot(t) = Slot::Mixed;
                }
                let ctx = parent.child(&name)?;
                if ctx == Ctx::UserDataChild {
                    user_data_children += 1;
                }
                stack.push(ctx);
                in_start_tag = true;
                attribute = None;
                data_name = None;
                None
            }
            0x02 => {
                in_start_tag = false;
                attribute = None;
                // A Data element's value is known once its Name attribute has been read.
                if let Some(top) = stack.last_mut()
                    && *top == Ctx::Data
                {
                    *top = data_name
                        .take()
                        .and_then(|n| Field::of_name(&n))
                        .map_or(Ctx::Ignored, |f| Ctx::Value(Target::Field(f)));
                }
                None
            }
            0x03 | 0x04 => {
                if stack.len() <= 1 {
                    return Err(Unsupported(line!()));
                }
                stack.pop();
                in_start_tag = false;
                attribute = None;
                None
            }
            0x05 | 0x45 => {
                let value_type = u8_at(chunk, p)?;
                if value_type != 0x01 {
                    return Err(Unsupported(line!()));
                }
                let len = u16_at(chunk, p + 1)? as usize;
                let text = utf16(bytes_at(chunk, p + 3, len * 2)?)?;
                p += 3 + len * 2;
                Some(Slot::Literal(text))
            }
            0x06 | 0x46 => {
                let (name_offset, after) = name_ref(chunk, p)?;
                p = after;
                attribute = Some(name_at(chunk, name_offset)?);
                None
            }
            0x0d | 0x0e => {
                let index = u16_at(chunk, p)?;
                p += 3;
                Some(Slot::Hole(index))
            }
            // CDATA, character and entity references, processing instructions, nested
            // instances: text the rendering may show in its own way.
            _ => return Err(Unsupported(line!())),
        };
        let Some(piece) = piece else { continue };
        let ctx = *stack.last().expect("never emptied");
        if in_start_tag {
            let Some(attr) = attribute.as_deref() else {
                return Err(Unsupported(line!()));
            };
            match (ctx, attr) {
                (Ctx::Provider, "Name") => plan.provider.add(piece),
                (Ctx::TimeCreated, "SystemTime") => plan.time.add(piece),
                (Ctx::Data, "Name") => {
                    // A Data element named by the record: only the rendering knows.
                    let Slot::Literal(name) = piece else {
                        return Err(Unsupported(line!()));
                    };
                    if data_name.replace(name).is_some() {
                        return Err(Unsupported(line!()));
                    }
                }
                _ => {}
            }
        } else {
            match ctx {
                Ctx::Value(t) => plan.slot(t).add(piece),
                open if open.is_open() => {
                    if let Slot::Hole(i) = piece {
                        plan.open_holes.push((i, open));
                    }
                }
                _ => {}
            }
        }
    }
    if user_data_children > 1 {
        // The rendering keeps one of UserData's elements: which one is its business.
        return Err(Unsupported(line!()));
    }
    Ok(plan)
}

/// One substitution value of a record: its type and bytes.
#[derive(Debug, Clone, Copy)]
struct Value<'c> {
    kind: u8,
    bytes: &'c [u8],
    /// Where the bytes are in the chunk (a nested instance's template may be defined there).
    at: usize,
}

/// What a value type's descriptor size must be: the rendering reads fixed-size types by their
/// type, so a descriptor that disagrees would move every value after it.
const SIZED: u8 = 0xfe;
const UNKNOWN: u8 = 0xff;
const VALUE_SIZES: [u8; 256] = {
    let mut t = [UNKNOWN; 256];
    // Null, string, binary, nested BinXML; SID (checked against its sub-authority count).
    t[0x00] = SIZED;
    t[0x01] = SIZED;
    t[0x0e] = SIZED;
    t[0x21] = SIZED;
    t[0x13] = SIZED;
    t[0x03] = 1;
    t[0x04] = 1;
    t[0x05] = 2;
    t[0x06] = 2;
    t[0x07] = 4;
    t[0x08] = 4;
    t[0x0b] = 4;
    t[0x14] = 4;
    t[0x09] = 8;
    t[0x0a] = 8;
    t[0x0c] = 8;
    t[0x11] = 8;
    t[0x15] = 8;
    t[0x0f] = 16;
    t[0x12] = 16;
    t
};

impl<'c> Value<'c> {
    /// The value as the rendering writes it, as text (`None`: empty).
    fn text(self) -> Res<Option<String>> {
        let b = self.bytes;
        Ok(Some(match self.kind {
            0x00 => return Ok(None),
            0x01 => {
                let s = utf16(b)?;
                if s.is_empty() {
                    return Ok(None);
                }
                s
            }
            0x03 => (b[0] as i8).to_string(),
            0x04 => b[0].to_string(),
            0x05 => i16::from_le_bytes([b[0], b[1]]).to_string(),
            0x06 => u16::from_le_bytes([b[0], b[1]]).to_string(),
            0x07 => i32::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?).to_string(),
            0x08 => u32::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?).to_string(),
            0x09 => i64::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?).to_string(),
            0x0a => u64::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?).to_string(),
            0x14 => format!(
                "0x{:x}",
                u32::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?)
            ),
            0x15 => format!(
                "0x{:x}",
                u64::from_le_bytes(b.try_into().map_err(|_| Unsupported(line!()))?)
            ),
            0x13 => sid(b)?,
            _ => return Err(Unsupported(line!())),
        }))
    }

    /// A FILETIME value as a time.
    fn time(self) -> Res<Option<DateTime<Utc>>> {
        match self.kind {
            0x00 => Ok(None),
            0x11 => filetime(u64_at(self.bytes, 0)?).map(Some),
            _ => Err(Unsupported(line!())),
        }
    }
}

/// `S-R-A-S1-…-Sn`: revision, 48-bit big-endian authority, little-endian sub-authorities.
fn sid(b: &[u8]) -> Res<String> {
    let (&revision, rest) = b.split_first().ok_or(Unsupported(line!()))?;
    let (&count, rest) = rest.split_first().ok_or(Unsupported(line!()))?;
    let authority = rest.get(..6).ok_or(Unsupported(line!()))?;
    let subs = &rest[6..];
    if subs.len() != count as usize * 4 {
        return Err(Unsupported(line!()));
    }
    let mut a = [0u8; 8];
    a[2..].copy_from_slice(authority);
    let mut s = format!("S-{revision}-{}", u64::from_be_bytes(a));
    for c in subs.chunks_exact(4) {
        s.push('-');
        s.push_str(&u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string());
    }
    Ok(s)
}

/// 100-nanosecond ticks since 1601-01-01 as a time (years 1601–9999, as the rendering writes them).
fn filetime(ticks: u64) -> Res<DateTime<Utc>> {
    const TICKS_1601_TO_1970: i64 = 116_444_736_000_000_000;
    let since_1970 = i64::try_from(ticks).map_err(|_| Unsupported(line!()))? - TICKS_1601_TO_1970;
    let secs = since_1970.div_euclid(10_000_000);
    let nanos = (since_1970.rem_euclid(10_000_000) * 100) as u32;
    let t = DateTime::from_timestamp(secs, nanos).ok_or(Unsupported(line!()))?;
    if chrono::Datelike::year(&t) > 9999 {
        return Err(Unsupported(line!()));
    }
    Ok(t)
}

/// One record as read: for its template instance, and each instance nested in its values, the
/// plan saying which value is which and the values.
pub struct Record<'c, 'p> {
    parts: &'p [(usize, std::ops::Range<usize>)],
    plans: &'p [((u32, Ctx), Plan)],
    values: &'p [Value<'c>],
}

impl<'p> Record<'_, 'p> {
    /// The one part of the record that has this slot (two that have it: only the rendering knows).
    fn find(&self, pick: &impl Fn(&'p Plan) -> &'p Slot) -> Res<(&'p Slot, &[Value<'_>])> {
        let mut found: Option<(&'p Slot, &[Value<'_>])> = None;
        for (plan, range) in self.parts {
            let (plan, values) = (&self.plans[*plan].1, &self.values[range.clone()]);
            let slot = pick(plan);
            if *slot != Slot::Missing {
                if found.is_some() {
                    return Err(Unsupported(line!()));
                }
                found = Some((slot, values));
            }
        }
        Ok(found.unwrap_or((&Slot::Missing, &[])))
    }

    fn text(&self, pick: impl Fn(&'p Plan) -> &'p Slot) -> Res<Option<Cow<'p, str>>> {
        let (slot, values) = self.find(&pick)?;
        match slot {
            Slot::Missing => Ok(None),
            Slot::Literal(s) => Ok((!s.is_empty()).then_some(Cow::Borrowed(s.as_str()))),
            // A hole past the record's values renders as nothing.
            Slot::Hole(i) => match values.get(*i as usize) {
                Some(v) => Ok(v.text()?.map(Cow::Owned)),
                None => Ok(None),
            },
            Slot::Mixed => Err(Unsupported(line!())),
        }
    }

    /// The EventID, when it is a number (as the rendering's text would parse).
    pub fn event_id(&self) -> Res<Option<u32>> {
        if let (Slot::Hole(i), values) = self.find(&|p: &'p Plan| &p.event_id)?
            && let Some(v) = values.get(*i as usize)
        {
            match (v.kind, v.bytes) {
                (0x06, &[a, b]) => return Ok(Some(u16::from_le_bytes([a, b]).into())),
                (0x08, &[a, b, c, d]) => return Ok(Some(u32::from_le_bytes([a, b, c, d]))),
                _ => {}
            }
        }
        Ok(self.text(|p| &p.event_id)?.and_then(|s| s.parse().ok()))
    }
    /// Whether a value's text is `ascii` (ignoring ASCII case), a string value compared undecoded.
    fn is(&self, pick: impl Fn(&'p Plan) -> &'p Slot, ascii: &str) -> Res<bool> {
        match self.find(&pick)? {
            (Slot::Hole(i), values) => match values.get(*i as usize) {
                Some(v) if v.kind == 0x01 => Ok(utf16_is(v.bytes, ascii)),
                Some(v) => Ok(v.text()?.unwrap_or_default().eq_ignore_ascii_case(ascii)),
                None => Ok(ascii.is_empty()),
            },
            _ => Ok(self
                .text(pick)?
                .unwrap_or_default()
                .eq_ignore_ascii_case(ascii)),
        }
    }
    pub fn channel_is(&self, ascii: &str) -> Res<bool> {
        self.is(|p| &p.channel, ascii)
    }
    pub fn provider_is(&self, ascii: &str) -> Res<bool> {
        self.is(|p| &p.provider, ascii)
    }
    pub fn field(&self, f: Field) -> Res<Option<String>> {
        Ok(self.text(|p| &p.fields[f as usize])?.map(Cow::into_owned))
    }
    pub fn time(&self) -> Res<Option<DateTime<Utc>>> {
        match self.find(&|p: &'p Plan| &p.time)? {
            (Slot::Missing, _) => Ok(None),
            (Slot::Hole(i), values) => match values.get(*i as usize) {
                Some(v) => v.time(),
                None => Ok(None),
            },
            // A literal time would be parsed from its text by the rendering's reader.
            _ => Err(Unsupported(line!())),
        }
    }
}

/// Offsets in a chunk header (MS-EVEN6 2.2.3).
const LAST_RECORD_ID: usize = 32;
const FREE_SPACE_OFFSET: usize = 48;
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_HEADER_SIZE: usize = 24;
/// At most this many template instances in one record (its own and those nested in its values).
const MAX_NESTED: usize = 8;

/// Reads every live record of a chunk (its 64 KiB, header first) in order, giving each to `each`.
/// Fails as a whole when any record is not of the shape this reader knows; then nothing it gave
/// should be kept.
pub fn read_chunk(chunk: &[u8], each: &mut dyn FnMut(&Record) -> Res<()>) -> Res<u64> {
    if chunk.get(..8) != Some(b"ElfChnk\0") {
        return Err(Unsupported(line!()));
    }
    let last_id = u64_at(chunk, LAST_RECORD_ID)?;
    let live_end = (u32_at(chunk, FREE_SPACE_OFFSET)? as usize).min(chunk.len());
    // A chunk uses a few templates: a list is quicker than hashing.
    let mut plans: Vec<((u32, Ctx), Plan)> = Vec::new();
    // Reused for every record: its values, its instances (plan, values), those left to read.
    let mut values: Vec<Value> = Vec::with_capacity(64);
    let mut parts: Vec<(usize, std::ops::Range<usize>)> = Vec::with_capacity(MAX_NESTED);
    let mut pending: Vec<(usize, usize, Ctx)> = Vec::with_capacity(MAX_NESTED);
    let mut at = CHUNK_HEADER_SIZE;
    let mut records = 0u64;
    while at < live_end {
        if u32_at(chunk, at)? != 0x0000_2a2a {
            return Err(Unsupported(line!()));
        }
        let size = u32_at(chunk, at + 4)? as usize;
        let id = u64_at(chunk, at + 8)?;
        if size < RECORD_HEADER_SIZE + 4 || at + size > chunk.len() {
            return Err(Unsupported(line!()));
        }
        // The record's instance, and the instances nested in its values where fields may be.
        values.clear();
        parts.clear();
        pending.clear();
        pending.push((at + RECORD_HEADER_SIZE, at + size - 4, Ctx::Root));
        while let Some((start, end, base)) = pending.pop() {
            if parts.len() >= MAX_NESTED {
                return Err(Unsupported(line!()));
            }
            let first = values.len();
            let def = instance(chunk, start, end, &mut values)?;
            let key = (def, base);
            let plan = match plans.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    plans.push((key, plan_of(chunk, def, base)?));
                    plans.len() - 1
                }
            };
            let own = &values[first..];
            for &(i, ctx) in &plans[plan].1.open_holes {
                match own.get(i as usize) {
                    None => {}
                    Some(v) if v.kind == 0x00 || v.bytes.is_empty() => {}
                    Some(v) if v.kind == 0x21 => pending.push((v.at, v.at + v.bytes.len(), ctx)),
                    // Text where elements are: only the rendering knows.
                    Some(_) => return Err(Unsupported(line!())),
                }
            }
            parts.push((plan, first..values.len()));
        }
        each(&Record {
            parts: &parts,
            plans: &plans,
            values: &values,
        })?;
        records += 1;
        if id == last_id {
            break;
        }
        at += size;
    }
    Ok(records)
}

/// A BinXML stream of one template instance at `start..end`: its values are added to `values`;
/// returns the template's offset.
fn instance<'c>(
    chunk: &'c [u8],
    start: usize,
    end: usize,
    values: &mut Vec<Value<'c>>,
) -> Res<u32> {
    let mut p = start;
    if u8_at(chunk, p)? == 0x0f {
        p += 4;
    }
    if u8_at(chunk, p)? != 0x0c {
        return Err(Unsupported(line!()));
    }
    let def = u32_at(chunk, p + 6)?;
    p += 10;
    if def as usize == p {
        // The template is defined here, on its first use in the chunk.
        let size = u32_at(chunk, p + 20)? as usize;
        p += 24 + size;
    }
    let count = u32_at(chunk, p)? as usize;
    p += 4;
    let descriptors = bytes_at(chunk, p, count.checked_mul(4).ok_or(Unsupported(line!()))?)?;
    p += count * 4;
    let data = chunk.get(..end).ok_or(Unsupported(line!()))?;
    for d in descriptors.chunks_exact(4) {
        let size = u16::from_le_bytes([d[0], d[1]]) as usize;
        let kind = d[2];
        match VALUE_SIZES[kind as usize] {
            UNKNOWN => return Err(Unsupported(line!())),
            // A string of an odd number of bytes: the rendering refuses the record.
            SIZED if kind == 0x01 && !size.is_multiple_of(2) => return Err(Unsupported(line!())),
            SIZED => {}
            n if n as usize != size => return Err(Unsupported(line!())),
            _ => {}
        }
        let bytes = data.get(p..p + size).ok_or(Unsupported(line!()))?;
        if kind == 0x13 && (size < 8 || size != 8 + 4 * bytes[1] as usize) {
            return Err(Unsupported(line!()));
        }
        values.push(Value { kind, bytes, at: p });
        p += size;
    }
    // What follows the instance must be the end of the stream.
    if p > end || (p < end && chunk[p] != 0x00) {
        return Err(Unsupported(line!()));
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_are_the_rendering_s_utc_times() {
        // 2019-03-19T23:34:06.1234567Z
        let t = filetime(131_975_120_461_234_567).unwrap();
        assert_eq!(t.to_rfc3339(), "2019-03-19T23:34:06.123456700+00:00");
        assert!(filetime(u64::MAX).is_err());
    }

    #[test]
    fn sids_read_as_windows_writes_them() {
        let mut b = vec![1u8, 2, 0, 0, 0, 0, 0, 5];
        b.extend_from_slice(&32u32.to_le_bytes());
        b.extend_from_slice(&544u32.to_le_bytes());
        assert_eq!(sid(&b).unwrap(), "S-1-5-32-544");
        assert!(sid(&b[..10]).is_err(), "sub-authorities cut short");
    }

    #[test]
    fn utf16_compares_with_ascii_as_decoded_text_would() {
        let enc = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        assert!(utf16_is(&enc("security\0junk"), "Security"));
        assert!(!utf16_is(&enc("Securit"), "Security"));
        assert!(!utf16_is(&enc("Security2"), "Security"));
        assert!(
            !utf16_is(&enc("Ｓecurity"), "Security"),
            "full-width is not ASCII"
        );
        assert!(utf16_is(&[], ""));
    }

    #[test]
    fn utf16_stops_at_nul_and_refuses_lone_surrogates() {
        let b: Vec<u8> = "ab\0c".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(utf16(&b).unwrap(), "ab");
        assert!(utf16(&0xd800u16.to_le_bytes()).is_err());
    }

    #[test]
    fn any_bytes_after_a_chunk_signature_fail_or_read_without_panic() {
        let mut chunk = b"ElfChnk\0".to_vec();
        chunk.resize(65536, 0xff);
        let _ = read_chunk(&chunk, &mut |_| Ok(()));
        chunk[48..52].copy_from_slice(&65536u32.to_le_bytes());
        chunk[512..516].copy_from_slice(&0x2a2au32.to_le_bytes());
        assert!(read_chunk(&chunk, &mut |_| Ok(())).is_err());
    }
}
