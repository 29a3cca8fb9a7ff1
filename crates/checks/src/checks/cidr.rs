//! Address ranges in CIDR notation, and how much of the public internet a set of them admits:
//! several ranges can add up to all of it (`0.0.0.0/1` and `128.0.0.0/1`), so a range is judged
//! by the addresses it covers, not by its spelling.

use std::net::IpAddr;

/// An address family; each has its own public address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The publicly routable addresses, as sorted disjoint ranges: for IPv4 every address but
    /// the special-purpose blocks of RFC 6890 that are not globally reachable (private, shared,
    /// loopback, link-local, documentation, benchmarking, multicast, reserved); for IPv6 the
    /// global unicast block 2000::/3 but its documentation prefix.
    fn public(self) -> Vec<Range> {
        let (space, excluded): (&str, &[&str]) = match self {
            Family::V4 => (
                "0.0.0.0/0",
                &[
                    "0.0.0.0/8",
                    "10.0.0.0/8",
                    "100.64.0.0/10",
                    "127.0.0.0/8",
                    "169.254.0.0/16",
                    "172.16.0.0/12",
                    "192.0.0.0/24",
                    "192.0.2.0/24",
                    "192.168.0.0/16",
                    "198.18.0.0/15",
                    "198.51.100.0/24",
                    "203.0.113.0/24",
                    "224.0.0.0/3",
                ],
            ),
            Family::V6 => ("2000::/3", &["2001:db8::/32"]),
        };
        let mut public = Vec::new();
        let Some(space) = Range::parse(space) else {
            return public;
        };
        let range = |first, last| Range {
            family: self,
            first,
            last,
        };
        // The first address not yet accounted for; `None` past the end of the space.
        let mut next = Some(space.first);
        for excluded in excluded.iter().filter_map(|cidr| Range::parse(cidr)) {
            if let Some(start) = next
                && excluded.first > start
            {
                public.push(range(start, excluded.first - 1));
            }
            next = excluded.last.checked_add(1).filter(|after| *after <= space.last);
        }
        if let Some(start) = next {
            public.push(range(start, space.last));
        }
        public
    }
}

/// The addresses of one CIDR, first to last inclusive (IPv4 addresses as their 32-bit value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub family: Family,
    first: u128,
    last: u128,
}

impl Range {
    /// Parses `address/prefix` as the API server does (host bits may be set; they are ignored).
    /// `None` when malformed: no prefix, a prefix longer than the family's, or a bad address.
    pub fn parse(cidr: &str) -> Option<Range> {
        let (address, prefix) = cidr.trim().split_once('/')?;
        if prefix.is_empty() || !prefix.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let prefix: u32 = prefix.parse().ok()?;
        let (family, value) = match address.parse::<IpAddr>().ok()? {
            IpAddr::V4(address) => (Family::V4, u128::from(u32::from(address))),
            IpAddr::V6(address) => (Family::V6, u128::from(address)),
        };
        let bits = family.bits();
        if prefix > bits {
            return None;
        }
        let host_bits = bits - prefix;
        // The host part's mask; shifting a u128 by 128 would overflow.
        let host_mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let first = value & !host_mask;
        Some(Range {
            family,
            first,
            last: first | host_mask,
        })
    }
}

/// How much of a family's public address space some ranges admit together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub family: Family,
    covered: u128,
    public: u128,
}

impl Admitted {
    /// The ranges of `family` among `ranges`, measured against its public space.
    pub fn of(family: Family, ranges: &[Range]) -> Admitted {
        let mut admitted: Vec<(u128, u128)> = ranges
            .iter()
            .filter(|range| range.family == family)
            .map(|range| (range.first, range.last))
            .collect();
        admitted.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::new();
        for (first, last) in admitted {
            match merged.last_mut() {
                Some((_, merged_last)) if first <= merged_last.saturating_add(1) => {
                    *merged_last = (*merged_last).max(last);
                }
                _ => merged.push((first, last)),
            }
        }
        let public = family.public();
        let size = |first: u128, last: u128| last - first + 1;
        let covered = public
            .iter()
            .flat_map(|space| {
                merged.iter().filter_map(move |&(first, last)| {
                    let (first, last) = (first.max(space.first), last.min(space.last));
                    (first <= last).then(|| size(first, last))
                })
            })
            .sum();
        Admitted {
            family,
            covered,
            public: public.iter().map(|space| size(space.first, space.last)).sum(),
        }
    }

    pub fn is_all(&self) -> bool {
        self.covered == self.public
    }

    /// Whether at least `numerator / denominator` of the public space is admitted (exact: the
    /// public spaces are at most 2^125 addresses, so small factors cannot overflow).
    pub fn is_at_least(&self, numerator: u128, denominator: u128) -> bool {
        self.covered.saturating_mul(denominator) >= self.public.saturating_mul(numerator)
    }

    /// "all" or "about 56% of" (the public addresses).
    pub fn describe(&self) -> String {
        if self.is_all() {
            return "all".to_string();
        }
        // Display only: a rounded share is exact enough.
        #[allow(clippy::cast_precision_loss, reason = "an approximate percentage is shown")]
        let percent = (self.covered as f64 / self.public as f64 * 100.0).floor();
        format!("about {percent}% of")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(family: Family, cidrs: &[&str]) -> Admitted {
        let ranges: Vec<Range> = cidrs.iter().filter_map(|cidr| Range::parse(cidr)).collect();
        assert_eq!(ranges.len(), cidrs.len(), "{cidrs:?} parse");
        Admitted::of(family, &ranges)
    }

    #[test]
    fn ranges_that_add_up_to_the_whole_space_admit_all_of_it() {
        for cidrs in [
            &["0.0.0.0/0"][..],
            &["0.0.0.0/1", "128.0.0.0/1"],
            &["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"],
            &["1.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"],
        ] {
            assert!(admitted(Family::V4, cidrs).is_all(), "{cidrs:?}");
        }
        for cidrs in [&["::/0"][..], &["::/1", "8000::/1"], &["2000::/3"]] {
            assert!(admitted(Family::V6, cidrs).is_all(), "{cidrs:?}");
        }
        let everything_but_private = [
            "0.0.0.0/5",
            "8.0.0.0/7",
            "11.0.0.0/8",
            "12.0.0.0/6",
            "16.0.0.0/4",
            "32.0.0.0/3",
            "64.0.0.0/2",
            "128.0.0.0/1",
        ];
        assert!(admitted(Family::V4, &everything_but_private).is_all());
    }

    #[test]
    fn shares_of_the_public_space() {
        assert_eq!(admitted(Family::V4, &["0.0.0.0/0"]).public, 3_702_258_688);
        assert_eq!(admitted(Family::V6, &["::/0"]).public, (1 << 125) - (1 << 96));
        let half = admitted(Family::V4, &["0.0.0.0/1"]);
        assert!(!half.is_all());
        assert!(half.is_at_least(1, 2), "{half:?}");
        assert_eq!(half.describe(), "about 56% of");
        let private = admitted(Family::V4, &["10.0.0.0/8", "192.168.0.0/16", "203.0.113.0/24"]);
        assert_eq!(private.covered, 0);
        let office = admitted(Family::V4, &["198.51.99.0/24", "8.8.8.8/32"]);
        assert_eq!(office.covered, 257);
        assert!(!office.is_at_least(1, 4));
        assert_eq!(admitted(Family::V6, &["2001:db8::/32", "fd00::/8"]).covered, 0);
        assert_eq!(admitted(Family::V6, &["0.0.0.0/0"]).covered, 0, "other family");
    }

    #[test]
    fn parsing_masks_host_bits_and_rejects_malformed_ranges() {
        assert_eq!(Range::parse("10.1.2.3/8"), Range::parse("10.0.0.0/8"));
        assert_eq!(Range::parse(" ::/0 ").map(|range| range.last), Some(u128::MAX));
        assert_eq!(
            Range::parse("1.2.3.4/32").map(|range| (range.first, range.last)),
            Some((0x0102_0304, 0x0102_0304))
        );
        for malformed in [
            "",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "010.0.0.0/8",
            "example.com/8",
            "0.0.0.0/99999999999999999999",
        ] {
            assert_eq!(Range::parse(malformed), None, "{malformed:?}");
        }
    }
}
