//! The longest common subsequence of two strings, with the matching ranges Redis's `LCS IDX`
//! reports.

/// A run of consecutive matching bytes: inclusive ranges in each string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub a_start: usize,
    pub a_end: usize,
    pub b_start: usize,
    pub b_end: usize,
    pub len: usize,
}

/// An LCS: its length, the subsequence, and its runs from the end of the strings backwards
/// (the order Redis emits them in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcs {
    pub len: usize,
    pub string: Vec<u8>,
    pub matches: Vec<Match>,
}

/// Computes the LCS with the classic dynamic programming table, then walks back from the
/// table's end as Redis does: on a tie it moves in `b`, and runs are cut where the walk skips.
pub fn lcs(a: &[u8], b: &[u8]) -> Lcs {
    let width = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let len = table[a.len() * width + b.len()] as usize;
    let mut string = vec![0u8; len];
    let mut matches = Vec::new();
    let (mut i, mut j, mut idx) = (a.len(), b.len(), len);
    let mut run: Option<Match> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            string[idx - 1] = a[i - 1];
            match &mut run {
                None => {
                    run = Some(Match {
                        a_start: i - 1,
                        a_end: i - 1,
                        b_start: j - 1,
                        b_end: j - 1,
                        len: 0,
                    })
                }
                // Walking back one step in both strings extends the run.
                Some(r) if r.a_start == i && r.b_start == j => {
                    r.a_start -= 1;
                    r.b_start -= 1;
                }
                Some(_) => emit = true,
            }
            if run.is_some_and(|r| r.a_start == 0 || r.b_start == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = run.is_some();
        }
        if emit && let Some(mut r) = run.take() {
            r.len = r.a_end - r.a_start + 1;
            matches.push(r);
        }
    }
    Lcs {
        len,
        string,
        matches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_documentation_example() {
        let result = lcs(b"ohmytext", b"mynewtext");
        assert_eq!(result.len, 6);
        assert_eq!(result.string, b"mytext");
        let ranges: Vec<_> = result
            .matches
            .iter()
            .map(|m| (m.a_start, m.a_end, m.b_start, m.b_end, m.len))
            .collect();
        assert_eq!(ranges, [(4, 7, 5, 8, 4), (2, 3, 0, 1, 2)]);
    }

    #[test]
    fn empty_and_disjoint() {
        assert_eq!(lcs(b"", b"abc").len, 0);
        assert_eq!(lcs(b"abc", b"xyz").string, b"");
        assert!(lcs(b"abc", b"xyz").matches.is_empty());
    }
}
