//! Sliding windows of times (and of distinct names in them) per account and source, and the capped maps
//! that hold them: memory stays bounded whatever a log holds.

use super::*;

/// The maps kept per account and source.
pub(crate) type Map<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

pub(super) fn micros(span: Duration) -> i64 {
    span.num_microseconds().unwrap_or(i64::MAX)
}

/// The value under `key`, made with `new` (and the key copied) when it is not there yet and the map
/// has fewer than `cap` keys (`None` beyond): one look-up either way.
pub(crate) fn capped_slot<'m, V>(
    map: &'m mut Map<String, V>,
    key: &str,
    cap: usize,
    new: impl FnOnce() -> V,
) -> Option<&'m mut V> {
    let full = map.len() >= cap;
    match map.entry_ref(key) {
        hashbrown::hash_map::EntryRef::Occupied(o) => Some(o.into_mut()),
        hashbrown::hash_map::EntryRef::Vacant(v) if !full => Some(v.insert(new())),
        hashbrown::hash_map::EntryRef::Vacant(_) => None,
    }
}

/// A queue of times within a window, at most `cap` long.
#[derive(Default)]
pub(super) struct Window(VecDeque<DateTime<Utc>>);

impl Window {
    pub(crate) fn push(&mut self, t: DateTime<Utc>, span: Duration, cap: usize) -> usize {
        while self.0.front().is_some_and(|f| t - *f > span) {
            self.0.pop_front();
        }
        self.0.push_back(t);
        while self.0.len() > cap {
            self.0.pop_front();
        }
        self.0.len()
    }
    pub(crate) fn count_since(&self, t: DateTime<Utc>, span: Duration) -> usize {
        self.0.iter().filter(|f| t - **f <= span).count()
    }
}

/// Names (or patients' numbers) seen within a window, with how many distinct ones: kept incrementally
/// (a count per key), so each event costs the same however full the window is.
pub(crate) struct DistinctWindow<K = Arc<str>> {
    /// Times in microseconds (compared as numbers, not dates); the names share one copy each with
    /// `counts`.
    queue: VecDeque<(i64, K)>,
    /// In cells: a name seen again is counted and its shared copy taken in one look-up.
    pub(crate) counts: Map<K, Cell<u32>>,
}

impl<K> Default for DistinctWindow<K> {
    fn default() -> Self {
        DistinctWindow {
            queue: VecDeque::new(),
            counts: Map::default(),
        }
    }
}

/// A window key made from what is looked up: a shared copy of a name, or the number itself.
pub(crate) trait WindowKey<K> {
    fn key(&self) -> K;
}

impl WindowKey<Arc<str>> for str {
    fn key(&self) -> Arc<str> {
        Arc::from(self)
    }
}

impl WindowKey<u64> for u64 {
    fn key(&self) -> u64 {
        *self
    }
}

impl<K: Hash + Eq + Clone> DistinctWindow<K> {
    /// Adds a key at `t`, drops what is older than `span` (and beyond `cap` entries); the distinct count.
    pub(crate) fn push<Q>(
        &mut self,
        t: DateTime<Utc>,
        name: &Q,
        span: Duration,
        cap: usize,
    ) -> usize
    where
        Q: Hash + Eq + WindowKey<K> + ?Sized,
        K: Borrow<Q>,
    {
        let (t, span) = (t.timestamp_micros(), micros(span));
        while let Some((f, _)) = self.queue.front() {
            if t.saturating_sub(*f) <= span && self.queue.len() < cap {
                break;
            }
            let (_, old) = self.queue.pop_front().expect("front");
            if let Some(c) = self.counts.get::<K>(&old) {
                c.set(c.get() - 1);
                if c.get() == 0 {
                    self.counts.remove::<K>(&old);
                }
            }
        }
        let key = match self.counts.get_key_value(name) {
            Some((k, c)) => {
                c.set(c.get() + 1);
                k.clone()
            }
            None => {
                let k = name.key();
                self.counts.insert(k.clone(), Cell::new(1));
                k
            }
        };
        self.queue.push_back((t, key));
        self.counts.len()
    }
}

impl DistinctWindow {
    /// Distinct names within `span` before `t`.
    pub(crate) fn distinct_since(&self, t: DateTime<Utc>, span: Duration) -> usize {
        let (t, span) = (t.timestamp_micros(), micros(span));
        let names: BTreeSet<&str> = self
            .queue
            .iter()
            .filter(|(f, _)| t.saturating_sub(*f) <= span && *f <= t)
            .map(|(_, n)| &**n)
            .collect();
        names.len()
    }
}
