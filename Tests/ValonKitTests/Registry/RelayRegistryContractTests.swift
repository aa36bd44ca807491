import Foundation
import Testing
@testable import ValonKit
import ValonTestSupport

/// Relay allocations in the registry (docs/ARCHITECTURE.md §3.1, §10), against a real etcd
/// member and `MemoryEtcd`: the documented keys, idempotence from either side, the lowest
/// free port, exhaustion that changes nothing, racing callers that never share a port,
/// removal with the port's claim, and a removed peer taking its relays with it.
@Suite("Relay allocations: real etcd and the in-memory store", .tags(.process), .timeLimit(.minutes(3)))
struct RelayRegistryContractProcessTests {
    typealias Contract = RegistryContractProcessTests

    static let alice = Contract.key(0xA1), bob = Contract.key(0xB2), carol = Contract.key(0xC3), dave = Contract.key(0xD4)

    /// A fixture with four registered peers.
    static func fixture(_ backend: Contract.Backend) async throws -> Contract.Fixture {
        let fixture = try await Contract.Fixture(backend)
        for (key, alias) in [(alice, "alice"), (bob, "bob"), (carol, "carol"), (dave, "dave")] {
            _ = try await fixture.registry.add(key: key, alias: alias)
        }
        return fixture
    }

    @Test("an allocation writes the pair and the port's claim; asking again, from either side, returns it", arguments: Contract.Backend.allCases)
    func allocateIsIdempotent(_ backend: Contract.Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.close() }
        let first = try await fixture.registry.allocateRelay(between: Self.bob, and: Self.alice, ports: 40000...40009)
        #expect(first.created && first.allocation.port == 40000)
        let (a, b) = RelayAllocation.ordered(Self.alice, Self.bob)
        let keys = try await fixture.dump().keys
        #expect(keys["/valon/relays/\(a.base64)/\(b.base64)"] == "40000")
        #expect(keys["/valon/relay-ports/40000"] == "\(a.base64)/\(b.base64)")
        let again = try await fixture.registry.allocateRelay(between: Self.alice, and: Self.bob, ports: 40000...40009)
        #expect(!again.created && again.allocation == first.allocation)
        let second = try await fixture.registry.allocateRelay(between: Self.carol, and: Self.alice, ports: 40000...40009)
        #expect(second.created && second.allocation.port == 40001, "the lowest free port")
        #expect(try await fixture.registry.relays().allocations.count == 2)
        #expect(try await fixture.registry.relay(between: Self.alice, and: Self.carol) == second.allocation)
    }

    @Test("an exhausted range is an error that changes nothing; a relay to oneself or to an unknown peer is refused", arguments: Contract.Backend.allCases)
    func refusals(_ backend: Contract.Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.close() }
        _ = try await fixture.registry.allocateRelay(between: Self.alice, and: Self.bob, ports: 40000...40000)
        let before = try await fixture.dump()
        do {
            _ = try await fixture.registry.allocateRelay(between: Self.carol, and: Self.dave, ports: 40000...40000)
            Issue.record("a port was allocated from an exhausted range")
        } catch {
            #expect(error.code == .relayPortsExhausted)
            #expect(error.message.contains("40000-40000"))
        }
        await #expect(throws: RegistryError.self) { _ = try await fixture.registry.allocateRelay(between: Self.alice, and: Self.alice, ports: 40000...40009) }
        let stranger = Contract.key(0x77)
        do {
            _ = try await fixture.registry.allocateRelay(between: Self.alice, and: stranger, ports: 40000...40009)
            Issue.record("a relay to an unknown peer was allocated")
        } catch {
            #expect(error.code == .peerNotFound)
        }
        #expect(try await fixture.dump().keys == before.keys)
    }

    @Test("twelve callers racing for four pairs from a range of four: four ports, each pair one, no claim twice", arguments: Contract.Backend.allCases)
    func racingCallersNeverSharePorts(_ backend: Contract.Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.close() }
        let pairs = [(Self.alice, Self.bob), (Self.alice, Self.carol), (Self.bob, Self.dave), (Self.carol, Self.dave)]
        let registry = fixture.registry
        let results = try await withThrowingTaskGroup(of: RelayAllocation.self) { group in
            for round in 0..<3 {
                for (a, b) in pairs {
                    group.addTask { try await registry.allocateRelay(between: round % 2 == 0 ? a : b, and: round % 2 == 0 ? b : a, ports: 40000...40003).allocation }
                }
            }
            return try await group.reduce(into: [RelayAllocation]()) { $0.append($1) }
        }
        #expect(Set(results).count == 4, "every caller of one pair got the same allocation")
        #expect(Set(results.map(\.port)) == Set(40000...40003))
        let keys = try await fixture.dump().keys
        #expect(keys.keys.filter { $0.hasPrefix("/valon/relay-ports/") }.count == 4)
        #expect(keys.keys.filter { $0.hasPrefix("/valon/relays/") }.count == 4)
    }

    @Test("removing a relay frees its port; removing a peer removes its relays and only theirs", arguments: Contract.Backend.allCases)
    func removal(_ backend: Contract.Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { fixture.close() }
        let ab = try await fixture.registry.allocateRelay(between: Self.alice, and: Self.bob, ports: 40000...40009).allocation
        _ = try await fixture.registry.allocateRelay(between: Self.alice, and: Self.carol, ports: 40000...40009)
        _ = try await fixture.registry.allocateRelay(between: Self.bob, and: Self.dave, ports: 40000...40009)
        #expect(try await fixture.registry.removeRelay(between: Self.bob, and: Self.alice) == ab)
        #expect(try await fixture.registry.removeRelay(between: Self.bob, and: Self.alice) == nil)
        #expect(try await fixture.dump().keys["/valon/relay-ports/40000"] == nil)
        let reused = try await fixture.registry.allocateRelay(between: Self.carol, and: Self.dave, ports: 40000...40009)
        #expect(reused.allocation.port == 40000, "the freed port is handed out again")

        try await fixture.registry.remove(key: Self.alice)
        let left = try await fixture.registry.relays().allocations
        #expect(Set(left.map(\.port)) == [40000, 40002], "alice's relay to carol went with her: \(left)")
        let keys = try await fixture.dump().keys
        #expect(keys["/valon/relay-ports/40001"] == nil)
        #expect(!keys.keys.contains { $0.contains(Self.alice.base64) })
    }

    @Test("relay records that do not parse are reported, not used")
    func damagedRecords() throws {
        let keys = RegistryKeys()
        let (a, b) = RelayAllocation.ordered(Self.alice, Self.bob)
        let kvs = [
            EtcdKeyValue(key: Array("/valon/relays/\(a.base64)/\(b.base64)".utf8), value: Array("40000".utf8)),
            EtcdKeyValue(key: Array("/valon/relays/\(a.base64)/short".utf8), value: Array("40001".utf8)),
            EtcdKeyValue(key: Array("/valon/relays/\(Self.carol.base64)/\(Self.dave.base64)".utf8), value: Array("port".utf8)),
            EtcdKeyValue(key: Array("/valon/relays/\(Self.carol.base64)/\(Self.alice.base64)".utf8), value: Array("0".utf8)),
        ]
        let (allocations, problems) = RelayAllocation.allocations(from: kvs, keys: keys)
        #expect(allocations == [RelayAllocation(between: Self.alice, and: Self.bob, port: 40000)])
        #expect(problems.count == 3)
        #expect(problems.allSatisfy { $0.code == .invalidRecord })
    }
}
