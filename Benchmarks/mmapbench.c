/* The benchmark workload: PREFILL mappings that cannot merge (to give the model a large
 * address space), then PAIRS anonymous mmap/munmap pairs (traced calls), then GETPPIDS
 * getppid calls (untraced: the seccomp filter lets them through). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long pairs = argc > 1 ? atol(argv[1]) : 100000;
    long getppids = argc > 2 ? atol(argv[2]) : 1000000;
    long prefill = argc > 3 ? atol(argv[3]) : 0;
    for (long i = 0; i < prefill; i++) {
        if (mmap(NULL, 4096, (i & 1) ? PROT_READ : PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
            perror("prefill mmap");
            return 1;
        }
    }
    for (long i = 0; i < pairs; i++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        munmap(p, 4096);
    }
    long sum = 0;
    for (long i = 0; i < getppids; i++) sum += getppid();
    return sum == 42;
}
