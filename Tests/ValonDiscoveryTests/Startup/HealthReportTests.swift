import Foundation
import Testing
@testable import ValonDiscovery
import ValonKit

/// `/health` by registry phase (docs/ARCHITECTURE.md §9): only `ok` is 200.
@Suite("Health report by registry phase")
struct HealthReportTests {
    static let read = WireGuardStatus.Reading(interface: "wg0", peers: 3, lastRead: .now, error: nil)
    static let unread = WireGuardStatus.Reading(interface: "wg0", peers: 0, lastRead: nil, error: nil)
    static let snapshot = RegistrySnapshot(peers: DNSZoneFixture.peers, revision: 77)
    static let now = Date(timeIntervalSince1970: 1_764_600_000)

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var etcdHealthy: Bool
        var phase: RegistryPhase
        var hasSnapshot: Bool
        var wireGuard: WireGuardStatus.Reading
        var status: String
        var source: String
        var age: Double?
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        Case(what: "nothing read, nothing persisted", etcdHealthy: false, phase: .starting, hasSnapshot: false,
             wireGuard: read, status: "starting", source: "none"),
        Case(what: "a persisted snapshot 90.25 s old", etcdHealthy: false, phase: .stale(savedAt: now - 90.25), hasSnapshot: true,
             wireGuard: read, status: "stale", source: "disk", age: 90.3),
        Case(what: "read from etcd", etcdHealthy: true, phase: .live, hasSnapshot: true, wireGuard: read, status: "ok", source: "etcd"),
        Case(what: "etcd lost after the read", etcdHealthy: false, phase: .live, hasSnapshot: true, wireGuard: read,
             status: "degraded", source: "etcd"),
        Case(what: "the interface not read yet", etcdHealthy: true, phase: .live, hasSnapshot: true, wireGuard: unread,
             status: "degraded", source: "etcd"),
    ]

    @Test(arguments: cases)
    func status(_ test: Case) throws {
        let report = HealthReport(etcdHealthy: test.etcdHealthy, phase: test.phase, snapshot: test.hasSnapshot ? Self.snapshot : nil,
                                  wireGuard: test.wireGuard, now: Self.now)
        #expect(report.status == test.status)
        #expect(report.isHealthy == (test.status == "ok"))
        #expect(report.etcd.source == test.source)
        #expect(report.etcd.snapshotAgeSeconds == test.age)
        #expect(report.etcd.revision == (test.hasSnapshot ? 77 : 0))
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains(#""status":"\#(test.status)""#))
        #expect(json.contains("snapshot_age_seconds") == (test.age != nil))
    }
}
