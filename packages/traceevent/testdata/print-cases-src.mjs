/**
 * Source of print-cases.json: synthetic formats exercising libtraceevent 1.7.1's print
 * engine (helpers, printf conversions, %p extensions, arithmetic, parse failures).
 * Fields: [declaration, size, signed]. Records: field values (numbers, strings, byte arrays).
 */
export const KALLSYMS = [
  'ffffffff81000000 T _stext',
  'ffffffff81000100 T do_one',
  'ffffffff81000200 t do_two\t[mymod]',
  'ffffffff81000300 T do_three',
  'ffffffff81000300 T do_three_alias',
  'ffffffff81000400 A abs_sym',
  'ffffffff81000500 T $x_arm',
  'ffffffff81000600 T last_sym',
  '',
].join('\n');

export const PRINTK = [
  '0xffffffff82000000 : "hello %d world\\n"',
  '0xffffffff82000100 : "str=%s num=%lu hex=%llx\\n"',
  '0xffffffff82000200 : "ptr=%p sym=%pS c=%c after=%d\\n"',
  '0xffffffff82000300 : "w=%-5d| h=%hd| z=%zu|%%\\n"',
  '0xffffffff82000400 : "a constant string"',
  '0xffffffff82000500 : "star=%*d end\\n"',
  '0xffffffff82000600 : "ps=%ps pf=%pf pM=%pM s2=%s\\n"',
  '',
].join('\n');

// numbers inside arrays/buffers in the file's byte order (BE=1 makes a big-endian variant)
const LE = typeof process === 'undefined' || process.env.BE !== '1';
const le32 = (...v) => { const b = new Uint8Array(v.length * 4); const d = new DataView(b.buffer); v.forEach((x, i) => d.setUint32(i * 4, x >>> 0, LE)); return b; };
const le64 = (...v) => { const b = new Uint8Array(v.length * 8); const d = new DataView(b.buffer); v.forEach((x, i) => d.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x)), LE)); return b; };
const cat = (...a) => { const n = a.reduce((s, x) => s + x.length, 0); const o = new Uint8Array(n); let p = 0; for (const x of a) { o.set(x, p); p += x.length; } return o; };
const str = (s) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

// sockaddr_in (family 2, port 8080, 10.1.2.3) and sockaddr_in6 (family 10, port 443, 2001:db8::1)
const SIN = cat(Uint8Array.of(2, 0, 0x1f, 0x90, 10, 1, 2, 3), new Uint8Array(8));
const SIN6 = cat(Uint8Array.of(10, 0, 0x01, 0xbb, 0, 0, 0, 0), Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), new Uint8Array(4));

const bp = (fmt, ...buf) => cat(LE ? Uint8Array.of(6, 0, 0, 0, 100, 0, 0, 0) : Uint8Array.of(0, 6, 0, 0, 0, 0, 0, 100), le64(0xffffffff81000105n), le64(fmt), ...buf);

export const CASES = [
  {
    name: 'ints',
    fields: [['u8 a8', 1, 0], ['s8 s8v', 1, 1], ['u16 a16', 2, 0], ['s16 s16v', 2, 1], ['int i32', 4, 1], ['unsigned int u32', 4, 0], ['long l64', 8, 1], ['u64 u64v', 8, 0]],
    fmt: '"a8=%d s8=%d hhd=%hhd hhu=%hhu s16=%d hd=%hd i32=%d u32=%u x=%x X=%X o=%o l64=%ld lu=%lu llx=%llx llu=%llu zu=%zu Lu=%Lu lli=%lli", REC->a8, REC->s8v, REC->s8v, REC->s8v, REC->s16v, REC->s16v, REC->i32, REC->u32, REC->u32, REC->u32, REC->u32, REC->l64, REC->l64, REC->u64v, REC->u64v, REC->u64v, REC->u64v, REC->l64',
    records: [
      { a8: 200, s8v: -3, a16: 65535, s16v: -5, i32: -7, u32: 0xdeadbeef, l64: -9, u64v: 0xffffffffffffffffn },
      { a8: 0, s8v: 127, a16: 1, s16v: 32767, i32: 2147483647, u32: 0, l64: 9007199254740993n, u64v: 1234567890123n },
    ],
  },
  {
    name: 'widths',
    fields: [['int a', 4, 1], ['unsigned int b', 4, 0], ['char s[8]', 8, 0], ['int w', 4, 1]],
    fmt: '"[%5d][%-5d][%05d][%.3d][%5.3d][%08x][%#x][%#o][%#X][%x][%-8s][%8s][%.2s][%*d][%.*s][%-*d]", REC->a, REC->a, REC->a, REC->a, REC->a, REC->b, REC->b, REC->b, REC->b, REC->b, REC->s, REC->s, REC->s, REC->w, REC->a, REC->w, REC->s, REC->w, REC->a',
    records: [
      { a: -42, b: 255, s: 'abcdef', w: 7 },
      { a: 0, b: 0, s: '', w: 0 },
      { a: 123456, b: 0x1234, s: 'abcdefgh', w: 2 },
    ],
  },
  {
    name: 'quirks',
    fields: [['char c', 1, 1], ['int d', 4, 1], ['int e', 4, 1]],
    fmt: '"c=%c d=%d e=%d plus=%+d sp=% d pct=%% tab=\\t bs=\\\\ q=\\" n=%d", REC->c, REC->d, REC->e, REC->d, REC->e, REC->d',
    records: [{ c: 81, d: 5, e: -6 }],
  },
  {
    name: 'flags',
    fields: [['unsigned long f', 8, 0], ['int s', 4, 1], ['short neg', 2, 1]],
    fmt: '"f=%s s=%s z=%s n=%s sym=%s b=%s", __print_flags(REC->f, "|", { 0x1, "ONE" }, { 0x2, "TWO" }, { 0x6, "SIX" }, { 0x100, "BIG" }), __print_symbolic(REC->s, { 0, "ZERO" }, { 1, "ONE" }, { -1, "MINUS" }), __print_flags(REC->f & 0, "", { -1, "NONE" }, { 1, "X" }), __print_flags(REC->f, "", { 1, "a" }, { 2, "b" }), __print_symbolic(REC->neg, { 1, "one" }), __print_symbolic(REC->s, { HI_SOFTIRQ, "HI" }, { RCU_SOFTIRQ, "RCU" }, { (1 << 4), "SHIFTED" })',
    records: [
      { f: 0x10f, s: 1, neg: -5 },
      { f: 0x0, s: 7, neg: 1 },
      { f: 0x6, s: 9, neg: 2 },
      { f: 0x8, s: 16, neg: 0 },
      { f: 0x3, s: -1, neg: 0 },
    ],
  },
  {
    name: 'arith',
    fields: [['unsigned int a', 4, 0], ['unsigned int b', 4, 0], ['int neg', 4, 1], ['u64 big', 8, 0], ['unsigned char arr[4]', 4, 0], ['u32 warr[3]', 12, 0]],
    fmt: '"add=%u sub=%d subu=%u subllx=%llx mul=%u div=%u mod=%u shl=%llu shr=%u and=%x or=%x xor=%u not=%d lnot=%d neg=%d eq=%d ne=%d lt=%d ge=%d land=%d lor=%d tern=%s t2=%d prec=%d paren=%d cast8=%d cast16=%u castint=%d castlong=%ld idx=%d widx=%u bigshr=%llu", REC->a + REC->b, REC->a - REC->b, REC->a - REC->b, REC->a - REC->b, REC->a * REC->b, REC->a / REC->b, REC->a % REC->b, REC->big << 4, REC->a >> 2, REC->a & 0xff0, REC->a | 0x10000, REC->a ^ REC->b, ~REC->a, !REC->a, -REC->a, REC->a == REC->b, REC->a != REC->b, REC->a < REC->b, REC->a >= REC->b, REC->a && REC->b, REC->a || 0, REC->a > 10 ? "big" : "small", REC->a ? REC->a : REC->b + 100, REC->a + REC->b * 2, REC->a * (REC->b + 1), (u8)REC->a, (unsigned short)REC->neg, (int)REC->neg, (long)REC->neg, REC->arr[2], REC->warr[1], REC->big >> 60',
    records: [
      { a: 1000, b: 7, neg: -2, big: 0x123456789abcdefn, arr: [1, 2, 3, 4], warr: le32(10, 20, 30) },
      { a: 3, b: 9, neg: 70000, big: 0xf000000000000000n, arr: [0, 0, 255, 0], warr: le32(0, 0xffffffff, 0) },
      { a: 0, b: 5, neg: 0, big: 1, arr: [9, 9, 9, 9], warr: le32(1, 2, 3) },
    ],
  },
  {
    name: 'helpers',
    fields: [['u8 buf[6]', 6, 0], ['__data_loc u8[] dyn', 4, 0], ['__data_loc char[] name', 4, 0], ['__data_loc char[] empty', 4, 0], ['int n', 4, 1]],
    fmt: '"hex=%s hexstr=%s dhex=%s name=%s empty=[%s] len=%d dlen=%u arr=%s", __print_hex(REC->buf, 6), __print_hex_str(REC->buf, 3), __print_hex(__get_dynamic_array(dyn), __get_dynamic_array_len(dyn)), __get_str(name), __get_str(empty), REC->n, __get_dynamic_array_len(dyn), __print_array(__get_dynamic_array(dyn), __get_dynamic_array_len(dyn) / 4, 4)',
    records: [
      { buf: [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01], dyn: le32(1, 2, 0xdeadbeef), name: 'kworker/0:1\0', empty: new Uint8Array(0), n: 3 },
      { buf: [0, 0, 0, 0, 0, 0], dyn: new Uint8Array(0), name: 'x\0', empty: '\0', n: 0 },
    ],
  },
  {
    name: 'arrays',
    fields: [['u16 a16[4]', 8, 0], ['u64 a64[2]', 16, 0], ['u8 a8[3]', 3, 0]],
    fmt: '"a16={%s} a64={%s} a8={%s} bad={%s}", __print_array(REC->a16, 4, 2), __print_array(REC->a64, 2, 8), __print_array(REC->a8, 3, 1), __print_array(REC->a8, 2, 3)',
    records: [{ a16: [1, 0, 2, 0, 0xff, 0xff, 4, 0], a64: le64(5, -1), a8: [7, 8, 9] }],
  },
  {
    name: 'masks',
    fields: [['__data_loc unsigned long[] bits', 4, 0], ['__data_loc cpumask_t cpus', 4, 0]],
    fmt: '"bits=%s cpus=%s", __get_bitmask(bits), __get_cpumask(cpus)',
    records: [
      { bits: le64(0x8000000500000013n), cpus: le64(0x8000000500000013n) },
      { bits: le64(0xffn, 0x1n), cpus: le64(0xffn, 0x1n) },
      { bits: le64(0n), cpus: le64(0n) },
      { bits: le32(0x3), cpus: le32(0xfffffffe) },
    ],
  },
  {
    name: 'net',
    fields: [['u8 mac[6]', 6, 0], ['u8 v4[4]', 4, 0], ['u8 v6[16]', 16, 0], ['u8 v6m[16]', 16, 0], ['u8 sa[28]', 28, 0], ['__data_loc u8[] dsa', 4, 0], ['u8 bad[5]', 5, 0]],
    fmt: '"M=%pM MR=%pMR MF=%pMF m=%pm I4=%pI4 i4=%pi4 I4h=%pI4h I6=%pI6 i6=%pi6 I6c=%pI6c mapped=%pI6c sa=%pISpc dsa=%pISpc sa2=%pIS badmac=%pM badip=%pI4", REC->mac, REC->mac, REC->mac, REC->mac, REC->v4, REC->v4, REC->v4, REC->v6, REC->v6, REC->v6, REC->v6m, REC->sa, __get_dynamic_array(dsa), REC->sa, REC->bad, REC->bad',
    records: [
      { mac: [0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc], v4: [192, 168, 1, 7], v6: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], v6m: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], sa: SIN, dsa: SIN, bad: [1, 2, 3, 4, 5] },
      { mac: [1, 2, 3, 4, 5, 6], v4: [10, 0, 0, 1], v6: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0], v6m: new Uint8Array(16), sa: SIN6, dsa: SIN, bad: [0, 0, 0, 0, 0] },
    ],
  },
  {
    name: 'uuid_hex',
    fields: [['u8 uuid[16]', 16, 0], ['__data_loc u8[] raw', 4, 0], ['int len', 4, 1]],
    fmt: '"U=%pU Ub=%pUb UB=%pUB Ul=%pUl UL=%pUL h=%*ph hC=%*phC hD=%*phD hN=%*phN", REC->uuid, REC->uuid, REC->uuid, REC->uuid, REC->uuid, REC->len, __get_dynamic_array(raw), REC->len, __get_dynamic_array(raw), 2, __get_dynamic_array(raw), 10, __get_dynamic_array(raw)',
    records: [
      { uuid: [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef], raw: [1, 0, 0, 0, 0xff], len: 4 },
      { uuid: new Uint8Array(16), raw: [], len: 0 },
    ],
  },
  {
    name: 'pointers',
    fields: [['unsigned long ip', 8, 0], ['void * ptr', 8, 0], ['unsigned long fmt', 8, 0]],
    fmt: '"S=%pS s=%ps F=%pF f=%pf B=%pB x=%px K=%pK p=%p raw=%s", (void *)REC->ip, (void *)REC->ip, (void *)REC->ip, (void *)REC->ip, REC->ptr, REC->ptr, REC->ptr, REC->ptr, REC->fmt',
    records: [
      { ip: 0xffffffff81000105n, ptr: 0xffff888812345678n, fmt: 0xffffffff82000400n },
      { ip: 0xffffffff81000200n, ptr: 0, fmt: 0x1234 },
      { ip: 0xffffffff81000300n, ptr: 1, fmt: 0 },
      { ip: 0xffffffff81000600n, ptr: 0, fmt: 0 },
      { ip: 0xffffffff81000601n, ptr: 0, fmt: 0 },
      { ip: 0xffffffff80000000n, ptr: 0, fmt: 0 },
      { ip: 0xffffffff81000400n, ptr: 0, fmt: 0 },
    ],
  },
  {
    name: 'sizes',
    fields: [['int a', 4, 1], ['unsigned long b', 8, 0]],
    fmt: '"sl=%d su=%d be=%d rec=%d", sizeof(long), sizeof(unsigned), __builtin_expect(REC->a, 0), REC->b',
    records: [{ a: 12, b: 5 }],
  },
  { name: 'fail_sizeof_int', fields: [['int a', 4, 1], ['u8 s[4]', 4, 0]], fmt: '"a=%d", sizeof(int) + REC->a', records: [{ a: 1, s: 'ab\x01' }] },
  { name: 'fail_u64', fields: [['int a', 4, 1]], fmt: '"a=%d", sizeof(u64)', records: [{ a: 1 }] },
  { name: 'fail_func', fields: [['int a', 4, 1], ['unsigned long p', 8, 0]], fmt: '"a=%d %s", REC->a, unknown_function(REC->a)', records: [{ a: -1, p: 0xffff }] },
  { name: 'fail_noarg', fields: [['int a', 4, 1]], fmt: '"a=%d b=%d", REC->a', records: [{ a: 2 }] },
  { name: 'fail_tab', fields: [['int a', 4, 1], ['char s[4]', 4, 0]], fmt: '"a=\t%d", REC->a', records: [{ a: 2, s: 'abc' }] },
  { name: 'concat', fields: [['int a', 4, 1]], fmt: '"a=%d " "b=%d", REC->a, REC->a', records: [{ a: 2 }] },
  { name: 'concat_arg', fields: [['int a', 4, 1]], fmt: '"a=%s", REC->a ? "x" "y" : "z"', records: [{ a: 2 }] },
  { name: 'fail_stmt', fields: [['int a', 4, 1]], fmt: '"a=%d", ({ int x = REC->a; x; })', records: [{ a: 2 }] },
  { name: 'fail_bad_ls', fields: [['int a', 4, 1]], fmt: '"a=%llld", REC->a', records: [{ a: 2 }] },
  {
    name: 'raw_match',
    fields: [['unsigned long ip', 8, 0], ['int val', 4, 1], ['unsigned int flags', 4, 0], ['long lng', 8, 1], ['s16 sh', 2, 1], ['s8 ch', 1, 1], ['char comm[8]', 8, 0], ['u8 bin[4]', 4, 0], ['void * p', 8, 0], ['int sl', 4, 1], ['unsigned long ul', 8, 0], ['u16 last', 2, 0]],
    fmt: '"ip=%ps val=%5d flags=0x%x lng=%ld sh=%d comm=%s p=%p ul=%lu", (void *)REC->ip, REC->val, REC->flags, REC->lng, REC->sh, REC->comm, REC->p, REC->ul',
    records: [
      { ip: 0xffffffff81000100n, val: 259, flags: 0x41, lng: -3, sh: -2, ch: -1, comm: 'bash', bin: [1, 2, 0xff, 4], p: 0, sl: -8, ul: 77, last: 9 },
      { ip: 0xffffffff81000100n, val: -1, flags: 0, lng: 3, sh: 2, ch: 5, comm: 'a\x01b', bin: [0x41, 0x42, 0, 0], p: 0x10, sl: 8, ul: 0, last: 65535 },
      // short records: fields past the record size
      { ip: 0xffffffff81000100n, val: 7, flags: 1, lng: 3, sh: 2, ch: 5, comm: 'short', bin: [1, 2, 3, 4], p: 0x10, sl: 8, ul: 5, last: 6, $truncate: 28 },
      { ip: 0xffffffff81000100n, val: 7, flags: 1, lng: 3, sh: 2, ch: 5, comm: 'short', bin: [1, 2, 3, 4], p: 0x10, sl: 8, ul: 5, last: 6, $truncate: 12 },
    ],
  },
  {
    name: 'raw_types',
    fields: [['s16 a', 2, 1], ['s8 b', 1, 1], ['long c', 4, 1], ['int d', 4, 1], ['unsigned long e', 8, 0], ['u32 f', 4, 0], ['char * g', 8, 0], ['s64 h', 8, 1], ['char txt[6]', 6, 0], ['__data_loc char[] dstr', 4, 0]],
    fmt: '"only %d", REC->d',
    records: [
      { a: -3, b: -4, c: -5, d: -6, e: 0xabc, f: 0xffffffff, g: 0x1000, h: -7, txt: 'hi\tyo', dstr: 'dyn\0' },
      { a: 5, b: 6, c: 7, d: 8, e: 0, f: 1, g: 0, h: 9, txt: 'x\xc3\xa9', dstr: '\x01\x02\0' },
    ],
  },
  {
    name: 'ptr_str',
    fields: [['const char * msg', 8, 0], ['unsigned int code', 4, 0]],
    fmt: '"msg=%s code=%u", REC->msg, REC->code',
    records: [{ msg: 0xffffffff82000400n, code: 1 }, { msg: 0xdeadn, code: 2 }],
  },
  {
    name: 'ternary_str',
    fields: [['int err', 4, 1], ['__data_loc char[] nm', 4, 0]],
    fmt: '"%s%s err=%d", REC->err ? "failed:" : "", REC->err < 0 ? __get_str(nm) : "ok", REC->err',
    records: [{ err: -2, nm: 'bad\0' }, { err: 0, nm: 'good\0' }],
  },
  {
    name: 'rel_loc',
    fields: [['int a', 4, 1], ['__rel_loc char[] rs', 4, 0]],
    fmt: '"a=%d rs=%s", REC->a, __get_rel_str(rs)',
    records: [{ a: 1, rs: 'relative\0' }, { a: 2, rs: 'cut\0', $truncate: 14 }],
  },
  {
    name: 'escapes',
    fields: [['int a', 4, 1]],
    fmt: '"x\\ty\\r\\\\z\\q %d%%", REC->a',
    records: [{ a: 1 }],
  },
  {
    name: 'bprint', ftrace: true,
    records: [
      { $raw: bp(0xffffffff82000000n, le32(42)) },
      { $raw: bp(0xffffffff82000100n, str('abc\0'), le64(77), le64(0xfeedn)) },
      { $raw: bp(0xffffffff82000200n, le64(0x1234), le64(0xffffffff81000105n), le32(65), le32(7)) },
      { $raw: bp(0xffffffff82000400n) },
      { $raw: bp(0xffffffff82000500n, le32(6), le32(42)) },
      { $raw: bp(0xffffffff82000600n, le64(0xffffffff81000200n), le64(0xffffffff81000300n), Uint8Array.of(0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0), str('end\0')) },
      { $raw: bp(0xffffffff82009999n, le32(1)) },
      { $raw: bp(0xffffffff82000300n, le32(3), le32(4), le64(5)) },
      { $raw: bp(0xffffffff82000000n, le32(43)) },
    ],
  },
  {
    name: 'dynidx',
    fields: [['__data_loc u32[] d', 4, 0], ['int a', 4, 1], ['__data_loc char[] s', 4, 0]],
    fmt: '"v=%u w=%x rec=%d s=%s", ((u32 *)__get_dynamic_array(d))[1], ((u8 *)__get_dynamic_array(d))[2], (REC)->a, __get_str(s)',
    records: [{ d: le32(0x11223344, 0x55667788, 0x99aabbcc), a: 5, s: 'zz\0' }],
  },
  { name: 'fail_dynidx', fields: [['__data_loc u32[] d', 4, 0]], fmt: '"v=%u", __get_dynamic_array(d)[1]', records: [{ d: le32(1, 2) }] },
  { name: 'oldftrace', ftraceCustom: true, fields: [['int a', 4, 1], ['unsigned long b', 8, 0], ['char s[4]', 4, 0]], fmt: '"a=%d b=%lx s=%s"', records: [{ a: -1, b: 0xabcdef, s: 'xyz' }] },
];
