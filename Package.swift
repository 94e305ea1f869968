// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "maptrace",
    products: [
        .executable(name: "maptrace", targets: ["maptrace"]),
        .executable(name: "l2fwd", targets: ["l2fwd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libseccomp through pkg-config (Debian: libseccomp-dev).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // The C shim: only what Swift cannot call (variadic ptrace, fork → filter → exec, GNU-only calls,
        // libunwind's macros). libunwind's remote unwinder (Debian: libunwind-dev) gives the failing
        // call's stack; it needs liblzma after it on the link line.
        .target(
            name: "CMapTrace", dependencies: ["CSeccomp"], cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("unwind-ptrace"), .linkedLibrary("unwind-generic"),
                             .linkedLibrary("unwind"), .linkedLibrary("lzma")]
        ),
        // Release builds skip Swift's run-time exclusivity checks (swift_beginAccess at every
        // access to a class's stored property: 1-2 % of a stop's cost); debug builds, which
        // the tests run, keep them.
        .target(
            name: "MapTrace", dependencies: ["CMapTrace", "CSeccomp"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "maptrace",
            dependencies: ["MapTrace", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // The shipped workload: an EAL-style hugepage user and l2fwd-style forwarder.
        .systemLibrary(name: "CPcap", path: "Examples/l2fwd/CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .executableTarget(name: "l2fwd", dependencies: ["CPcap"], path: "Examples/l2fwd/Sources"),

        // A small C program the integration tests drive: hugetlbfs calls from threads and children.
        .executableTarget(name: "hugeprobe", path: "Tests/Fixtures/hugeprobe"),
        // A seeded random sequence of memory calls, with the kernel's count after each: the
        // differential test of the model.
        .executableTarget(name: "mapfuzz", path: "Tests/Fixtures/mapfuzz"),
        // The same under concurrency: threads making calls at once, the kernel's count between rounds.
        .executableTarget(name: "mapthreads", path: "Tests/Fixtures/mapthreads"),
        // The fault suite's programs: exec and fork storms, threads that come and go, a blocked call.
        .executableTarget(name: "faultprobe", path: "Tests/Fixtures/faultprobe"),
        // Another: i386 system calls made through int 0x80 from a 64-bit program.
        .executableTarget(name: "int80probe", path: "Tests/Fixtures/int80probe"),

        .testTarget(name: "MapTraceTests", dependencies: ["MapTrace", "CMapTrace"], exclude: ["StraceLog/Fixtures", "Log/Fixtures"]),
        .testTarget(name: "IntegrationTests", dependencies: ["MapTrace"]),
    ]
)
