import Foundation
import Testing
@testable import MapTrace

@Test("probe") func probe() throws {
    print(DiagnosisText.render(diagnose(Fixture.classicCall(), snapshot: Fixture.classicSnapshot(free: 0), context: Fixture.classicContext())))
    print(Preflight.run(pid: getpid()).text)
    let clock = ContinuousClock()
    for _ in 0..<3 { print(clock.measure { _ = Snapshot.read(pid: getpid()) }) }
}
