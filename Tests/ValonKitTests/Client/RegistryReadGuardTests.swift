import Synchronization
import Testing
import ValonKit

/// valon-sync's guards on what it reads (docs/ARCHITECTURE.md §9), table-driven with
/// scripted DNS answers: a serial 0, a serial that changed between the SOA query and the
/// transfer (once: asked again and applied; twice: refused), a transfer without an SOA, and
/// a SERVFAIL from the server, which passes through with its message.
@Suite("valon-sync read guards")
struct RegistryReadGuardTests {
    /// One scripted read: what the transfer's SOA says, or an error.
    enum Fetch: Sendable {
        case zone(serial: UInt32?)
        case servfail
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var firstSerial: UInt32
        /// Answers to the SOA queries after the first.
        var serials: [UInt32] = []
        var fetches: [Fetch]
        /// The serial applied, or the words the error must contain.
        var applied: UInt32?
        var error: String?
        var attempts = 1
        var testDescription: String { what }
    }

    static let server = "100.100.0.1:53"

    static let cases: [Case] = [
        Case(what: "serial and transfer agree", firstSerial: 41, fetches: [.zone(serial: 41)], applied: 41),
        Case(what: "serial 0 from the SOA query: nothing is fetched", firstSerial: 0, fetches: [],
             error: "100.100.0.1:53 serves valon.internal with SOA serial 0"),
        Case(what: "a transfer whose SOA says 0", firstSerial: 41, fetches: [.zone(serial: 0)], error: "SOA serial 0"),
        Case(what: "a transfer without an SOA", firstSerial: 41, fetches: [.zone(serial: nil)], error: "has no SOA"),
        Case(what: "changed once: asked again, then applied", firstSerial: 41, serials: [42],
             fetches: [.zone(serial: 42), .zone(serial: 42)], applied: 42, attempts: 2),
        Case(what: "changed twice: asked a third time, then applied", firstSerial: 41, serials: [42, 43],
             fetches: [.zone(serial: 42), .zone(serial: 43), .zone(serial: 43)], applied: 43, attempts: 3),
        Case(what: "changed three times: refused", firstSerial: 41, serials: [42, 43],
             fetches: [.zone(serial: 42), .zone(serial: 43), .zone(serial: 44)],
             error: "answered serial 43 for valon.internal but transferred serial 44 again after 3 tries"),
        Case(what: "changed, and the second SOA query says 0", firstSerial: 41, serials: [0], fetches: [.zone(serial: 42)],
             error: "SOA serial 0"),
        Case(what: "SERVFAIL on the transfer", firstSerial: 41, fetches: [.servfail], error: "answered SERVFAIL"),
    ]

    @Test(arguments: cases)
    func guardRead(_ test: Case) async throws {
        let serials = Mutex(test.serials)
        let fetches = Mutex(test.fetches)
        let fetched = Mutex(0)
        do {
            let read = try await RegistryReadGuard.fetch(
                after: test.firstSerial, server: Self.server, zone: "valon.internal",
                askSerial: { () throws(ClientError) in serials.withLock { $0.removeFirst() } },
                fetch: { () throws(ClientError) in
                    fetched.withLock { $0 += 1 }
                    switch fetches.withLock({ $0.removeFirst() }) {
                    case .zone(let serial): return (RegistryZone(peers: [], serial: serial), .axfr)
                    case .servfail:
                        throw ClientError(.registry, "cannot transfer the zone valon.internal from \(Self.server): \(Self.server) answered SERVFAIL to the AXFR of valon.internal")
                    }
                })
            #expect(test.error == nil, "expected the error \(test.error ?? "")")
            #expect(read.serial == test.applied)
            #expect(read.attempts == test.attempts)
        } catch {
            let expected = try #require(test.error, "unexpected error: \(error)")
            #expect(error.code == .registry)
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains(Self.server))
        }
        #expect(fetches.withLock { $0.isEmpty }, "every scripted transfer was asked for")
        #expect(serials.withLock { $0.isEmpty }, "every scripted SOA answer was asked for")
    }
}
