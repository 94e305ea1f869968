/* faultprobe: the programs of the fault suite. Each scenario is one hard case for a tracer
 * (exec storms, fork trees, threads that come and go, vfork, a call that blocks, a failure to
 * hold) and says on stdout what it did, so a test can hold maptrace's account against it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[4096];

/* The path of this program, to exec it again. */
static void find_self(void) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
}

/* Execs itself N times, the last one exits with STATUS. */
static int scenario_exec_chain(long n, int status) {
    if (n <= 0) return status;
    char count[32], code[32];
    snprintf(count, sizeof count, "%ld", n - 1);
    snprintf(code, sizeof code, "%d", status);
    execl(self, self, "exec-chain", count, code, (char *)NULL);
    perror("execl");
    return 100;
}

/* N children at once, each execs `true`; exits 0 when every one exited 0. */
static int scenario_parallel_exec(long n) {
    pid_t *pids = calloc(n, sizeof *pids);
    for (long i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) { execl(self, self, "exit", "0", (char *)NULL); _exit(100); }
        if (pids[i] < 0) { perror("fork"); return 1; }
    }
    long ok = 0;
    for (long i = 0; i < n; i++) {
        int st = 0;
        if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    printf("parallel-exec: %ld of %ld exited 0\n", ok, n);
    return ok == n ? 0 : 1;
}

/* A binary tree of processes DEPTH levels deep (2^DEPTH - 1 processes); each maps and unmaps a
 * page. Exits with the number of processes below it that failed (0 when all went well). */
static int tree(int depth) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    munmap(p, 4096);
    if (depth <= 1) return 0;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) _exit(tree(depth - 1));
    }
    int failed = 0;
    for (int i = 0; i < 2; i++) {
        int st = 0;
        if (kids[i] < 0 || waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
    }
    return failed;
}

static int scenario_fork_tree(int depth) {
    int failed = tree(depth);
    printf("fork-tree: %d processes, %d failed\n", (1 << depth) - 1, failed);
    return failed ? 1 : 0;
}

/* Threads that map and unmap while others are created and exit around them. */
static void *mapper(void *arg) {
    long rounds = (long)arg;
    for (long i = 0; i < rounds; i++) {
        void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return (void *)1;
        munmap(p, 8192);
    }
    return NULL;
}

static void *quitter(void *arg) {
    (void)arg;
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) munmap(p, 4096);
    return NULL;  /* a thread's exit(2) while the mappers run */
}

static int scenario_threads_exit(long waves) {
    pthread_t mappers[4];
    for (int i = 0; i < 4; i++) pthread_create(&mappers[i], NULL, mapper, (void *)(long)(waves * 20));
    for (long w = 0; w < waves; w++) {
        pthread_t q[8];
        for (int i = 0; i < 8; i++) pthread_create(&q[i], NULL, quitter, NULL);
        for (int i = 0; i < 8; i++) pthread_join(q[i], NULL);
    }
    int failed = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(mappers[i], &r);
        if (r) failed++;
    }
    printf("threads-exit: %ld waves of 8 threads, %d mappers failed\n", waves, failed);
    return failed ? 1 : 0;
}

/* A thread that is not the leader execs; the new program exits with STATUS. */
static int exec_status;
static void *exec_thread(void *arg) {
    (void)arg;
    char code[32];
    snprintf(code, sizeof code, "%d", exec_status);
    execl(self, self, "exit", code, (char *)NULL);
    return (void *)1;
}

static int scenario_exec_thread(int status) {
    exec_status = status;
    pthread_t t, busy;
    pthread_create(&busy, NULL, mapper, (void *)1000000L);  /* a sibling still mapping */
    pthread_create(&t, NULL, exec_thread, NULL);
    pthread_join(t, NULL);
    return 101;  /* not reached when the exec worked */
}

/* N vforks, each child execs `exit 0` at once. */
static int scenario_vforks(long n) {
    long ok = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = vfork();
        if (pid == 0) { execl(self, self, "exit", "0", (char *)NULL); _exit(100); }
        int st = 0;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    printf("vforks: %ld of %ld exited 0\n", ok, n);
    return ok == n ? 0 : 1;
}

/* Blocks inside a traced call: an open of a FIFO with no writer. Prints its pid first. */
static int scenario_block_open(const char *fifo) {
    printf("blocking pid %d\n", getpid());
    fflush(stdout);
    int fd = open(fifo, O_RDONLY);
    printf("open returned %d\n", fd);
    return 0;
}

/* N mappings that cannot merge (alternating protections), all kept, then counted. */
static int scenario_many_maps(long n) {
    for (long i = 0; i < n; i++) {
        if (mmap(NULL, 4096, (i & 1) ? PROT_READ : PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
            printf("many-maps: mmap %ld failed: %s\n", i, strerror(errno));
            return 1;
        }
    }
    printf("many-maps: %ld mappings\n", n);
    return 0;
}

/* A memory call that fails without any privilege: RLIMIT_AS of 256 MiB, then a 1 GiB mmap.
 * Exits 3 when the mmap failed, as a program that gives up would. */
static int scenario_enomem(void) {
    struct rlimit r = {256UL << 20, 256UL << 20};
    setrlimit(RLIMIT_AS, &r);
    void *p = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { printf("mmap failed: %s\n", strerror(errno)); return 3; }
    printf("mmap worked\n");
    return 0;
}

/* The same from a thread that is not the leader; the thread then exits 0 while the process
 * goes on and exits 31. */
static void *failing_thread(void *arg) {
    (void)arg;
    void *p = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : (void *)1;
}

static int scenario_thread_enomem(void) {
    struct rlimit r = {256UL << 20, 256UL << 20};
    setrlimit(RLIMIT_AS, &r);
    pthread_t t;
    pthread_create(&t, NULL, failing_thread, NULL);
    pthread_join(t, NULL);
    usleep(50000);
    return 31;
}

/* A brk the kernel refuses: RLIMIT_DATA at the current size, then a 64 MiB heap. */
static int scenario_brk_refused(void) {
    struct rlimit r = {1UL << 20, 1UL << 20};
    setrlimit(RLIMIT_DATA, &r);
    void *start = sbrk(0);
    void *asked = (char *)start + (64UL << 20);
    long got = syscall(SYS_brk, asked);
    printf("brk %s\n", (void *)got == asked ? "worked" : "refused");
    return 0;
}

/* Mapping and unmapping pages of a recognisable size (3 pages, read-only) for ever, or COUNT
 * times; after each pair the number of pairs done is written to PROGRESS (pwrite, untraced),
 * so a test that kills the tracer can tell how many calls returned. */
static int scenario_pairs(const char *progress, long count) {
    int fd = open(progress, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(progress); return 1; }
    for (long i = 0; count < 0 || i < count; i++) {
        void *p = mmap(NULL, 12288, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 1;
        munmap(p, 12288);
        char text[32];
        int len = snprintf(text, sizeof text, "%-20ld\n", i + 1);
        if (pwrite(fd, text, len, 0) != len) return 1;
    }
    printf("pairs: %ld done\n", count);
    fflush(stdout);
    pause();
    return 0;
}

int main(int argc, char **argv) {
    find_self();
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *s = argc > 1 ? argv[1] : "";
    if (!strcmp(s, "exit") && argc > 2) return atoi(argv[2]);
    if (!strcmp(s, "exec-chain") && argc > 3) return scenario_exec_chain(atol(argv[2]), atoi(argv[3]));
    if (!strcmp(s, "parallel-exec") && argc > 2) return scenario_parallel_exec(atol(argv[2]));
    if (!strcmp(s, "fork-tree") && argc > 2) return scenario_fork_tree(atoi(argv[2]));
    if (!strcmp(s, "threads-exit") && argc > 2) return scenario_threads_exit(atol(argv[2]));
    if (!strcmp(s, "exec-thread") && argc > 2) return scenario_exec_thread(atoi(argv[2]));
    if (!strcmp(s, "vforks") && argc > 2) return scenario_vforks(atol(argv[2]));
    if (!strcmp(s, "block-open") && argc > 2) return scenario_block_open(argv[2]);
    if (!strcmp(s, "many-maps") && argc > 2) return scenario_many_maps(atol(argv[2]));
    if (!strcmp(s, "enomem")) return scenario_enomem();
    if (!strcmp(s, "thread-enomem")) return scenario_thread_enomem();
    if (!strcmp(s, "brk-refused")) return scenario_brk_refused();
    if (!strcmp(s, "pairs") && argc > 3) return scenario_pairs(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: faultprobe exit N | exec-chain N STATUS | parallel-exec N | fork-tree DEPTH | "
                    "threads-exit WAVES | exec-thread STATUS | vforks N | block-open FIFO | many-maps N | "
                    "enomem | thread-enomem | brk-refused | pairs PROGRESS-FILE COUNT(-1: for ever)\n");
    return 2;
}
