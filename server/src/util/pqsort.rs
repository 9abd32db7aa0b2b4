//! Redis's partial quicksort (`pqsort`), for commands whose replies show the order it leaves
//! equal elements in: SORT with `LIMIT` and GEOSEARCH/GEORADIUS with `COUNT` sort only the
//! ranks they return, and a client sees which of several equal elements came first. A
//! standard sort would order the same ranks correctly but break ties differently.

/// Redis's `pqsort` (NetBSD's quicksort that only descends into partitions overlapping the
/// wanted ranks `[left, right]`), step by step on indices, so that equal elements end where
/// Redis leaves them. Sorts `items[start..start + n]`; ranks are absolute.
pub fn partial_sort<T>(
    items: &mut [T],
    cmp: &dyn Fn(&T, &T) -> i32,
    left: usize,
    right: usize,
    mut start: usize,
    mut n: usize,
) {
    // Whether the partition `[from, from + len)` holds any wanted rank.
    let overlaps = |from: usize, len: usize| {
        let end = from + len;
        !((left < from && right < from) || (left >= end && right >= end))
    };
    loop {
        let a = start;
        if n < 7 {
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(&items[l - 1], &items[l]) > 0 {
                    items.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let med3 = |items: &[T], x: usize, y: usize, z: usize| -> usize {
            if cmp(&items[x], &items[y]) < 0 {
                if cmp(&items[y], &items[z]) < 0 {
                    y
                } else if cmp(&items[x], &items[z]) < 0 {
                    z
                } else {
                    x
                }
            } else if cmp(&items[y], &items[z]) > 0 {
                y
            } else if cmp(&items[x], &items[z]) < 0 {
                x
            } else {
                z
            }
        };
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(items, pl, pl + d, pl + 2 * d);
                pm = med3(items, pm - d, pm, pm + d);
                pn = med3(items, pn - 2 * d, pn - d, pn);
            }
            pm = med3(items, pl, pm, pn);
        }
        items.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        // `pc` and `pd` can step below `pb`; signed, as the C pointers they follow.
        let (mut pc, mut pd) = ((a + n - 1) as isize, (a + n - 1) as isize);
        loop {
            while pb as isize <= pc {
                let r = cmp(&items[pb], &items[a]);
                if r > 0 {
                    break;
                }
                if r == 0 {
                    items.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let r = cmp(&items[pc as usize], &items[a]);
                if r < 0 {
                    break;
                }
                if r == 0 {
                    items.swap(pc as usize, pd as usize);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            items.swap(pb, pc as usize);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let swap_blocks = |items: &mut [T], x: usize, y: usize, len: usize| {
            for i in 0..len {
                items.swap(x + i, y + i);
            }
        };
        let r = (pa - a).min(pb - pa);
        swap_blocks(items, a, pb - r, r);
        let r = ((pd - pc) as usize).min(pn - pd as usize - 1);
        swap_blocks(items, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && overlaps(a, r) {
            partial_sort(items, cmp, left, right, a, r);
        }
        let r = (pd - pc) as usize;
        if r > 1 {
            start = pn - r;
            n = r;
            if overlaps(start, n) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted_by<T: Copy>(items: &[T], key: impl Fn(&T) -> i64) -> bool {
        items.windows(2).all(|w| key(&w[0]) <= key(&w[1]))
    }

    proptest! {
        #[test]
        fn partial_sort_orders_the_wanted_prefix(
            values in proptest::collection::vec(0i64..20, 0..120),
            wanted in 1usize..130,
        ) {
            let mut items: Vec<(i64, usize)> = values.iter().copied().zip(0..).collect();
            let mut full = items.clone();
            full.sort_by_key(|x| x.0);
            let n = items.len();
            let wanted = wanted.min(n.max(1));
            if n > 0 {
                let cmp = |a: &(i64, usize), b: &(i64, usize)| (a.0 - b.0).signum() as i32;
                partial_sort(&mut items, &cmp, 0, wanted - 1, 0, n);
                prop_assert!(sorted_by(&items[..wanted], |x| x.0));
                let keys: Vec<i64> = items[..wanted].iter().map(|x| x.0).collect();
                let expected: Vec<i64> = full[..wanted].iter().map(|x| x.0).collect();
                prop_assert_eq!(keys, expected);
                let mut all: Vec<usize> = items.iter().map(|x| x.1).collect();
                all.sort();
                prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
            }
        }
    }
}
