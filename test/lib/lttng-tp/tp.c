#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "tp.h"
int main(void) {
  const char *strs[] = { "hello", "tab\there", "quote\"q'?\\", "\x01\x7f bytes \xc3\xa9", "" };
  for (int i = 0; i < 12; i++)
    lttng_ust_tracepoint(utp_test, all_types, i, strs[i % 5], i * 1.5 - 3.25 + (i == 7 ? 1e300 : 0) + (i == 9 ? 1e-7 : 0));
  return 0;
}
