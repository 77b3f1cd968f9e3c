#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER utp_test
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp.h"
#if !defined(_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define _TP_H
#include <lttng/tracepoint.h>
LTTNG_UST_TRACEPOINT_ENUM(utp_test, color,
  LTTNG_UST_TP_ENUM_VALUES(
    lttng_ust_field_enum_value("RED", 0)
    lttng_ust_field_enum_range("GREENISH", 1, 5)
    lttng_ust_field_enum_auto("AUTO")
  )
)
LTTNG_UST_TRACEPOINT_EVENT(utp_test, all_types,
  LTTNG_UST_TP_ARGS(int, i, const char *, s, double, d),
  LTTNG_UST_TP_FIELDS(
    lttng_ust_field_integer(int, i, i)
    lttng_ust_field_integer(short, neg, -i)
    lttng_ust_field_integer_hex(unsigned long, hx, 0xdeadbeefUL + i)
    lttng_ust_field_integer(unsigned char, u8, i & 0xff)
    lttng_ust_field_integer(long, s64, -1234567890123LL * i)
    lttng_ust_field_string(str, s)
    lttng_ust_field_array_text(char, arrtext, s, 4)
    lttng_ust_field_array(int, arr, ((int[]){i, i+1, i+2}), 3)
    lttng_ust_field_sequence(unsigned char, seq, s, size_t, i % 4)
    lttng_ust_field_sequence_text(char, seqtext, s, unsigned int, i % 5)
    lttng_ust_field_float(double, dbl, d)
    lttng_ust_field_float(float, flt, (float)d)
    lttng_ust_field_enum(utp_test, color, int, col, i % 8)
  )
)
#endif
#include <lttng/tracepoint-event.h>
