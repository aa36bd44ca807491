import Testing
import ValonKit

/// Which learned NAT endpoint a discovery node writes when several share one registry
/// (docs/ARCHITECTURE.md §11): one row per situation, and two nodes run against each other.
@Suite("learned endpoint rule (several discovery nodes)")
struct LearnedEndpointRuleTests {
    static let me = try! WireGuardKey(bytes: [UInt8](repeating: 1, count: 32))
    static let other = try! WireGuardKey(bytes: [UInt8](repeating: 2, count: 32))
    static let home = Endpoint("203.0.113.10:51820")!
    static let homeOtherPort = Endpoint("203.0.113.10:40001")!
    static let moved = Endpoint("198.51.100.7:51820")!

    typealias Stored = LearnedEndpointRule.Stored
    typealias Decision = LearnedEndpointRule.Decision

    static let rows: [(String, Stored, Endpoint, Int64?, Decision)] = [
        ("nothing stored: write", Stored(endpoint: nil), home, 100, Decision(endpoint: home, kind: nil)),
        ("the same as stored: nothing", Stored(endpoint: home, seenAt: 90, seenBy: other), home, 100, .nothing),
        ("the same as another node stored, marked symmetric: clear the mark",
         Stored(endpoint: home, seenAt: 90, seenBy: other, kind: .symmetric), home, 100, Decision(endpoint: nil, kind: .some(nil))),
        ("the same as I stored, marked: nothing (no second opinion)",
         Stored(endpoint: home, seenAt: 90, seenBy: me, kind: .symmetric), home, 100, .nothing),
        ("my own value, moved: write at once, even with an old handshake", Stored(endpoint: home, seenAt: 90, seenBy: me), moved, 50,
         Decision(endpoint: moved, kind: nil)),
        ("no nat_seen (one node, the original): write", Stored(endpoint: home), homeOtherPort, nil, Decision(endpoint: homeOtherPort, kind: nil)),
        ("another node's value, moved, my handshake newer: write", Stored(endpoint: home, seenAt: 90, seenBy: other), moved, 100,
         Decision(endpoint: moved, kind: nil)),
        ("another node's value, moved, my handshake older: nothing", Stored(endpoint: home, seenAt: 90, seenBy: other), moved, 80, .nothing),
        ("another node's recent value, other port at the same address: symmetric",
         Stored(endpoint: home, seenAt: 90, seenBy: other), homeOtherPort, 100, Decision(endpoint: nil, kind: .some(.symmetric))),
        ("already marked symmetric: nothing", Stored(endpoint: home, seenAt: 90, seenBy: other, kind: .symmetric), homeOtherPort, 100, .nothing),
        ("another live node's value, however old its handshake, other port: symmetric, never a write that would flap",
         Stored(endpoint: home, seenAt: 90, seenBy: other), homeOtherPort, 10_000, Decision(endpoint: nil, kind: .some(.symmetric))),
    ]

    @Test("one decision per situation", arguments: rows)
    func decide(what: String, stored: Stored, observed: Endpoint, handshake: Int64?, expected: Decision) {
        #expect(LearnedEndpointRule.decide(stored: stored, observed: observed, handshake: handshake, node: Self.me) == expected, "\(what)")
        // With both nodes registered the answer is the same.
        #expect(LearnedEndpointRule.decide(stored: stored, observed: observed, handshake: handshake, node: Self.me,
                                           liveNodes: [Self.me, Self.other]) == expected, "\(what), both registered")
    }

    @Test("a value whose writer is no longer registered is taken over on any change, whatever the handshakes")
    func writerGone() {
        let stored = Stored(endpoint: Self.home, seenAt: 90, seenBy: Self.other)
        #expect(LearnedEndpointRule.decide(stored: stored, observed: Self.moved, handshake: 50, node: Self.me, liveNodes: [Self.me])
                == .write(Self.moved), "the writer stopped: its handshake time says nothing any more")
        #expect(LearnedEndpointRule.decide(stored: stored, observed: Self.homeOtherPort, handshake: 100, node: Self.me, liveNodes: [Self.me])
                == .write(Self.homeOtherPort), "no second node hears the peer, so no symmetric mark")
        #expect(LearnedEndpointRule.decide(stored: stored, observed: Self.moved, handshake: 50, node: Self.me, liveNodes: [Self.me, Self.other])
                == .nothing, "the writer is alive and heard it later")
    }

    /// Two nodes poll in turn for an hour of simulated time, each applying its decision to
    /// the shared record: a cone NAT gives both the same port, a symmetric NAT two ports.
    @Test("two nodes polling in turn write an endpoint once and never flap", arguments: [false, true])
    func twoNodes(symmetric: Bool) {
        var stored = Stored(endpoint: nil)
        var writes = 0, marks = 0
        let seen: [WireGuardKey: Endpoint] = [Self.me: Self.home, Self.other: symmetric ? Self.homeOtherPort : Self.home]
        for tick in 0..<3600 {
            let node = tick % 2 == 0 ? Self.me : Self.other
            let handshake = Int64(tick / 120 * 120)  // both rekey every two minutes
            let decision = LearnedEndpointRule.decide(stored: stored, observed: seen[node]!, handshake: handshake, node: node)
            if let endpoint = decision.endpoint {
                writes += 1
                stored = Stored(endpoint: endpoint, seenAt: handshake, seenBy: node, kind: stored.kind)
            }
            if let kind = decision.kind {
                marks += 1
                stored.kind = kind
            }
        }
        #expect(writes == 1, "nat_endpoint is written once")
        #expect(marks == (symmetric ? 1 : 0))
        #expect(stored.kind == (symmetric ? .symmetric : nil))
    }

    @Test("nat_seen round-trips; a hand-written value reads as unknown")
    func seenValue() {
        let text = LearnedEndpointRule.seenValue(at: 1_767_225_600, by: Self.me)
        let parsed = LearnedEndpointRule.parseSeen(text)
        #expect(parsed.at == 1_767_225_600 && parsed.by == Self.me)
        #expect(LearnedEndpointRule.parseSeen("yesterday").at == nil)
        #expect(LearnedEndpointRule.parseSeen(nil).by == nil)
    }
}
