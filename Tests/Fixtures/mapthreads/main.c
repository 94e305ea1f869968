// mapthreads: THREADS threads making seeded random memory calls at once, each on its own slice
// of one arena (fixed maps, unmaps and mprotects; the slices touch, so areas merge across
// them), and maps and unmaps at addresses of the kernel's choosing, next to each other's, in
// ROUNDS rounds, for the differential test of maptrace's model under concurrency. Between
// rounds every worker waits at a barrier; the main thread then makes one mprotect of a page of
// its own that changes nothing and writes the kernel's count to OUT:
//   ROUND COUNT
// after a first line `sentinel ADDRESS` (decimal) that says which mprotect that is.
// maptrace's log carries its own count at that mprotect: the two must agree. Workers write
// their pages now and then, so that areas get anon_vmas and merges are not all alike. No two
// threads ever work on the same pages at once: the order of two such calls is the kernel's
// alone, and no tracer sees it.
//
// usage: mapthreads SEED THREADS ROUNDS STEPS OUT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define PAGES 1024UL  /* the arena: 4 MiB of 4 KiB pages, in one slice per worker */
#define OWN 8        /* pages each worker maps where the kernel likes, at most */

static char *arena;
static char *sentinel;
static pthread_barrier_t start_round, end_round;
static long rounds, steps, slice;
static uint64_t seed;
static char buffer[1 << 20];

/* A page of a worker's own may have landed in a hole of the arena that another worker has
 * since mapped over or unmapped: a write there faults, and is skipped. */
static __thread sigjmp_buf fault;
static void skip_fault(int sig) { (void)sig; siglongjmp(fault, 1); }
static void touch(char *p) {
    if (sigsetjmp(fault, 1) == 0) *(volatile char *)p = 1;
}

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int kernel_count(void) {
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) return -1;
    size_t used = 0;
    ssize_t n;
    while ((n = read(fd, buffer + used, sizeof buffer - 1 - used)) > 0) used += (size_t)n;
    close(fd);
    buffer[used] = 0;
    int lines = 0;
    for (size_t i = 0; i < used; i++) if (buffer[i] == '\n') lines++;
    return lines - (strstr(buffer, "[vsyscall]") != NULL);
}

static void *worker(void *arg) {
    uint64_t s = seed * 7919 + (uint64_t)(uintptr_t)arg * 104729 + 1;
    char *own[OWN] = { 0 };
    static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE };
    for (long r = 0; r < rounds; r++) {
        pthread_barrier_wait(&start_round);
        for (long i = 0; i < steps; i++) {
            unsigned len = 1 + (unsigned)(next(&s) % 4);
            unsigned at = (unsigned)(next(&s) % (unsigned long)(slice - len + 1));
            char *p = arena + ((uintptr_t)arg * (unsigned long)slice + at) * PAGE;
            unsigned slot = (unsigned)(next(&s) % OWN);
            switch (next(&s) % 7) {
            case 0:
                mmap(p, len * PAGE, prots[next(&s) % 4], MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                break;
            case 1:
                munmap(p, len * PAGE);
                break;
            case 2:
                mprotect(p, len * PAGE, prots[next(&s) % 4]);
                break;
            case 3:
            case 4:  /* where the kernel likes: next to other threads' pages */
                if (own[slot]) munmap(own[slot], PAGE);
                own[slot] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (own[slot] == MAP_FAILED) own[slot] = NULL;
                else if (next(&s) % 2) touch(own[slot]);
                break;
            case 5:
                if (own[slot]) { munmap(own[slot], PAGE); own[slot] = NULL; }
                break;
            default:  /* a write gives the area an anon_vma: merges are then not all alike */
                if (own[slot]) touch(own[slot] + 1);
                break;
            }
        }
        pthread_barrier_wait(&end_round);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: mapthreads SEED THREADS ROUNDS STEPS OUT\n");
        return 2;
    }
    seed = strtoull(argv[1], NULL, 10);
    struct sigaction sa = { .sa_handler = skip_fault };
    sigaction(SIGSEGV, &sa, NULL);
    long threads = atol(argv[2]);
    rounds = atol(argv[3]);
    steps = atol(argv[4]);
    FILE *out = fopen(argv[5], "w");
    if (!out || threads < 1 || PAGES / (unsigned long)threads < 4) return 2;
    slice = (long)(PAGES / (unsigned long)threads);
    /* low, far below where the kernel places maps of its own choosing: no worker's page lands in
     * a hole of another's slice (which that worker could map over: a race of the program's own) */
    arena = mmap((void *)0x200000000UL, PAGES * PAGE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    sentinel = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED || sentinel == MAP_FAILED) return 1;
    fprintf(out, "sentinel %lu\n", (unsigned long)sentinel);
    pthread_barrier_init(&start_round, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&end_round, NULL, (unsigned)threads + 1);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    for (long i = 0; i < threads; i++)
        if (pthread_create(&ids[i], NULL, worker, (void *)(uintptr_t)i) != 0) return 1;
    for (long r = 0; r < rounds; r++) {
        pthread_barrier_wait(&start_round);
        pthread_barrier_wait(&end_round);
        mprotect(sentinel, PAGE, PROT_READ);  /* the record maptrace's count is read from */
        fprintf(out, "%ld %d\n", r, kernel_count());
    }
    for (long i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    fclose(out);
    return 0;
}
