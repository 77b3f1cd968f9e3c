/* The -g fixture's workload: no libc (static, a few KiB), frame pointers, user frames three deep
 * and kernel frames under getpid/write syscalls. */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
__attribute__((noinline)) static void work(volatile long *x) {
  for (long i = 0; i < 2000000; i++) *x += i;
}
__attribute__((noinline)) static void calls(void) {
  static const char dot = '.';
  for (int i = 0; i < 3000; i++) {
    sys3(39, 0, 0, 0);        /* getpid */
    sys3(1, -1, (long)&dot, 1); /* write to a bad fd: EBADF, through the syscall path */
  }
}
__attribute__((noinline)) static void level2(volatile long *x) {
  work(x);
  calls();
}
__attribute__((noinline)) static void level1(volatile long *x) {
  level2(x);
  work(x);
}
__attribute__((noinline, used)) void spin_main(void) {
  volatile long x = 0;
  for (int k = 0; k < 40; k++) level1(&x);
  sys3(60, 0, 0, 0); /* exit */
}
__asm__(".globl _start\n_start:\n xor %rbp,%rbp\n and $-16,%rsp\n call spin_main\n hlt\n");
