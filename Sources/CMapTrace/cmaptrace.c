#include "cmaptrace.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/user.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <libunwind-ptrace.h>

long mt_ptrace(int request, pid_t pid, uint64_t addr, uint64_t data) {
    return ptrace((enum __ptrace_request)request, pid, (void *)(uintptr_t)addr,
                  (void *)(uintptr_t)data);
}

long mt_get_syscall_info(pid_t pid, struct __ptrace_syscall_info *info) {
    return ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(*info), info);
}

int mt_get_siginfo(pid_t pid, int *signo, int *code, uint64_t *addr) {
    siginfo_t si;
    if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) return -1;
    *signo = si.si_signo;
    *code = si.si_code;
    *addr = (uint64_t)(uintptr_t)si.si_addr;
    return 0;
}

/* libseccomp 2.5 exports only to an fd: go through a memfd. */
int mt_bpf_export(void *ctx, mt_bpf *out) {
    out->filter = NULL;
    out->len = 0;
    int fd = memfd_create("maptrace-bpf", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf((scmp_filter_ctx)ctx, fd);
    if (rc < 0) { close(fd); return rc; }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
        size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return -EINVAL;
    }
    void *buf = malloc((size_t)size);
    if (!buf) { close(fd); return -ENOMEM; }
    ssize_t got = pread(fd, buf, (size_t)size, 0);
    close(fd);
    if (got != size) { free(buf); return -EIO; }
    out->filter = buf;
    out->len = (unsigned short)(size / sizeof(struct sock_filter));
    return 0;
}

void mt_bpf_free(mt_bpf *prog) {
    free(prog->filter);
    prog->filter = NULL;
    prog->len = 0;
}

/* The child may only make async-signal-safe calls: report and leave. */
static void child_fail(const char *what, int err) __attribute__((noreturn));
static void child_fail(const char *what, int err) {
    static const char pfx[] = "maptrace: ";
    const char *msg = strerror(err);
    (void)!write(2, pfx, sizeof(pfx) - 1);
    (void)!write(2, what, strlen(what));
    (void)!write(2, ": ", 2);
    (void)!write(2, msg, strlen(msg));
    (void)!write(2, "\n", 1);
    _exit(err == ENOENT ? 127 : 126);
}

/* SPEC_ALLOW: where the kernel's store-bypass mitigation is "prctl and seccomp", a filter
 * without it turns on SSBD (and STIBP) for the program, which then runs slower and reads
 * another PR_GET_SPECULATION_CTRL than bare. Linux before 4.17 knows no flags: EINVAL. */
static int install_filter(const struct sock_fprog *fprog) {
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, fprog) == 0) return 0;
    if (errno != EINVAL) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, fprog);
}

pid_t mt_spawn_traced(const char *path, char *const argv[], char *const envp[],
                      const mt_bpf *prog, unsigned long options) {
    struct sock_fprog fprog = {0};
    if (prog && prog->filter) {
        fprog.len = prog->len;
        fprog.filter = (struct sock_filter *)prog->filter;
    }
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Wait for the tracer: a RET_TRACE call with no tracer fails with ENOSYS. */
        if (kill(getpid(), SIGSTOP) < 0) child_fail("SIGSTOP", errno);
        if (fprog.filter && install_filter(&fprog) != 0) {
            /* unprivileged users need no_new_privs first */
            if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install_filter(&fprog) != 0)
                child_fail("seccomp", errno);
        }
        execve(path, argv, envp);
        child_fail(path, errno);
    }
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WUNTRACED | __WNOTHREAD);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { int e = errno; kill(pid, SIGKILL); return -e; }
        break;
    }
    if (!WIFSTOPPED(status)) return -ECHILD;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)options) < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, &status, __WALL | __WNOTHREAD);
        return -e;
    }
    /* Seized while group-stopped: it re-traps as PTRACE_EVENT_STOP; SIGCONT ends the stop. */
    kill(pid, SIGCONT);
    return pid;
}

int mt_clear_clone_untraced(pid_t pid, int is_clone3, uint64_t clone_args) {
    const uint64_t untraced = 0x00800000; /* CLONE_UNTRACED */
    if (is_clone3) {
        errno = 0;
        long flags = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)clone_args, 0);
        if (flags == -1 && errno) return -errno;
        if (!((uint64_t)flags & untraced)) return 0;
        if (ptrace(PTRACE_POKEDATA, pid, (void *)(uintptr_t)clone_args, (void *)((uint64_t)flags & ~untraced)) < 0)
            return -errno;
        return 1;
    }
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) return -errno;
    if (!(regs.rdi & untraced)) return 0;
    regs.rdi &= ~untraced;
    if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0) return -errno;
    return 1;
}

int mt_clear_clone_untraced_i386(pid_t pid) {
    const uint64_t untraced = 0x00800000; /* CLONE_UNTRACED */
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) return -errno;
    if (!(regs.rbx & untraced)) return 0;
    regs.rbx &= ~untraced;
    if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0) return -errno;
    return 1;
}

static ssize_t peek_read(pid_t pid, uint64_t addr, char *buf, size_t size, int stop_at_nul) {
    size_t got = 0;
    while (got < size) {
        uint64_t a = addr + got, aligned = a & ~(uint64_t)7;
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)aligned, 0);
        if (w == -1 && errno) return got ? (ssize_t)got : -errno;
        size_t off = (size_t)(a - aligned), n = 8 - off;
        if (n > size - got) n = size - got;
        memcpy(buf + got, (char *)&w + off, n);
        if (stop_at_nul) {
            char *z = memchr(buf + got, 0, n);
            if (z) return z - buf;
        }
        got += n;
    }
    return (ssize_t)got;
}

ssize_t mt_read_mem(pid_t pid, uint64_t addr, void *buf, size_t size) {
    struct iovec l = {buf, size}, r = {(void *)(uintptr_t)addr, size};
    ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
    if (n >= 0) return n;
    if (errno == ENOSYS || errno == EPERM) return peek_read(pid, addr, buf, size, 0);
    return -errno;
}

ssize_t mt_read_string(pid_t pid, uint64_t addr, char *buf, size_t size) {
    if (size == 0) return -EINVAL;
    size_t got = 0, max = size - 1;
    while (got < max) {
        uint64_t a = addr + got;
        /* one remote iovec per page: a string that ends just before an unmapped
         * page then reads short instead of failing with EFAULT. When little of
         * the first page is left, the next page comes in the same call (DPDK's
         * "/proc/self/pagemap" straddles one at every page file it opens). */
        size_t chunk = (size_t)(4096 - (a & 4095));
        if (chunk > max - got) chunk = max - got;
        size_t next = chunk < 512 ? max - got - chunk : 0;
        if (next > 4096) next = 4096;
        struct iovec l = {buf + got, chunk + next};
        struct iovec r[2] = {{(void *)(uintptr_t)a, chunk}, {(void *)(uintptr_t)(a + chunk), next}};
        ssize_t n = process_vm_readv(pid, &l, 1, r, next ? 2 : 1, 0);
        if (n < 0) {
            if (errno == ENOSYS || errno == EPERM) {
                ssize_t m = peek_read(pid, a, buf + got, max - got, 1);
                if (m < 0) return got ? (ssize_t)got : m;
                buf[got + (size_t)m] = 0;
                return (ssize_t)(got + (size_t)m);
            }
            if (got) break;
            return -errno;
        }
        if (n == 0) break;
        char *z = memchr(buf + got, 0, (size_t)n);
        if (z) return z - buf;
        got += (size_t)n;
    }
    buf[got] = 0;
    return (ssize_t)got;
}

const char *mt_errname(int err) {
    const char *s = strerrorname_np(err);
    return s ? s : NULL;
}

const char *mt_signame(int sig) {
    return sigabbrev_np(sig);
}

int mt_pin_cpu(pid_t tid, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof(set), &set);
}

int mt_affinity_get(pid_t tid, void *mask, size_t size) {
    return sched_getaffinity(tid, size, (cpu_set_t *)mask);
}

int mt_affinity_set(pid_t tid, const void *mask, size_t size) {
    return sched_setaffinity(tid, size, (const cpu_set_t *)mask);
}

int mt_current_cpu(void) { return sched_getcpu(); }

pid_t mt_gettid(void) { return gettid(); }

int mt_stop_pending(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) != 0) return 0;
    return info.si_pid != 0;
}

int mt_statfs(const char *path, mt_fsinfo *out) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -errno;
    out->type = (uint64_t)(unsigned long)fs.f_type;
    out->bsize = (uint64_t)fs.f_bsize;
    out->blocks = (uint64_t)fs.f_blocks;
    out->bfree = (uint64_t)fs.f_bfree;
    out->bavail = (uint64_t)fs.f_bavail;
    out->files = (uint64_t)fs.f_files;
    out->ffree = (uint64_t)fs.f_ffree;
    return 0;
}

int mt_pidfd_open(pid_t pid) {
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : fd;
}

int mt_fd_file(int pidfd, int fd, mt_fdfile *out) {
    int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);  /* O_CLOEXEC is implied */
    if (mine < 0) return -errno;
    struct stat st;
    struct statfs fs;
    int rc = fstat(mine, &st) == 0 && fstatfs(mine, &fs) == 0 ? 0 : -errno;
    close(mine);
    if (rc != 0) return rc;
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    out->ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
    out->nlink = (uint64_t)st.st_nlink;
    out->fstype = (uint64_t)(unsigned long)fs.f_type;
    out->bsize = (uint64_t)fs.f_bsize;
    return 0;
}

int mt_same_fd_table(pid_t a, pid_t b) {
    long rc = syscall(SYS_kcmp, a, b, 2 /* KCMP_FILES */, 0, 0);
    return rc < 0 ? -errno : rc == 0;
}

int mt_backtrace(pid_t tid, uint64_t *ips, char *names, size_t name_size, int max) {
    unw_addr_space_t space = unw_create_addr_space(&_UPT_accessors, 0);
    if (!space) return -1;
    void *context = _UPT_create(tid);
    if (!context) { unw_destroy_addr_space(space); return -1; }
    unw_cursor_t cursor;
    int n = 0;
    if (unw_init_remote(&cursor, space, context) == 0) {
        do {
            unw_word_t ip = 0, offset = 0;
            if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
            ips[n] = ip;
            char *name = names + (size_t)n * name_size;
            name[0] = 0;
            char symbol[256];
            unw_proc_info_t info;
            /* A stripped library offers only exported names, and libunwind returns the nearest
             * one before ip even when it belongs to another function: keep a name only when it
             * starts where the unwind tables say this frame's function starts. */
            if (unw_get_proc_name(&cursor, symbol, sizeof symbol, &offset) == 0 &&
                unw_get_proc_info(&cursor, &info) == 0 && ip - offset == info.start_ip)
                snprintf(name, name_size, "%s+0x%lx", symbol, (unsigned long)offset);
            n++;
        } while (n < max && unw_step(&cursor) > 0);
    }
    _UPT_destroy(context);
    unw_destroy_addr_space(space);
    return n;
}

/* include/uapi/linux/fs.h, Linux 6.11 */
struct mt_procmap_query_arg {
    uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define MT_PROCMAP_QUERY _IOWR('f', 17, struct mt_procmap_query_arg)
#define MT_PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10

int mt_procmap_query(int fd, uint64_t addr, mt_area *out) {
    struct mt_procmap_query_arg q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.query_flags = MT_PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
    q.query_addr = addr;
    if (ioctl(fd, MT_PROCMAP_QUERY, &q) < 0) return -errno;
    out->start = q.vma_start;
    out->end = q.vma_end;
    out->flags = q.vma_flags;
    return 0;
}

int mt_procmap_file(int fd, uint64_t addr, mt_area_file *out, char *name, uint32_t name_size) {
    struct mt_procmap_query_arg q;
    memset(&q, 0, sizeof q);
    q.size = sizeof q;
    q.query_flags = 0x20;  /* PROCMAP_QUERY_FILE_BACKED_VMA, and the area must cover addr */
    q.query_addr = addr;
    q.vma_name_addr = (uint64_t)(uintptr_t)name;
    q.vma_name_size = name_size;
    if (ioctl(fd, MT_PROCMAP_QUERY, &q) < 0) return -errno;
    out->start = q.vma_start;
    out->end = q.vma_end;
    out->page_size = q.vma_page_size;
    out->name_size = q.vma_name_size;
    return 0;
}

/* user_regs_struct is x86_64's; PTRACE_SET_SYSCALL_INFO is too new to rely on. */
int mt_set_syscall_number(pid_t tid, long number) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return -errno;
    regs.orig_rax = (unsigned long long)number;
    if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0) return -errno;
    return 0;
}

int mt_set_return_value(pid_t tid, long value) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return -errno;
    regs.rax = (unsigned long long)value;
    if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0) return -errno;
    return 0;
}

int mt_tgkill(pid_t pid, pid_t tid, int sig) {
    return (int)syscall(SYS_tgkill, pid, tid, sig);
}
