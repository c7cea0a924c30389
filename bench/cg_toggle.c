/* cg_toggle.c: start/stop callgrind instrumentation from Python (ctypes), so
 * the instruction count covers exactly the measured window of a worker run.
 * Outside valgrind these client requests are no-ops. */
#include <valgrind/callgrind.h>

void bench_cg_start(void);
void bench_cg_stop(void);

void bench_cg_start(void) {
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
}

void bench_cg_stop(void) {
  CALLGRIND_STOP_INSTRUMENTATION;
  CALLGRIND_DUMP_STATS_AT("bench-window");
}
