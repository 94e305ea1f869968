// mapfuzz: a seeded random sequence of memory calls that split and merge areas, for the
// differential test of maptrace's model. After every call it writes one line to OUT:
//   PID NAME RESULT COUNT
// where COUNT is the kernel's own count of the process's areas (/proc/self/maps lines less
// [vsyscall]), read right after the call. The loop allocates nothing and makes no calls of its
// own but the one under test and the read of maps (openat, read, close), so the records line up
// one to one with the memory calls maptrace logs.
//
// usage: mapfuzz SEED STEPS OUT [HUGETLBFS_DIR [FORK_AT]]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096UL
#define PAGES 1024UL         /* the arena: 4 MiB of 4 KiB pages */
#define HUGE (2UL << 20)
#define HUGE_SLOTS 4         /* a separate arena of 2 MiB slots */

static uint64_t rng;
static int out;
static char *arena, *huge_arena;
static int file_fd = -1;
static int huge_fd = -1;
static char buffer[1 << 20];
static char line[256];

static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned below(unsigned n) { return (unsigned)(next() % n); }

/* the kernel's count: lines of /proc/self/maps less [vsyscall] */
static int kernel_count(void) {
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);
    if (fd < 0) return -1;
    int lines = 0, gate = 0;
    ssize_t n;
    size_t used = 0;
    while ((n = syscall(SYS_read, fd, buffer + used, sizeof buffer - 1 - used)) > 0) used += (size_t)n;
    syscall(SYS_close, fd);
    buffer[used] = 0;
    for (size_t i = 0; i < used; i++) if (buffer[i] == '\n') lines++;
    if (strstr(buffer, "[vsyscall]")) gate = 1;
    return lines - gate;
}

static void record(const char *name, long result) {
    int count = kernel_count();
    int len = snprintf(line, sizeof line, "%d %s %ld %d\n", (int)getpid(), name, result, count);
    if (write(out, line, (size_t)len) != len) _exit(3);
}

static long raw(long nr, long a, long b, long c, long d, long e, long f) {
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}

static char *page(unsigned i) { return arena + (unsigned long)i * PAGE; }

static void range(unsigned *start, unsigned *count, unsigned max) {
    *start = below(PAGES - 1);
    *count = 1 + below(max);
    if (*start + *count > PAGES) *count = PAGES - *start;
}

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
                             PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE };
static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_DONTFORK, MADV_DOFORK,
                              MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_DONTDUMP, MADV_DODUMP, MADV_HUGEPAGE,
                              MADV_NOHUGEPAGE, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_DONTNEED, MADV_WILLNEED,
                              MADV_FREE, MADV_POPULATE_WRITE, MADV_POPULATE_WRITE };

static void step(int sealed_ok) {
    unsigned s, n;
    long r;
    unsigned roll = below(100);
    if (roll < 22) {                       /* mmap MAP_FIXED into the arena: anon, shared, file */
        range(&s, &n, 8);
        int prot = prots[below(6)];
        unsigned kind = below(10);
        int flags = MAP_FIXED;
        int fd = -1;
        long offset = 0;
        if (kind < 6) {
            flags |= MAP_PRIVATE | MAP_ANONYMOUS;
            unsigned extra = below(12);
            if (extra == 0) flags |= MAP_NORESERVE;
            if (extra == 1) flags |= MAP_STACK;
            if (extra == 2) flags |= MAP_POPULATE;
            if (extra == 3) flags |= MAP_LOCKED;
        } else if (kind < 7) {
            flags |= MAP_SHARED | MAP_ANONYMOUS;
        } else {
            flags |= (kind == 9 ? MAP_SHARED : MAP_PRIVATE);
            fd = file_fd;
            offset = (long)(below(48) * PAGE);
        }
        r = raw(SYS_mmap, (long)page(s), (long)(n * PAGE), prot, flags, fd, offset);
        record("mmap", r);
    } else if (roll < 32) {
        range(&s, &n, 6);
        r = raw(SYS_munmap, (long)page(s), (long)(n * PAGE), 0, 0, 0, 0);
        record("munmap", r);
    } else if (roll < 48) {
        range(&s, &n, 6);
        r = raw(SYS_mprotect, (long)page(s), (long)(n * PAGE), prots[below(6)], 0, 0, 0);
        record("mprotect", r);
    } else if (roll < 51) {
        range(&s, &n, 6);
        r = raw(SYS_pkey_mprotect, (long)page(s), (long)(n * PAGE), prots[below(6)], -1, 0, 0);
        record("pkey_mprotect", r);
    } else if (roll < 63) {
        range(&s, &n, 6);
        r = raw(SYS_madvise, (long)page(s), (long)(n * PAGE), advice[below(sizeof advice / sizeof advice[0])], 0, 0, 0);
        record("madvise", r);
    } else if (roll < 67) {
        range(&s, &n, 4);
        r = raw(SYS_mlock, (long)page(s), (long)(n * PAGE), 0, 0, 0, 0);
        record("mlock", r);
    } else if (roll < 69) {
        range(&s, &n, 4);
        r = raw(SYS_mlock2, (long)page(s), (long)(n * PAGE), 1 /* MLOCK_ONFAULT */, 0, 0, 0);
        record("mlock2", r);
    } else if (roll < 73) {
        range(&s, &n, 6);
        r = raw(SYS_munlock, (long)page(s), (long)(n * PAGE), 0, 0, 0, 0);
        record("munlock", r);
    } else if (roll < 74) {
        if (below(2)) {
            static const int modes[] = { MCL_CURRENT, MCL_CURRENT | MCL_ONFAULT, MCL_CURRENT | MCL_FUTURE };
            r = raw(SYS_mlockall, modes[below(3)], 0, 0, 0, 0, 0);
            record("mlockall", r);
        } else {
            r = raw(SYS_munlockall, 0, 0, 0, 0, 0, 0);
            record("munlockall", r);
        }
    } else if (roll < 84) {                /* mremap: shrink, grow in place, move, DONTUNMAP */
        range(&s, &n, 6);
        unsigned kind = below(4);
        if (kind == 0) {
            r = raw(SYS_mremap, (long)page(s), (long)(n * PAGE), (long)(PAGE * (1 + below(n))), 0, 0, 0);
        } else if (kind == 1) {
            r = raw(SYS_mremap, (long)page(s), (long)(n * PAGE), (long)(PAGE * (n + 1 + below(3))), 0, 0, 0);
        } else {
            unsigned d = below(PAGES - 8);
            if (d < s + n && d + n > s) d = (s + n + 8 < PAGES) ? s + n + 8 : 0;
            int flags = MREMAP_MAYMOVE | MREMAP_FIXED | (kind == 3 ? MREMAP_DONTUNMAP : 0);
            r = raw(SYS_mremap, (long)page(s), (long)(n * PAGE), (long)(n * PAGE), flags, (long)page(d), 0);
        }
        record("mremap", r);
    } else if (roll < 88) {
        range(&s, &n, 6);
        unsigned long nodes = 1;
        int modes[] = { 0 /* MPOL_DEFAULT */, 2 /* MPOL_BIND */, 1 /* MPOL_PREFERRED */ };
        int mode = modes[below(3)];
        r = raw(SYS_mbind, (long)page(s), (long)(n * PAGE), mode, mode ? (long)&nodes : 0, mode ? 2 : 0, 0);
        record("mbind", r);
    } else if (roll < 92) {
        range(&s, &n, 6);
        static const char *names[] = { "ring", "pool", NULL };
        const char *name = names[below(3)];
        r = raw(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, (long)page(s), (long)(n * PAGE), (long)name, 0);
        record("prctl", r);
    } else if (roll < 95 && huge_fd >= 0) { /* hugetlbfs: map or unmap a 2 MiB slot */
        unsigned slot = below(HUGE_SLOTS);
        if (below(2)) {
            r = raw(SYS_mmap, (long)(huge_arena + slot * HUGE), (long)HUGE, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED, huge_fd, (long)(slot * HUGE));
            record("mmap", r);
        } else {
            r = raw(SYS_munmap, (long)(huge_arena + slot * HUGE), (long)HUGE, 0, 0, 0, 0);
            record("munmap", r);
        }
    } else if (roll < 96 && sealed_ok) {
        range(&s, &n, 2);
        r = raw(462 /* SYS_mseal */, (long)page(s), (long)(n * PAGE), 0, 0, 0, 0);
        record("mseal", r);
    } else {
        long current = raw(SYS_brk, 0, 0, 0, 0, 0, 0);
        record("brk", current);
        long target = current + (long)(below(3) ? PAGE * (1 + below(8)) : -(long)(PAGE * below(4)));
        r = raw(SYS_brk, target, 0, 0, 0, 0, 0);
        record("brk", r);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: mapfuzz SEED STEPS OUT [HUGETLBFS_DIR [FORK_AT]]\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 0) * 2654435761u + 1;
    long steps = strtol(argv[2], NULL, 0);
    long fork_at = argc > 5 ? strtol(argv[5], NULL, 0) : -1;
    out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (out < 0) { perror(argv[3]); return 2; }
    char path[] = "/tmp/mapfuzz-XXXXXX";
    file_fd = mkstemp(path);
    if (file_fd < 0 || ftruncate(file_fd, 64 * PAGE) != 0) { perror("file"); return 2; }
    unlink(path);
    if (argc > 4 && argv[4][0]) {
        char hp[4096];
        snprintf(hp, sizeof hp, "%s/mapfuzz-%d", argv[4], (int)getpid());
        huge_fd = open(hp, O_RDWR | O_CREAT, 0600);
        if (huge_fd < 0) { perror(hp); return 2; }
        unlink(hp);
        char *reserve = mmap(NULL, (HUGE_SLOTS + 1) * HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        huge_arena = (char *)(((uintptr_t)reserve + HUGE - 1) & ~(HUGE - 1));
        munmap(reserve, (HUGE_SLOTS + 1) * HUGE);
    }
    /* an arena with free room around it, so calls meet neighbours and gaps alike */
    char *reserve = mmap(NULL, (PAGES + 512) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserve == MAP_FAILED) { perror("mmap"); return 2; }
    munmap(reserve, (PAGES + 512) * PAGE);
    arena = reserve + 256 * PAGE;
    int sealed = 0;
    for (long i = 0; i < steps; i++) {
        if (i == fork_at) {
            pid_t child = fork();
            if (child > 0) {
                int status;
                waitpid(child, &status, 0);
                rng += 7;
            }
        }
        /* a few seals at most: a sealed area refuses every later change */
        int sealed_ok = sealed < 3 && i > steps / 2;
        step(sealed_ok);
        if (sealed_ok && strstr(line, " mseal 0 ")) sealed++;
    }
    _exit(0);
}
