//! Glob matching for check ids, namespaces and resource names: `*` matches any run of
//! characters (including none), `?` exactly one; everything else matches itself.

pub fn matches(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matcher with a single backtrack point: linear in practice, never recursive.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether the pattern contains glob metacharacters.
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("rbac.*", "rbac.wildcard"));
        assert!(matches("*", ""));
        assert!(matches("pod.run-as-*", "pod.run-as-user"));
        assert!(matches("p?d.*", "pod.privileged"));
        assert!(matches("*-*-*", "a-b-c"));
        assert!(!matches("rbac.*", "pod.privileged"));
        assert!(!matches("pod.privileged", "pod.privileged-x"));
        assert!(!matches("a*b", "a"));
        assert!(matches("legacy-*", "legacy-"));
    }
}
