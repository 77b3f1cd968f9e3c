/**
 * glibc's bsearch probe order (l=0,u=n; idx=(l+u)>>1), so that lookups in tables with
 * duplicate keys pick the same entry as libtraceevent does.
 * `cmp(i)` compares the key with element i: <0 key is before, >0 after, 0 match.
 */
export function glibcBsearch(n: number, cmp: (i: number) => number): number {
  let l = 0;
  let u = n;
  while (l < u) {
    const idx = (l + u) >>> 1;
    const c = cmp(idx);
    if (c < 0) u = idx;
    else if (c > 0) l = idx + 1;
    else return idx;
  }
  return -1;
}
