/* A 64-bit program that makes i386 system calls through int 0x80, for maptrace's tests.
 *
 *   int80probe getpid   getpid through int 0x80; exits 4 when it returned this process's pid
 *   int80probe memory   mmap2, old_mmap, mprotect, munmap, brk and SysV shm through int 0x80,
 *                       printing each result; exits 0 when all worked
 *
 * i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). The kernel gives an int 0x80 mmap an
 * address below 4 GB, so memory the calls read or write (old_mmap's argument block, ipc's
 * result word) is placed in such a mapping. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/shm.h>

enum { NR_BRK = 45, NR_GETPID = 20, NR_OLD_MMAP = 90, NR_MUNMAP = 91, NR_IPC = 117,
       NR_MPROTECT = 125, NR_MMAP2 = 192 };
enum { IPC_SHMAT_CALL = 21, IPC_SHMDT_CALL = 22, IPC_SHMGET_CALL = 23 };

/* Six arguments in ebx, ecx, edx, esi, edi, ebp. rbp may be the frame pointer, so it is saved
 * around the call, below the red zone a leaf function may use; int 0x80 from 64-bit code
 * clobbers r8-r11. */
static long int80(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long sixth __asm__("r8") = f;
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "push %%rbp\n\t"
                     "mov %%r8, %%rbp\n\t"
                     "int $0x80\n\t"
                     "pop %%rbp\n\t"
                     "add $128, %%rsp"
                     : "=a"(ret), "+r"(sixth)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory", "r9", "r10", "r11", "cc");
    return ret;
}

static int check(const char *what, long ret) {
    printf("%s = %ld (%#lx)\n", what, ret, (unsigned long)ret);
    return ret < 0 && ret > -4096;
}

static int memory(void) {
    int bad = 0;
    /* mmap2(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) */
    long low = int80(NR_MMAP2, 0, 8192, 3, 0x22, -1, 0);
    if (check("mmap2", low)) return 1;
    /* old_mmap: its six arguments are 32-bit words in memory */
    uint32_t *block = (uint32_t *)(uintptr_t)low;
    uint32_t words[6] = {0, 3 * 4096, 1, 0x22, 0xffffffffu, 0};
    memcpy(block, words, sizeof words);
    long old = int80(NR_OLD_MMAP, low, 0, 0, 0, 0, 0);
    bad |= check("old_mmap", old);
    bad |= check("mprotect", int80(NR_MPROTECT, old, 4096, 3, 0, 0, 0));
    bad |= check("munmap old_mmap", int80(NR_MUNMAP, old, 3 * 4096, 0, 0, 0, 0));
    bad |= check("brk", int80(NR_BRK, 0, 0, 0, 0, 0, 0));
    long id = int80(NR_IPC, IPC_SHMGET_CALL, IPC_PRIVATE, 4096, IPC_CREAT | 0600, 0, 0);
    bad |= check("ipc shmget", id);
    if (id >= 0) {
        uint32_t *result = block + 8;
        long rc = int80(NR_IPC, IPC_SHMAT_CALL, id, 0, (long)(uintptr_t)result, 0, 0);
        bad |= check("ipc shmat", rc);
        printf("shmat address %#x\n", *result);
        if (rc == 0) bad |= check("ipc shmdt", int80(NR_IPC, IPC_SHMDT_CALL, 0, 0, 0, (long)*result, 0));
        shmctl((int)id, IPC_RMID, NULL);
    }
    bad |= check("munmap mmap2", int80(NR_MUNMAP, low, 8192, 0, 0, 0, 0));
    return bad;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "getpid")) {
        long pid = int80(NR_GETPID, 0, 0, 0, 0, 0, 0);
        printf("int 0x80 getpid returned %s\n", pid == getpid() ? "this pid" : "something else");
        return pid == getpid() ? 4 : 5;
    }
    if (argc > 1 && !strcmp(argv[1], "memory")) return memory();
    fprintf(stderr, "usage: int80probe getpid | memory\n");
    return 64;
}
