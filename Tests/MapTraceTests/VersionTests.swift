import Testing
@testable import MapTrace

@Test("the version is set") func versionIsSet() { #expect(!maptraceVersion.isEmpty) }
