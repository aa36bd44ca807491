import Testing
@testable import ValonKit

@Suite("endpoint selection (docs/ARCHITECTURE.md §4)")
struct EndpointSelectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var myNAT: String?
        var subnets: [String]
        var lan: String?
        var nat: String?
        var relay: String? = nil
        var current: String? = nil
        var handshakeSecondsAgo: Int? = nil
        var expected: String?
        var reason: EndpointSelection.Reason
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "same NAT address → LAN", myNAT: "203.0.113.10", subnets: ["10.0.0.0/24"],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", expected: "192.168.1.50:51820", reason: .lanSameNAT),
        Case(name: "LAN address in a connected subnet → LAN", myNAT: "198.51.100.7", subnets: ["192.168.1.0/24"],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", expected: "192.168.1.50:51820", reason: .lanConnectedSubnet),
        Case(name: "different NAT, LAN not connected → NAT", myNAT: "198.51.100.7", subnets: ["10.0.0.0/24"],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "my NAT unknown, LAN not connected → NAT", myNAT: nil, subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "only NAT", myNAT: "198.51.100.7", subnets: ["192.168.1.0/24"],
             lan: nil, nat: "203.0.113.10:40001", expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "only LAN, not reachable by rule 1 → LAN anyway (rule 3)", myNAT: "198.51.100.7", subnets: [],
             lan: "192.168.1.50:51820", nat: nil, expected: "192.168.1.50:51820", reason: .lanOnly),
        Case(name: "nothing → none", myNAT: "198.51.100.7", subnets: ["192.168.1.0/24"],
             lan: nil, nat: nil, expected: nil, reason: .none),
        Case(name: "peer NAT unknown and mine unknown: no false same-NAT match", myNAT: nil, subnets: [],
             lan: "192.168.1.50:51820", nat: nil, expected: "192.168.1.50:51820", reason: .lanOnly),
        Case(name: "IPv6: LAN in a connected /64", myNAT: nil, subnets: ["2001:db8:1::/64"],
             lan: "[2001:db8:1::5]:51820", nat: "[2001:db8:ffff::1]:51820", expected: "[2001:db8:1::5]:51820", reason: .lanConnectedSubnet),
        Case(name: "IPv6: same NAT address", myNAT: "2001:db8:ffff::1", subnets: [],
             lan: "[fd00::5]:51820", nat: "[2001:db8:ffff::1]:4000", expected: "[fd00::5]:51820", reason: .lanSameNAT),
        Case(name: "IPv6 peer, IPv4 me: NAT", myNAT: "198.51.100.7", subnets: ["192.168.1.0/24"],
             lan: "[fd00::5]:51820", nat: "[2001:db8::1]:51820", expected: "[2001:db8::1]:51820", reason: .nat),
        // Hysteresis
        Case(name: "fresh handshake on a roamed endpoint: kept", myNAT: "198.51.100.7", subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", current: "203.0.113.10:40777", handshakeSecondsAgo: 30,
             expected: "203.0.113.10:40777", reason: .keptFreshHandshake),
        Case(name: "stale handshake (180 s): rules apply", myNAT: "198.51.100.7", subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", current: "203.0.113.10:40777", handshakeSecondsAgo: 180,
             expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "no handshake yet: rules apply", myNAT: "198.51.100.7", subnets: [],
             lan: nil, nat: "203.0.113.10:40001", current: "203.0.113.10:40777", handshakeSecondsAgo: nil,
             expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "fresh handshake over NAT, but now same NAT: switch to LAN", myNAT: "203.0.113.10", subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", current: "203.0.113.10:40001", handshakeSecondsAgo: 5,
             expected: "192.168.1.50:51820", reason: .lanSameNAT),
        Case(name: "fresh handshake on the LAN endpoint that rule 1 picks: unchanged", myNAT: "203.0.113.10", subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", current: "192.168.1.50:51820", handshakeSecondsAgo: 5,
             expected: "192.168.1.50:51820", reason: .lanSameNAT),
        Case(name: "fresh handshake on the LAN endpoint, but rule 1 no longer says LAN (I moved away): NAT", myNAT: "198.51.100.7", subnets: [],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", current: "192.168.1.50:51820", handshakeSecondsAgo: 5,
             expected: "203.0.113.10:40001", reason: .nat),
        Case(name: "the peer moved: current is its old LAN endpoint, fresh handshake → its new NAT endpoint", myNAT: "203.0.113.10", subnets: ["192.168.1.0/24"],
             lan: "192.168.2.12:51820", nat: "203.0.113.20:40002", current: "192.168.1.12:51820", handshakeSecondsAgo: 20,
             expected: "203.0.113.20:40002", reason: .nat),
        Case(name: "the peer's NAT address changed: the old NAT endpoint is not kept", myNAT: "198.51.100.7", subnets: [],
             lan: nil, nat: "203.0.113.99:40001", current: "203.0.113.10:40001", handshakeSecondsAgo: 20,
             expected: "203.0.113.99:40001", reason: .nat),
        Case(name: "a roamed port on the peer's NAT address is kept, also when its LAN is unknown", myNAT: nil, subnets: [],
             lan: nil, nat: "203.0.113.10:40001", current: "203.0.113.10:51999", handshakeSecondsAgo: 60,
             expected: "203.0.113.10:51999", reason: .keptFreshHandshake),
        // The relay (rule 0): the pair's direct paths failed and both switched together.
        Case(name: "a published relay wins over LAN and NAT", myNAT: "203.0.113.10", subnets: ["192.168.1.0/24"],
             lan: "192.168.1.50:51820", nat: "203.0.113.10:40001", relay: "198.51.100.1:51821",
             expected: "198.51.100.1:51821", reason: .relay),
        Case(name: "a relay wins over a fresh handshake on the NAT endpoint", myNAT: "198.51.100.7", subnets: [],
             lan: nil, nat: "203.0.113.10:40001", relay: "198.51.100.1:51822", current: "203.0.113.10:40001", handshakeSecondsAgo: 10,
             expected: "198.51.100.1:51822", reason: .relay),
        Case(name: "a relayed peer with no endpoint of its own is still reached", myNAT: nil, subnets: [],
             lan: nil, nat: nil, relay: "198.51.100.1:51823", expected: "198.51.100.1:51823", reason: .relay),
        Case(name: "the relay dropped: the current relay endpoint is not kept, the rules apply", myNAT: "198.51.100.7", subnets: [],
             lan: nil, nat: "203.0.113.10:40001", current: "198.51.100.1:51821", handshakeSecondsAgo: 10,
             expected: "203.0.113.10:40001", reason: .nat),
    ]

    @Test("rules and hysteresis", arguments: cases)
    func select(_ c: Case) {
        let local = EndpointSelection.Local(natAddress: c.myNAT.flatMap { IPAddress($0) }, connectedSubnets: c.subnets.map { IPNetwork($0)! })
        let peer = EndpointSelection.Candidates(lan: c.lan.flatMap { Endpoint($0) }, nat: c.nat.flatMap { Endpoint($0) },
                                                relay: c.relay.flatMap { Endpoint($0) })
        let current = EndpointSelection.Current(endpoint: c.current.flatMap { Endpoint($0) }, handshakeAge: c.handshakeSecondsAgo.map { .seconds($0) })
        let choice = EndpointSelection.choose(local: local, peer: peer, current: current)
        #expect(choice.endpoint == c.expected.flatMap { Endpoint($0) })
        #expect(choice.reason == c.reason)
    }

    @Test("equal input gives equal output: applying the choice and running again changes nothing", arguments: cases)
    func noFlap(_ c: Case) {
        let local = EndpointSelection.Local(natAddress: c.myNAT.flatMap { IPAddress($0) }, connectedSubnets: c.subnets.map { IPNetwork($0)! })
        let peer = EndpointSelection.Candidates(lan: c.lan.flatMap { Endpoint($0) }, nat: c.nat.flatMap { Endpoint($0) },
                                                relay: c.relay.flatMap { Endpoint($0) })
        let age = c.handshakeSecondsAgo.map { Duration.seconds($0) }
        let first = EndpointSelection.choose(local: local, peer: peer, current: .init(endpoint: c.current.flatMap { Endpoint($0) }, handshakeAge: age))
        // The device now holds the first choice; a second run on the same registry keeps it.
        let second = EndpointSelection.choose(local: local, peer: peer, current: .init(endpoint: first.endpoint, handshakeAge: age))
        #expect(second.endpoint == first.endpoint)
        let third = EndpointSelection.choose(local: local, peer: peer, current: .init(endpoint: second.endpoint, handshakeAge: age))
        #expect(third == second)
    }
}
