import Glibc
import Testing
@testable import MapTrace

/// maptrace's ABI numbers against the C library's, as strace checks its tables against the
/// system headers: a typo in one would decode and model every call that uses it wrongly.
@Suite("Kernel ABI numbers")
struct KernelABITests {
    // (Glibc hides MREMAP_* behind _GNU_SOURCE, which Swift's import does not set.)
    @Test("prot, map, mlock and shm bits equal Glibc's")
    func bits() {
        let pairs: [(UInt64, Int32, String)] = [
            (CallBits.protRead, PROT_READ, "PROT_READ"), (CallBits.protWrite, PROT_WRITE, "PROT_WRITE"),
            (CallBits.protExec, PROT_EXEC, "PROT_EXEC"), (CallBits.protGrowsDown, PROT_GROWSDOWN, "PROT_GROWSDOWN"),
            (CallBits.protGrowsUp, PROT_GROWSUP, "PROT_GROWSUP"),
            (CallBits.mapShared, MAP_SHARED, "MAP_SHARED"), (CallBits.mapPrivate, MAP_PRIVATE, "MAP_PRIVATE"),
            (CallBits.mapSharedValidate, MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"),
            (CallBits.mapFixed, MAP_FIXED, "MAP_FIXED"), (CallBits.mapAnonymous, MAP_ANONYMOUS, "MAP_ANONYMOUS"),
            (CallBits.map32Bit, MAP_32BIT, "MAP_32BIT"), (CallBits.mapGrowsDown, MAP_GROWSDOWN, "MAP_GROWSDOWN"),
            (CallBits.mapDenyWrite, MAP_DENYWRITE, "MAP_DENYWRITE"), (CallBits.mapExecutable, MAP_EXECUTABLE, "MAP_EXECUTABLE"),
            (CallBits.mapLocked, MAP_LOCKED, "MAP_LOCKED"), (CallBits.mapNoReserve, MAP_NORESERVE, "MAP_NORESERVE"),
            (CallBits.mapPopulate, MAP_POPULATE, "MAP_POPULATE"), (CallBits.mapNonBlock, MAP_NONBLOCK, "MAP_NONBLOCK"),
            (CallBits.mapStack, MAP_STACK, "MAP_STACK"), (CallBits.mapHugetlb, MAP_HUGETLB, "MAP_HUGETLB"),
            (CallBits.mapSync, MAP_SYNC, "MAP_SYNC"), (CallBits.mapFixedNoReplace, MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
            (CallBits.mclCurrent, MCL_CURRENT, "MCL_CURRENT"), (CallBits.mclFuture, MCL_FUTURE, "MCL_FUTURE"),
            (CallBits.mclOnFault, MCL_ONFAULT, "MCL_ONFAULT"),
            (CallBits.shmRdonly, SHM_RDONLY, "SHM_RDONLY"), (CallBits.shmExec, SHM_EXEC, "SHM_EXEC"),
            (CallBits.shmHugetlb, SHM_HUGETLB, "SHM_HUGETLB"), (CallBits.shmNoReserve, SHM_NORESERVE, "SHM_NORESERVE"),
        ]
        for (ours, glibc, name) in pairs { #expect(ours == UInt64(glibc), "\(name)") }
    }

    @Test("madvise advice equals Glibc's")
    func advice() {
        let pairs: [(UInt64, Int32, String)] = [
            (Advice.normal, MADV_NORMAL, "MADV_NORMAL"), (Advice.random, MADV_RANDOM, "MADV_RANDOM"),
            (Advice.sequential, MADV_SEQUENTIAL, "MADV_SEQUENTIAL"), (Advice.willNeed, MADV_WILLNEED, "MADV_WILLNEED"),
            (Advice.dontNeed, MADV_DONTNEED, "MADV_DONTNEED"), (Advice.free, MADV_FREE, "MADV_FREE"),
            (Advice.remove, MADV_REMOVE, "MADV_REMOVE"), (Advice.dontFork, MADV_DONTFORK, "MADV_DONTFORK"),
            (Advice.doFork, MADV_DOFORK, "MADV_DOFORK"), (Advice.mergeable, MADV_MERGEABLE, "MADV_MERGEABLE"),
            (Advice.unmergeable, MADV_UNMERGEABLE, "MADV_UNMERGEABLE"), (Advice.hugePage, MADV_HUGEPAGE, "MADV_HUGEPAGE"),
            (Advice.noHugePage, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"), (Advice.dontDump, MADV_DONTDUMP, "MADV_DONTDUMP"),
            (Advice.doDump, MADV_DODUMP, "MADV_DODUMP"), (Advice.wipeOnFork, MADV_WIPEONFORK, "MADV_WIPEONFORK"),
            (Advice.keepOnFork, MADV_KEEPONFORK, "MADV_KEEPONFORK"), (Advice.cold, MADV_COLD, "MADV_COLD"),
            (Advice.pageOut, MADV_PAGEOUT, "MADV_PAGEOUT"), (Advice.hwPoison, MADV_HWPOISON, "MADV_HWPOISON"),
        ]
        for (ours, glibc, name) in pairs { #expect(ours == UInt64(glibc), "\(name)") }
    }

    @Test("each flag table renders every name it holds from the number it holds")
    func tablesRenderTheirNames() {
        for table in [protFlags, mapTypes, mapFlags, mremapFlags, mlock2Flags, mlockallFlags, shmatFlags] {
            for entry in table.entries where entry.value != 0 {
                #expect(table.parse(StraceLogValues.flags(table.render(entry.value))) == entry.value, "\(entry.name)")
            }
        }
    }
}
