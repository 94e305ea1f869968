/* hugeprobe: the small program the integration tests trace. Each scenario makes the hugetlbfs
 * and memory calls of one situation, from the main thread, a second thread and a forked child,
 * and reports on stdout what it saw, so a test can compare that with maptrace's account. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HUGE_2M (2UL << 20)

static const char *dir;

/* open DIR/NAME, map one 2 MiB page shared and populated, unmap, unlink. */
static int map_one(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) { printf("open %s: %s\n", name, strerror(errno)); return -1; }
    void *p = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) { printf("mmap %s: %s\n", name, strerror(errno)); close(fd); unlink(path); return -1; }
    memset(p, 0xab, 4096);
    munmap(p, HUGE_2M);
    close(fd);
    unlink(path);
    return 0;
}

static void *thread_main(void *arg) {
    (void)arg;
    return (void *)(long)map_one("probe_thread");
}

/* main thread, a second thread, a forked child: one hugetlbfs page each. */
static int scenario_files(void) {
    int rc = map_one("probe_main");
    pthread_t t;
    void *trc = NULL;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, &trc);
    pid_t child = fork();
    if (child == 0) _exit(map_one("probe_child") == 0 ? 0 : 1);
    int status = 0;
    waitpid(child, &status, 0);
    int ok = rc == 0 && trc == NULL && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("files: %s\n", ok ? "ok" : "failed");
    return ok ? 0 : 1;
}

/* Map hugetlbfs pages one file and one mapping each until a call fails, as DPDK 16.04 did. */
static int scenario_until_fail(long max) {
    long n;
    for (n = 0; n < max; n++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/probemap_%ld", dir, n);
        int fd = open(path, O_RDWR | O_CREAT, 0600);
        if (fd < 0) { printf("open failed at %ld: %s\n", n, strerror(errno)); break; }
        void *p = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) { printf("mmap failed at %ld: %s\n", n, strerror(errno)); unlink(path); break; }
    }
    printf("mapped %ld pages\n", n);
    for (long i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/probemap_%ld", dir, i);
        unlink(path);
    }
    return n == max ? 0 : 1;
}

/* N anonymous mappings that cannot merge (alternating protections), then a long pause point. */
static int scenario_anon(long n) {
    for (long i = 0; i < n; i++) {
        void *p = mmap(NULL, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { printf("anon mmap failed at %ld: %s\n", i, strerror(errno)); return 1; }
    }
    printf("anon: %ld mappings\n", n);
    return 0;
}

/* One private anonymous mapping of BYTES, with optional extra flags. */
static int scenario_bytes(unsigned long bytes, int flags, int prot) {
    void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED) { printf("mmap of %lu bytes failed: %s\n", bytes, strerror(errno)); return 1; }
    printf("mapped %lu bytes\n", bytes);
    return 0;
}

static sigjmp_buf bus_jump;
static void on_sigbus(int sig) { (void)sig; siglongjmp(bus_jump, 1); }

/* Touch a file mapping past the end of its file: SIGBUS, caught, exit 0. */
static int scenario_sigbus_handled(void) {
    char path[] = "/tmp/hugeprobe-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (ftruncate(fd, 4096) != 0) return 1;
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 1;
    signal(SIGBUS, on_sigbus);
    if (sigsetjmp(bus_jump, 1) == 0) {
        p[4096] = 1;
        printf("no SIGBUS\n");
        return 1;
    }
    printf("caught SIGBUS\n");
    return 0;
}

/* MAP_NORESERVE hugetlb memory beyond the pool, touched page by page: the shortage shows as SIGBUS. */
static int scenario_noreserve(long pages) {
    char *p = mmap(NULL, pages * HUGE_2M, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) { printf("mmap failed: %s\n", strerror(errno)); return 1; }
    signal(SIGBUS, on_sigbus);
    volatile long touched = 0;
    if (sigsetjmp(bus_jump, 1) == 0) {
        for (long i = 0; i < pages; i++) { p[i * HUGE_2M] = 1; touched++; }
        printf("touched all %ld pages\n", pages);
        return 0;
    }
    printf("SIGBUS after %ld pages\n", (long)touched);
    return 2;
}

/* The CPUs this thread may run on: their count and numbers. */
static void print_mask(const char *who) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) { printf("%s cpus ?\n", who); return; }
    printf("%s cpus %d:", who, CPU_COUNT(&set));
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) printf(" %d", i);
    printf(", policy %d\n", sched_getscheduler(0));
    fflush(stdout);
}

static void *report_affinity(void *arg) {
    (void)arg;
    print_mask("thread");
    return NULL;
}

/* The CPUs this process may run on: first thing in main, after it starts a thread, in the
 * thread, and in a forked child. */
static int scenario_affinity(void) {
    print_mask("single-threaded");
    pthread_t t;
    pthread_create(&t, NULL, report_affinity, NULL);
    pthread_join(t, NULL);
    print_mask("multi-threaded");
    pid_t child = fork();
    if (child == 0) { print_mask("child"); _exit(0); }
    int status = 0;
    waitpid(child, &status, 0);
    return 0;
}

static volatile int spinning = 1;

static void *spin_on(void *arg) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(long)arg, &set);
    sched_setaffinity(0, sizeof set, &set);
    while (spinning) {}
    return NULL;
}

/* Every CPU busy with a spinning thread of this process while the main thread makes PAIRS
 * mmap/munmap pairs: a tracer that only runs on idle CPU time would hold those calls up. */
static int scenario_busy(long pairs) {
    cpu_set_t set;
    sched_getaffinity(0, sizeof set, &set);
    pthread_t spinners[CPU_SETSIZE];
    int count = 0;
    for (long cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set)) pthread_create(&spinners[count++], NULL, spin_on, (void *)cpu);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < pairs; i++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        munmap(p, 4096);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    spinning = 0;
    for (int i = 0; i < count; i++) pthread_join(spinners[i], NULL);
    printf("%ld pairs beside %d spinning threads in %ld ms\n", pairs, count,
           (long)((end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000));
    return 0;
}

/* A child made with CLONE_UNTRACED maps memory: under a tracer's seccomp filter it must still work. */
static int scenario_untraced(void) {
    long child = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("untraced child mmap: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
        _exit(p == MAP_FAILED);
    }
    int status = 0;
    waitpid((pid_t)child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int scenario_shm(unsigned long bytes) {
    int id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | SHM_HUGETLB | 0600);
    if (id < 0) { printf("shmget failed: %s\n", strerror(errno)); return 1; }
    void *p = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    if (p == (void *)-1) { printf("shmat failed: %s\n", strerror(errno)); return 1; }
    shmdt(p);
    printf("shm ok\n");
    return 0;
}

static int scenario_memfd(long pages) {
    int fd = memfd_create("hugeprobe", MFD_CLOEXEC | MFD_HUGETLB);
    if (fd < 0) { printf("memfd_create failed: %s\n", strerror(errno)); return 1; }
    if (ftruncate(fd, pages * HUGE_2M) != 0) { printf("ftruncate failed: %s\n", strerror(errno)); return 1; }
    void *p = mmap(NULL, pages * HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { printf("mmap failed: %s\n", strerror(errno)); return 1; }
    printf("memfd ok\n");
    return 0;
}

/* Create files on hugetlbfs until open fails (nr_inodes=). */
static int scenario_create(long n) {
    long i;
    for (i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/probefile_%ld", dir, i);
        int fd = open(path, O_RDWR | O_CREAT, 0600);
        if (fd < 0) { printf("open failed at %ld: %s\n", i, strerror(errno)); break; }
        close(fd);
    }
    for (long j = 0; j < i; j++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/probefile_%ld", dir, j);
        unlink(path);
    }
    return i == n ? 0 : 1;
}

/* Calls that fail on their range, not on a limit: each prints the errno it got. */
static int scenario_range(const char *which) {
    long rc = 0;
    if (!strcmp(which, "mlock-protnone")) {
        void *p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        rc = mlock(p, 1 << 20);
    } else if (!strcmp(which, "mremap-nomove")) {
        /* a page followed by another mapping: it cannot grow in place, and may not move */
        char *p = mmap(NULL, 2 << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mprotect(p + 4096, 4096, PROT_READ);
        void *q = mremap(p, 4096, 2 << 12, 0);
        rc = q == MAP_FAILED ? -1 : 0;
    } else if (!strcmp(which, "fixed-past-top")) {
        void *p = mmap((void *)0x7ffffffff000UL, 2 << 12, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        rc = p == MAP_FAILED ? -1 : 0;
    } else if (!strcmp(which, "brk-minus1")) {
        unsigned long old = syscall(SYS_brk, 0);
        unsigned long now = syscall(SYS_brk, -1UL);
        if (now == old) { errno = ENOMEM; rc = -1; }
    } else if (!strcmp(which, "brk-into-mapping")) {
        unsigned long old = syscall(SYS_brk, 0);
        /* a mapping 1 MiB above the break: growing the heap 2 MiB would run into it */
        void *p = mmap((void *)(old + (1 << 20)), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) { printf("setup failed: %s\n", strerror(errno)); return 2; }
        unsigned long now = syscall(SYS_brk, old + (2 << 20));
        if (now == old) { errno = ENOMEM; rc = -1; }
    } else if (!strcmp(which, "hugetlb-huge-length")) {
        void *p = mmap(NULL, 0xfffffffffffff000UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        rc = p == MAP_FAILED ? -1 : 0;
    } else {
        printf("unknown range case %s\n", which);
        return 2;
    }
    if (rc != 0) { printf("%s failed: %s\n", which, strerror(errno)); return 1; }
    printf("%s succeeded\n", which);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: hugeprobe files DIR | until-fail DIR MAX | later DIR MAX SECONDS | anon N | bytes N [locked|noreserve] | "
                        "segv | sigbus-handled | affinity | busy PAIRS | untraced | noreserve PAGES | shm BYTES | memfd PAGES | create DIR N\n");
        return 64;
    }
    const char *s = argv[1];
    if (!strcmp(s, "files") && argc > 2) { dir = argv[2]; return scenario_files(); }
    if (!strcmp(s, "until-fail") && argc > 3) { dir = argv[2]; return scenario_until_fail(atol(argv[3])); }
    if (!strcmp(s, "later") && argc > 4) {  /* the same after a pause: time for a tracer to attach */
        printf("ready\n");
        usleep((useconds_t)(atof(argv[4]) * 1e6));
        dir = argv[2];
        return scenario_until_fail(atol(argv[3]));
    }
    if (!strcmp(s, "anon") && argc > 2) return scenario_anon(atol(argv[2]));
    if (!strcmp(s, "bytes") && argc > 2) {
        int flags = 0;
        if (argc > 3 && !strcmp(argv[3], "locked")) flags = MAP_LOCKED;
        if (argc > 3 && !strcmp(argv[3], "noreserve")) flags = MAP_NORESERVE;
        return scenario_bytes(strtoul(argv[2], NULL, 0), flags, PROT_READ | PROT_WRITE);
    }
    if (!strcmp(s, "range") && argc > 2) return scenario_range(argv[2]);
    if (!strcmp(s, "segv")) { volatile int *p = NULL; *p = 1; return 0; }
    if (!strcmp(s, "sigbus-handled")) return scenario_sigbus_handled();
    if (!strcmp(s, "noreserve") && argc > 2) return scenario_noreserve(atol(argv[2]));
    if (!strcmp(s, "affinity")) return scenario_affinity();
    if (!strcmp(s, "busy") && argc > 2) return scenario_busy(atol(argv[2]));
    if (!strcmp(s, "untraced")) return scenario_untraced();
    if (!strcmp(s, "shm") && argc > 2) return scenario_shm(strtoul(argv[2], NULL, 0));
    if (!strcmp(s, "memfd") && argc > 2) return scenario_memfd(atol(argv[2]));
    if (!strcmp(s, "create") && argc > 3) { dir = argv[2]; return scenario_create(atol(argv[3])); }
    fprintf(stderr, "hugeprobe: unknown scenario %s\n", s);
    return 64;
}
