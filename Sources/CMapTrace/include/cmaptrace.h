/* The C shim: only what Swift cannot call. No policy lives here. */
#ifndef CMAPTRACE_H
#define CMAPTRACE_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>
/* glibc's <sys/ptrace.h> declares struct __ptrace_syscall_info; <linux/ptrace.h>
 * would redefine the same names, so it is not included. */
#include <sys/ptrace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ptrace(2) is variadic: Swift cannot call it. */
long mt_ptrace(int request, pid_t pid, uint64_t addr, uint64_t data);
long mt_get_syscall_info(pid_t pid, struct __ptrace_syscall_info *info);
/* signal number, si_code and si_addr of the current signal-delivery-stop; -1 on error. */
int mt_get_siginfo(pid_t pid, int *signo, int *code, uint64_t *addr);

/* wait(2) status macros do not import. */
static inline int mt_wifexited(int s) { return WIFEXITED(s); }
static inline int mt_wexitstatus(int s) { return WEXITSTATUS(s); }
static inline int mt_wifsignaled(int s) { return WIFSIGNALED(s); }
static inline int mt_wtermsig(int s) { return WTERMSIG(s); }
static inline int mt_wifstopped(int s) { return WIFSTOPPED(s); }
static inline int mt_wstopsig(int s) { return WSTOPSIG(s); }
static inline int mt_wevent(int s) { return (unsigned)s >> 16; }

/* A BPF program exported from libseccomp before fork (seccomp_load allocates). */
typedef struct mt_bpf {
    void *filter;
    unsigned short len;
} mt_bpf;
int mt_bpf_export(void *scmp_ctx, mt_bpf *out);
void mt_bpf_free(mt_bpf *prog);

/* fork; the child stops itself, installs the filter with the raw seccomp(2)
 * call and execve()s. The parent waits for that stop and PTRACE_SEIZEs the
 * child with `options`. Returns the pid or -errno. */
pid_t mt_spawn_traced(const char *path, char *const argv[], char *const envp[],
                      const mt_bpf *prog, unsigned long options);

/* Clears CLONE_UNTRACED in a clone (first argument register) or a clone3 (the flags of the
 * struct clone_args at `clone_args`) held at its seccomp stop, so that the child stays traced.
 * Returns 1 when the flag was set and is now clear, 0 when it was not set, -errno on failure. */
int mt_clear_clone_untraced(pid_t pid, int is_clone3, uint64_t clone_args);
/* The same for a clone made through the i386 entry, whose flags are in ebx. */
int mt_clear_clone_untraced_i386(pid_t pid);

/* The stopped thread's stack, innermost first: up to `max` return addresses in `ips`, and for
 * each the enclosing function's symbol and offset ("name+0x1f") in `names`, `name_size` bytes
 * apiece, empty when no symbol covers it. Returns the number of frames, or -1. */
int mt_backtrace(pid_t tid, uint64_t *ips, char *names, size_t name_size, int max);

/* Fault injection at a syscall stop (x86_64): the call number (orig_rax; -1 makes the kernel
 * skip the call) at the entry stop, the return value (rax) at the exit stop. 0 or -errno. */
int mt_set_syscall_number(pid_t tid, long number);
int mt_set_return_value(pid_t tid, long value);
/* tgkill(2): a signal to one thread (GNU-only declaration). */
int mt_tgkill(pid_t pid, pid_t tid, int sig);

/* Reads from the tracee's memory; -errno on failure. */
ssize_t mt_read_string(pid_t pid, uint64_t addr, char *buf, size_t size);
ssize_t mt_read_mem(pid_t pid, uint64_t addr, void *buf, size_t size);

/* GNU-only names hidden from Swift's Glibc. */
const char *mt_errname(int err);
const char *mt_signame(int sig);

/* statfs(2): <sys/vfs.h> does not import into Swift's Glibc. */
typedef struct mt_fsinfo {
    uint64_t type, bsize, blocks, bfree, bavail, files, ffree;
} mt_fsinfo;
int mt_statfs(const char *path, mt_fsinfo *out);

/* A tracee's fd read through a duplicate of it (pidfd_getfd, Linux 5.6): its file's identity
 * and file system, with no path walk through /proc/PID/fd/N. The duplicate is closed at once. */
typedef struct mt_fdfile {
    uint64_t dev, ino, ctime_ns, nlink, fstype, bsize;
} mt_fdfile;
int mt_pidfd_open(pid_t pid);
int mt_fd_file(int pidfd, int fd, mt_fdfile *out);
/* kcmp(KCMP_FILES): 1 when two tasks share one fd table, 0 when not, -errno. */
int mt_same_fd_table(pid_t a, pid_t b);

/* PROCMAP_QUERY (Linux 6.11) on an open /proc/PID/maps: the area covering `addr`, or the next
 * one above it. The ioctl and its struct are not in Debian 12's kernel headers. 0, or -errno
 * (-ENOENT: no area at or above addr; -ENOTTY or -EINVAL: the kernel has no such ioctl). */
typedef struct mt_area {
    uint64_t start, end, flags;
} mt_area;
int mt_procmap_query(int fd, uint64_t addr, mt_area *out);
/* The file-backed area covering `addr`: its page size (a huge page size on hugetlb) and the
 * file's name as maps shows it, NUL-terminated in `name` (name_size counts the NUL). */
typedef struct mt_area_file {
    uint64_t start, end, page_size;
    uint32_t name_size;
} mt_area_file;
int mt_procmap_file(int fd, uint64_t addr, mt_area_file *out, char *name, uint32_t name_size);

/* CPU affinity: CPU_SET is a macro and sched_[gs]etaffinity are GNU-only. The mask is
 * opaque bytes of `size` (sizeof(cpu_set_t) = MT_CPU_MASK_SIZE). tid 0 = the calling thread. */
enum { MT_CPU_MASK_SIZE = 128 };
int mt_pin_cpu(pid_t tid, int cpu);
int mt_affinity_get(pid_t tid, void *mask, size_t size);
int mt_affinity_set(pid_t tid, const void *mask, size_t size);
int mt_current_cpu(void);
/* Whether a tracee of this process (any thread's) has a stop or exit waiting to be reaped,
 * left in place (waitid WNOWAIT): siginfo_t's union does not import. */
int mt_stop_pending(void);
/* gettid(2) is GNU-only. */
pid_t mt_gettid(void);

#ifdef __cplusplus
}
#endif
#endif
