import Glibc
import Testing
@testable import MapTrace

/// strace's -e grammar as maptrace reads it: sets of calls, results, fault injection.
@Suite("-e expressions")
struct TraceExpressionTests {
    func parse(_ expressions: String...) throws -> TraceSelection { try TraceExpression.parse(expressions) }

    func failure(_ expression: String) -> String {
        do {
            _ = try TraceExpression.parse([expression])
            return ""
        } catch {
            return error.description
        }
    }

    @Test("trace= takes names, strace's classes, negation, regular expressions, all and none")
    func callSets() throws {
        #expect(try parse("trace=mmap,munmap").calls == [.mmap, .munmap])
        #expect(try parse("mmap").calls == [.mmap], "-e SET alone means trace=SET")
        #expect(try parse("trace=%memory").calls == [.mmap, .munmap, .mremap, .mprotect, .brk, .madvise, .mlock, .mlock2, .mlockall,
                                                    .shmat, .shmdt, .munlock, .munlockall, .pkey_mprotect, .mbind, .mseal])
        #expect(try parse("trace=%file").calls == [.open, .openat, .openat2, .creat, .execve, .execveat, .statfs])
        #expect(try parse("trace=%ipc").calls == [.shmget, .shmat, .shmdt])
        #expect(try parse("trace=process").calls == [.execve, .execveat], "the old spelling without %")
        #expect(try parse("trace=%network").calls == [], "a class with none of the traced calls selects none")
        #expect(try parse("trace=!%memory,%file").calls == [.fallocate, .ftruncate, .memfd_create, .shmget, .prctl, .fstatfs])
        #expect(try parse("trace=%statfs").calls == [.statfs], "strace's %statfs is the statfs family")
        #expect(try parse("trace=%%statfs").calls == [.statfs, .fstatfs], "and %%statfs both families")
        #expect(try parse("trace=/^mlock").calls == [.mlock, .mlock2, .mlockall])
        #expect(try parse("trace=mseal").calls == [.mseal], "a call newer than this libseccomp")
        #expect(try parse("trace=all").calls == Set(Syscall.allCases))
        #expect(try parse("trace=none").calls == [])
        #expect(try parse("t=mmap").calls == [.mmap])
    }

    @Test("a system call maptrace does not stop is set aside by name; an unknown name is an error unless marked ?")
    func untracedAndUnknown() throws {
        let selection = try parse("trace=mmap,read")
        #expect(selection.calls == [.mmap] && selection.untracedNames == ["read"])
        #expect(failure("trace=mmapp") == "-e trace=mmapp: invalid system call 'mmapp'")
        #expect(try parse("trace=?mmapp,brk").calls == [.brk])
        #expect(failure("trace=%nosuch").contains("invalid system call class '%nosuch'"))
        #expect(failure("trace=/(").contains("invalid regular expression"))
    }

    @Test("status= selects results; a call is shown when both its name and its result are selected")
    func statuses() throws {
        let selection = try parse("trace=mmap", "status=failed")
        var call = CallRecord(syscall: .mmap, args: SyscallArguments())
        #expect(!selection.shows(call))
        call.errno = ENOMEM
        #expect(selection.shows(call))
        #expect(!selection.shows(CallRecord(syscall: .brk, args: SyscallArguments())))
        #expect(try parse("status=!failed").statuses == [.successful, .unfinished, .unavailable, .detached])
        #expect(failure("status=bad").contains("invalid status 'bad'"))
    }

    @Test("inject= reads error names and numbers, retval, signal and the three forms of when=")
    func injections() throws {
        let rule = try #require(try parse("inject=mmap:error=ENOMEM:when=3061").injections.first)
        #expect(rule.calls == [.mmap] && rule.error == ENOMEM && rule.retval == nil && rule.skipsCall)
        #expect((1...5000).filter(rule.fires(onOccurrence:)) == [3061])
        let from = try #require(try parse("inject=mmap,munmap:error=12:when=3+").injections.first)
        #expect(from.error == 12 && from.calls == [.mmap, .munmap] && (1...6).filter(from.fires(onOccurrence:)) == [3, 4, 5, 6])
        let every = try #require(try parse("inject=%memory:retval=0:when=2+3").injections.first)
        #expect(every.retval == 0 && (1...12).filter(every.fires(onOccurrence:)) == [2, 5, 8, 11])
        let range = try #require(try parse("inject=mmap:error=ENOMEM:when=3..6").injections.first)
        #expect((1...10).filter(range.fires(onOccurrence:)) == [3, 4, 5, 6])
        let stepped = try #require(try parse("inject=mmap:error=ENOMEM:when=2..9+3").injections.first)
        #expect((1...12).filter(stepped.fires(onOccurrence:)) == [2, 5, 8])
        let always = try #require(try parse("inject=brk:signal=SIGSEGV").injections.first)
        #expect(always.signal == SIGSEGV && !always.skipsCall && (1...3).allSatisfy(always.fires(onOccurrence:)))
        #expect(try parse("inject=brk:signal=BUS:error=EPERM").injections.first?.signal == SIGBUS)
        #expect(try parse("fault=mmap:when=2").injections.first?.error == ENOSYS, "fault= fails with ENOSYS by default")
    }

    @Test("malformed and unsupported injections are refused with what is wrong")
    func badInjections() throws {
        #expect(failure("inject=mmap").contains("say what to inject"))
        #expect(failure("inject=mmap:error=ENOPE").contains("invalid error 'ENOPE'"))
        #expect(failure("inject=mmap:error=ENOMEM:when=0").contains("invalid when= '0'"))
        #expect(failure("inject=mmap:error=ENOMEM:when=2+0").contains("invalid when= '2+0'"))
        #expect(failure("inject=mmap:error=ENOMEM:when=5..3").contains("invalid when= '5..3'"))
        #expect(failure("inject=mmap:error=ENOMEM:retval=3").contains("cannot both be given"))
        #expect(failure("inject=read:error=EIO").contains("only into the calls its filter stops; read"))
        #expect(failure("inject=mmap:delay_enter=100").contains("delay_enter= is not supported"))
        #expect(failure("inject=mmap:signal=SIGNOPE").contains("invalid signal"))
        #expect(failure("abbrev=none").contains("not supported"))
        let dev = try parse("decode-fds=path,dev"), path = try parse("decode-fds=path")
        #expect(dev.deviceNumbers && !path.deviceNumbers)
        #expect(failure("decode-fds=colour").contains("invalid decode-fds"))
        #expect(failure("nosuch=1").contains("invalid qualifier 'nosuch'"))
    }
}
